# This golden case is solutions/activations.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def tanh_grad(x: ArrayLike) -> np.ndarray:
    """1 - tanh(x)²; at most 1, at x = 0."""
    return 1 - np.tanh(x)
