"""Exercise 6 — MNIST inference with a pretrained network (worked examples §6, course note 001).

Read the gzip'd IDX files, run a 784-50-100-10 sigmoid/sigmoid/softmax network in batches
and measure its accuracy: the "inference" half of machine learning.
MNIST 추론: IDX 파일을 읽고, 학습된 가중치로 배치 단위 순전파를 해서 정확도를 잰다.
Worked examples and course notes: autograder/docs/worked-examples.md (`nngrade docs 6`).
풀이 예제와 강의 노트: autograder/docs/worked-examples.ko.md (`nngrade docs 6`).
"""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import ArrayLike


def load_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file, gzip'd or raw, into an array of its shape and dtype.

    A gzip'd file starts with the bytes 0x1f 0x8b (use the gzip module to unpack it).
    IDX layout: a 4-byte magic number = two zero bytes, a type code, the number of
    dimensions ndim; then ndim sizes, each a big-endian uint32; then the data, big-endian.
    Type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64;
    return the dtype the code names, with any number of dimensions.
    MNIST images: magic 2051 = 0x00000803 -> uint8 (N, 28, 28); labels: 2049 = 0x00000801
    -> uint8 (N,). Raise ValueError with a clear message for a bad magic number and for a
    truncated file (fewer data bytes than the sizes promise).
    Pitfalls: the header is big-endian (np.dtype(">u4") or int.from_bytes(..., "big"));
    the data offset is 4 + 4·ndim bytes (16 for images, 8 for labels).
    """
    raise NotImplementedError("mnist.load_idx: not implemented yet")


def load_mnist(
    data_dir: str | os.PathLike[str],
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load ((x_train, t_train), (x_test, t_test)) from data_dir.

    Files: train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
    t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (60,000 and 10,000 images);
    read them with load_idx and take N from the files, not a constant (the grader
    also tries a small folder of its own with the same four names).
    normalize=True -> float32 pixels / 255.0 in [0, 1]; False -> uint8 0..255 as read.
    flatten=True -> (N, 784); False -> (N, 1, 28, 28).
    one_hot_label=True -> (N, 10) rows of zeros with a single 1 at the label
    (np.eye(10, dtype=np.float32)[t]); False -> the integer labels (N,) as read (uint8).
    Worked examples §6: the first training label is 5.
    """
    raise NotImplementedError("mnist.load_mnist: not implemented yet")


def load_weights(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Load a network's arrays from a .npz file into a dict: W1, b1, W2, b2, W3, b3.

    Shapes: W1 (784, 50), b1 (50,), W2 (50, 100), b2 (100,), W3 (100, 10), b3 (10,).
    Use np.load(path, allow_pickle=False): never unpickle files you did not write.
    Raise ValueError if one of the six arrays is missing.
    """
    raise NotImplementedError("mnist.load_weights: not implemented yet")


def predict(network: dict[str, np.ndarray], x: ArrayLike) -> np.ndarray:
    """Class probabilities: sigmoid(x @ W1 + b1), sigmoid(· @ W2 + b2), softmax(· @ W3 + b3).

    Shapes: x (N, 784) -> (N, 10), each row summing to 1; x (784,) -> (10,).
    The predicted class is the argmax (softmax does not change it, course note 001).
    Use a stable sigmoid and a max-subtracting softmax (this file is loaded on its own).
    """
    raise NotImplementedError("mnist.predict: not implemented yet")


def accuracy(
    network: dict[str, np.ndarray], x: ArrayLike, t: ArrayLike, batch_size: int = 100
) -> float:
    """Fraction of samples whose argmax prediction equals the label, as a float in [0, 1].

    t is integer labels (N,) or one-hot rows (N, 10) (then compare with t.argmax(axis=1)).
    Predict in batches of batch_size rows (same result as one at a time, much faster);
    the last, partial batch counts too (do not drop it).
    Worked examples §6: the classic pretrained weights score 0.9352 on the test set; the
    kit's own weights (autograder/weights/mnist_784_50_100_10.npz) reach the accuracy
    recorded beside them in mnist_784_50_100_10.json.
    """
    raise NotImplementedError("mnist.accuracy: not implemented yet")
