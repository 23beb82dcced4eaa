"""Backpropagation: the chain rule, by hand, from the loss back to every weight.

역전파: 출력의 오차를 연쇄법칙으로 입력 쪽까지 전달해 모든 가중치의 기울기를 구한다.
The 2-2-2 network uses column vectors (z = W @ x); the layer passes are batch-first.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def mlp_forward(x: ArrayLike, W_h: ArrayLike, W_o: ArrayLike) -> dict[str, np.ndarray]:
    """z_h = W_h @ x, h = σ(z_h), z_o = W_o @ h, o = σ(z_o)."""
    z_h = np.asarray(W_h) @ np.asarray(x)
    h = _sigmoid(z_h)
    z_o = np.asarray(W_o) @ h
    o = _sigmoid(z_o)
    return {"z_h": z_h, "h": h, "z_o": z_o, "o": o}


def mse_loss(o: ArrayLike, t: ArrayLike) -> float:
    """E = ½·Σ(t - o)²."""
    return float(0.5 * np.sum((np.asarray(t) - np.asarray(o)) ** 2))


def mlp_backward(
    x: ArrayLike, t: ArrayLike, W_h: ArrayLike, W_o: ArrayLike
) -> dict[str, np.ndarray]:
    """Gradients of E for one sample; dW[i, j] = ∂E/∂W[i, j] (same shape as W)."""
    x, t, W_o = np.asarray(x), np.asarray(t), np.asarray(W_o)
    f = mlp_forward(x, W_h, W_o)
    h, o = f["h"], f["o"]
    delta_o = (o - t) * o * (1 - o)  # ∂E/∂o · ∂o/∂z_o
    delta_h = (W_o.T @ delta_o) * h * (1 - h)  # every output contributes, through the OLD W_o
    return {
        "delta_o": delta_o,
        "delta_h": delta_h,
        "dW_o": np.outer(delta_o, h),
        "dW_h": np.outer(delta_h, x),
    }


def train_step(
    x: ArrayLike, t: ArrayLike, W_h: ArrayLike, W_o: ArrayLike, lr: float = 0.5
) -> tuple[np.ndarray, np.ndarray, float]:
    """One gradient-descent step on all weights at once; returns the loss before it."""
    loss = mse_loss(mlp_forward(x, W_h, W_o)["o"], t)
    g = mlp_backward(x, t, W_h, W_o)
    return np.asarray(W_h) - lr * g["dW_h"], np.asarray(W_o) - lr * g["dW_o"], loss


def graph_example(x: float, y: float, z: float) -> tuple[float, float, float, float]:
    """f = q·z with q = x + y; local gradients multiplied backwards."""
    q = x + y
    f = q * z
    df_dq, df_dz = z, q
    return f, df_dq * 1, df_dq * 1, df_dz  # ∂q/∂x = ∂q/∂y = 1


def affine_backward(
    dout: ArrayLike, x: ArrayLike, W: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For out = x @ W + b with x (N, D), W (D, M), dout (N, M): dx, dW, db."""
    dout, x, W = np.asarray(dout), np.asarray(x), np.asarray(W)
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def relu_backward(dout: ArrayLike, x: ArrayLike) -> np.ndarray:
    """dout where x > 0, else 0 (x is the relu's input)."""
    return np.maximum(0, np.asarray(dout))


def sigmoid_backward(dout: ArrayLike, out: ArrayLike) -> np.ndarray:
    """dout·out·(1 - out) (out is the sigmoid's output)."""
    out = np.asarray(out)
    return np.asarray(dout) * out * (1 - out)


def softmax_cross_entropy_backward(scores: ArrayLike, t: ArrayLike) -> np.ndarray:
    """∂/∂scores of the mean cross-entropy of softmax(scores): (softmax - onehot) / N."""
    y = _softmax(np.asarray(scores))
    if np.shape(t) != y.shape:  # integer labels -> one-hot
        t = np.eye(y.shape[-1])[t]
    n = y.shape[0] if y.ndim == 2 else 1
    return (y - t) / n
