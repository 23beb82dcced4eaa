# This golden case is solutions/gates.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def AND(x1: int, x2: int) -> int:
    """1 only for (1, 1)."""
    return _gate(x1, x2, 0.5, 0.5, -0.2)
