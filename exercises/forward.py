"""Exercise 3 — the forward pass of a fully connected network (worked examples §3).

Each layer computes x @ W + b (course note 004: W is (n_in, n_out), samples are rows) and applies
an activation; without non-linear activations the whole stack collapses into one matrix.
순전파: 입력에 가중치를 곱하고 편향을 더한 뒤 활성화 함수를 거치는 과정을 층마다 반복한다.
Worked examples and course notes: autograder/docs/worked-examples.md (`nngrade docs 3`).
풀이 예제와 강의 노트: autograder/docs/worked-examples.ko.md (`nngrade docs 3`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike


def init_params(
    layer_sizes: Sequence[int], seed: int = 0, scale: float = 0.10
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random weights and zero biases for layer sizes [n0, n1, ..., nk]: a list of k (W, b).

    Call np.random.seed(seed) ONCE, then for each layer in order (first layer first)
    W = scale * np.random.randn(n_in, n_out) and b = np.zeros((1, n_out)).
    This reproduces course note 004: init_params([3, 4, 2], 0) gives W shapes (3, 4) and (4, 2),
    and dense([3, 1, 5.5], *params[0]) = [0.65920113, 0.24814855, 0.4678542, 1.45698267]
    (worked examples §3). Pitfall: re-seeding per layer, or drawing randn(n_out, n_in),
    gives different numbers.
    """
    raise NotImplementedError("forward.init_params: not implemented yet")


def dense(x: ArrayLike, W: ArrayLike, b: ArrayLike) -> np.ndarray:
    """A dense (fully connected) layer: x @ W + b, no activation.

    Shapes: W (n_in, n_out); b (n_out,) or (1, n_out); x is one sample (n_in,) -> return
    (n_out,), or a batch (N, n_in) -> return (N, n_out).
    Pitfall: with b of shape (1, n_out), x @ W + b turns a single sample into shape
    (1, n_out); return (n_out,) for a 1-D x.
    Worked examples §3: the course note 004 hidden pre-activation is [0.65920113, 0.24814855,
    0.4678542, 1.45698267].
    """
    raise NotImplementedError("forward.dense: not implemented yet")


def forward(
    x: ArrayLike,
    params: Sequence[tuple[ArrayLike, ArrayLike]],
    hidden: str = "sigmoid",
    output: str = "identity",
) -> np.ndarray:
    """Run x through every (W, b) in params: dense, then an activation.

    Every layer but the last applies `hidden`, the last applies `output`. Names:
    "step", "sigmoid", "tanh", "relu", "leaky_relu" (alpha 0.01), "swish", "identity",
    "softmax" (along the last axis). Shapes as in dense: (n_in,) -> (n_out,),
    (N, n_in) -> (N, n_out), and row n of a batch's output equals forward(x[n], ...) alone.
    An unknown name should raise ValueError.
    This file is loaded on its own: write the activations you need here (a small
    name -> function dict works well) rather than importing another exercise.
    Worked examples §3 with init_params([3, 4, 2], 0) and x = [3, 1, 5.5]:
    hidden="sigmoid" -> [0.19235057, -0.05512534]; "leaky_relu" -> [0.17669663, -0.11773777];
    "swish" -> [0.1192278, -0.09689423]. textbook_network(), x = [1.0, 0.5]
    -> [0.31682708, 0.69627909].
    """
    raise NotImplementedError("forward.forward: not implemented yet")


def textbook_network() -> list[tuple[np.ndarray, np.ndarray]]:
    """The classic 3-layer example (2 -> 3 -> 2 -> 2) as [(W1, b1), (W2, b2), (W3, b3)].

    W1 = [[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]], b1 = [0.1, 0.2, 0.3],
    W2 = [[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]], b2 = [0.1, 0.2],
    W3 = [[0.1, 0.3], [0.2, 0.4]], b3 = [0.1, 0.2]   (biases as 1-D arrays).
    With sigmoid, sigmoid, identity and x = [1.0, 0.5] the output is
    [0.31682708, 0.69627909] (worked examples §3).
    """
    raise NotImplementedError("forward.textbook_network: not implemented yet")


def collapse_linear(weights: Sequence[ArrayLike | tuple[ArrayLike, ArrayLike]]) -> np.ndarray:
    """The single matrix W = W1 @ W2 @ ... @ Wk equal to k linear layers without activations.

    `weights` is a list of matrices W, or of (W, b) pairs such as init_params returns
    (use only W; the biases just add a constant). Shapes (n0, n1), (n1, n2), ...
    -> (n0, nk); for every x, x @ W equals x @ W1 @ W2 @ ... @ Wk.
    course notes 000 and 003: f(f(f(x))) with f(x) = w·x is k·x with k = w³, so depth without a
    non-linearity adds nothing (worked examples §2, §3).
    """
    raise NotImplementedError("forward.collapse_linear: not implemented yet")
