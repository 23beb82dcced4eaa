# This golden case is solutions/softmax.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def mean_squared_error(y: ArrayLike, t: ArrayLike) -> float:
    """½·Σ(y - t)², averaged over the batch for 2-D input."""
    y, t = np.asarray(y), np.asarray(t)
    n = y.shape[0] if y.ndim == 2 else 1
    return float(0.5 * np.sum((y - t) ** 2))
