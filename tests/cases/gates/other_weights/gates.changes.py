# This golden case is solutions/gates.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def AND(x1: int, x2: int) -> int:
    """1 only for (1, 1)."""
    return _gate(x1, x2, 1.0, 1.0, -1.5)


def NAND(x1: int, x2: int) -> int:
    """NOT AND: every weight and the bias of AND negated."""
    return _gate(x1, x2, -2.0, -2.0, 3.0)


def OR(x1: int, x2: int) -> int:
    """1 unless (0, 0)."""
    return _gate(x1, x2, 1.0, 1.0, -0.5)
