"""Activations and their derivatives (worked examples §2; course notes 000, 001, 002, 004).

Public tests use only the worked example's constants and formulas applied to
them; hidden tests compare with the reference solution on seeded random input.
Known mistakes come from autograder/mistakes/activations.toml and every text a
student reads from autograder/messages/activations.toml, looked up inside the
tests so the language can change between runs.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from autograder.grading import catalog
from autograder.grading.compare import Mistake
from autograder.grading.recorded import oracle
from autograder.i18n import t

CATALOG = catalog.load("activations")

X = np.array([-5.0, -1.0, 0.0, 0.5, 1.0, 5.0])
S = np.array([0.00669285, 0.26894142, 0.5, 0.62245933, 0.73105858, 0.99330715])
T = np.array([-0.9999092, -0.76159416, 0.0, 0.46211716, 0.76159416, 0.9999092])
VALUES = {
    "step": np.array([0, 0, 0, 1, 1, 1]),
    "sigmoid": S,
    "tanh": T,
    "relu": np.array([0, 0, 0, 0.5, 1, 5]),
    "leaky_relu": np.array([-0.05, -0.01, 0, 0.5, 1, 5]),
    "swish": np.array([-0.03346425, -0.26894142, 0, 0.31122967, 0.73105858, 4.96653575]),
    "identity": X,
}
DERIVATIVES = ("sigmoid_grad", "tanh_grad", "relu_grad", "leaky_relu_grad", "swish_grad")


@oracle
def derivative_at_reference(name: str) -> np.ndarray:
    """The derivatives follow from the tabulated values by the formulas the seeds teach."""
    return {
        "sigmoid_grad": S * (1 - S),
        "tanh_grad": 1 - T**2,
        "relu_grad": np.array([0, 0, 0, 1, 1, 1.0]),
        "leaky_relu_grad": np.array([0.01, 0.01, 0.01, 1, 1, 1]),
        "swish_grad": S + X * S * (1 - S),
    }[name]
FORMULAS = {  # pure formulas stay literal; the ones with words are in the messages file (formula())
    "sigmoid": "sigmoid(x) = 1 / (1 + e^-x)",
    "tanh": "tanh(x)",
    "relu": "relu(x) = max(0, x)",
    "leaky_relu": "leaky_relu(x) = max(0.01·x, x)",
    "swish": "swish(x) = x · sigmoid(x)",
    "identity": "identity(x) = x",
    "sigmoid_grad": "sigmoid'(x) = s(1 - s), s = sigmoid(x)",
    "tanh_grad": "tanh'(x) = 1 - tanh(x)²",
    "swish_grad": "swish'(x) = s + x·s(1 - s)",
}
DERIVED_ATOL = 1e-7  # the tabulated values carry 8 decimals; formulas on them carry their rounding
FUNCTIONS = [*VALUES, *DERIVATIVES]
SIGMOID_FAMILY = {"sigmoid", "swish", "sigmoid_grad", "swish_grad"}
TANH_FAMILY = {"tanh", "tanh_grad"}


def formula(name: str) -> str:
    """`name`'s formula as the worked example writes it, in the active language."""
    if name == "step":
        return t("activations.formula-step")
    if name == "relu_grad":
        return t("activations.formula-relu-grad")
    if name == "leaky_relu_grad":
        return t("activations.formula-leaky-relu-grad")
    return FORMULAS[name]


def stable_sigmoid(x: Any) -> np.ndarray:
    """The sigmoid the catalog's wrong swish and derivatives call.

    Correct and overflow-free, so each of them makes its one catalogued mistake
    and nothing else; kit code, because public tests never import solutions/.
    """
    # 1 / (1 + e^-x) = e^-log(1 + e^-x); logaddexp never overflows (and is not how students are asked to do it)
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=np.float64)))


@oracle
def known_mistakes(name: str, x: np.ndarray, *args: Any) -> Sequence[Mistake]:
    """Every catalogued mistake of `name`, run on this test's input (args: a non-default alpha)."""
    found = CATALOG.on(name, x, *args, namespace={"sigmoid": stable_sigmoid})
    if name == "leaky_relu_grad":
        # The catalog writes the alpha mistakes in leaky_relu (one entry per code); the derivative
        # makes them the same way, so its wrong values are spelled out here.
        if args:
            found += (CATALOG.mistake("leaky-relu-alpha-ignored", np.where(x > 0, 1.0, 0.01)),)
        else:
            found += (CATALOG.mistake("leaky-relu-alpha", np.where(x > 0, 1.0, 0.1)),)
    return found


def overflow_code(name: str) -> tuple[str, str | None]:
    """The feedback code and hint when `name` makes numpy warn: an overflow the catalog knows, or generic."""
    code = "sigmoid-overflow" if name in SIGMOID_FAMILY else "tanh-overflow" if name in TANH_FAMILY else None
    return (code, CATALOG[code].hint_text()) if code else ("runtime-warning", None)


def expected_at_reference(name: str) -> tuple[np.ndarray, str, float | None]:
    if name in VALUES:
        return VALUES[name], formula(name), None
    return derivative_at_reference(name), formula(name), DERIVED_ATOL


@pytest.mark.task("values")
@pytest.mark.parametrize("name", list(VALUES))
def test_values_at_reference_points(student, expect, name):
    """Does each activation give the worked example's values?"""
    value, formula_text, _ = expected_at_reference(name)
    got = student.call(name, X).value
    expect.close(got, value, what=t("activations.values-what", formula=formula_text), inputs=X,
                 mistakes=known_mistakes(name, X))


@pytest.mark.task("step-integers")
def test_step_returns_integers(student, expect):
    """Does step return integers 0/1, not booleans or floats?"""
    got = student.step(X)
    expect.integer(got, what=t("activations.step-dtype-what"), inputs=X, hint=CATALOG["bool-not-int"].hint_text())
    expect.close(got, VALUES["step"], what=t("activations.values-what", formula="step(x)"), inputs=X,
                 mistakes=known_mistakes("step", X))


@pytest.mark.task("shapes")
@pytest.mark.parametrize("name", FUNCTIONS)
def test_shape_is_kept(student, expect, name):
    """Does each function keep the shape of a scalar, a 1-D and a 2-D input?"""
    value, formula_text, atol = expected_at_reference(name)
    extra = {"atol": atol} if atol else {}
    cases = ((X[3], value[3]), (X, value), (X.reshape(2, 3), value.reshape(2, 3)),
             (X.reshape(3, 2, 1), value.reshape(3, 2, 1)))
    for (x, want), reply in zip(cases, student.each(name, [(x,) for x, _ in cases])):
        got = reply.value
        what = t("activations.shape-what", formula=formula_text, shape=np.shape(x))
        expect.shape(got, np.shape(x), what=what, inputs=x, hint=t("activations.shape-hint"))
        expect.close(got, want, what=what, inputs=x, **extra)


def _kit_sigmoid_grad(x: Any) -> np.ndarray:
    s = stable_sigmoid(x)
    return s * (1 - s)


def _kit_swish_grad(x: Any) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    s = stable_sigmoid(x)
    return s + x * s * (1 - s)


# The formulas of worked examples §2, written so that no float64 input overflows them.
EXACT: dict[str, Callable[[Any], np.ndarray]] = {
    "step": lambda x: (np.asarray(x) > 0).astype(np.int64),
    "sigmoid": stable_sigmoid,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(0.0, x),
    "leaky_relu": lambda x: np.where(np.asarray(x) > 0, x, 0.01 * np.asarray(x)),
    "swish": lambda x: np.asarray(x, dtype=np.float64) * stable_sigmoid(x),
    "identity": lambda x: np.asarray(x, dtype=np.float64),
    "sigmoid_grad": _kit_sigmoid_grad,
    "tanh_grad": lambda x: 1 - np.tanh(x) ** 2,
    "relu_grad": lambda x: np.where(np.asarray(x) > 0, 1.0, 0.0),
    "leaky_relu_grad": lambda x: np.where(np.asarray(x) > 0, 1.0, 0.01),
    "swish_grad": _kit_swish_grad,
}
@oracle
def exact(name: str, x: Any) -> np.ndarray:
    """`name`(x) by the formulas above."""
    return EXACT[name](x)


# Past e^11356 even np.longdouble overflows: a naive formula computed in a wider type does not pass these.
FAR = np.array([-1e300, -1e5, -1e4, 1e4, 1e5, 1e300])
# One input mixing every magnitude, tiny and huge, around the point where each function is not saturated.
MIXED = np.array([-1e300, -1e5, -1e4, -1000.0, -1.0, -1e-300, 0.0, 1e-300, 0.5, 1000.0, 1e4, 1e5, 1e300])


def check_stable(expect, name: str, x: np.ndarray, what: str, reply) -> None:
    """`reply`, that of `name`(x), without a RuntimeWarning, finite, and equal to the formula's values."""
    code, hint = overflow_code(name)
    expect.no_warnings(reply.warnings, what=what, code=code, hint=hint)
    got = expect.shape(reply.value, x.shape, what=what, inputs=x)
    expect.close(np.isfinite(got.astype(float)), np.ones_like(x), what=t("activations.finite-what", what=what),
                 code="nan-or-inf", hint=hint)
    expect.close(got, exact(name, x), what=what, inputs=x, nonfinite_hint=hint, mistakes=known_mistakes(name, x))


@pytest.mark.task("stability")
@pytest.mark.parametrize("name", FUNCTIONS)
def test_no_overflow_on_large_inputs(student, expect, name):
    """Does each function stay warning-free and give the right values for x in [-1000, 1000] and at ±1e4, ±1e5,
    ±1e300 (where even a naive formula in np.longdouble overflows)?"""
    cases = ((np.linspace(-1000.0, 1000.0, 2001), t("activations.range-what", name=name)),
             (FAR, f"{name}(x), x = [-1e300, -1e5, -1e4, 1e4, 1e5, 1e300]"),
             (MIXED, f"{name}(x), x = {MIXED.tolist()}"))
    for (x, what), reply in zip(cases, student.each(name, [(x,) for x, _ in cases])):
        check_stable(expect, name, x, what, reply)


@pytest.mark.task("stability")
@pytest.mark.parametrize("name", ["sigmoid", "swish", "tanh", "sigmoid_grad", "tanh_grad", "swish_grad"])
def test_saturation_values_at_plus_minus_1000(student, expect, name):
    """Does each saturating function reach its limits at x = ∓1000 (a stable sigmoid gives 0.0 and 1.0), with the
    right values on one input mixing every magnitude from 1e-300 to 1e300 of either sign?"""
    x = np.array([-1000.0, 1000.0])
    replies = student.each(name, [(x,), (MIXED,)])  # checked in turn, as if called in turn
    reply = next(replies)
    code, hint = overflow_code(name)
    expect.no_warnings(reply.warnings, what=f"{name}([-1000, 1000])", code=code, hint=hint)
    expect.close(reply.value, exact(name, x), what=t("activations.limits-what", name=name), inputs=x,
                 nonfinite_hint=hint, mistakes=known_mistakes(name, x))
    check_stable(expect, name, MIXED, f"{name}(x), x = {MIXED.tolist()}", next(replies))


@pytest.mark.task("derivatives")
@pytest.mark.parametrize("name", list(DERIVATIVES))
def test_derivative_at_reference_points(student, expect, name):
    """Does each derivative give the seeds' formula evaluated at the reference points?"""
    value, formula_text, atol = expected_at_reference(name)
    got = student.call(name, X).value
    expect.close(got, value, what=t("activations.values-what", formula=formula_text), inputs=X, atol=atol,
                 mistakes=known_mistakes(name, X))


@pytest.mark.task("derivatives")
@pytest.mark.parametrize("name,peak", [("sigmoid_grad", 0.25), ("tanh_grad", 1.0)])
def test_derivative_peaks_at_zero(student, expect, name, peak):
    """Is the largest slope of sigmoid 0.25 and of tanh 1, both at x = 0 (why sigmoid gradients vanish)?"""
    x = np.linspace(-5.0, 5.0, 1001)
    got = expect.shape(student.call(name, x).value, x.shape, what=t("activations.peak-curve-what", name=name))
    expect.close(got, exact(name, x), what=t("activations.peak-curve-what", name=name), inputs=x, atol=DERIVED_ATOL,
                 mistakes=known_mistakes(name, x))
    expect.close(float(np.max(got)), peak, what=t("activations.peak-max-what", name=name))
    expect.close(float(x[int(np.argmax(got))]), 0.0, what=t("activations.peak-where-what", name=name), atol=1e-9)


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
    expect.close(student.call(name, x).value, numeric, what=t("activations.central-difference-what", name=name),
                 inputs=x, rtol=1e-6, atol=1e-8, mistakes=())


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("name", FUNCTIONS)
def test_random_inputs_match_reference(student, expect, reference, rng, name):
    """Does each function agree with the reference on seeded random 2-D input?"""
    x = rng.normal(scale=4.0, size=(5, 7))
    expect.close(student.call(name, x).value, getattr(reference, name)(x),
                 what=t("activations.random-what", name=name, shape=x.shape), inputs=x,
                 mistakes=known_mistakes(name, x))


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("name", ["leaky_relu", "leaky_relu_grad"])
def test_alpha_argument_is_used(student, expect, reference, rng, name):
    """Do leaky_relu and its derivative honour a non-default alpha?"""
    x = rng.normal(scale=3.0, size=12)
    expect.close(student.call(name, x, alpha=0.2).value, getattr(reference, name)(x, alpha=0.2),
                 what=f"{name}(x, alpha=0.2)", inputs=x, hint=t("activations.alpha-hint"),
                 mistakes=known_mistakes(name, x, 0.2))


# "array" means anything np.asarray accepts: a plain Python list, and for these functions a Python number
PLAIN_INPUTS = ([[-5.0, -1.0, -0.5], [0.5, 1.0, 5.0]], [-2.0, 1.5, 3.0], 0.5, -3.0)  # away from kinks


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("name", FUNCTIONS)
def test_plain_python_lists_and_numbers(student, expect, reference, name):
    """Does each function take plain Python lists and Python numbers, as np.asarray does, with the right values?"""
    for x, reply in zip(PLAIN_INPUTS, student.each(name, [(x,) for x in PLAIN_INPUTS])):
        want = getattr(reference, name)(np.asarray(x))
        expect.close(reply.value, want, what=f"{name}({x!r})", inputs=x,
                     mistakes=known_mistakes(name, np.asarray(x, dtype=float)))
