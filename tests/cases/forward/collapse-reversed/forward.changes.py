# This golden case is solutions/forward.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def collapse_linear(weights: Sequence[ArrayLike | tuple[ArrayLike, ArrayLike]]) -> np.ndarray:
    """W1 @ W2 @ ... @ Wn: without activations, n linear layers are one.

    Each item is a matrix W or a (W, b) pair, e.g. the output of init_params;
    biases do not change the product (they add the constant b1 @ W2 @ ... + bn).
    """
    def matrix(layer):
        is_pair = isinstance(layer, (tuple, list)) and len(layer) == 2 and np.ndim(layer[0]) == 2
        return np.asarray(layer[0] if is_pair else layer)

    if len(weights) == 0:
        raise ValueError("collapse_linear needs at least one layer")
    return reduce(np.matmul, list(map(matrix, weights))[::-1])
