# This golden case is solutions/backprop.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def mse_loss(o: ArrayLike, t: ArrayLike) -> float:
    """E = ½·Σ(t - o)²."""
    return float(np.sum((np.asarray(t) - np.asarray(o)) ** 2))
