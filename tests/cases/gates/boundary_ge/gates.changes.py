# This golden case is solutions/gates.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def perceptron(x: ArrayLike, w: ArrayLike, b: float) -> int | np.ndarray:
    """y = 1 if w·x + b > 0 else 0; x (2,) -> int, x (N, 2) -> int64 array (N,)."""
    y = (np.asarray(x) @ np.asarray(w) + b >= 0).astype(np.int64)
    return int(y) if y.ndim == 0 else y
