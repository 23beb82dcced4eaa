# This golden case is solutions/forward.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def init_params(
    layer_sizes: Sequence[int], seed: int = 0, scale: float = 0.10
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seed once, then W = scale·randn(n_in, n_out), b = zeros((1, n_out)) layer by layer."""
    np.random.seed(seed)
    return [
        (scale * np.random.randn(n_out, n_in).T, np.zeros((1, n_out)))
        for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])
    ]
