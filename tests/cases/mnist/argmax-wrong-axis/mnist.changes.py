# This golden case is solutions/mnist.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def accuracy(
    network: dict[str, np.ndarray], x: ArrayLike, t: ArrayLike, batch_size: int = 100
) -> float:
    """Fraction of argmax predictions equal to t (labels, or one-hot rows), in batches."""
    x, t = np.asarray(x), np.asarray(t)
    if t.ndim == 2:
        t = t.argmax(axis=1)
    correct = 0
    for i in range(0, len(x), batch_size):  # the last, partial batch counts too
        y = predict(network, x[i : i + batch_size])
        correct += int(np.sum(y.argmax(axis=0) == t[i : i + batch_size]))
    return correct / len(x)
