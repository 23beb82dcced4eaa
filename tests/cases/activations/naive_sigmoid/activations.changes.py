# This golden case is solutions/activations.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def sigmoid(x: ArrayLike) -> np.ndarray:
    """1 / (1 + e^-x), computed without overflow."""
    return 1 / (1 + np.exp(-x))  # seed 000's version
