# This golden case is solutions/backprop.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def sigmoid_backward(dout: ArrayLike, out: ArrayLike) -> np.ndarray:
    """dout·out·(1 - out) (out is the sigmoid's output)."""
    s = _sigmoid(np.asarray(out))  # sigmoid'(x) = s(1 - s)
    return np.asarray(dout) * s * (1 - s)
