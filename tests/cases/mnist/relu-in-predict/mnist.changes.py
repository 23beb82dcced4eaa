# This golden case is solutions/mnist.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def predict(network: dict[str, np.ndarray], x: ArrayLike) -> np.ndarray:
    """sigmoid, sigmoid, softmax: (N, 784) -> (N, 10), (784,) -> (10,)."""
    W1, W2, W3 = (np.asarray(network[name]) for name in ("W1", "W2", "W3"))
    b1, b2, b3 = (np.ravel(network[name]) for name in ("b1", "b2", "b3"))  # (n,) or (1, n)
    z1 = np.maximum(0, np.asarray(x) @ W1 + b1)
    z2 = np.maximum(0, z1 @ W2 + b2)
    return _softmax(z2 @ W3 + b3)
