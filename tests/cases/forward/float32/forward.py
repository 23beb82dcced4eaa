"""A correct forward pass that computes in float32 (a common choice for speed); results are float32."""
from __future__ import annotations

import numpy as np

F = np.float32


def _sigmoid(z):
    return (F(1) / (F(1) + np.exp(-np.clip(z, F(-80), F(80))))).astype(F)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(F)


ACTS = {
    "step": lambda z: (z > 0).astype(F),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(F(0), z),
    "leaky_relu": lambda z: np.where(z > 0, z, F(0.01) * z).astype(F),
    "swish": lambda z: z * _sigmoid(z),
    "identity": lambda z: z,
    "softmax": _softmax,
}


def init_params(layer_sizes, seed=0, scale=0.10):
    np.random.seed(seed)
    return [((scale * np.random.randn(a, b)).astype(F), np.zeros((1, b), dtype=F))
            for a, b in zip(layer_sizes, layer_sizes[1:])]


def dense(x, W, b):
    return np.asarray(x, dtype=F) @ np.asarray(W, dtype=F) + np.asarray(b, dtype=F).ravel()


def forward(x, params, hidden="sigmoid", output="identity"):
    a = np.asarray(x, dtype=F)
    for i, (W, b) in enumerate(params):
        a = ACTS[output if i == len(params) - 1 else hidden](dense(a, W, b))
    return a


def textbook_network():
    return [
        (np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]], dtype=F), np.array([0.1, 0.2, 0.3], dtype=F)),
        (np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]], dtype=F), np.array([0.1, 0.2], dtype=F)),
        (np.array([[0.1, 0.3], [0.2, 0.4]], dtype=F), np.array([0.1, 0.2], dtype=F)),
    ]


def collapse_linear(weights):
    Ws = [np.asarray(w[0] if isinstance(w, tuple) else w, dtype=F) for w in weights]
    out = Ws[0]
    for W in Ws[1:]:
        out = out @ W
    return out
