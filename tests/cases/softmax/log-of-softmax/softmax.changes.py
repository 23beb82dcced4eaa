# This golden case is solutions/softmax.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def log_softmax(a: ArrayLike) -> np.ndarray:
    """a - max - log(sum(exp(a - max))) along the last axis."""
    return np.log(softmax(a))
