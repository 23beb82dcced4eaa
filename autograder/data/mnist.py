"""Locate, verify and download the four MNIST files the exercises use.

A file counts as good when the sha256 of its *unpacked* content matches the
published data, so the archives as published and re-compressed copies of them
are both accepted.
"""

from __future__ import annotations

import enum
import gzip
import hashlib
import os
import secrets
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # urllib and http are imported where a download happens: the suites only need `require`
    import http.client

__all__ = [
    "DEFAULT_MIRRORS",
    "ENV_VAR",
    "MNIST_FILES",
    "DataMissing",
    "DataUnavailable",
    "FetchOutcome",
    "FileCheck",
    "MnistFile",
    "Progress",
    "Status",
    "data_dir",
    "fetch",
    "require",
    "verify",
]

from autograder.data.datadir import ENV_VAR, data_dir  # re-exported: the CLI finds the folder without urllib

CHUNK_SIZE = 1 << 16
# A broken or hostile mirror could stream forever; the largest MNIST file is ~10 MB.
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class MnistFile:
    """One MNIST file: its name and the sha256s of the published archive and of its unpacked content."""

    name: str
    archive_sha256: str
    content_sha256: str


MNIST_FILES: tuple[MnistFile, ...] = (
    MnistFile(
        "train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    MnistFile(
        "train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    MnistFile(
        "t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    MnistFile(
        "t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
)

# Tried in order; a file's URL is the mirror followed by the file name.
DEFAULT_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

#: Called as progress(file_name, bytes_done, bytes_total_or_None).
Progress = Callable[[str, int, int | None], None]


class Status(str, enum.Enum):
    """How one file in the data folder checked out."""

    OK = "ok"
    MISSING = "missing"
    CORRUPT = "corrupt"


@dataclass(frozen=True)
class FileCheck:
    """The verdict on one file, with a message for a human."""

    name: str
    status: Status
    message: str
    path: Path

    @property
    def ok(self) -> bool:
        """Whether the file is present and its content is the expected one."""
        return self.status is Status.OK


@dataclass(frozen=True)
class FetchOutcome:
    """What fetch did for one file: found it already verified, or downloaded it from `source`."""

    name: str
    path: Path
    downloaded: bool
    source: str | None = None


class DataMissing(Exception):
    """MNIST files are absent from the data folder; the message says how to get them."""

    def __init__(self, folder: Path, missing: Sequence[str]) -> None:
        self.folder = folder
        self.missing = tuple(missing)
        super().__init__(
            f"MNIST data not found: {folder} lacks {', '.join(self.missing)}. "
            f"Run `nngrade data fetch` to download the files (into the folder {ENV_VAR} "
            f"names, else a per-user cache folder), or, if you already have them (for "
            f"example on an offline machine), copy them into a folder and set "
            f"{ENV_VAR}=/that/folder; `nngrade data verify` checks them."
        )


class DataUnavailable(Exception):
    """No mirror delivered a verified copy of a file; the message says what to do offline."""

    def __init__(
        self,
        name: str,
        failures: Sequence[tuple[str, str]],
        all_names: Sequence[str] | None = None,
    ) -> None:
        self.name = name
        self.failures = tuple(failures)  # (url, what went wrong) per mirror
        said = "; ".join(f"{url} failed: {problem}" for url, problem in self.failures)
        all_names = all_names if all_names is not None else [file.name for file in MNIST_FILES]
        super().__init__(
            f"Could not download {name} from any mirror: {said or 'no mirrors were given'}. "
            f"If this machine is offline or the mirrors are blocked, copy the MNIST files "
            f"({', '.join(all_names)}) into a folder and set {ENV_VAR}=/that/folder, "
            f"then run `nngrade data verify`."
        )


def verify(folder: str | Path, files: Sequence[MnistFile] = MNIST_FILES) -> list[FileCheck]:
    """Check each file in `folder` by the sha256 of its unpacked content."""
    folder = Path(folder)
    return [_check(folder / f.name, f) for f in files]


def require(folder: str | Path, files: Sequence[MnistFile] = MNIST_FILES) -> Path:
    """Return `folder` if every file is present there; otherwise raise DataMissing saying how to get them."""
    folder = Path(folder)
    missing = [f.name for f in files if not (folder / f.name).is_file()]
    if missing:
        raise DataMissing(folder, missing)
    return folder


def fetch(
    folder: str | Path,
    mirrors: Sequence[str] = DEFAULT_MIRRORS,
    *,
    files: Sequence[MnistFile] = MNIST_FILES,
    progress: Progress | None = None,
    timeout: float = 30,
    retries_per_mirror: int = 2,
    backoff: float = 0.5,
) -> list[FetchOutcome]:
    """Download into `folder` every file not already verified there, trying `mirrors` in order.

    A file only ever appears under its final name once it is complete and verified.
    Each mirror is tried 1 + `retries_per_mirror` times on transient errors (with a
    backoff starting at `backoff` seconds); a corrupt download moves on to the next
    mirror. Raises DataUnavailable for the first file no mirror could deliver; files
    fetched before it stay in place.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = [f.name for f in files]
    outcomes: list[FetchOutcome] = []
    for file in files:
        target = folder / file.name
        if _check(target, file).ok:
            outcomes.append(FetchOutcome(file.name, target, downloaded=False))
            continue
        failures: list[tuple[str, str]] = []
        for mirror in mirrors:
            url = (mirror if mirror.endswith("/") else mirror + "/") + file.name
            problem = _fetch_from(url, file, target, progress, timeout, retries_per_mirror, backoff)
            if problem is None:
                outcomes.append(FetchOutcome(file.name, target, downloaded=True, source=url))
                break
            failures.append((url, problem))
        else:
            raise DataUnavailable(file.name, failures, names)
    return outcomes


class _Failure(Exception):
    """A mirror did not deliver; `retry` says whether trying the same mirror again may help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


def _check(path: Path, file: MnistFile) -> FileCheck:
    if not path.exists():
        return FileCheck(file.name, Status.MISSING, f"{path} does not exist", path)
    problem = _content_problem(path, file)
    if problem is not None:
        return FileCheck(file.name, Status.CORRUPT, f"{path} {problem}", path)
    return FileCheck(file.name, Status.OK, f"{path} is ok (unpacked content sha256 matches)", path)


def _content_problem(path: Path, file: MnistFile) -> str | None:
    """Why the unpacked content of `path` is not `file`'s (phrased to follow a subject), or None."""
    digest = hashlib.sha256()
    try:
        # gzip happily reads an empty file as empty content; say plainly what is wrong.
        if path.stat().st_size == 0:
            return "is empty"
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(CHUNK_SIZE):
                digest.update(chunk)
    except EOFError:
        return "is not a valid gzip file: it ends early (truncated?)"
    except (gzip.BadGzipFile, zlib.error) as exc:
        return f"is not a valid gzip file ({exc})"
    except OSError as exc:
        return f"could not be read ({exc})"
    actual = digest.hexdigest()
    if actual != file.content_sha256:
        return (
            f"has the wrong content (unpacked sha256 {actual[:16]}…, "
            f"expected {file.content_sha256[:16]}…)"
        )
    return None


def _fetch_from(
    url: str,
    file: MnistFile,
    target: Path,
    progress: Progress | None,
    timeout: float,
    retries: int,
    backoff: float,
) -> str | None:
    """Try one mirror a bounded number of times; None on success, else what went wrong."""
    attempts = max(0, retries) + 1
    problem = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            _download_verified(url, file, target, progress, timeout)
            return None
        except _Failure as failure:
            problem = str(failure)
            if not failure.retry:
                return problem
    return f"{problem} (after {attempts} attempts)" if attempts > 1 else problem


def _download_verified(
    url: str, file: MnistFile, target: Path, progress: Progress | None, timeout: float
) -> None:
    # Same folder as the target so os.replace is an atomic rename, never a copy.
    part = target.with_name(f".{file.name}.part-{secrets.token_hex(6)}")
    try:
        archive_sha256 = _download(url, part, file.name, progress, timeout)
        if archive_sha256 != file.archive_sha256:
            problem = _content_problem(part, file)
            if problem is not None:
                raise _Failure(f"download {problem}", retry=False)
        os.replace(part, target)
    finally:
        # Whatever happened (including Ctrl-C in a progress callback), leave no partial file.
        part.unlink(missing_ok=True)


def _download(url: str, dest: Path, name: str, progress: Progress | None, timeout: float) -> str:
    """Stream `url` into the new file `dest`; return the sha256 of the bytes received."""
    import http.client
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "nngrade"})
    # A fresh opener per call honours the proxy settings of the current environment.
    opener = urllib.request.build_opener()
    digest = hashlib.sha256()
    done = 0
    # Local errors (disk full, no permission) propagate as they are: no mirror can fix them.
    with open(dest, "xb") as out:
        try:
            response = opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            transient = exc.code >= 500 or exc.code in (408, 429)
            raise _Failure(f"HTTP {exc.code} {exc.reason}", retry=transient) from exc
        except urllib.error.URLError as exc:
            # Network trouble carries an OSError reason; a plain string ("unknown url type")
            # is a configuration mistake that retrying cannot fix.
            transient = isinstance(exc.reason, OSError)
            raise _Failure(f"cannot connect ({exc.reason})", retry=transient) from exc
        except ValueError as exc:  # a malformed mirror URL
            raise _Failure(f"bad URL ({exc})", retry=False) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise _Failure(f"connection failed ({exc})", retry=True) from exc
        with response:
            total = _content_length(response)
            if total is not None and total > MAX_DOWNLOAD_BYTES:
                raise _Failure(f"server offers {total} bytes, far more than any MNIST file", retry=False)
            if progress is not None:
                progress(name, 0, total)
            while True:
                try:
                    chunk = response.read(CHUNK_SIZE)
                except (OSError, http.client.HTTPException) as exc:
                    raise _Failure(f"connection failed after {done} bytes ({exc})", retry=True) from exc
                if not chunk:
                    break
                done += len(chunk)
                if done > MAX_DOWNLOAD_BYTES:
                    raise _Failure("server sent far more data than any MNIST file", retry=False)
                digest.update(chunk)
                out.write(chunk)
                if progress is not None:
                    progress(name, done, total)
        # http.client returns a short body silently when the server hangs up early.
        if total is not None and done < total:
            raise _Failure(f"connection closed after {done} of {total} bytes", retry=True)
        out.flush()
        # Durable before the rename, so a crash cannot leave a verified name with lost data.
        os.fsync(out.fileno())
    return digest.hexdigest()


def _content_length(response: http.client.HTTPResponse) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        length = int(value) if value is not None else None
    except ValueError:
        return None
    return length if length is not None and length >= 0 else None
