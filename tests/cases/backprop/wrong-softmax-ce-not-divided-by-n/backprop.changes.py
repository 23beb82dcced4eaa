# This golden case is solutions/backprop.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def softmax_cross_entropy_backward(scores: ArrayLike, t: ArrayLike) -> np.ndarray:
    """∂/∂scores of the mean cross-entropy of softmax(scores): (softmax - onehot) / N."""
    y = _softmax(np.asarray(scores))
    if np.shape(t) != y.shape:  # integer labels -> one-hot
        t = np.eye(y.shape[-1])[t]
    n = y.shape[0] if y.ndim == 2 else 1
    return y - t
