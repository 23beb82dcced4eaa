"""Shared inputs (autograder/sandbox/shared.py): a fork server started with the data folder loads the MNIST test
images once and its workers inherit them, so the judge sends a token, not 31 MB. The token is sent only for the
judge's own array, once per worker (a student's call may change it in place: the next call must not see that),
never decoded by the judge, and a forked worker never sees what an earlier one did to its copy."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from autograder.course import load_course
from autograder.sandbox import protocol, shared
from autograder.sandbox.process import open_sandbox, start_forkserver

STUDENT = '''
import numpy as np

def total(x):
    return float(np.asarray(x, dtype=np.float64).sum()), list(np.shape(x))

def zero(x):
    x[...] = 0  # changes its argument in place
    return 0
'''


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """A data folder whose test images are 5 small digits, in the real file's layout."""
    folder = tmp_path_factory.mktemp("data")
    pixels = np.random.default_rng(7).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    with gzip.open(folder / shared.MNIST_TEST_FILE, "wb") as f:
        f.write(struct.pack(">IIII", 2051, 5, 28, 28) + pixels.tobytes())
    return folder


@pytest.fixture(scope="module", params=["own-copy", "shared-file"])
def forkserver(data, request):
    """Both ways a server holds the inputs: its own copy (grade-all's judges), or a file the judge maps too."""
    server = start_forkserver(readable=[str(data)], preload=str(data), share_inputs=request.param == "shared-file")
    yield server
    server.close()


@pytest.fixture
def submission(tmp_path) -> Path:
    (tmp_path / "mnist.py").write_text(STUDENT)
    return tmp_path


def sent_bytes(monkeypatch) -> list[int]:
    """Bytes the judge writes to workers, one entry per write."""
    written: list[int] = []
    original = protocol.write_all

    def counting(fd, data):
        written.append(len(memoryview(data).cast("B")))
        original(fd, data)

    monkeypatch.setattr(protocol, "write_all", counting)
    return written


def test_a_worker_gets_the_images_by_token_once_and_pristine_each_time(data, forkserver, submission, monkeypatch):
    course = load_course(ROOT / "course.toml")
    x = shared.load(shared.MNIST_TEST_IMAGES, str(data))
    want = (float(x.astype(np.float64).sum()), [5, 784])
    written = sent_bytes(monkeypatch)
    with open_sandbox(course, submission, data, forkserver=forkserver) as sandbox:
        assert sandbox.call("mnist", "zero", (x,)).value == 0  # by token: changes the worker's inherited copy
        first = sum(written)
        assert first < x.nbytes  # the images did not cross
        got = sandbox.call("mnist", "total", (x,)).value  # by bytes: pristine, not what zero() left
        assert (got[0], list(got[1])) == want
        assert sum(written) - first > x.nbytes
    assert x.sum() > 0  # the judge's own array is untouched
    with open_sandbox(course, submission, data, forkserver=forkserver) as sandbox:  # the next submission's worker
        before = sum(written)
        got = sandbox.call("mnist", "total", (x,)).value
        assert (got[0], list(got[1])) == want and sum(written) - before < x.nbytes  # by token, and pristine


def test_an_equal_array_or_a_worker_without_the_images_gets_the_bytes(data, forkserver, submission, monkeypatch):
    course = load_course(ROOT / "course.toml")
    x = shared.load(shared.MNIST_TEST_IMAGES, str(data))
    written = sent_bytes(monkeypatch)
    with open_sandbox(course, submission, data, forkserver=forkserver) as sandbox:
        sandbox.call("mnist", "total", (x.copy(),))  # equal, not the judge's loaded array
        assert sum(written) > x.nbytes
    written.clear()
    with open_sandbox(course, submission, data) as sandbox:  # a spawned worker holds nothing
        assert sandbox.call("mnist", "total", (x,)).value[0] == pytest.approx(float(x.sum(dtype=np.float64)))
        assert sum(written) > x.nbytes


def test_the_judge_decodes_no_token():
    """A reply naming a shared input (a worker's message built to look like the judge's) is malformed."""
    x = np.zeros(3)
    parts = protocol.encode_parts({"value": x}, shared=lambda array: shared.MNIST_TEST_IMAGES)
    reply = b"".join(bytes(part) for part in parts)
    stream = memoryview(reply)
    position = 0

    def read_exact(n: int) -> bytes:
        nonlocal position
        position += n
        return bytes(stream[position - n:position])

    with pytest.raises(protocol.CodecError, match="unknown tag 'shared'"):
        protocol.read_message(read_exact)
    position = 0
    with pytest.raises(protocol.CodecError, match="no shared input"):
        protocol.read_message(read_exact, held=lambda token: None)
    position = 0
    assert protocol.read_message(read_exact, held=lambda token: np.ones(2))["value"].tolist() == [1, 1]


def test_a_change_to_the_inherited_images_is_still_reported_with_their_checksum_taken_once(tmp_path, monkeypatch):
    """Images above the worker's copy limit are compared by checksum; the fork server sums them once, before it
    forks. Is a call that changes them in place still charged with it, and one that does not, not?"""
    from autograder.sandbox import worker

    count = worker.COPY_LIMIT // (784 * 4) + 1  # just over the limit as float32: summed, not copied
    data = tmp_path / "data"
    data.mkdir()
    pixels = np.random.default_rng(3).integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    with gzip.open(data / shared.MNIST_TEST_FILE, "wb", compresslevel=1) as f:
        f.write(struct.pack(">IIII", 2051, count, 28, 28) + pixels.tobytes())
    course = load_course(ROOT / "course.toml")
    x = shared.load(shared.MNIST_TEST_IMAGES, str(data))
    assert x.nbytes > worker.COPY_LIMIT
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "mnist.py").write_text(STUDENT)
    server = start_forkserver(readable=[str(data)], preload=str(data))
    try:
        for function, changed in (("total", ()), ("zero", ("x",)), ("total", ())):
            written = sent_bytes(monkeypatch)
            with open_sandbox(course, submission, data, forkserver=server) as sandbox:
                assert sandbox.call("mnist", function, (x,)).mutated == changed
            assert sum(written) < x.nbytes  # by token: the inherited copy is the one compared
            monkeypatch.undo()
    finally:
        server.close()


@pytest.fixture(scope="module")
def file_sharing_server(data):
    server = start_forkserver(readable=[str(data)], preload=str(data), share_inputs=True)
    yield server
    server.close()


def test_the_judge_maps_the_file_its_fork_server_maps_and_no_one_can_change_it(data, file_sharing_server,
                                                                                submission):
    """With a workspace, the judge writes the images once into it and maps that file read-only, as the server maps
    it copy-on-write: one copy of the pages for judge, server and workers (the check server held two). Is the
    judge's array that mapping, read-only, and does a worker's change in place stay the worker's own?"""
    from autograder.sandbox import isolation

    forkserver = file_sharing_server
    if not isolation.available():
        pytest.skip("bwrap cannot create namespaces here: a fork server without a workspace loads its own copy")
    x = shared.load(shared.MNIST_TEST_IMAGES, str(data))
    mapped = Path(forkserver.workspace, f"{shared.MNIST_TEST_IMAGES}.npy")
    assert str(mapped) in Path("/proc/self/maps").read_text()
    assert not x.flags.writeable
    with pytest.raises(ValueError):
        x[0, 0] = 1.0
    course = load_course(ROOT / "course.toml")
    with open_sandbox(course, submission, data, forkserver=forkserver) as sandbox:
        assert sandbox.call("mnist", "zero", (x,)).mutated == ("x",)  # the worker's own page
    with open_sandbox(course, submission, data, forkserver=forkserver) as sandbox:
        assert sandbox.call("mnist", "total", (x,)).value[0] == pytest.approx(float(x.sum(dtype=np.float64)))
    assert float(np.load(mapped, allow_pickle=False).sum(dtype=np.float64)) == float(x.sum(dtype=np.float64)) > 0
