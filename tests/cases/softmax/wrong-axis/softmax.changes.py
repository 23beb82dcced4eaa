# This golden case is solutions/softmax.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def softmax(a: ArrayLike) -> np.ndarray:
    """exp(a - max) / sum(exp(a - max)) along the last axis; each row sums to 1."""
    a = np.asarray(a)
    e = np.exp(a - a.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
