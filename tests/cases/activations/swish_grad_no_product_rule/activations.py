"""Activation functions and their derivatives, numerically stable on [-1000, 1000].

활성화 함수는 비선형이어야 층을 쌓는 의미가 있고, 큰 |x|에서도 오버플로 없이 계산해야 한다.
Every function keeps the shape of x (scalars give 0-d results).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def step(x: ArrayLike) -> np.ndarray:
    """1 where x > 0 else 0, as int64 (np.int is gone since NumPy 1.24)."""
    return (np.asarray(x) > 0).astype(np.int64)


def sigmoid(x: ArrayLike) -> np.ndarray:
    """1 / (1 + e^-x), computed without overflow."""
    x = np.asarray(x)
    e = np.exp(-np.abs(x))  # in (0, 1]: cannot overflow
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def tanh(x: ArrayLike) -> np.ndarray:
    """(e^x - e^-x) / (e^x + e^-x)."""
    return np.tanh(x)


def relu(x: ArrayLike) -> np.ndarray:
    """max(0, x)."""
    return np.maximum(0, x)


def leaky_relu(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """x if x > 0 else alpha·x."""
    x = np.asarray(x)
    return np.where(x > 0, x, alpha * x)


def swish(x: ArrayLike) -> np.ndarray:
    """x · sigmoid(x)."""
    x = np.asarray(x)
    return x * sigmoid(x)


def identity(x: ArrayLike) -> np.ndarray:
    """x."""
    return np.asarray(x)


def sigmoid_grad(x: ArrayLike) -> np.ndarray:
    """s(1 - s) with s = sigmoid(x); at most 0.25, at x = 0."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh_grad(x: ArrayLike) -> np.ndarray:
    """1 - tanh(x)²; at most 1, at x = 0."""
    return 1 - np.tanh(x) ** 2


def relu_grad(x: ArrayLike) -> np.ndarray:
    """1.0 where x > 0 else 0.0 (0 at x = 0)."""
    return np.where(np.asarray(x) > 0, 1.0, 0.0)


def leaky_relu_grad(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """1.0 where x > 0 else alpha."""
    return np.where(np.asarray(x) > 0, 1.0, alpha)


def swish_grad(x: ArrayLike) -> np.ndarray:
    """d/dx x·s(x) = s + x·s(1 - s)."""
    x = np.asarray(x)
    s = sigmoid(x)
    return s * (1 - s)
