"""A correct forward pass in the style of seed 004: a Layer_Dense class and an activation class.

The two things fixed from the seed's code: the output is flattened for one sample, and one
activation object holds a dict of functions instead of storing each result as an attribute.
"""
from __future__ import annotations

import numpy as np


class Layer_Dense:
    def __init__(self, n_inputs, n_neurons, weights=None, biases=None):
        # randn draws from N(0, 1); 0.10 keeps the first outputs small, as in seed 004
        self.weights = 0.10 * np.random.randn(n_inputs, n_neurons) if weights is None else np.asarray(weights)
        self.biases = np.zeros((1, n_neurons)) if biases is None else np.asarray(biases).reshape(1, -1)

    def forward(self, inputs):
        inputs = np.asarray(inputs, dtype=float)
        self.output = np.dot(inputs, self.weights) + self.biases
        if inputs.ndim == 1:
            self.output = self.output[0]
        return self.output


class Active_Function:
    def sigmoid(self, inputs):
        return np.exp(-np.logaddexp(0, -inputs))

    def leakly_ReLU(self, inputs):
        return np.where(inputs > 0, inputs, inputs * 0.01)

    def swish(self, inputs):
        return inputs * self.sigmoid(inputs)

    def softmax(self, inputs):
        c = np.max(inputs, axis=-1, keepdims=True)
        exp_a = np.exp(inputs - c)
        return exp_a / np.sum(exp_a, axis=-1, keepdims=True)

    def get(self, name):
        table = {
            "sigmoid": self.sigmoid, "leaky_relu": self.leakly_ReLU, "swish": self.swish,
            "softmax": self.softmax, "identity": lambda v: v, "tanh": np.tanh,
            "relu": lambda v: np.maximum(0, v), "step": lambda v: np.array(v > 0, dtype=np.int64),
        }
        if name not in table:
            raise ValueError(name)
        return table[name]


def init_params(layer_sizes, seed=0, scale=0.10):
    np.random.seed(seed)
    layers = [Layer_Dense(n_in, n_out) for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])]
    return [(layer.weights / 0.10 * scale, layer.biases) for layer in layers]


def dense(x, W, b):
    return Layer_Dense(*np.shape(W), weights=W, biases=b).forward(x)


def forward(x, params, hidden="sigmoid", output="identity"):
    act = Active_Function()
    out = x
    for i, (W, b) in enumerate(params):
        out = act.get(output if i == len(params) - 1 else hidden)(dense(out, W, b))
    return out


def textbook_network():
    return [
        (np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]), np.array([0.1, 0.2, 0.3])),
        (np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]), np.array([0.1, 0.2])),
        (np.array([[0.1, 0.3], [0.2, 0.4]]), np.array([0.1, 0.2])),
    ]


def collapse_linear(weights):
    W = None
    for layer in weights:
        M = np.asarray(layer[0] if isinstance(layer, tuple) else layer)
        W = M if W is None else np.dot(W, M)
    return W
