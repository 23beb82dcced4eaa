# This golden case is solutions/activations.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def leaky_relu(x: ArrayLike, alpha: float = 0.1) -> np.ndarray:
    """x if x > 0 else alpha·x."""
    x = np.asarray(x)
    return np.where(x > 0, x, alpha * x)
