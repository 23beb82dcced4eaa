"""Large inputs a fork server loads once, so that every worker forked from it starts with them in memory.

The real-data test of the mnist exercise hands `accuracy` the 10,000 test images: 31 MB of float32 written
through the pipe for every submission (and every served check), read and checksummed by the worker, and held
twice at once, by the judge and by the worker (~6% of a grade-all submission's CPU, and the largest share of
a check's peak memory: benchmarks/bench_speed.py). A fork server started with the data folder loads them
before it forks anything; each worker inherits the pages, shared with the server until written.

The judge sends a *token* instead of the bytes, and only for an array it loaded itself with `load` (so
the two are the same bits), only to a worker that holds it, and only once per worker: a student's call may
change its argument in place, and the next call must still see the pristine images, so any later use of the
array in that worker crosses the pipe as before. Tokens travel judge -> worker only: the judge's decoder
knows no token, so a reply that names one is a malformed message.

For the check server (`start_forkserver(share_inputs=True)`, where memory counts), the judge writes the
inputs once into its fork server's workspace (`materialize`) and both map the file: the server
copy-on-write, the judge read-only, so one copy of the pages serves judge, server and workers.
"""
from __future__ import annotations

import contextlib
import gzip
import os
import zlib
from collections.abc import Callable

import numpy as np

MNIST_TEST_IMAGES = "mnist-test-images"
MNIST_TEST_FILE = "t10k-images-idx3-ubyte.gz"


def mnist_test_images(folder: str) -> np.ndarray:
    """The 10,000 test images as float32 in [0, 1], shape (10000, 784), as the grader reads them."""
    with gzip.open(os.path.join(folder, MNIST_TEST_FILE)) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784).astype(np.float32)
    images /= 255.0  # in place, the same values: no second 31 MB array
    return images


LOADERS: dict[str, Callable[[str], np.ndarray]] = {MNIST_TEST_IMAGES: mnist_test_images}

# --- in the fork server, and so in every worker forked from it ---------------------------------------

_held: dict[str, np.ndarray] = {}
_checksums: dict[int, int] = {}
"""id of a held array -> its checksum before any worker could change it."""


def checksum(array: np.ndarray) -> int:
    """A checksum of the array's bytes (the worker compares one before and after a call, for large arguments)."""
    return zlib.crc32(np.ascontiguousarray(array).data.cast("B"))


def preload(folder: str, mapped: str | None = None) -> list[str]:
    """Load every shared input found in `folder`; the tokens now held (none where a file is missing or bad).

    Where the judge already wrote an input into `mapped` (its workspace: `materialize`), the server maps that
    file copy-on-write instead: the judge maps the same file, so one copy of the pages serves the judge, the
    server and every worker (a check server's three processes held two 31 MB copies). A worker may still
    change its array in place; the change is its own page.

    Each array's checksum is taken here too: the worker checks whether a call changed its arguments, and the
    images' "before" (~7 ms of CPU) is then paid once per fork server, not once per worker.
    """
    for token, loader in LOADERS.items():
        path = os.path.join(mapped, f"{token}.npy") if mapped else None
        try:
            if path is not None and os.path.isfile(path):
                _held[token] = np.asarray(np.load(path, mmap_mode="c", allow_pickle=False))
            else:
                _held[token] = loader(folder)
        except (OSError, ValueError, EOFError):
            continue
        _checksums[id(_held[token])] = checksum(_held[token])
    return sorted(_held)


def held(token: str) -> np.ndarray | None:
    """The array this process holds for `token` (a worker's decoder looks tokens up here)."""
    return _held.get(token)


def pristine_checksum(array: np.ndarray) -> int | None:
    """The checksum of a held array as loaded, if `array` is one; else None.

    The judge hands a worker each held array once (Sandbox._shared_token), so when the worker's decoder
    gives it to a call it is still as loaded. (Student code that digs the array out of this module and
    changes it before its call only makes its own call look as if it changed its argument.)
    """
    return _checksums.get(id(array)) if any(a is array for a in _held.values()) else None


# --- in the judge -------------------------------------------------------------------------------------

_loaded: dict[int, tuple[str, np.ndarray]] = {}
_files: dict[tuple[str, str], str] = {}
"""(token, data folder) -> the .npy file `materialize` wrote it to."""


def materialize(folder: str, into: str) -> None:
    """Write each shared input found in `folder` into the folder `into` (a fork server's workspace, before the
    server starts) as a .npy file, for the server (`preload`) and this process (`load`) to map."""
    for token, loader in LOADERS.items():
        try:
            array = loader(folder)
        except (OSError, ValueError, EOFError):
            continue
        path = os.path.join(into, f"{token}.npy")
        try:
            with open(path + ".part", "wb") as out:
                np.save(out, array, allow_pickle=False)
            os.replace(path + ".part", path)  # the server maps a whole file or reads the folder itself
        except OSError:  # a full disk: the server loads its own copy, as without a workspace
            with contextlib.suppress(OSError):
                os.remove(path + ".part")
            continue
        _files[token, os.path.realpath(folder)] = path


def load(token: str, folder: str) -> np.ndarray:
    """`token`'s array read from `folder` by the same loader as the fork server's, and remembered as
    shareable: a worker holding `token` can be sent the token instead of this array's bytes.

    Mapped read-only from the file `materialize` wrote, when it did and the file is still there: the same
    pages as the fork server's (and its workers'), not a copy of this process's own.
    """
    path = _files.get((token, os.path.realpath(folder)))
    if path is not None and os.path.isfile(path):
        array = np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
    else:
        array = LOADERS[token](folder)
    _loaded[id(array)] = (token, array)
    return array


def token_of(array: np.ndarray) -> str | None:
    """The token of an array `load` returned (the very object, not an equal one), else None."""
    entry = _loaded.get(id(array))
    return entry[0] if entry is not None and entry[1] is array else None
