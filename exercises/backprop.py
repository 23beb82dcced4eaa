"""Exercise 5 — backpropagation by hand (worked examples §5, course note 002).

The chain rule carries the loss gradient from the output back to every weight; first
for the 2-2-2 sigmoid network of course note 002, then as reusable batch-first layer passes.
역전파: 출력의 오차를 연쇄법칙으로 입력 쪽까지 전달해 모든 가중치의 기울기를 구한다.
Worked examples and course notes: autograder/docs/worked-examples.md (`nngrade docs 5`).
풀이 예제와 강의 노트: autograder/docs/worked-examples.ko.md (`nngrade docs 5`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def mlp_forward(x: ArrayLike, W_h: ArrayLike, W_o: ArrayLike) -> dict[str, np.ndarray]:
    """Forward pass, keeping every intermediate: a dict with keys z_h, h, z_o, o.

    Column vectors, as in course note 002: W_h = [[W1, W2], [W3, W4]], W_o = [[W5, W6], [W7, W8]]
    (row i of a weight matrix feeds unit i); any sizes must work.
    z_h = W_h @ x, h = sigmoid(z_h), z_o = W_o @ h, o = sigmoid(z_o); no biases.
    Shapes: x (n_in,), W_h (n_h, n_in), W_o (n_out, n_h) -> z_h, h (n_h,); z_o, o (n_out,).
    Worked examples §5, x = [0.1, 0.2], W = [0.3, 0.25, 0.4, 0.35, 0.45, 0.4, 0.7, 0.6]:
    z_h = [0.08, 0.11], h = [0.51998934, 0.52747230],
    z_o = [0.44498412, 0.68047592], o = [0.60944600, 0.66384491].
    This file is loaded on its own: write a (stable) sigmoid helper here.
    """
    raise NotImplementedError("backprop.mlp_forward: not implemented yet")


def mse_loss(o: ArrayLike, t: ArrayLike) -> float:
    """E = ½ Σ (t - o)², summed over the outputs (not a mean), returned as a Python float.

    Worked examples §5: o = [0.60944600, 0.66384491], t = [0.4, 0.6] ->
    E_o1 = 0.02193381, E_o2 = 0.00203809, E_total = 0.02397190.
    """
    raise NotImplementedError("backprop.mse_loss: not implemented yet")


def mlp_backward(
    x: ArrayLike, t: ArrayLike, W_h: ArrayLike, W_o: ArrayLike
) -> dict[str, np.ndarray]:
    """Gradients of E = ½ Σ (t - o)²: a dict with keys delta_o, delta_h, dW_o, dW_h.

    delta_o = (o - t) · o · (1 - o)              ∂E/∂z_o, shape (n_out,)
    dW_o    = outer(delta_o, h)                  ∂E/∂W_o, shape of W_o
    delta_h = (W_o.T @ delta_o) · h · (1 - h)    ∂E/∂z_h, shape (n_h,)
    dW_h    = outer(delta_h, x)                  ∂E/∂W_h, shape of W_h
    Worked examples §5: ∂E/∂o1 = 0.20944600, ∂o1/∂z3 = 0.23802157, and
    dW_h = [[0.00080888, 0.00161775], [0.00071009, 0.00142017]],
    dW_o = [[0.02592286, 0.02629590], [0.00740844, 0.00751506]].
    Pitfalls: forgetting the sigmoid derivative o(1 - o) or h(1 - h); computing delta_h
    with already-updated output weights (use the OLD W_o: ∂E/∂h1 = ∂E_o1/∂h1 + ∂E_o2/∂h1);
    transposing dW (dW[i, j] must be ∂E/∂W[i, j]).
    """
    raise NotImplementedError("backprop.mlp_backward: not implemented yet")


def train_step(
    x: ArrayLike, t: ArrayLike, W_h: ArrayLike, W_o: ArrayLike, lr: float = 0.5
) -> tuple[np.ndarray, np.ndarray, float]:
    """One step of gradient descent: (W_h - lr·dW_h, W_o - lr·dW_o, loss before the step).

    Compute all gradients first, then update all weights together; return new arrays
    (do not modify the inputs). loss is mse_loss of the forward pass with the old weights.
    Pitfall: course note 002 updates W5..W8 before it turns to W1..W4, but ∂E/∂W1..W4 still go
    through the OLD W5..W8 (updating W_o in place before computing delta_h is wrong).
    Worked examples §5 (lr = 0.5): W_h_new = [[0.29959556, 0.24919112],
    [0.39964496, 0.34928991]], W_o_new = [[0.43703857, 0.38685205],
    [0.69629578, 0.59624247]], loss = 0.02397190.
    """
    raise NotImplementedError("backprop.train_step: not implemented yet")


def graph_example(x: float, y: float, z: float) -> tuple[float, float, float, float]:
    """The computational graph f = (x + y)·z: return (f, ∂f/∂x, ∂f/∂y, ∂f/∂z).

    With q = x + y and f = q·z: ∂f/∂q = z, ∂f/∂z = q, ∂q/∂x = ∂q/∂y = 1, so by the
    chain rule ∂f/∂x = ∂f/∂q · ∂q/∂x.
    Worked examples §5: graph_example(-2, 5, -4) = (-12, -4, -4, 3).
    """
    raise NotImplementedError("backprop.graph_example: not implemented yet")


def affine_backward(
    dout: ArrayLike, x: ArrayLike, W: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of out = x @ W + b (batch-first): return (dx, dW, db).

    Shapes: x (N, D), W (D, M), dout = ∂L/∂out (N, M) ->
    dx = dout @ W.T (N, D), dW = x.T @ dout (D, M), db = dout summed over the batch (M,).
    Checked against numerical gradients.
    """
    raise NotImplementedError("backprop.affine_backward: not implemented yet")


def relu_backward(dout: ArrayLike, x: ArrayLike) -> np.ndarray:
    """Backward pass of out = max(0, x): dout where x > 0, else 0; shape of x.

    x is the ReLU's INPUT. The gradient at exactly x = 0 is taken as 0.
    """
    raise NotImplementedError("backprop.relu_backward: not implemented yet")


def sigmoid_backward(dout: ArrayLike, out: ArrayLike) -> np.ndarray:
    """Backward pass of out = sigmoid(x): dout · out · (1 - out); shape of out.

    `out` is the sigmoid's OUTPUT (already squashed); do not apply sigmoid to it again.
    """
    raise NotImplementedError("backprop.sigmoid_backward: not implemented yet")


def softmax_cross_entropy_backward(scores: ArrayLike, t: ArrayLike) -> np.ndarray:
    """Gradient of the mean cross-entropy of softmax(scores) with respect to the scores.

    dscores = (softmax(scores) - T) / N, where T is t as one-hot rows.
    scores (N, C); t integer labels (N,) or one-hot (N, C). A 1-D scores (C,) is one
    sample (N = 1, t a single int or a one-hot (C,)). Use an overflow-safe softmax
    (subtract the row max). Pitfall: forgetting the division by N.
    """
    raise NotImplementedError("backprop.softmax_cross_entropy_backward: not implemented yet")
