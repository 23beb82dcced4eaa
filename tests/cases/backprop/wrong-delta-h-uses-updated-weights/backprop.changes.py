# This golden case is solutions/backprop.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def train_step(
    x: ArrayLike, t: ArrayLike, W_h: ArrayLike, W_o: ArrayLike, lr: float = 0.5
) -> tuple[np.ndarray, np.ndarray, float]:
    """One step in the seed's order: W5..W8 first ("가중치 업데이트 완료"), then W1..W4."""
    x, t = np.asarray(x, dtype=float), np.asarray(t, dtype=float)
    W_h, W_o = np.array(W_h, dtype=float), np.array(W_o, dtype=float)
    f = mlp_forward(x, W_h, W_o)
    h, o = f["h"], f["o"]
    loss = mse_loss(o, t)
    delta_o = (o - t) * o * (1 - o)
    W_o -= lr * np.outer(delta_o, h)  # step 1: output weights updated
    delta_h = (W_o.T @ delta_o) * h * (1 - h)  # step 2: ... through the weights just updated
    W_h -= lr * np.outer(delta_h, x)
    return W_h, W_o, loss
