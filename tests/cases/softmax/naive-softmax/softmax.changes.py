# This golden case is solutions/softmax.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def softmax(a: ArrayLike) -> np.ndarray:
    """exp(a - max) / sum(exp(a - max)) along the last axis; each row sums to 1."""
    a = np.asarray(a)
    return np.exp(a) / np.sum(np.exp(a), axis=-1, keepdims=True)
