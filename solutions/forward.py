"""The forward pass: dense layers x @ W + b, each followed by an activation.

순전파: 입력에 가중치를 곱하고 편향을 더한 뒤 활성화 함수를 거치는 과정을 층마다 반복한다.
Row-vector convention (course note 004): W has shape (n_in, n_out), a batch is (N, n_in).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

import numpy as np
from numpy.typing import ArrayLike


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


_ACTIVATIONS = {
    "step": lambda x: (x > 0).astype(np.int64),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(0, x),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "swish": lambda x: x * _sigmoid(x),
    "identity": lambda x: x,
    "softmax": _softmax,
}


def init_params(
    layer_sizes: Sequence[int], seed: int = 0, scale: float = 0.10
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seed once, then W = scale·randn(n_in, n_out), b = zeros((1, n_out)) layer by layer."""
    np.random.seed(seed)
    return [
        (scale * np.random.randn(n_in, n_out), np.zeros((1, n_out)))
        for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])
    ]


def dense(x: ArrayLike, W: ArrayLike, b: ArrayLike) -> np.ndarray:
    """x @ W + b: (n_in,) -> (n_out,), (N, n_in) -> (N, n_out)."""
    # b may be (n_out,) or (1, n_out); flattening it keeps a single sample 1-D
    return np.asarray(x) @ np.asarray(W) + np.ravel(b)


def forward(
    x: ArrayLike,
    params: Sequence[tuple[ArrayLike, ArrayLike]],
    hidden: str = "sigmoid",
    output: str = "identity",
) -> np.ndarray:
    """dense + `hidden` for every layer but the last, dense + `output` for the last."""
    for name in (hidden, output):
        if name not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; choose from {', '.join(_ACTIVATIONS)}")
    a = np.asarray(x)
    for i, (W, b) in enumerate(params):
        a = _ACTIVATIONS[output if i == len(params) - 1 else hidden](dense(a, W, b))
    return a


def textbook_network() -> list[tuple[np.ndarray, np.ndarray]]:
    """The classic 2-3-2-2 example; biases are 1-D as in the book."""
    return [
        (np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]), np.array([0.1, 0.2, 0.3])),
        (np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]), np.array([0.1, 0.2])),
        (np.array([[0.1, 0.3], [0.2, 0.4]]), np.array([0.1, 0.2])),
    ]


def collapse_linear(weights: Sequence[ArrayLike | tuple[ArrayLike, ArrayLike]]) -> np.ndarray:
    """W1 @ W2 @ ... @ Wn: without activations, n linear layers are one.

    Each item is a matrix W or a (W, b) pair, e.g. the output of init_params;
    biases do not change the product (they add the constant b1 @ W2 @ ... + bn).
    """
    def matrix(layer):
        is_pair = isinstance(layer, (tuple, list)) and len(layer) == 2 and np.ndim(layer[0]) == 2
        return np.asarray(layer[0] if is_pair else layer)

    if len(weights) == 0:
        raise ValueError("collapse_linear needs at least one layer")
    return reduce(np.matmul, map(matrix, weights))
