# This golden case is solutions/mnist.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def _softmax(x: np.ndarray) -> np.ndarray:
    c = np.max(x)
    exp_a = np.exp(x - c)  # 오버플로 대책
    return exp_a / np.sum(exp_a)
