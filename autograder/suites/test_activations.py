"""Activations and their derivatives (WORKED_EXAMPLES §2; seeds 000, 001, 002, 004).

Public tests use only the worked example's constants and formulas applied to
them; hidden tests compare with the reference solution on seeded random input.
"""
from __future__ import annotations

import numpy as np
import pytest

from autograder.compare import Mistake

X = np.array([-5.0, -1.0, 0.0, 0.5, 1.0, 5.0])
AT = "at x = [-5, -1, 0, 0.5, 1, 5] (WORKED_EXAMPLES §2)"
S = np.array([0.00669285, 0.26894142, 0.5, 0.62245933, 0.73105858, 0.99330715])
T = np.array([-0.9999092, -0.76159416, 0.0, 0.46211716, 0.76159416, 0.9999092])
VALUES = {
    "step": (np.array([0, 0, 0, 1, 1, 1]), "step(x) = 1 if x > 0 else 0"),
    "sigmoid": (S, "sigmoid(x) = 1 / (1 + e^-x)"),
    "tanh": (T, "tanh(x)"),
    "relu": (np.array([0, 0, 0, 0.5, 1, 5]), "relu(x) = max(0, x)"),
    "leaky_relu": (np.array([-0.05, -0.01, 0, 0.5, 1, 5]), "leaky_relu(x) = max(0.01·x, x)"),
    "swish": (np.array([-0.03346425, -0.26894142, 0, 0.31122967, 0.73105858, 4.96653575]), "swish(x) = x · sigmoid(x)"),
    "identity": (X, "identity(x) = x"),
}
# Derivatives follow from the tabulated values by the formulas the seeds teach.
DERIVATIVES = {
    "sigmoid_grad": (S * (1 - S), "sigmoid'(x) = s(1 - s), s = sigmoid(x)"),
    "tanh_grad": (1 - T**2, "tanh'(x) = 1 - tanh(x)²"),
    "relu_grad": (np.array([0, 0, 0, 1, 1, 1.0]), "relu'(x) = 1 if x > 0 else 0 (0 at x = 0)"),
    "leaky_relu_grad": (np.array([0.01, 0.01, 0.01, 1, 1, 1]), "leaky_relu'(x) = 1 if x > 0 else 0.01"),
    "swish_grad": (S + X * S * (1 - S), "swish'(x) = s + x·s(1 - s)"),
}
DERIVED_ATOL = 1e-7  # the tabulated values carry 8 decimals; formulas on them carry their rounding
FUNCTIONS = [*VALUES, *DERIVATIVES]
SIGMOID_FAMILY = {"sigmoid", "swish", "sigmoid_grad", "swish_grad"}
OVERFLOW_HINT = (
    "np.exp(-x) overflows at x = -1000 (e^1000 exceeds the largest float64) and numpy warns. "
    "Only ever exponentiate -|x|: e = np.exp(-np.abs(x)); sigmoid = np.where(x >= 0, 1/(1+e), e/(1+e))."
)
MISTAKES = {
    "leaky_relu": (Mistake("leaky-relu-alpha", np.where(X > 0, X, 0.1 * X),
                           "that is alpha = 0.1 (seed 000's code); the default alpha is 0.01"),),
    "step": (Mistake("step-at-zero", (X >= 0).astype(int), "step(0) is 0: the condition is x > 0, not x >= 0"),),
    "relu": (Mistake("relu-is-abs", np.abs(X), "relu keeps 0 for negative x: max(0, x), not |x|"),),
    "swish": (Mistake("swish-is-sigmoid", S, "swish multiplies by x: x · sigmoid(x)"),),
    "sigmoid_grad": (
        Mistake("sigmoid-grad-of-x", X * (1 - X), "s(1 - s) takes s = sigmoid(x), not x itself"),
        Mistake("sigmoid-grad-is-sigmoid", S, "that is sigmoid(x); its derivative is s(1 - s)"),
    ),
    "tanh_grad": (
        Mistake("tanh-grad-missing-square", 1 - T, "square the tanh: 1 - tanh(x)²"),
        Mistake("tanh-grad-of-x", 1 - X**2, "1 - tanh(x)², not 1 - x²"),
    ),
    "relu_grad": (Mistake("relu-grad-at-zero", (X >= 0).astype(float), "the derivative of relu at x = 0 is taken as 0"),),
    "leaky_relu_grad": (Mistake("leaky-relu-alpha", np.where(X > 0, 1, 0.1),
                                "that is alpha = 0.1 (seed 000's code); the default alpha is 0.01"),),
    "swish_grad": (
        Mistake("swish-grad-product-rule", S * (1 - S), "product rule: (x·s)' = s + x·s'"),
        Mistake("swish-grad-product-rule", S, "product rule: (x·s)' = s + x·s', the x·s(1 - s) term is missing"),
    ),
}


def expected_at_reference(name: str) -> tuple[np.ndarray, str, float | None]:
    if name in VALUES:
        value, formula = VALUES[name]
        return value, formula, None
    value, formula = DERIVATIVES[name]
    return value, formula, DERIVED_ATOL


@pytest.mark.task("values")
@pytest.mark.parametrize("name", list(VALUES))
def test_values_at_reference_points(student, expect, name):
    """Does each activation give the worked example's values?"""
    value, formula, _ = expected_at_reference(name)
    got = student.call(name, X).value
    expect.close(got, value, what=f"{formula} {AT}", inputs=X, mistakes=MISTAKES.get(name, ()))


@pytest.mark.task("step-integers")
def test_step_returns_integers(student, expect):
    """Does step return integers 0/1, not booleans or floats?"""
    got = student.step(X)
    expect.integer(got, what=f"the dtype of step(x) {AT}", inputs=X)
    expect.close(got, VALUES["step"][0], what=f"step(x) {AT}", inputs=X)


@pytest.mark.task("shapes")
@pytest.mark.parametrize("name", FUNCTIONS)
def test_shape_is_kept(student, expect, name):
    """Does each function keep the shape of a scalar, a 1-D and a 2-D input?"""
    value, formula, atol = expected_at_reference(name)
    extra = {"atol": atol} if atol else {}
    for x, want in ((X[3], value[3]), (X, value), (X.reshape(2, 3), value.reshape(2, 3)),
                    (X.reshape(3, 2, 1), value.reshape(3, 2, 1))):
        got = student.call(name, x).value
        what = f"{formula} on input of shape {np.shape(x)}"
        expect.shape(got, np.shape(x), what=what, inputs=x,
                     hint="build the result with elementwise numpy operations; do not flatten or wrap it")
        expect.close(got, want, what=what, inputs=x, **extra)


@pytest.mark.task("stability")
@pytest.mark.parametrize("name", FUNCTIONS)
def test_no_overflow_on_large_inputs(student, expect, name):
    """Does each function stay finite and warning-free for x in [-1000, 1000]?"""
    x = np.linspace(-1000.0, 1000.0, 2001)
    reply = student.call(name, x)
    what = f"{name}(x) for x = -1000, -999, ..., 1000"
    code, hint = ("sigmoid-overflow", OVERFLOW_HINT) if name in SIGMOID_FAMILY else ("runtime-warning", None)
    expect.no_warnings(reply.warnings, what=what, code=code, hint=hint)
    got = expect.shape(reply.value, x.shape, what=what)
    expect.close(np.isfinite(got.astype(float)), np.ones_like(x), what=f"{what} is finite everywhere",
                 code="nan-or-inf", hint=hint)


LIMITS = {  # exact values at x = -1000 and x = 1000 that a stable implementation returns
    "sigmoid": (0.0, 1.0), "swish": (0.0, 1000.0), "tanh": (-1.0, 1.0),
    "sigmoid_grad": (0.0, 0.0), "tanh_grad": (0.0, 0.0), "swish_grad": (0.0, 1.0),
}


@pytest.mark.task("stability")
@pytest.mark.parametrize("name", list(LIMITS))
def test_saturation_values_at_plus_minus_1000(student, expect, name):
    """Does each saturating function reach its limits at x = ∓1000 (a stable sigmoid gives 0.0 and 1.0)?"""
    x = np.array([-1000.0, 1000.0])
    reply = student.call(name, x)
    code, hint = ("sigmoid-overflow", OVERFLOW_HINT) if name in SIGMOID_FAMILY else ("runtime-warning", None)
    expect.no_warnings(reply.warnings, what=f"{name}([-1000, 1000])", code=code, hint=hint)
    expect.close(reply.value, LIMITS[name], what=f"{name}(x) at x = -1000 and x = 1000", inputs=x,
                 nonfinite_hint=hint)


@pytest.mark.task("derivatives")
@pytest.mark.parametrize("name", list(DERIVATIVES))
def test_derivative_at_reference_points(student, expect, name):
    """Does each derivative give the seeds' formula evaluated at the reference points?"""
    value, formula, atol = expected_at_reference(name)
    got = student.call(name, X).value
    expect.close(got, value, what=f"{formula} {AT}", inputs=X, atol=atol, mistakes=MISTAKES.get(name, ()))


@pytest.mark.task("derivatives")
@pytest.mark.parametrize("name,peak", [("sigmoid_grad", 0.25), ("tanh_grad", 1.0)])
def test_derivative_peaks_at_zero(student, expect, name, peak):
    """Is the largest slope of sigmoid 0.25 and of tanh 1, both at x = 0 (why sigmoid gradients vanish)?"""
    x = np.linspace(-5.0, 5.0, 1001)
    got = expect.shape(student.call(name, x).value, x.shape, what=f"{name} on [-5, 5]")
    expect.close(float(np.max(got)), peak, what=f"the maximum of {name} over [-5, 5]")
    expect.close(float(x[int(np.argmax(got))]), 0.0, what=f"where {name} is largest", atol=1e-9)


def central_difference(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    return (f(x + h) - f(x - h)) / (2 * h)


GRADIENT_OF = {
    "sigmoid_grad": "sigmoid", "tanh_grad": "tanh", "relu_grad": "relu",
    "leaky_relu_grad": "leaky_relu", "swish_grad": "swish",
}


@pytest.mark.task("gradient-check")
@pytest.mark.parametrize("name", list(GRADIENT_OF))
def test_derivative_matches_central_differences(student, expect, reference, rng, name):
    """Does each derivative match (f(x+h) - f(x-h)) / 2h of the function, on random inputs away from kinks?"""
    x = rng.uniform(-6, 6, size=(4, 5))
    x[np.abs(x) < 0.05] += 0.5  # relu's kink at 0 has no derivative to check
    numeric = central_difference(getattr(reference, GRADIENT_OF[name]), x)
    expect.close(student.call(name, x).value, numeric, what=f"{name}(x) against central differences, h = 1e-5",
                 inputs=x, rtol=1e-6, atol=1e-8, mistakes=())


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("name", FUNCTIONS)
def test_random_inputs_match_reference(student, expect, reference, rng, name):
    """Does each function agree with the reference on seeded random 2-D input?"""
    x = rng.normal(scale=4.0, size=(5, 7))
    expect.close(student.call(name, x).value, getattr(reference, name)(x), what=f"{name}(x), x of shape (5, 7)",
                 inputs=x)


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad"])
def test_alpha_argument_is_used(student, expect, reference, rng, name):
    """Do leaky_relu and its derivative honour a non-default alpha?"""
    x = rng.normal(scale=3.0, size=12)
    expect.close(student.call(name, x, alpha=0.2).value, getattr(reference, name)(x, alpha=0.2),
                 what=f"{name}(x, alpha=0.2)", inputs=x,
                 hint="use the alpha parameter, not a constant 0.01")
