"""Framing and a pickle-free codec for the judge <-> worker pipe.

A message is a JSON header followed by zero or more `.npy` blobs, each prefixed
by its length. Only plain data crosses: None, bool, int, float, str, lists,
tuples, dicts with string keys, numpy scalars and numeric ndarrays, loaded with
``allow_pickle=False``. A student object with a rigged ``__eq__`` therefore
never reaches the judge: it is refused on the worker side or arrives as data.
"""
from __future__ import annotations

import json
import re
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

_LENGTH = struct.Struct(">Q")
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
"""A result larger than this is refused (a student returning a huge array)."""
MAX_NODES = 1_000_000
"""Lists/tuples/dicts may hold at most this many items in all."""
MAX_DEPTH = 64
_NUMERIC_KINDS = "biufc"


class CodecError(ValueError):
    """A value cannot cross the pipe (wrong type, too large, too deep)."""


_NPY_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_HEADER = re.compile(
    r"\{'descr': '([<>|=][biufc]\d{1,2})', 'fortran_order': (False|True), 'shape': \(((?:\d+, ?)*\d*)\), \}"
)


_INLINE_BYTES = 1 << 16
"""Arrays up to this size are copied into the message; larger ones are written from their own memory."""


def npy_parts(arr: np.ndarray) -> tuple[bytes, bytes | memoryview]:
    """The array as a version-1.0 .npy file (what np.save writes), as (header, data) so data need not be copied."""
    shape = "(" + "".join(f"{n}, " for n in arr.shape).rstrip(" ") + ")" if arr.ndim != 1 else f"({arr.shape[0]},)"
    header = f"{{'descr': '{arr.dtype.str}', 'fortran_order': False, 'shape': {shape}, }}"
    padding = 64 - (len(_NPY_MAGIC) + 2 + len(header) + 1) % 64
    text = (header + " " * padding + "\n").encode("latin1")
    prefix = _NPY_MAGIC + struct.pack("<H", len(text)) + text
    if arr.size * arr.dtype.itemsize <= _INLINE_BYTES:
        return prefix, arr.tobytes()  # C order for any layout, including broadcast and 0-d arrays
    # Large arrays (MNIST's 47 MB) go out from their own buffer: one copy fewer each way.
    return prefix, memoryview(np.ascontiguousarray(arr)).cast("B")  # type: ignore[arg-type]


def npy_array(blob: bytes | bytearray) -> np.ndarray:
    """Parse a .npy blob of a numeric dtype, refusing anything else (no pickle, no object dtype).

    A bytearray blob is used in place (the array is writable and shares it); bytes are copied.
    """
    if bytes(blob[:8]) != _NPY_MAGIC:
        raise CodecError("not a version-1.0 .npy blob")
    (length,) = struct.unpack("<H", bytes(blob[8:10]))
    match = _NPY_HEADER.fullmatch(bytes(blob[10:10 + length]).decode("latin1").rstrip())
    if match is None:
        raise CodecError("unsupported .npy header")
    dtype = np.dtype(match.group(1))
    shape = tuple(int(n) for n in match.group(3).replace(" ", "").split(",") if n)
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    size = len(blob) - 10 - length
    if size != count * dtype.itemsize:
        raise CodecError(f".npy data is {size} bytes, the header promises {count * dtype.itemsize}")
    # Writable either way: a student may update an input array in place, as numpy code often does.
    buffer = blob if isinstance(blob, bytearray) else bytearray(blob)
    flat = np.frombuffer(buffer, dtype=dtype, count=count, offset=10 + length)
    return flat.reshape(shape, order="F") if match.group(2) == "True" else flat.reshape(shape)


class _Encoder:
    def __init__(self, max_bytes: int) -> None:
        self.arrays: list[tuple[bytes, bytes | memoryview]] = []
        self.nodes = 0
        self.budget = max_bytes

    def array(self, value: np.ndarray, tag: str) -> dict[str, Any]:
        # np.asarray drops ndarray subclasses: only the data crosses, never their methods.
        arr = np.asarray(value)
        if arr.dtype.kind not in _NUMERIC_KINDS:
            raise CodecError(f"an array of dtype {arr.dtype} is not numeric")
        if arr.dtype.hasobject or arr.dtype.fields is not None:
            raise CodecError(f"structured or object dtype {arr.dtype} is not supported")
        # size * itemsize, not nbytes of the view: broadcast arrays are materialised when saved.
        if arr.size * arr.dtype.itemsize > self.budget:
            raise CodecError(f"an array of shape {arr.shape} ({arr.size * arr.dtype.itemsize:,} bytes) is too large")
        prefix, data = npy_parts(arr)
        self.budget -= len(prefix) + len(data)
        self.arrays.append((prefix, data))
        return {"t": tag, "i": len(self.arrays) - 1}

    def encode(self, value: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise CodecError(f"more than {MAX_NODES:,} items in nested lists/tuples/dicts")
        if depth > MAX_DEPTH:
            raise CodecError(f"nested deeper than {MAX_DEPTH} levels")
        kind = type(value)
        if value is None or kind in (bool, str):
            return value
        if kind is int:
            return value
        if kind is float:
            return value
        if isinstance(value, np.ndarray):
            return self.array(value, "nd")
        if isinstance(value, np.generic):
            return self.array(np.asarray(value), "np")
        if kind is list:
            return [self.encode(v, depth + 1) for v in value]
        if kind is tuple:
            return {"t": "tuple", "v": [self.encode(v, depth + 1) for v in value]}
        if kind is dict:
            if not all(type(k) is str for k in value):
                raise CodecError("a dict with non-string keys cannot be returned")
            return {"t": "dict", "v": [[k, self.encode(v, depth + 1)] for k, v in value.items()]}
        raise CodecError(
            f"a value of type {kind.__module__}.{kind.__qualname__} cannot be returned; "
            "return numbers, numpy arrays, lists, tuples or dicts"
        )


def _decode(tree: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(tree, list):
        return [_decode(v, arrays) for v in tree]
    if isinstance(tree, dict):
        tag = tree.get("t")
        if tag == "nd":
            return arrays[tree["i"]]
        if tag == "np":
            return arrays[tree["i"]][()]
        if tag == "tuple":
            return tuple(_decode(v, arrays) for v in tree["v"])
        if tag == "dict":
            return {k: _decode(v, arrays) for k, v in tree["v"]}
        raise CodecError(f"unknown tag {tag!r}")
    return tree


def encode_parts(message: dict[str, Any], max_bytes: int = MAX_MESSAGE_BYTES) -> list[bytes | memoryview]:
    """Serialise a message whose "value"/"args"/"kwargs" may hold arrays, as buffers to write in order.

    Everything is encoded before anything is written, so a CodecError never leaves half a message.
    """
    encoder = _Encoder(max_bytes)
    body = {key: encoder.encode(value) for key, value in message.items()}
    header = json.dumps({"body": body, "arrays": len(encoder.arrays)}).encode("utf-8")
    parts: list[bytes | memoryview] = []
    small = bytearray(_LENGTH.pack(len(header)) + header)  # small frames gathered into one write
    for prefix, data in encoder.arrays:
        small += _LENGTH.pack(len(prefix) + len(data)) + prefix
        if len(data) <= _INLINE_BYTES:
            small += data
        else:
            parts += [bytes(small), data]
            small = bytearray()
    if small:
        parts.append(bytes(small))
    return parts


def encode_message(message: dict[str, Any], max_bytes: int = MAX_MESSAGE_BYTES) -> bytes:
    return b"".join(encode_parts(message, max_bytes))


def write_message(fd: int, message: dict[str, Any], max_bytes: int = MAX_MESSAGE_BYTES) -> None:
    for part in encode_parts(message, max_bytes):
        write_all(fd, part)


def read_message(read_exact: Callable[[int], bytes | bytearray],
                 max_bytes: int = MAX_MESSAGE_BYTES) -> dict[str, Any]:
    """Read one message with `read_exact(n)`; raises CodecError on anything malformed."""
    budget = max_bytes

    def frame() -> bytes | bytearray:
        nonlocal budget
        (length,) = _LENGTH.unpack(read_exact(_LENGTH.size))
        if length > budget:
            raise CodecError(f"message of {length:,} bytes exceeds the limit")
        budget -= length
        return read_exact(length)

    try:
        header = json.loads(bytes(frame()).decode("utf-8"))
        arrays = [npy_array(frame()) for _ in range(int(header["arrays"]))]
        body = header["body"]
        return {key: _decode(value, arrays) for key, value in body.items()}
    except (ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError) as exc:
        if isinstance(exc, CodecError):
            raise
        raise CodecError(f"malformed message: {exc}") from None


def fd_reader(fd: int) -> Callable[[int], bytearray]:
    """A blocking read_exact over a file descriptor (EOF raises EOFError), reading straight into its result."""
    import os

    def read_exact(n: int) -> bytearray:
        result = bytearray(n)
        view, done = memoryview(result), 0
        while done < n:
            got = os.readv(fd, [view[done:]])
            if not got:
                raise EOFError("pipe closed")
            done += got
        return result

    return read_exact


def widen_pipe(fd: int, size: int = 1 << 20) -> None:
    """Ask Linux for a bigger pipe buffer (64 KiB by default): a 47 MB array then crosses in 47 reads, not 750."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), size)
    except (ImportError, OSError):
        pass  # not Linux, or above /proc/sys/fs/pipe-max-size: the default buffer still works


def write_all(fd: int, data: bytes | memoryview) -> None:
    import os

    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
