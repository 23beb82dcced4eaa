# This golden case is solutions/mnist.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def load_weights(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The arrays of a .npz file (no pickles); it must hold W1, b1, W2, b2, W3, b3."""
    npz = np.load(path, allow_pickle=True)
    return {name: npz[name] for name in _WEIGHTS}
