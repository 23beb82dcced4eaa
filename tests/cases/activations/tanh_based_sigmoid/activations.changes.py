# This golden case is solutions/activations.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def step(x: ArrayLike) -> np.ndarray:
    """1 where x > 0 else 0, as int64 (np.int is gone since NumPy 1.24)."""
    return np.where(np.asarray(x) > 0, 1, 0)


def sigmoid(x: ArrayLike) -> np.ndarray:
    """1 / (1 + e^-x), computed without overflow."""
    # 1/(1+e^-x) = (1 + tanh(x/2)) / 2: tanh never overflows
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def relu(x: ArrayLike) -> np.ndarray:
    """max(0, x)."""
    x = np.asarray(x)
    return x * (x > 0)


def leaky_relu(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """x if x > 0 else alpha·x."""
    x = np.asarray(x)
    return np.maximum(alpha * x, x)  # valid for 0 <= alpha < 1
