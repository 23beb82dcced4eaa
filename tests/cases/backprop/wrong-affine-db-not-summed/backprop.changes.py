# This golden case is solutions/backprop.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def affine_backward(
    dout: ArrayLike, x: ArrayLike, W: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For out = x @ W + b with x (N, D), W (D, M), dout (N, M): dx, dW, db."""
    dout, x, W = np.asarray(dout), np.asarray(x), np.asarray(W)
    return dout @ W.T, x.T @ dout, dout
