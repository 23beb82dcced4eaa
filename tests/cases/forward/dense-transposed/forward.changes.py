# This golden case is solutions/forward.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def dense(x: ArrayLike, W: ArrayLike, b: ArrayLike) -> np.ndarray:
    """x @ W + b: (n_in,) -> (n_out,), (N, n_in) -> (N, n_out)."""
    # b may be (n_out,) or (1, n_out); flattening it keeps a single sample 1-D
    return np.asarray(x) @ np.asarray(W).T + np.ravel(b)
