# This golden case is solutions/gates.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def XOR(x1: int, x2: int) -> int:
    """AND(NAND, OR): not linearly separable, so it takes two layers."""
    return OR(x1, x2)
