"""Backprop as seed 002 writes it: every weight's gradient as a product of named partials.

The output weights are updated first (as in the seed), but into NEW arrays, so the hidden
gradients still go through the OLD W5..W8.
"""
import numpy as np


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    return np.exp(-np.logaddexp(0, -z))


def mlp_forward(x, W_h, W_o):
    z_h = np.dot(W_h, x)
    h = sigmoid(z_h)
    z_o = np.dot(W_o, h)
    return {"z_h": z_h, "h": h, "z_o": z_o, "o": sigmoid(z_o)}


def mse_loss(o, t):
    E_o = 0.5 * (np.asarray(t) - np.asarray(o)) ** 2  # E_o1, E_o2, ...
    return float(E_o.sum())


def mlp_backward(x, t, W_h, W_o):
    x, t, W_h, W_o = (np.asarray(a, dtype=float) for a in (x, t, W_h, W_o))
    f = mlp_forward(x, W_h, W_o)
    h, o = f["h"], f["o"]
    dE_do = -(t - o)                # ∂E/∂o_k
    do_dz = o * (1 - o)             # ∂o_k/∂z_k
    dh_dz = h * (1 - h)             # ∂h_i/∂z_i
    dW_o = np.empty_like(W_o)
    for k in range(W_o.shape[0]):
        for i in range(W_o.shape[1]):
            dz_dw = h[i]            # ∂z_k/∂W_ki
            dW_o[k, i] = dE_do[k] * do_dz[k] * dz_dw
    dE_dh = np.zeros(len(h))        # ∂E/∂h_i = Σ_k ∂E_ok/∂h_i, through the OLD W_o
    for i in range(len(h)):
        for k in range(len(o)):
            dE_dh[i] += dE_do[k] * do_dz[k] * W_o[k, i]
    dW_h = np.empty_like(W_h)
    for i in range(W_h.shape[0]):
        for j in range(W_h.shape[1]):
            dW_h[i, j] = dE_dh[i] * dh_dz[i] * x[j]
    return {"delta_o": dE_do * do_dz, "delta_h": dE_dh * dh_dz, "dW_o": dW_o, "dW_h": dW_h}


def train_step(x, t, W_h, W_o, lr=0.5):
    loss = mse_loss(mlp_forward(x, W_h, W_o)["o"], t)
    grads = mlp_backward(x, t, W_h, W_o)
    W_o_new = np.array(W_o, dtype=float) - lr * grads["dW_o"]  # step 1: W5..W8
    W_h_new = np.array(W_h, dtype=float) - lr * grads["dW_h"]  # step 2: W1..W4, gradients from the old W_o
    return W_h_new, W_o_new, loss


def graph_example(x, y, z):
    q = x + y
    f = q * z
    df_df = 1.0
    df_dq, df_dz = z * df_df, q * df_df
    dq_dx = dq_dy = 1.0
    return float(f), df_dq * dq_dx, df_dq * dq_dy, float(df_dz)


def affine_backward(dout, x, W):
    dout = np.asarray(dout, dtype=float)
    return dout.dot(np.transpose(W)), np.transpose(x).dot(dout), np.sum(dout, axis=0)


def relu_backward(dout, x):
    mask = np.asarray(x) <= 0
    dx = np.array(dout, dtype=float)
    dx[mask] = 0
    return dx


def sigmoid_backward(dout, out):
    local = np.asarray(out) * (1 - np.asarray(out))
    return local * dout


def softmax_cross_entropy_backward(scores, t):
    scores = np.asarray(scores, dtype=float)
    batch = scores.reshape(-1, scores.shape[-1])
    e = np.exp(batch - np.max(batch, axis=1, keepdims=True))
    y = e / np.sum(e, axis=1, keepdims=True)
    t = np.asarray(t)
    onehot = t.reshape(batch.shape) if t.size == batch.size else np.eye(batch.shape[1])[t.reshape(-1)]
    return ((y - onehot) / batch.shape[0]).reshape(scores.shape)
