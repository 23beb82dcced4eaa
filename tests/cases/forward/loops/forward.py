"""A correct forward pass written with plain Python loops instead of matrix products."""
from __future__ import annotations

import math

import numpy as np


def _apply(name, z):
    z = np.asarray(z, dtype=float)
    flat = z.reshape(-1, z.shape[-1])
    out = np.empty_like(flat)
    for r, row in enumerate(flat):
        if name == "softmax":
            m = max(row)
            exps = [math.exp(v - m) for v in row]
            total = sum(exps)
            out[r] = [e / total for e in exps]
            continue
        for c, v in enumerate(row):
            if name == "sigmoid":
                out[r, c] = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
            elif name == "tanh":
                out[r, c] = math.tanh(v)
            elif name == "relu":
                out[r, c] = v if v > 0 else 0.0
            elif name == "leaky_relu":
                out[r, c] = v if v > 0 else 0.01 * v
            elif name == "swish":
                s = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
                out[r, c] = v * s
            elif name == "identity":
                out[r, c] = v
            elif name == "step":
                out[r, c] = 1.0 if v > 0 else 0.0
            else:
                raise ValueError(f"unknown activation {name}")
    return out.reshape(z.shape)


def init_params(layer_sizes, seed=0, scale=0.10):
    np.random.seed(seed)
    params = []
    for k in range(len(layer_sizes) - 1):
        n_in, n_out = layer_sizes[k], layer_sizes[k + 1]
        params.append((scale * np.random.randn(n_in, n_out), np.zeros((1, n_out))))
    return params


def dense(x, W, b):
    x, W, b = np.asarray(x, dtype=float), np.asarray(W, dtype=float), np.asarray(b, dtype=float).reshape(-1)
    rows = x.reshape(-1, W.shape[0])
    out = np.zeros((rows.shape[0], W.shape[1]))
    for n in range(rows.shape[0]):
        for j in range(W.shape[1]):
            total = b[j]
            for i in range(W.shape[0]):
                total += rows[n, i] * W[i, j]
            out[n, j] = total
    return out[0] if x.ndim == 1 else out


def forward(x, params, hidden="sigmoid", output="identity"):
    a = x
    for k in range(len(params)):
        W, b = params[k]
        name = output if k == len(params) - 1 else hidden
        a = _apply(name, dense(a, W, b))
    return a


def textbook_network():
    return [
        (np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]), np.array([0.1, 0.2, 0.3])),
        (np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]), np.array([0.1, 0.2])),
        (np.array([[0.1, 0.3], [0.2, 0.4]]), np.array([0.1, 0.2])),
    ]


def collapse_linear(weights):
    result = None
    for layer in weights:
        W = layer[0] if isinstance(layer, tuple) else layer
        W = np.asarray(W, dtype=float)
        if result is None:
            result = W.copy()
            continue
        product = np.zeros((result.shape[0], W.shape[1]))
        for i in range(result.shape[0]):
            for j in range(W.shape[1]):
                product[i, j] = sum(result[i, k] * W[k, j] for k in range(W.shape[0]))
        result = product
    return result
