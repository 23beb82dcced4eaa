"""MNIST inference: read the IDX files, run a pretrained 784-50-100-10 network, score it.

MNIST 추론: IDX 파일을 읽고, 학습된 가중치로 배치 단위 순전파를 해서 정확도를 잰다.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib

import numpy as np
from numpy.typing import ArrayLike

_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
_WEIGHTS = ("W1", "b1", "W2", "b2", "W3", "b3")


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
    if data[:2] != b"\0\0" or data[2] not in _IDX_DTYPES:
        raise ValueError(
            f"{path}: bad IDX magic number 0x{data[:4].hex()} "
            "(expected 00 00, a type code 08 09 0b 0c 0d or 0e, then the number of dimensions)"
        )
    ndim, offset = data[3], 4 + 4 * data[3]
    if len(data) < offset:
        raise ValueError(
            f"{path}: truncated IDX header ({len(data)} bytes, {ndim} dimensions need {offset})"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(np.uint8)
    count = math.prod(shape)
    if len(data) - offset < count * dtype.itemsize:
        raise ValueError(
            f"{path}: truncated IDX data: shape {shape} of {dtype.name} needs "
            f"{count * dtype.itemsize} bytes, found {len(data) - offset}"
        )
    return np.frombuffer(data, dtype, count, offset).reshape(shape).astype(dtype.newbyteorder("="))


def load_mnist(
    data_dir: str | os.PathLike[str],
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, t_train), (x_test, t_test)) from the four standard gzip'd files in data_dir.

    normalize: float32 in [0, 1], else uint8 0..255; flatten: (N, 784), else (N, 1, 28, 28);
    one_hot_label: float32 rows (N, 10), else uint8 labels (N,).
    """

    def split(images: str, labels: str) -> tuple[np.ndarray, np.ndarray]:
        x = load_idx(os.path.join(data_dir, images))
        t = load_idx(os.path.join(data_dir, labels))
        if normalize:
            x = x.astype(np.float32) / 255.0
        x = x.reshape(len(x), -1) if flatten else x.reshape(len(x), 1, *x.shape[1:])
        if one_hot_label:
            t = np.eye(10, dtype=np.float32)[t]
        return x, t

    return split(*_FILES["train"]), split(*_FILES["test"])


def load_weights(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The arrays of a .npz file (no pickles); it must hold W1, b1, W2, b2, W3, b3."""
    with np.load(path, allow_pickle=False) as npz:
        network = {name: npz[name] for name in npz.files}
    missing = [name for name in _WEIGHTS if name not in network]
    if missing:
        raise ValueError(f"{path}: missing weights {', '.join(missing)}")
    return network


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def predict(network: dict[str, np.ndarray], x: ArrayLike) -> np.ndarray:
    """sigmoid, sigmoid, softmax: (N, 784) -> (N, 10), (784,) -> (10,)."""
    W1, W2, W3 = (np.asarray(network[name]) for name in ("W1", "W2", "W3"))
    b1, b2, b3 = (np.ravel(network[name]) for name in ("b1", "b2", "b3"))  # (n,) or (1, n)
    z1 = _sigmoid(np.asarray(x) @ W1 + b1)
    z2 = _sigmoid(z1 @ W2 + b2)
    return _softmax(z2 @ W3 + b3)


def accuracy(
    network: dict[str, np.ndarray], x: ArrayLike, t: ArrayLike, batch_size: int = 100
) -> float:
    """Fraction of argmax predictions equal to t (labels, or one-hot rows), in batches."""
    x, t = np.asarray(x), np.asarray(t)
    if t.ndim == 2:
        t = t.argmax(axis=1)
    correct = 0
    for i in range(0, len(x), batch_size):  # the last, partial batch counts too
        y = predict(network, x[i : i + batch_size])
        correct += int(np.sum(y.argmax(axis=1) == t[i : i + batch_size]))
    return correct / len(x)
