"""Tests for autograder.data.mnist: finding, verifying and downloading MNIST.

Nothing here touches the network: downloads come from real HTTP servers on
127.0.0.1 serving small generated IDX files, described by fake MnistFile entries.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import random
import socket
import struct
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder.data.mnist import (
    MNIST_FILES,
    DataMissing,
    DataUnavailable,
    FileCheck,
    MnistFile,
    Status,
    data_dir,
    fetch,
    require,
    verify,
)

# Fast settings for every fetch: no retries unless a test asks, and no sleeping.
FAST = {"timeout": 5, "retries_per_mirror": 0, "backoff": 0}


# --- generated data --------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def idx_images(count: int, seed: int) -> bytes:
    """IDX3 content: big-endian header, then `count` random 28x28 uint8 images."""
    pixels = random.Random(seed).randbytes(count * 28 * 28)
    return struct.pack(">IIII", 2051, count, 28, 28) + pixels


@dataclass(frozen=True)
class Fake:
    """A fake MNIST file: its entry, its 'published' archive and its unpacked content."""

    file: MnistFile
    archive: bytes
    content: bytes

    @property
    def name(self) -> str:
        return self.file.name

    def recompressed(self) -> bytes:
        """The same content, gzip'd with other settings (so different bytes)."""
        other = gzip.compress(self.content, compresslevel=1, mtime=12345)
        assert other != self.archive
        return other


def make_fake(name: str = "fake-images-idx3-ubyte.gz", count: int = 300, seed: int = 0) -> Fake:
    # ~235 KB of content: several download chunks, so progress is reported more than once.
    content = idx_images(count, seed)
    archive = gzip.compress(content, compresslevel=9, mtime=0)
    return Fake(MnistFile(name, sha256(archive), sha256(content)), archive, content)


# --- local HTTP mirrors ----------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One HTTP reply; `length` overrides Content-Length to simulate a cut-off body."""

    status: int = 200
    body: bytes = b""
    length: int | None = None


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, list[Reply]]
    requests: list[str]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.requests.append(self.path.lstrip("/"))
        replies = self.server.routes.get(self.path.lstrip("/"))
        if not replies:
            self.send_error(404)
            return
        # Replies are used in order; the last one repeats.
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        self.send_response(reply.status)
        self.send_header("Content-Length", str(reply.length if reply.length is not None else len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean


@dataclass
class Mirror:
    url: str
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def serve(request: pytest.FixtureRequest) -> Callable[[dict[str, list[Reply]]], Mirror]:
    """Start a mirror on 127.0.0.1 serving `routes` (file name -> replies); stopped after the test."""

    def start(routes: dict[str, list[Reply]]) -> Mirror:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.routes = {name: list(replies) for name, replies in routes.items()}
        server.requests = []
        # A short poll interval keeps shutdown() quick.
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        thread.start()

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join()

        request.addfinalizer(stop)
        return Mirror(f"http://127.0.0.1:{server.server_address[1]}/", server.requests)

    return start


@pytest.fixture
def dead_mirror() -> Iterator[str]:
    """A mirror URL whose port is bound but not listening, so connections are refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    sock.close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make sure a proxy in the environment cannot intercept requests to 127.0.0.1."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")


def only(checks: list[FileCheck]) -> FileCheck:
    assert len(checks) == 1
    return checks[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- the published constants -----------------------------------------------------------


def test_mnist_files_are_the_four_standard_files() -> None:
    """Does MNIST_FILES list the four standard files with well-formed sha256s?"""
    assert [f.name for f in MNIST_FILES] == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    for f in MNIST_FILES:
        for digest in (f.archive_sha256, f.content_sha256):
            assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")


# --- data_dir --------------------------------------------------------------------------


def test_data_dir_prefers_explicit_argument(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Does an explicit folder win over NNGRADE_DATA?"""
    monkeypatch.setenv("NNGRADE_DATA", str(tmp_path / "env"))
    assert data_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert data_dir(str(tmp_path / "explicit")) == tmp_path / "explicit"


def test_data_dir_uses_env_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without an explicit folder, is NNGRADE_DATA used?"""
    monkeypatch.setenv("NNGRADE_DATA", str(tmp_path / "env"))
    assert data_dir() == tmp_path / "env"


def test_data_dir_falls_back_to_xdg_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without NNGRADE_DATA, is the folder under $XDG_CACHE_HOME?"""
    monkeypatch.delenv("NNGRADE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "nngrade" / "mnist"


def test_data_dir_falls_back_to_home_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """On Linux without NNGRADE_DATA or XDG_CACHE_HOME, is the folder ~/.cache/nngrade/mnist?"""
    monkeypatch.delenv("NNGRADE_DATA", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "linux")
    assert data_dir() == tmp_path / ".cache" / "nngrade" / "mnist"


# --- verify ----------------------------------------------------------------------------


def test_published_archive_passes_verify(tmp_path: Path) -> None:
    """Is a file identical to the published archive reported ok?"""
    fake = make_fake()
    (tmp_path / fake.name).write_bytes(fake.archive)
    check = only(verify(tmp_path, files=[fake.file]))
    assert check.status is Status.OK and check.ok
    assert check.status == "ok"  # the enum compares equal to its plain string


def test_recompressed_copy_passes_verify(tmp_path: Path) -> None:
    """Is a re-compressed copy (different gzip bytes, same content) reported ok?"""
    fake = make_fake()
    (tmp_path / fake.name).write_bytes(fake.recompressed())
    assert only(verify(tmp_path, files=[fake.file])).status is Status.OK


def test_missing_file_is_missing(tmp_path: Path) -> None:
    """Is an absent file reported missing (not corrupt)?"""
    fake = make_fake()
    check = only(verify(tmp_path, files=[fake.file]))
    assert check.status is Status.MISSING
    assert fake.name in check.message


def test_truncated_gzip_is_corrupt(tmp_path: Path) -> None:
    """Is a cut-off gzip file reported corrupt, with a message that says it is not valid gzip?"""
    fake = make_fake()
    (tmp_path / fake.name).write_bytes(fake.archive[: len(fake.archive) // 2])
    check = only(verify(tmp_path, files=[fake.file]))
    assert check.status is Status.CORRUPT
    assert "gzip" in check.message


def test_non_gzip_file_is_corrupt(tmp_path: Path) -> None:
    """Is an unpacked (not gzip'd) file reported corrupt, with a message that says it is not valid gzip?"""
    fake = make_fake()
    (tmp_path / fake.name).write_bytes(fake.content)
    check = only(verify(tmp_path, files=[fake.file]))
    assert check.status is Status.CORRUPT
    assert "not a valid gzip" in check.message


def test_wrong_content_is_corrupt(tmp_path: Path) -> None:
    """Is a valid gzip file with the wrong content reported corrupt, mentioning the hash?"""
    fake = make_fake()
    (tmp_path / fake.name).write_bytes(make_fake(seed=99).archive)
    check = only(verify(tmp_path, files=[fake.file]))
    assert check.status is Status.CORRUPT
    assert "sha256" in check.message


def test_empty_file_is_corrupt(tmp_path: Path) -> None:
    """Is an empty file reported corrupt rather than as empty content?"""
    fake = make_fake()
    (tmp_path / fake.name).write_bytes(b"")
    check = only(verify(tmp_path, files=[fake.file]))
    assert check.status is Status.CORRUPT
    assert "empty" in check.message


# --- require ---------------------------------------------------------------------------


def test_require_explains_how_to_get_missing_files(tmp_path: Path) -> None:
    """When files are missing, does require name them and say how to get them?"""
    present, absent = make_fake("a.gz"), make_fake("b.gz", seed=1)
    (tmp_path / present.name).write_bytes(present.archive)
    with pytest.raises(DataMissing) as info:
        require(tmp_path, files=[present.file, absent.file])
    message = str(info.value)
    assert "b.gz" in message and "a.gz" not in message
    assert "nngrade data fetch" in message and "NNGRADE_DATA" in message
    assert info.value.missing == ("b.gz",)


def test_require_returns_folder_when_all_present(tmp_path: Path) -> None:
    """When every file is present, does require return the folder?"""
    fake = make_fake()
    (tmp_path / fake.name).write_bytes(fake.archive)
    assert require(str(tmp_path), files=[fake.file]) == tmp_path


# --- fetch -----------------------------------------------------------------------------


def test_fetch_downloads_verifies_and_reports_progress(serve, tmp_path: Path) -> None:
    """Does fetch download a missing file, verify it, and report growing byte counts?"""
    fake = make_fake()
    mirror = serve({fake.name: [Reply(body=fake.archive)]})
    calls: list[tuple[str, int, int | None]] = []

    outcomes = fetch(tmp_path, [mirror.url], files=[fake.file], progress=lambda *a: calls.append(a), **FAST)

    assert [(o.name, o.downloaded, o.source) for o in outcomes] == [(fake.name, True, mirror.url + fake.name)]
    assert (tmp_path / fake.name).read_bytes() == fake.archive
    assert only(verify(tmp_path, files=[fake.file])).ok
    assert leftovers(tmp_path) == [fake.name]  # no .part file left behind
    assert len(calls) > 2
    assert {name for name, _, _ in calls} == {fake.name}
    done = [d for _, d, _ in calls]
    assert done == sorted(done) and len(set(done)) == len(done)
    assert calls[-1] == (fake.name, len(fake.archive), len(fake.archive))


def test_nothing_appears_at_final_name_until_verified(serve, tmp_path: Path) -> None:
    """While a download is in progress, is it only in a hidden .part file, never at the final name?"""
    fake = make_fake()
    mirror = serve({fake.name: [Reply(body=fake.archive)]})
    seen: list[list[str]] = []

    def progress(name: str, done: int, total: int | None) -> None:
        assert not (tmp_path / fake.name).exists()
        seen.append(leftovers(tmp_path))

    fetch(tmp_path, [mirror.url], files=[fake.file], progress=progress, **FAST)

    assert seen and all(len(names) == 1 and names[0].startswith(f".{fake.name}.part-") for names in seen)
    assert leftovers(tmp_path) == [fake.name]


def test_fetch_accepts_recompressed_copy_from_mirror(serve, tmp_path: Path) -> None:
    """Is a mirror's copy with other gzip bytes but the right content accepted?"""
    fake = make_fake()
    mirror = serve({fake.name: [Reply(body=fake.recompressed())]})
    outcome, = fetch(tmp_path, [mirror.url], files=[fake.file], **FAST)
    assert outcome.downloaded
    assert only(verify(tmp_path, files=[fake.file])).ok


def test_dead_and_failing_mirrors_are_skipped(serve, dead_mirror: str, tmp_path: Path) -> None:
    """After a refused connection, a 404 and a 500, is the file fetched from the next good mirror?"""
    fake = make_fake()
    missing = serve({})
    broken = serve({fake.name: [Reply(status=500)]})
    good = serve({fake.name: [Reply(body=fake.archive)]})

    outcome, = fetch(
        tmp_path, [dead_mirror, missing.url, broken.url, good.url], files=[fake.file], **{**FAST, "retries_per_mirror": 1}
    )

    assert outcome.source == good.url + fake.name
    assert missing.requests == [fake.name]  # a 404 is not retried
    assert broken.requests == [fake.name, fake.name]  # a 500 is retried, a bounded number of times
    assert leftovers(tmp_path) == [fake.name]


def test_transient_error_is_retried_on_same_mirror(serve, tmp_path: Path) -> None:
    """Does a mirror that fails once with 503 and then works still deliver the file?"""
    fake = make_fake()
    mirror = serve({fake.name: [Reply(status=503), Reply(body=fake.archive)]})
    outcome, = fetch(tmp_path, [mirror.url], files=[fake.file], **{**FAST, "retries_per_mirror": 2})
    assert outcome.source == mirror.url + fake.name
    assert mirror.requests == [fake.name, fake.name]


def test_cut_off_download_is_retried(serve, tmp_path: Path) -> None:
    """Is a body shorter than its Content-Length treated as a failed attempt and retried?"""
    fake = make_fake()
    half = fake.archive[: len(fake.archive) // 2]
    mirror = serve({fake.name: [Reply(body=half, length=len(fake.archive)), Reply(body=fake.archive)]})
    outcome, = fetch(tmp_path, [mirror.url], files=[fake.file], **{**FAST, "retries_per_mirror": 1})
    assert outcome.downloaded
    assert mirror.requests == [fake.name, fake.name]
    assert (tmp_path / fake.name).read_bytes() == fake.archive


@pytest.mark.parametrize(
    "bad_body",
    [
        pytest.param(b"<html>not the file</html>", id="not-gzip"),
        pytest.param(make_fake(seed=7).archive, id="wrong-content"),
        pytest.param(make_fake().archive[:1000], id="truncated-gzip"),
    ],
)
def test_corrupt_download_moves_to_next_mirror(serve, tmp_path: Path, bad_body: bytes) -> None:
    """When the first mirror serves wrong bytes, is the file fetched from the next mirror instead?"""
    fake = make_fake()
    bad = serve({fake.name: [Reply(body=bad_body)]})
    good = serve({fake.name: [Reply(body=fake.archive)]})

    outcome, = fetch(tmp_path, [bad.url, good.url], files=[fake.file], **{**FAST, "retries_per_mirror": 2})

    assert outcome.source == good.url + fake.name
    assert bad.requests == [fake.name]  # corrupt data is not retried on the same mirror
    assert (tmp_path / fake.name).read_bytes() == fake.archive
    assert leftovers(tmp_path) == [fake.name]


def test_all_mirrors_bad_raises_helpful_error_and_leaves_nothing(serve, dead_mirror: str, tmp_path: Path) -> None:
    """When every mirror fails, is DataUnavailable raised with a helpful message and no file left behind?"""
    fake = make_fake()
    missing = serve({})
    corrupt = serve({fake.name: [Reply(body=b"garbage")]})
    folder = tmp_path / "data"

    with pytest.raises(DataUnavailable) as info:
        fetch(folder, [dead_mirror, missing.url, corrupt.url], files=[fake.file], **FAST)

    message = str(info.value)
    assert "\n" not in message  # one paragraph
    assert fake.name in message
    for url in (dead_mirror, missing.url, corrupt.url):
        assert url + fake.name in message
    assert "HTTP 404" in message and "gzip" in message
    assert "NNGRADE_DATA=/that/folder" in message and "nngrade data verify" in message
    assert len(info.value.failures) == 3
    assert leftovers(folder) == []  # neither the file nor any .part file


def test_verified_file_is_not_downloaded_again(serve, tmp_path: Path) -> None:
    """Is a file already verified in the folder left alone (the mirror never asked for it)?"""
    have, need = make_fake("have.gz"), make_fake("need.gz", seed=1)
    (tmp_path / have.name).write_bytes(have.recompressed())
    mirror = serve({have.name: [Reply(body=have.archive)], need.name: [Reply(body=need.archive)]})

    outcomes = fetch(tmp_path, [mirror.url], files=[have.file, need.file], **FAST)

    assert [(o.name, o.downloaded) for o in outcomes] == [(have.name, False), (need.name, True)]
    assert mirror.requests == [need.name]
    assert (tmp_path / have.name).read_bytes() == have.recompressed()  # untouched


def test_corrupt_file_in_place_is_replaced(serve, tmp_path: Path) -> None:
    """Is a corrupt file already at the final name replaced by a verified download?"""
    fake = make_fake()
    (tmp_path / fake.name).write_bytes(b"junk")
    mirror = serve({fake.name: [Reply(body=fake.archive)]})
    outcome, = fetch(tmp_path, [mirror.url], files=[fake.file], **FAST)
    assert outcome.downloaded
    assert only(verify(tmp_path, files=[fake.file])).ok


def test_fetch_creates_the_folder(serve, tmp_path: Path) -> None:
    """Does fetch create a data folder that does not exist yet?"""
    fake = make_fake()
    mirror = serve({fake.name: [Reply(body=fake.archive)]})
    folder = tmp_path / "a" / "b"
    fetch(folder, [mirror.url.rstrip("/")], files=[fake.file], **FAST)  # a mirror without "/" works too
    assert only(verify(folder, files=[fake.file])).ok


# --- the real data ---------------------------------------------------------------------


def _real_folder() -> Path | None:
    value = os.environ.get("NNGRADE_DATA")
    if not value:
        return None
    folder = Path(value)
    return folder if all((folder / f.name).is_file() for f in MNIST_FILES) else None


@pytest.mark.skipif(
    _real_folder() is None,
    reason="needs NNGRADE_DATA pointing at a folder with the four MNIST .gz files",
)
def test_real_mnist_folder_verifies() -> None:
    """Does verify() report all four real MNIST files in NNGRADE_DATA ok with the published hashes?"""
    folder = _real_folder()
    assert folder is not None
    checks = verify(folder)
    assert [(c.name, c.status) for c in checks] == [(f.name, Status.OK) for f in MNIST_FILES], [
        c.message for c in checks
    ]
