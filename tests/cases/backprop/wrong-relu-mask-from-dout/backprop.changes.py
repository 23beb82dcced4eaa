# This golden case is solutions/backprop.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def relu_backward(dout: ArrayLike, x: ArrayLike) -> np.ndarray:
    """dout where x > 0, else 0 (x is the relu's input)."""
    return np.maximum(0, np.asarray(dout))
