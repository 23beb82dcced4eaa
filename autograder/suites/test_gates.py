"""Gates: a perceptron with a step function, one perceptron per gate, XOR in two layers (WORKED_EXAMPLES §1).

The truth table is graded, never the weights: any weights that work are correct.
"""
from __future__ import annotations

import numpy as np
import pytest

from autograder.compare import Mistake

INPUTS = [(0, 0), (1, 0), (0, 1), (1, 1)]
TRUTH = {"AND": [0, 0, 0, 1], "NAND": [1, 1, 1, 0], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0]}
CLASSIC = {"AND": ((0.5, 0.5), -0.7), "NAND": ((-0.5, -0.5), 0.7), "OR": ((0.5, 0.5), -0.2)}
TABLE = "(0,0) (1,0) (0,1) (1,1)"


def single(expect, value, what: str) -> int:
    """One gate output: must be an integer 0/1 of shape ()."""
    expect.integer(value, what=what, hint="return int(...) of the comparison")
    return int(expect.shape(value, (), what=what, hint="a single input gives a single number, not an array"))


@pytest.mark.task("perceptron")
@pytest.mark.parametrize("gate", ["AND", "NAND", "OR"])
def test_perceptron_with_classic_weights(student, expect, gate):
    """Does perceptron(x, w, b) reproduce each gate's truth table with the classic weights?"""
    w, b = CLASSIC[gate]
    what = f"perceptron(x, w={list(w)}, b={b}) on {TABLE}, the {gate} weights of WORKED_EXAMPLES §1"
    got = [single(expect, student.perceptron(np.array(x, dtype=float), np.array(w), b), what) for x in INPUTS]
    expect.close(got, TRUTH[gate], what=what, inputs=INPUTS, code="truth-table")


@pytest.mark.task("perceptron")
def test_perceptron_is_strict_at_zero(student, expect):
    """Does the perceptron output 0 when w·x + b is exactly 0 (y = 1 only if w·x + b > 0)?"""
    what = "perceptron([1, 1], w=[0.5, 0.5], b=-1.0): w·x + b = 0 exactly"
    got = single(expect, student.perceptron(np.array([1.0, 1.0]), np.array([0.5, 0.5]), -1.0), what)
    expect.close(got, 0, what=what, mistakes=(
        Mistake("perceptron-boundary", 1, "the perceptron fires only when w·x + b > 0: use >, not >="),
    ))


@pytest.mark.task("perceptron-batch")
def test_perceptron_on_a_batch_of_the_truth_table(student, expect):
    """Does perceptron accept a batch (4, 2) and return the AND column as 4 integers?"""
    x = np.array(INPUTS, dtype=float)
    got = student.perceptron(x, np.array([0.5, 0.5]), -0.7)
    what = f"perceptron(x of shape (4, 2), AND weights) on {TABLE} at once"
    expect.integer(got, what=what)
    expect.close(got, TRUTH["AND"], what=what, inputs=x, code="truth-table")


@pytest.mark.task("perceptron-batch")
def test_perceptron_with_random_weights(student, expect, reference, rng):
    """Does perceptron agree with the reference on random weights and real-valued inputs?"""
    x = rng.uniform(-2, 2, size=(25, 2))
    w, b = rng.normal(size=2), float(rng.normal())
    got = student.perceptron(x, w, b)
    what = f"perceptron on 25 random inputs with w={np.round(w, 3).tolist()}, b={b:.3f}"
    expect.integer(got, what=what)
    expect.close(got, reference.perceptron(x, w, b), what=what, inputs=x)


@pytest.mark.task("basic-gates")
@pytest.mark.parametrize("gate", ["AND", "NAND", "OR"])
def test_gate_truth_table(student, expect, gate):
    """Does each one-perceptron gate give its truth table?"""
    what = f"{gate}(x1, x2) on {TABLE}"
    got = [single(expect, getattr(student, gate)(x1, x2), what) for x1, x2 in INPUTS]
    others = tuple(Mistake(f"gate-is-{other.lower()}", TRUTH[other],
                           f"this is the {other} truth table: check the signs of your weights and bias")
                   for other in ("AND", "NAND", "OR") if other != gate)
    expect.close(got, TRUTH[gate], what=what, inputs=INPUTS, code="truth-table", mistakes=others)


@pytest.mark.task("xor")
def test_xor_truth_table(student, expect):
    """Does XOR, built from two layers of gates, give 0 1 1 0?"""
    what = f"XOR(x1, x2) = AND(NAND(x1, x2), OR(x1, x2)) on {TABLE}"
    got = [single(expect, student.XOR(x1, x2), what) for x1, x2 in INPUTS]
    expect.close(got, TRUTH["XOR"], what=what, inputs=INPUTS, code="truth-table", mistakes=(
        Mistake("xor-is-or", TRUTH["OR"], "(1, 1) must give 0: combine NAND and OR with AND, not OR alone"),
        Mistake("xor-is-nand", TRUTH["NAND"], "(0, 0) must give 0: the second layer is AND(NAND, OR)"),
    ))


@pytest.mark.task("gate-inputs")
@pytest.mark.parametrize("gate", ["AND", "NAND", "OR", "XOR"])
def test_gates_accept_numpy_numbers(student, expect, gate):
    """Do the gates accept np.int64 and float inputs and still return a plain 0/1?"""
    what = f"{gate}(x1, x2) with x1, x2 given as np.int64 and as floats"
    got = [single(expect, getattr(student, gate)(np.int64(a), np.float64(b)), what) for a, b in INPUTS]
    expect.close(got, TRUTH[gate], what=what, inputs=INPUTS, code="truth-table")
