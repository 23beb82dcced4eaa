# This golden case is solutions/activations.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def swish_grad(x: ArrayLike) -> np.ndarray:
    """d/dx x·s(x) = s + x·s(1 - s)."""
    x = np.asarray(x)
    s = sigmoid(x)
    return s * (1 - s)
