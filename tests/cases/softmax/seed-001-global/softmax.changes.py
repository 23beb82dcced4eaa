# This golden case is solutions/softmax.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def softmax(a: ArrayLike) -> np.ndarray:
    """exp(a - max) / sum(exp(a - max)) along the last axis; each row sums to 1."""
    c = np.max(a)
    exp_a = np.exp(a - c)  # 오버플로 대책
    sum_exp_a = np.sum(exp_a)
    return exp_a / sum_exp_a
