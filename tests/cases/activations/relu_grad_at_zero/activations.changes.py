# This golden case is solutions/activations.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def relu_grad(x: ArrayLike) -> np.ndarray:
    """1.0 where x > 0 else 0.0 (0 at x = 0)."""
    return np.where(np.asarray(x) >= 0, 1.0, 0.0)
