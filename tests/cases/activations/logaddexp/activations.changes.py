# This golden case is solutions/activations.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def sigmoid(x: ArrayLike) -> np.ndarray:
    """1 / (1 + e^-x), computed without overflow."""
    # log sigmoid(x) = -log(1 + e^-x) = -logaddexp(0, -x), stable for any x
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def relu_grad(x: ArrayLike) -> np.ndarray:
    """1.0 where x > 0 else 0.0 (0 at x = 0)."""
    return np.heaviside(x, 0.0)
