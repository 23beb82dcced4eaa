"""Softmax, log-softmax and the two classic losses, safe from overflow.

소프트맥스는 지수 함수가 넘치지 않도록 각 행의 최댓값을 빼고 계산한다 (결과는 같다).
Class scores live on the last axis; a 1-D input is one sample.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def softmax(a: ArrayLike) -> np.ndarray:
    """exp(a - max) / sum(exp(a - max)) along the last axis; each row sums to 1."""
    c = np.max(a)
    exp_a = np.exp(a - c)  # 오버플로 대책
    sum_exp_a = np.sum(exp_a)
    return exp_a / sum_exp_a


def log_softmax(a: ArrayLike) -> np.ndarray:
    """a - max - log(sum(exp(a - max))) along the last axis."""
    a = np.asarray(a)
    shifted = a - a.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy_error(y: ArrayLike, t: ArrayLike) -> float:
    """-Σ t·log(y + 1e-7) averaged over the batch; t one-hot (shape of y) or labels."""
    y, t = np.asarray(y), np.asarray(t)
    if y.ndim == 1:  # one sample: a batch of one
        t = t[None] if t.shape == y.shape else t.reshape(1)
        y = y[None]
    n = y.shape[0]
    if t.shape == y.shape:
        return float(-np.sum(t * np.log(y + 1e-7)) / n)
    return float(-np.sum(np.log(y[np.arange(n), t] + 1e-7)) / n)


def mean_squared_error(y: ArrayLike, t: ArrayLike) -> float:
    """½·Σ(y - t)², averaged over the batch for 2-D input."""
    y, t = np.asarray(y), np.asarray(t)
    n = y.shape[0] if y.ndim == 2 else 1
    return float(0.5 * np.sum((y - t) ** 2) / n)
