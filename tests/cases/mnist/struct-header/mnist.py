"""MNIST inference, parsing the IDX header with struct and gzip.open; one-hot built with a loop."""
import gzip
import struct

import numpy as np

TYPES = {0x08: "B", 0x09: "b", 0x0B: "h", 0x0C: "i", 0x0D: "f", 0x0E: "d"}


def load_idx(path):
    with open(path, "rb") as f:
        packed = f.read(2) == b"\x1f\x8b"
    with (gzip.open(path, "rb") if packed else open(path, "rb")) as f:
        data = f.read()
    if len(data) < 4:
        raise ValueError("file too short")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code not in TYPES:
        raise ValueError(f"bad magic number {data[:4].hex()}")
    if len(data) < 4 + 4 * ndim:
        raise ValueError("truncated header")
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    dtype = np.dtype(">" + TYPES[code])
    count = int(np.prod(shape))
    body = data[4 + 4 * ndim:]
    if len(body) < count * dtype.itemsize:
        raise ValueError("truncated data")
    return np.frombuffer(body, dtype=dtype, count=count).reshape(shape)


def load_mnist(data_dir, normalize=True, flatten=True, one_hot_label=False):
    def part(prefix):
        x = load_idx(f"{data_dir}/{prefix}-images-idx3-ubyte.gz")
        t = load_idx(f"{data_dir}/{prefix}-labels-idx1-ubyte.gz")
        if normalize:
            x = x.astype(np.float32)
            x /= 255.0
        x = x.reshape(-1, 784) if flatten else x.reshape(-1, 1, 28, 28)
        if one_hot_label:
            rows = np.zeros((t.size, 10))
            for i, label in enumerate(t):
                rows[i, label] = 1
            t = rows
        return x, t

    return part("train"), part("t10k")


def load_weights(path):
    npz = np.load(path)
    try:
        missing = {"W1", "b1", "W2", "b2", "W3", "b3"} - set(npz.files)
        if missing:
            raise ValueError(f"missing {sorted(missing)}")
        return {k: npz[k] for k in npz.files}
    finally:
        npz.close()


def sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def softmax(a):
    a = a - a.max(axis=-1, keepdims=True)
    return np.exp(a) / np.exp(a).sum(axis=-1, keepdims=True)


def predict(network, x):
    h = sigmoid(np.dot(x, network["W1"]) + network["b1"])
    h = sigmoid(np.dot(h, network["W2"]) + network["b2"])
    return softmax(np.dot(h, network["W3"]) + network["b3"])


def accuracy(network, x, t, batch_size=100):
    t = np.asarray(t)
    labels = t.argmax(axis=1) if t.ndim == 2 else t
    guesses = np.concatenate([predict(network, x[i:i + batch_size]).argmax(axis=1)
                              for i in range(0, len(x), batch_size)])
    return float(np.mean(guesses == labels))
