"""MNIST inference with int.from_bytes for the header and accuracy counted one image at a time."""
import gzip
import os

import numpy as np

DTYPES = {8: np.uint8, 9: np.int8, 11: np.int16, 12: np.int32, 13: np.float32, 14: np.float64}


def load_idx(path):
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in DTYPES:
        raise ValueError(f"{path} is not an IDX file (magic {raw[:4]!r})")
    ndim = raw[3]
    sizes = [int.from_bytes(raw[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim)]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError("header cut short")
    dtype = np.dtype(DTYPES[raw[2]]).newbyteorder(">")
    need = int(np.prod(sizes, dtype=np.int64)) * dtype.itemsize
    data = raw[4 + 4 * ndim:]
    if len(data) < need:
        raise ValueError(f"{path}: {len(data)} data bytes, the header promises {need}")
    return np.frombuffer(data[:need], dtype).astype(DTYPES[raw[2]]).reshape(sizes)


def load_mnist(data_dir, normalize=True, flatten=True, one_hot_label=False):
    out = []
    for images, labels in (("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                           ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")):
        x = load_idx(os.path.join(data_dir, images))
        t = load_idx(os.path.join(data_dir, labels))
        n = x.shape[0]
        if normalize:
            x = (x / 255).astype(np.float32)
        x = x.reshape(n, 784) if flatten else x[:, np.newaxis, :, :]
        if one_hot_label:
            t = (t[:, None] == np.arange(10)).astype(np.float32)
        out.append((x, t))
    return tuple(out)


def load_weights(path):
    with np.load(path, allow_pickle=False) as f:
        net = {}
        for name in ("W1", "b1", "W2", "b2", "W3", "b3"):
            if name not in f.files:
                raise ValueError(f"{path} has no {name}")
            net[name] = f[name]
    return net


def sigmoid(z):
    return np.exp(-np.logaddexp(0, -z))


def predict(network, x):
    a = np.asarray(x)
    for i in (1, 2):
        a = sigmoid(a @ network[f"W{i}"] + network[f"b{i}"])
    scores = a @ network["W3"] + network["b3"]
    log_norm = np.logaddexp.reduce(scores, axis=-1, keepdims=True)
    return np.exp(scores - log_norm)


def accuracy(network, x, t, batch_size=100):
    t = np.asarray(t)
    right = 0
    for start in range(0, len(x), batch_size):
        y = predict(network, x[start:start + batch_size])
        for row, label in zip(y, t[start:start + batch_size]):
            if np.ndim(label):
                label = np.argmax(label)
            right += int(np.argmax(row) == label)
    return right / len(x)
