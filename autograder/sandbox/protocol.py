"""Framing and a pickle-free codec for the judge <-> worker pipe.

A message is a JSON header followed by zero or more `.npy` blobs, each prefixed
by its length. Only plain data crosses: None, bool, int, float, str, lists,
tuples, dicts with string keys, numpy scalars and numeric ndarrays, loaded with
``allow_pickle=False``. A student object with a rigged ``__eq__`` therefore
never reaches the judge: it is refused on the worker side or arrives as data.
"""
from __future__ import annotations

import json
import math
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

# Limits of the decoder. The judge reads what student code may have written into the pipe, so the
# decoder must end every reply -- however deep, long or malformed -- with a value or a CodecError
# (a protocol fault for that call), in time and memory linear in the bytes read.
MAX_HEADER_BYTES = 64 * 1024 * 1024
"""The JSON frame of a message: 1M floats in lists take ~26 MB; anything bigger is not our encoder's."""
MAX_JSON_DEPTH = 3 * MAX_DEPTH + 8
"""Brackets open at once: each encoded level costs at most 3 (a dict's {"v": [[k, v]]}), plus the envelope.
json.loads recurses on the C stack; 100k open brackets would end in RecursionError (or worse)."""
MAX_JSON_TOKENS = 8 * MAX_NODES
"""Commas, colons and brackets in the JSON frame (a node costs at most ~6): bounds what json.loads builds."""
MAX_ARRAYS = MAX_NODES
"""Array frames a message may announce (each array is one node)."""
MAX_NDIM = 32
"""Dimensions of an array (numpy allows 64); a shape beyond is refused before numpy sees it."""
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
"""A JSON string (escapes included); its brackets and commas are text, not structure."""
_STRUCTURE = (b"[", b"]", b"{", b"}", b",", b":")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


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
    if len(blob) < 10 or bytes(blob[:8]) != _NPY_MAGIC:
        raise CodecError("not a version-1.0 .npy blob")
    (length,) = struct.unpack("<H", bytes(blob[8:10]))
    if 10 + length > len(blob):
        raise CodecError(".npy header runs past the end of its frame")
    match = _NPY_HEADER.fullmatch(bytes(blob[10:10 + length]).decode("latin1").rstrip())
    if match is None:
        raise CodecError("unsupported .npy header")
    dtype = _numeric_dtype(match.group(1))
    shape = tuple(int(n) for n in match.group(3).replace(" ", "").split(",") if n)
    if len(shape) > MAX_NDIM:
        raise CodecError(f"an array of {len(shape)} dimensions (at most {MAX_NDIM})")
    count = math.prod(shape)  # Python ints: a shape of huge dimensions cannot wrap around to a small size
    size = len(blob) - 10 - length
    if size != count * dtype.itemsize:
        raise CodecError(f".npy data is {size} bytes, the header promises {count * dtype.itemsize}")
    # Writable either way: a student may update an input array in place, as numpy code often does.
    buffer = blob if isinstance(blob, bytearray) else bytearray(blob)
    flat = np.frombuffer(buffer, dtype=dtype, count=count, offset=10 + length)
    return flat.reshape(shape, order="F") if match.group(2) == "True" else flat.reshape(shape)


def _numeric_dtype(descr: str) -> np.dtype[Any]:
    """The dtype a .npy header names, if it is a plain numeric one ('<i3' or '|b8' are not dtypes at all)."""
    try:
        dtype = np.dtype(descr)
    except TypeError:
        raise CodecError(f"unsupported dtype {descr!r}") from None
    if dtype.kind not in _NUMERIC_KINDS or dtype.hasobject or dtype.fields is not None or dtype.itemsize == 0:
        raise CodecError(f"unsupported dtype {descr!r}")
    return dtype


Shared = Callable[[np.ndarray], "str | None"]
"""The judge's choice, per array, of a token the worker holds (sandbox/shared.py) instead of its bytes."""


class _Encoder:
    def __init__(self, max_bytes: int, shared: Shared | None = None) -> None:
        self.arrays: list[tuple[bytes, bytes | memoryview]] = []
        self.nodes = 0
        self.budget = max_bytes
        self.shared = shared

    def array(self, value: np.ndarray, tag: str) -> dict[str, Any]:
        token = self.shared(value) if self.shared is not None and tag == "nd" else None
        if token is not None:
            return {"t": "shared", "k": token}
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
            types = set(map(type, value))  # decided in C: the rows of numbers below cost no call per item
            if types <= _SCALAR_TYPES:
                self.nodes += len(value)
                if self.nodes > MAX_NODES:
                    raise CodecError(f"more than {MAX_NODES:,} items in nested lists/tuples/dicts")
                if types == {float} and len(value) >= _FLOAT_ROW:
                    # Its floats as float64 bytes, made a list again on the other side: the same values, bit
                    # for bit (NaN, -0.0 and all), without writing and parsing each as decimal text (~20x).
                    return self.array(np.array(value, dtype=np.float64), "floats")
                return value
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


_SCALAR_TYPES = frozenset((bool, int, float, str, type(None)))
_FLOAT_ROW = 16
"""A list of at least this many floats (and nothing else) crosses as a float64 array ("floats")."""


def plain_scalars(items: list[Any]) -> bool:
    """Is every item exactly a bool, int, float, str or None (what JSON carries as it is)? Decided in C."""
    return set(map(type, items)) <= _SCALAR_TYPES


def _array(tree: dict[str, Any], arrays: list[np.ndarray]) -> np.ndarray:
    index = tree.get("i")
    if type(index) is not int or not 0 <= index < len(arrays):
        raise CodecError(f"array reference {index!r} names no array of the message")
    return arrays[index]


def _items(tree: dict[str, Any]) -> list[Any]:
    items = tree.get("v")
    if not isinstance(items, list):
        raise CodecError(f"a {tree.get('t')} without its list of items")
    return items


def _pair(item: Any) -> tuple[str, Any]:
    if not isinstance(item, list) or len(item) != 2 or type(item[0]) is not str:
        raise CodecError("a dict item that is not a [string key, value] pair")
    return item[0], item[1]


def _decode(tree: Any, arrays: list[np.ndarray], held: Callable[[str], np.ndarray | None] | None = None,
            floats: list[int] | None = None) -> Any:
    """The value an encoded tree stands for; CodecError for anything our encoder never writes.

    Recursion is bounded: the JSON frame was checked to nest at most MAX_JSON_DEPTH deep. A shared input's
    token is known only where `held` is given (a worker): the judge decodes none. `floats` is what is left of
    the message's allowance of floats made into lists (MAX_NODES, as JSON's token limit bounds the others).
    """
    if isinstance(tree, list):
        if plain_scalars(tree):  # json.loads made this list: its plain items are already their own values
            return tree
        return [_decode(v, arrays, held, floats) for v in tree]
    if isinstance(tree, dict):
        tag = tree.get("t")
        if tag == "nd":
            return _array(tree, arrays)
        if tag == "shared" and held is not None:
            found = held(str(tree.get("k")))
            if found is None:
                raise CodecError(f"no shared input {str(tree.get('k'))[:40]!r} here")
            return found
        if tag == "floats":
            row = _array(tree, arrays)
            if row.dtype != np.float64 or row.ndim != 1:
                raise CodecError("a list of floats that is not a row of float64")
            if floats is not None:
                floats[0] -= row.size
                if floats[0] < 0:  # 24 bytes of Python float per item: bounded like items of JSON lists
                    raise CodecError(f"more than {MAX_NODES:,} floats in lists")
            return row.tolist()
        if tag == "np":
            scalar = _array(tree, arrays)
            if scalar.ndim != 0:
                raise CodecError("a numpy scalar that is not 0-dimensional")
            return scalar[()]
        if tag == "tuple":
            return tuple(_decode(v, arrays, held, floats) for v in _items(tree))
        if tag == "dict":
            return {key: _decode(value, arrays, held, floats) for key, value in map(_pair, _items(tree))}
        raise CodecError(f"unknown tag {str(tag)[:40]!r}")
    if tree is None or type(tree) in (bool, int, float, str):
        return tree
    raise CodecError(f"a value of type {type(tree).__name__} in the message")


def encode_parts(message: dict[str, Any], max_bytes: int = MAX_MESSAGE_BYTES,
                 shared: Shared | None = None) -> list[bytes | memoryview]:
    """Serialise a message whose "value"/"args"/"kwargs" may hold arrays, as buffers to write in order.

    Everything is encoded before anything is written, so a CodecError never leaves half a message.
    """
    encoder = _Encoder(max_bytes, shared)
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


def write_message(fd: int, message: dict[str, Any], max_bytes: int = MAX_MESSAGE_BYTES,
                  shared: Shared | None = None) -> None:
    for part in encode_parts(message, max_bytes, shared):
        write_all(fd, part)


def check_json_shape(data: bytes, max_depth: int = MAX_JSON_DEPTH, max_tokens: int = MAX_JSON_TOKENS) -> None:
    """CodecError unless the JSON text nests at most `max_depth` deep and has at most `max_tokens` tokens.

    Linear in len(data) and done in C (regex, bytes methods, numpy), so json.loads then never recurses
    deeper than `max_depth` nor builds more than a bounded number of objects.
    """
    if len(data) <= max_depth:
        return  # too short to hold more brackets or tokens than allowed
    structure = _STRING.sub(b'""', data)
    tokens = sum(structure.count(c) for c in _STRUCTURE)
    if tokens > max_tokens:
        raise CodecError(f"more than {max_tokens:,} JSON items")
    if structure.count(b"[") + structure.count(b"{") <= max_depth:
        return  # fewer openers than the limit: no way to nest deeper (most replies end here)
    brackets = np.frombuffer(structure.translate(None, _NOT_BRACKETS), dtype=np.uint8)
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1).astype(np.int32)
    if int(np.cumsum(steps).max()) > max_depth:
        raise CodecError(f"JSON nested more than {max_depth} levels deep")


def _header(data: bytes) -> tuple[dict[str, Any], int]:
    """The JSON frame's body and the number of array frames that follow it."""
    check_json_shape(data)
    header = json.loads(data.decode("utf-8"))
    if not isinstance(header, dict) or not isinstance(header.get("body"), dict):
        raise CodecError("the message has no body")
    count = header.get("arrays")
    if type(count) is not int or not 0 <= count <= MAX_ARRAYS:
        raise CodecError(f"the message announces {str(count)[:40]} arrays")
    return header["body"], count


def read_message(read_exact: Callable[[int], bytes | bytearray], max_bytes: int = MAX_MESSAGE_BYTES,
                 held: Callable[[str], np.ndarray | None] | None = None) -> dict[str, Any]:
    """Read one message with `read_exact(n)`; raises CodecError on anything malformed.

    Whatever the bytes, this returns a message or raises CodecError (or what `read_exact` raises: EOF,
    timeout), in time and memory bounded by the limits above: the other end may be student code.
    """
    budget = max_bytes

    def frame(limit: int) -> bytes | bytearray:
        nonlocal budget
        (length,) = _LENGTH.unpack(read_exact(_LENGTH.size))
        if length > min(budget, limit):
            raise CodecError(f"a frame of {length:,} bytes exceeds the limit")
        budget -= length
        return read_exact(length)

    try:
        body, count = _header(bytes(frame(MAX_HEADER_BYTES)))
        arrays = [npy_array(frame(budget)) for _ in range(count)]
        floats = [MAX_NODES]
        return {key: _decode(value, arrays, held, floats) for key, value in body.items()}
    except CodecError:
        raise
    # A reply built to break the decoder (bad UTF-8, huge numbers, unexpected types, a pathological
    # array) is garbage from the other end, never the judge's own error.
    except (ValueError, KeyError, TypeError, IndexError, OverflowError, RecursionError, MemoryError,
            struct.error) as exc:
        raise CodecError(f"malformed message: {type(exc).__name__}: {str(exc)[:200]}") from None


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
