# This golden case is solutions/activations.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def sigmoid(x: ArrayLike) -> np.ndarray:
    """1 / (1 + e^-x), computed without overflow."""
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def tanh_grad(x: ArrayLike) -> np.ndarray:
    """1 - tanh(x)²; at most 1, at x = 0."""
    t = np.tanh(x)
    return (1 - t) * (1 + t)
