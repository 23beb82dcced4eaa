# This golden case is solutions/activations.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def step(x: ArrayLike) -> np.ndarray:
    """1 where x > 0 else 0, as int64 (np.int is gone since NumPy 1.24)."""
    return np.array(np.asarray(x) > 0, dtype=np.int)
