# This golden case is solutions/backprop.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def mlp_backward(
    x: ArrayLike, t: ArrayLike, W_h: ArrayLike, W_o: ArrayLike
) -> dict[str, np.ndarray]:
    """Gradients of E for one sample; dW[i, j] = ∂E/∂W[i, j] (same shape as W)."""
    x, t, W_o = np.asarray(x), np.asarray(t), np.asarray(W_o)
    f = mlp_forward(x, W_h, W_o)
    h, o = f["h"], f["o"]
    delta_o = (o - t) * o * (1 - o)  # ∂E/∂o · ∂o/∂z_o
    delta_h = (W_o @ delta_o) * h * (1 - h)  # every output contributes, through the OLD W_o
    return {
        "delta_o": delta_o,
        "delta_h": delta_h,
        "dW_o": np.outer(delta_o, h),
        "dW_h": np.outer(delta_h, x),
    }
