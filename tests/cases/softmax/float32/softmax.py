"""A correct softmax module that works in float32 (inputs are cast), losses in float64."""
from __future__ import annotations

import numpy as np


def softmax(a):
    a = np.asarray(a, dtype=np.float32)
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(a):
    a = np.asarray(a, dtype=np.float32)
    shifted = a - a.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy_error(y, t):
    y = np.asarray(y, dtype=np.float64)
    t = np.asarray(t)
    if y.ndim == 1:
        y = y.reshape(1, -1)
        t = t.reshape(1, -1) if t.size == y.size else t.reshape(1)
    if t.ndim == 2:
        t = t.argmax(axis=1)
    return float(-np.log(y[np.arange(len(y)), t] + 1e-7).mean())


def mean_squared_error(y, t):
    y, t = np.asarray(y, dtype=np.float64), np.asarray(t, dtype=np.float64)
    batch = len(y) if y.ndim == 2 else 1
    return float(((y - t) ** 2).sum() / 2 / batch)
