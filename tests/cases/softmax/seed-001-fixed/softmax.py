"""Seed 001's softmax with the max and the sum taken per row, as the batch version needs."""
from __future__ import annotations

import numpy as np


def softmax(a):
    c = np.max(a, axis=-1, keepdims=True)
    exp_a = np.exp(a - c)  # 오버플로 대책, Max 를 빼줌
    sum_exp_a = np.sum(exp_a, axis=-1, keepdims=True)
    y = exp_a / sum_exp_a
    return y


def log_softmax(a):
    a = np.asarray(a, dtype=float)
    return a - np.logaddexp.reduce(a, axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    y, t = np.asarray(y), np.asarray(t)  # t may be a plain int label
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:  # one-hot -> labels, as in the book
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


def mean_squared_error(y, t):
    batch_size = y.shape[0] if y.ndim == 2 else 1
    return 0.5 * np.sum((y - t) ** 2) / batch_size
