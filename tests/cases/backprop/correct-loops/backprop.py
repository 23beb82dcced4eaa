"""Backprop with plain Python loops over every unit and weight (no matrix products)."""
import math

import numpy as np


def sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def mlp_forward(x, W_h, W_o):
    x, W_h, W_o = np.asarray(x, float), np.asarray(W_h, float), np.asarray(W_o, float)
    z_h = np.zeros(W_h.shape[0])
    for i in range(W_h.shape[0]):
        for j in range(W_h.shape[1]):
            z_h[i] += W_h[i, j] * x[j]
    h = np.array([sigmoid(z) for z in z_h])
    z_o = np.zeros(W_o.shape[0])
    for k in range(W_o.shape[0]):
        for i in range(W_o.shape[1]):
            z_o[k] += W_o[k, i] * h[i]
    o = np.array([sigmoid(z) for z in z_o])
    return {"z_h": z_h, "h": h, "z_o": z_o, "o": o}


def mse_loss(o, t):
    total = 0.0
    for o_k, t_k in zip(np.ravel(o), np.ravel(t)):
        total += 0.5 * (t_k - o_k) ** 2
    return float(total)


def mlp_backward(x, t, W_h, W_o):
    x, t, W_o = np.asarray(x, float), np.asarray(t, float), np.asarray(W_o, float)
    f = mlp_forward(x, W_h, W_o)
    h, o = f["h"], f["o"]
    n_out, n_h = W_o.shape
    delta_o = np.zeros(n_out)
    for k in range(n_out):
        delta_o[k] = (o[k] - t[k]) * o[k] * (1 - o[k])
    delta_h = np.zeros(n_h)
    for i in range(n_h):
        back = 0.0
        for k in range(n_out):
            back += W_o[k, i] * delta_o[k]
        delta_h[i] = back * h[i] * (1 - h[i])
    dW_o = np.zeros((n_out, n_h))
    for k in range(n_out):
        for i in range(n_h):
            dW_o[k, i] = delta_o[k] * h[i]
    dW_h = np.zeros((n_h, len(x)))
    for i in range(n_h):
        for j in range(len(x)):
            dW_h[i, j] = delta_h[i] * x[j]
    return {"delta_o": delta_o, "delta_h": delta_h, "dW_o": dW_o, "dW_h": dW_h}


def train_step(x, t, W_h, W_o, lr=0.5):
    loss = mse_loss(mlp_forward(x, W_h, W_o)["o"], t)
    g = mlp_backward(x, t, W_h, W_o)
    new_h, new_o = np.array(W_h, dtype=float), np.array(W_o, dtype=float)
    for (i, j), grad in np.ndenumerate(g["dW_h"]):
        new_h[i, j] -= lr * grad
    for (k, i), grad in np.ndenumerate(g["dW_o"]):
        new_o[k, i] -= lr * grad
    return new_h, new_o, loss


def graph_example(x, y, z):
    q = x + y
    f = q * z
    dq = z
    return f, dq * 1, dq * 1, q


def affine_backward(dout, x, W):
    dout, x, W = np.asarray(dout, float), np.asarray(x, float), np.asarray(W, float)
    n, d = x.shape
    m = W.shape[1]
    dx, dW, db = np.zeros((n, d)), np.zeros((d, m)), np.zeros(m)
    for s in range(n):
        for j in range(m):
            db[j] += dout[s, j]
            for i in range(d):
                dx[s, i] += dout[s, j] * W[i, j]
                dW[i, j] += x[s, i] * dout[s, j]
    return dx, dW, db


def relu_backward(dout, x):
    dout, x = np.asarray(dout, float), np.asarray(x, float)
    dx = np.zeros_like(x)
    for index, value in np.ndenumerate(x):
        if value > 0:
            dx[index] = dout[index]
    return dx


def sigmoid_backward(dout, out):
    dout, out = np.asarray(dout, float), np.asarray(out, float)
    dx = np.zeros_like(out)
    for index, s in np.ndenumerate(out):
        dx[index] = dout[index] * s * (1 - s)
    return dx


def softmax_cross_entropy_backward(scores, t):
    scores = np.asarray(scores, float)
    single = scores.ndim == 1
    rows = scores.reshape(1, -1) if single else scores
    n, c = rows.shape
    labels = np.asarray(t)
    if labels.shape == scores.shape:  # one-hot rows -> integer labels
        labels = np.argmax(labels.reshape(n, c), axis=1)
    labels = labels.reshape(-1)
    grad = np.zeros((n, c))
    for s in range(n):
        top = max(rows[s])
        exps = [math.exp(v - top) for v in rows[s]]
        total = sum(exps)
        for j in range(c):
            grad[s, j] = (exps[j] / total - (1.0 if j == labels[s] else 0.0)) / n
    return grad[0] if single else grad
