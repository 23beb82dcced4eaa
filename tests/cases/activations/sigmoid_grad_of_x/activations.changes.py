# This golden case is solutions/activations.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def sigmoid_grad(x: ArrayLike) -> np.ndarray:
    """s(1 - s) with s = sigmoid(x); at most 0.25, at x = 0."""
    return x * (1 - x)
