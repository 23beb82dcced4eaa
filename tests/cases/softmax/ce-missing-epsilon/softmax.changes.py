# This golden case is solutions/softmax.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def cross_entropy_error(y: ArrayLike, t: ArrayLike) -> float:
    """-Σ t·log(y + 1e-7) averaged over the batch; t one-hot (shape of y) or labels."""
    y, t = np.asarray(y), np.asarray(t)
    if y.ndim == 1:  # one sample: a batch of one
        t = t[None] if t.shape == y.shape else t.reshape(1)
        y = y[None]
    n = y.shape[0]
    if t.shape == y.shape:
        return float(-np.sum(t * np.log(y)) / n)
    return float(-np.sum(np.log(y[np.arange(n), t])) / n)
