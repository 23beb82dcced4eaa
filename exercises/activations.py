"""Exercise 2 — activation functions and their derivatives (worked examples §2).

Non-linear activations make depth useful and their derivatives drive backprop. Every
function keeps x's shape (scalar, 0-d, 1-D, 2-D), with no RuntimeWarning on [-1000, 1000].
활성화 함수는 비선형이어야 층을 쌓는 의미가 있고, 큰 |x|에서도 오버플로 없이 계산해야 한다.
Worked examples and course notes: autograder/docs/worked-examples.md (`nngrade docs 2`).
풀이 예제와 강의 노트: autograder/docs/worked-examples.ko.md (`nngrade docs 2`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def step(x: ArrayLike) -> np.ndarray:
    """Step function: 1 where x > 0, else 0, as integers; same shape as x.

    Worked examples §2: step([-5, -1, 0, 0.5, 1, 5]) = [0, 0, 0, 1, 1, 1] (0 maps to 0).
    Pitfall: course note 000 writes np.array(x > 0, dtype=np.int); np.int was removed in
    NumPy 1.24 (AttributeError). Use int or np.int64.
    """
    raise NotImplementedError("activations.step: not implemented yet")


def sigmoid(x: ArrayLike) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + e^-x), elementwise; same shape as x, values in [0, 1].

    Worked examples §2: sigmoid([-5, -1, 0, 0.5, 1, 5]) =
    [0.00669285, 0.26894142, 0.5, 0.62245933, 0.73105858, 0.99330715].
    Pitfall: the naive 1/(1 + np.exp(-x)) overflows at x = -1000 (e^1000 is inf, and a
    RuntimeWarning is raised). A stable version never exponentiates a large positive
    number: e.g. with e = exp(-|x|), use 1/(1 + e) for x >= 0 and e/(1 + e) for x < 0.
    sigmoid(-1000) must be 0.0 and sigmoid(1000) 1.0, without warnings.
    """
    raise NotImplementedError("activations.sigmoid: not implemented yet")


def tanh(x: ArrayLike) -> np.ndarray:
    """Hyperbolic tangent (e^x - e^-x) / (e^x + e^-x); same shape as x, values in [-1, 1].

    Worked examples §2: tanh([-5, -1, 0, 0.5, 1, 5]) =
    [-0.9999092, -0.76159416, 0, 0.46211716, 0.76159416, 0.9999092].
    Pitfall: the formula above overflows at |x| = 1000; np.tanh does not.
    """
    raise NotImplementedError("activations.tanh: not implemented yet")


def relu(x: ArrayLike) -> np.ndarray:
    """Rectified linear unit max(0, x), elementwise; same shape as x.

    Worked examples §2: relu([-5, -1, 0, 0.5, 1, 5]) = [0, 0, 0, 0.5, 1, 5].
    Pitfall: use np.maximum (elementwise), not max() or np.max (a single number).
    """
    raise NotImplementedError("activations.relu: not implemented yet")


def leaky_relu(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """Leaky ReLU: x where x > 0, else alpha·x (= max(alpha·x, x) for 0 < alpha < 1).

    Worked examples §2: leaky_relu([-5, -1, 0, 0.5, 1, 5]) = [-0.05, -0.01, 0, 0.5, 1, 5].
    Pitfall: the default alpha is 0.01 (course notes 002 and 004); course note 000's code uses a = 0.1.
    """
    raise NotImplementedError("activations.leaky_relu: not implemented yet")


def swish(x: ArrayLike) -> np.ndarray:
    """Swish x·sigmoid(x), elementwise; same shape as x.

    Worked examples §2: swish([-5, -1, 0, 0.5, 1, 5]) =
    [-0.03346425, -0.26894142, 0, 0.31122967, 0.73105858, 4.96653575].
    Pitfall: course note 004 computes the sigmoid inside naively; reuse your stable sigmoid.
    """
    raise NotImplementedError("activations.swish: not implemented yet")


def identity(x: ArrayLike) -> np.ndarray:
    """Identity f(x) = x, as an array of the same shape (the output layer for regression).

    Course note 000: stacking identity (linear) activations adds nothing; w·w·w·x = k·x.
    """
    raise NotImplementedError("activations.identity: not implemented yet")


def sigmoid_grad(x: ArrayLike) -> np.ndarray:
    """Derivative of the sigmoid with respect to x: s·(1 - s) with s = sigmoid(x).

    Worked examples §2: the maximum is 0.25, at x = 0 (why deep sigmoid nets suffer from
    vanishing gradients, course note 000). Pitfall: apply s(1 - s) to s = sigmoid(x), not to x itself.
    """
    raise NotImplementedError("activations.sigmoid_grad: not implemented yet")


def tanh_grad(x: ArrayLike) -> np.ndarray:
    """Derivative of tanh with respect to x: 1 - tanh(x)².

    Worked examples §2: the maximum is 1, at x = 0 (larger than the sigmoid's 0.25).
    """
    raise NotImplementedError("activations.tanh_grad: not implemented yet")


def relu_grad(x: ArrayLike) -> np.ndarray:
    """Derivative of ReLU with respect to x: 1 where x > 0, else 0 (also 0 at x = 0).

    Worked examples §2: relu_grad([-1, 0, 2]) = [0, 0, 1].
    """
    raise NotImplementedError("activations.relu_grad: not implemented yet")


def leaky_relu_grad(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """Derivative of leaky ReLU with respect to x: 1 where x > 0, else alpha (also at x = 0).

    Example: leaky_relu_grad([-1, 0, 2]) = [0.01, 0.01, 1]. Course note 002 writes R'(z) = alpha, z < 0.
    """
    raise NotImplementedError("activations.leaky_relu_grad: not implemented yet")


def swish_grad(x: ArrayLike) -> np.ndarray:
    """Derivative of swish with respect to x: s + x·s·(1 - s) with s = sigmoid(x).

    (Product rule on x·s(x).) swish_grad(0) = 0.5. Must stay warning-free on [-1000, 1000].
    """
    raise NotImplementedError("activations.swish_grad: not implemented yet")
