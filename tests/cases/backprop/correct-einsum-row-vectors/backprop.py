"""Backprop with einsum, broadcasting and row vectors (x @ W.T), logsumexp-style softmax."""
import numpy as np


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))  # the same function, no overflow


def mlp_forward(x, W_h, W_o):
    x, W_h, W_o = (np.asarray(a, dtype=np.float64) for a in (x, W_h, W_o))
    z_h = x @ W_h.T
    h = _sigmoid(z_h)
    z_o = np.einsum("ki,i->k", W_o, h)
    o = _sigmoid(z_o)
    return dict(z_h=z_h, h=h, z_o=z_o, o=o)


def mse_loss(o, t):
    d = np.subtract(t, o)
    return float(d @ d / 2)


def mlp_backward(x, t, W_h, W_o):
    x, t, W_o = np.asarray(x, float), np.asarray(t, float), np.asarray(W_o, float)
    f = mlp_forward(x, W_h, W_o)
    h, o = f["h"], f["o"]
    delta_o = (o - t) * (o - o**2)
    delta_h = (delta_o @ W_o) * (h - h**2)
    return {
        "delta_o": delta_o,
        "delta_h": delta_h,
        "dW_o": delta_o[:, None] * h[None, :],
        "dW_h": np.einsum("i,j->ij", delta_h, x),
    }


def train_step(x, t, W_h, W_o, lr=0.5):
    g = mlp_backward(x, t, W_h, W_o)
    before = mse_loss(mlp_forward(x, W_h, W_o)["o"], t)
    return np.subtract(W_h, lr * g["dW_h"]), np.subtract(W_o, lr * g["dW_o"]), before


def graph_example(x, y, z):
    return (x + y) * z, z, z, x + y


def affine_backward(dout, x, W):
    dout, x, W = np.asarray(dout, float), np.asarray(x, float), np.asarray(W, float)
    dx = np.einsum("nm,dm->nd", dout, W)
    dW = np.tensordot(x, dout, axes=([0], [0]))
    db = np.ones(len(dout)) @ dout
    return dx, dW, db


def relu_backward(dout, x):
    return np.where(np.asarray(x) > 0, dout, 0.0)


def sigmoid_backward(dout, out):
    out = np.asarray(out, float)
    return np.multiply(dout, out - out * out)


def softmax_cross_entropy_backward(scores, t):
    a = np.atleast_2d(np.asarray(scores, float))
    log_p = a - a.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    p = np.exp(log_p)
    labels = np.asarray(t)
    if labels.size == a.size:
        grad = p - labels.reshape(a.shape)
    else:
        grad = p.copy()
        np.subtract.at(grad, (np.arange(len(a)), labels.reshape(-1)), 1.0)
    grad /= len(a)
    return grad.reshape(np.shape(scores))
