# This golden case is solutions/backprop.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def mlp_forward(x: ArrayLike, W_h: ArrayLike, W_o: ArrayLike) -> dict[str, np.ndarray]:
    """z_h = W_h @ x, h = σ(z_h), z_o = W_o @ h, o = σ(z_o)."""
    z_h = np.asarray(x) @ np.asarray(W_h)  # x @ W, as in forward.py
    h = _sigmoid(z_h)
    z_o = h @ np.asarray(W_o)
    o = _sigmoid(z_o)
    return {"z_h": z_h, "h": h, "z_o": z_o, "o": o}
