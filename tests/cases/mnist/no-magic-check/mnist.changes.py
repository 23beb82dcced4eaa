# This golden case is solutions/mnist.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def load_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """An IDX file (gzip'd or raw) as an array in native byte order.

    Header: 0, 0, a dtype code, ndim; then ndim big-endian uint32 sizes; then the data,
    big-endian. A gzip'd file is recognised by its first two bytes, 0x1f 0x8b.
    """
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"{path}: damaged or truncated gzip data ({e})") from None
    if len(data) < 4:
        raise ValueError(f"{path}: {len(data)} bytes, too short for an IDX file")
    ndim, offset = data[3], 4 + 4 * data[3]
    if len(data) < offset:
        raise ValueError(
            f"{path}: truncated IDX header ({len(data)} bytes, {ndim} dimensions need {offset})"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    count = math.prod(shape)
    if len(data) - offset < count * dtype.itemsize:
        raise ValueError(
            f"{path}: truncated IDX data: shape {shape} of {dtype.name} needs "
            f"{count * dtype.itemsize} bytes, found {len(data) - offset}"
        )
    return np.frombuffer(data, dtype, count, offset).reshape(shape).astype(dtype.newbyteorder("="))
