"""MNIST inference in the style of the book's dataset/mnist.py and seed 001's batch loop."""
import gzip
import os.path

import numpy as np

key_file = {
    "train_img": "train-images-idx3-ubyte.gz",
    "train_label": "train-labels-idx1-ubyte.gz",
    "test_img": "t10k-images-idx3-ubyte.gz",
    "test_label": "t10k-labels-idx1-ubyte.gz",
}
type_codes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(b"\x1f\x8b"):
        with gzip.open(path, "rb") as f:
            data = f.read()
    if len(data) < 4 or data[0] or data[1] or data[2] not in type_codes:
        raise ValueError("bad magic number")
    ndim = data[3]
    header = np.frombuffer(data, ">u4", count=ndim, offset=4)
    dtype = np.dtype(type_codes[data[2]])
    try:
        body = np.frombuffer(data, dtype, count=int(np.prod(header)), offset=4 + 4 * ndim)
    except ValueError as e:
        raise ValueError(f"truncated file: {e}") from None
    return body.reshape(tuple(header)).astype(dtype.newbyteorder("="))


def _change_one_hot_label(X):
    T = np.zeros((X.size, 10))
    for idx, row in enumerate(T):
        row[X[idx]] = 1
    return T


def load_mnist(data_dir, normalize=True, flatten=True, one_hot_label=False):
    dataset = {key: load_idx(os.path.join(data_dir, name)) for key, name in key_file.items()}
    for key in ("train_img", "test_img"):
        if normalize:
            dataset[key] = dataset[key].astype(np.float32)
            dataset[key] /= 255.0
        if flatten:
            dataset[key] = dataset[key].reshape(-1, 784)
        else:
            dataset[key] = dataset[key].reshape(-1, 1, 28, 28)
    if one_hot_label:
        dataset["train_label"] = _change_one_hot_label(dataset["train_label"])
        dataset["test_label"] = _change_one_hot_label(dataset["test_label"])
    return (dataset["train_img"], dataset["train_label"]), (dataset["test_img"], dataset["test_label"])


def load_weights(path):
    network = dict(np.load(path, allow_pickle=False))
    for key in ("W1", "b1", "W2", "b2", "W3", "b3"):
        if key not in network:
            raise ValueError("weights file without " + key)
    return network


def sigmoid(x):
    return 1 / (1 + np.exp(-np.clip(x, -500, 500)))


def softmax(a):
    c = np.max(a, axis=-1, keepdims=True)
    exp_a = np.exp(a - c)  # 오버플로 대책
    return exp_a / np.sum(exp_a, axis=-1, keepdims=True)


def predict(network, x):
    W1, W2, W3 = network["W1"], network["W2"], network["W3"]
    b1, b2, b3 = network["b1"], network["b2"], network["b3"]
    a1 = np.dot(x, W1) + b1
    z1 = sigmoid(a1)
    a2 = np.dot(z1, W2) + b2
    z2 = sigmoid(a2)
    a3 = np.dot(z2, W3) + b3
    y = softmax(a3)
    return y


def accuracy(network, x, t, batch_size=100):
    if np.ndim(t) == 2:
        t = np.argmax(t, axis=1)
    accuracy_cnt = 0
    for i in range(0, len(x), batch_size):
        x_batch = x[i:i + batch_size]
        y_batch = predict(network, x_batch)
        p = np.argmax(y_batch, axis=1)
        accuracy_cnt += np.sum(p == t[i:i + batch_size])
    return float(accuracy_cnt) / len(x)
