"""Logic gates from a single perceptron; XOR needs two layers.

퍼셉트론 하나로 AND·NAND·OR를 만들고, XOR은 두 층을 쌓아야 만들 수 있다.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def perceptron(x: ArrayLike, w: ArrayLike, b: float) -> int | np.ndarray:
    """y = 1 if w·x + b > 0 else 0; x (2,) -> int, x (N, 2) -> int64 array (N,)."""
    y = (np.asarray(x) @ np.asarray(w) + b > 0).astype(np.int)
    return int(y) if y.ndim == 0 else y


def _gate(x1: ArrayLike, x2: ArrayLike, w1: float, w2: float, b: float) -> int | np.ndarray:
    # stacking on the last axis makes the gates work on equal-shaped arrays too
    return perceptron(np.stack([x1, x2], axis=-1), [w1, w2], b)


def AND(x1: int, x2: int) -> int:
    """1 only for (1, 1)."""
    return _gate(x1, x2, 0.5, 0.5, -0.7)


def NAND(x1: int, x2: int) -> int:
    """NOT AND: every weight and the bias of AND negated."""
    return _gate(x1, x2, -0.5, -0.5, 0.7)


def OR(x1: int, x2: int) -> int:
    """1 unless (0, 0)."""
    return _gate(x1, x2, 0.5, 0.5, -0.2)


def XOR(x1: int, x2: int) -> int:
    """AND(NAND, OR): not linearly separable, so it takes two layers."""
    return AND(NAND(x1, x2), OR(x1, x2))
