"""A correct forward pass with einsum, multi_dot, a logsumexp softmax and a dispatch dict."""
from __future__ import annotations

import numpy as np


def _logsumexp(z):
    m = np.max(z, axis=-1, keepdims=True)
    return m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))  # the same function, no overflow


ACTIVATIONS = {
    "step": lambda z: np.heaviside(z, 0).astype(int),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: z * (z > 0),
    "leaky_relu": lambda z: np.maximum(0.01 * z, z),
    "swish": lambda z: z * _sigmoid(z),
    "identity": lambda z: z,
    "softmax": lambda z: np.exp(z - _logsumexp(z)),
}


def init_params(layer_sizes, seed=0, scale=0.10):
    rs = np.random
    rs.seed(seed)
    shapes = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    weights = [scale * rs.standard_normal((n_in, n_out)) for n_in, n_out in shapes]
    return [(W, np.zeros((1, W.shape[1]))) for W in weights]


def dense(x, W, b):
    return np.einsum("...i,ij->...j", np.asarray(x, dtype=float), np.asarray(W, dtype=float)) + np.reshape(b, -1)


def forward(x, params, hidden="sigmoid", output="identity"):
    names = [hidden] * (len(params) - 1) + [output]
    a = np.asarray(x, dtype=float)
    for (W, b), name in zip(params, names):
        a = ACTIVATIONS[name](dense(a, W, b))
    return a


def textbook_network():
    W1 = np.arange(1, 7).reshape(3, 2).T / 10
    W2 = np.arange(1, 7).reshape(2, 3).T / 10
    W3 = np.array([[1, 3], [2, 4]]) / 10
    return [(W1, np.array([0.1, 0.2, 0.3])), (W2, np.array([0.1, 0.2])), (W3, np.array([0.1, 0.2]))]


def collapse_linear(weights):
    Ws = [np.asarray(w[0]) if isinstance(w, (tuple, list)) and len(w) == 2 and np.ndim(w[0]) == 2 else np.asarray(w)
          for w in weights]
    return Ws[0] if len(Ws) == 1 else np.linalg.multi_dot(Ws)
