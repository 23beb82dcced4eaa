"""Exercise 4 — softmax, its overflow, and the two classic losses (worked examples §4).

Softmax turns scores into probabilities; exp overflows for large scores unless the
row maximum is subtracted first, which leaves the result unchanged.
소프트맥스는 지수 함수가 넘치지 않도록 각 행의 최댓값을 빼고 계산한다 (결과는 같다).
Worked examples and course notes: autograder/docs/worked-examples.md (`nngrade docs 4`).
풀이 예제와 강의 노트: autograder/docs/worked-examples.ko.md (`nngrade docs 4`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def softmax(a: ArrayLike) -> np.ndarray:
    """softmax(a)_k = exp(a_k - max(a)) / Σ_j exp(a_j - max(a)), along the last axis.

    Shapes: (C,) -> (C,); (N, C) -> (N, C) and every row sums to 1.
    Worked examples §4: softmax([0.3, 2.9, 4.0]) = [0.01821127, 0.24519181, 0.73659691];
    softmax([1010, 1000, 990]) = [9.99954600e-01, 4.53978686e-05, 2.06106005e-09].
    Pitfall: the naive np.exp(a) / np.sum(np.exp(a)) gives [nan, nan, nan] at 1010
    (course note 001 subtracts the max). For 2-D input, subtract each ROW's max
    (axis=-1, keepdims=True) and sum per row, not over the whole array.
    """
    raise NotImplementedError("softmax.softmax: not implemented yet")


def log_softmax(a: ArrayLike) -> np.ndarray:
    """log(softmax(a)) along the last axis, computed without overflow or log(0).

    log_softmax(a) = (a - m) - log(Σ_j exp(a_j - m)) with m = max(a) per row.
    Shapes as softmax. Pitfall: np.log(softmax(a)) gives -inf (and a warning) when a
    probability underflows to 0, e.g. log_softmax([0, -1000]) must be [0, -1000].
    """
    raise NotImplementedError("softmax.log_softmax: not implemented yet")


def cross_entropy_error(y: ArrayLike, t: ArrayLike) -> float:
    """Cross-entropy E = -(1/N) Σ_n Σ_k t_nk · log(y_nk + 1e-7), returned as a float.

    y: probabilities, (C,) for one sample or (N, C) for a batch (a 1-D y is a batch of one).
    t: one-hot, the same shape as y; or integer labels, shape (N,) (a single int for 1-D y),
    then E = -(1/N) Σ_n log(y[n, t_n] + 1e-7).
    The 1e-7 keeps log(0) finite, as in the classic formula.
    Worked examples §4: y = [0.1, 0.05, 0.6, 0, 0.05, 0.1, 0, 0.1, 0, 0], t one-hot at 2
    -> 0.51082546; with the 0.6 moved to index 7 -> 2.30258409.
    Pitfall: average over the batch (divide by N), do not just sum.
    """
    raise NotImplementedError("softmax.cross_entropy_error: not implemented yet")


def mean_squared_error(y: ArrayLike, t: ArrayLike) -> float:
    """Half the sum of squares E = ½ Σ (y - t)², returned as a float.

    y, t have the same shape: (C,) -> the plain sum; (N, C) -> divided by N (batch mean).
    Worked examples §4: the example above gives 0.0975, and 0.5975 with the 0.6 moved to 7.
    """
    raise NotImplementedError("softmax.mean_squared_error: not implemented yet")
