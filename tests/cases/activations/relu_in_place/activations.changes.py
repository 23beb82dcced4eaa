# This golden case is solutions/activations.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def relu(x: ArrayLike) -> np.ndarray:
    """max(0, x), written in place: the caller's array is changed (asarray copies only a scalar)."""
    x = np.asarray(x)
    x[x < 0] = 0
    return x
