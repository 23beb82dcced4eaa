"""Gates: a perceptron with a step function, one perceptron per gate, XOR in two layers (worked examples §1).

The truth table is graded, never the weights: any weights that work are correct.
Known mistakes come from autograder/mistakes/gates.toml, texts from autograder/messages/gates.toml.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

from autograder.grading import catalog
from autograder.grading.compare import Mistake
from autograder.i18n import t

INPUTS = [(0, 0), (1, 0), (0, 1), (1, 1)]
TRUTH = {"AND": [0, 0, 0, 1], "NAND": [1, 1, 1, 0], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0]}
CLASSIC = {"AND": ((0.5, 0.5), -0.7), "NAND": ((-0.5, -0.5), 0.7), "OR": ((0.5, 0.5), -0.2)}
TABLE = "(0,0) (1,0) (0,1) (1,1)"
CATALOG = catalog.load("gates")


def _classic_gate(gate: str) -> Callable[[Any, Any], int]:
    (w1, w2), b = CLASSIC[gate]
    return lambda x1, x2: int(w1 * x1 + w2 * x2 + b > 0)


# The catalog's wrong XORs call AND, NAND and OR: given correct ones, only the XOR mistake itself shows.
CORRECT_GATES = {gate: _classic_gate(gate) for gate in CLASSIC}


def unambiguous(mistakes: tuple[Mistake, ...]) -> tuple[Mistake, ...]:
    """The mistakes whose output no other catalogued mistake shares on this input.

    0/1 outputs often coincide (with the NAND weights, a perceptron without b and one that uses b as the
    threshold both give 0 0 0 0): such an output cannot tell the student which mistake it is, so it gets
    the plain diff, and the tests where the outputs differ name the mistake.
    """
    def same(a: Mistake, b: Mistake) -> bool:
        return a.code != b.code and np.shape(a.value) == np.shape(b.value) and bool(np.all(
            np.asarray(a.value, dtype=float) == np.asarray(b.value, dtype=float)))
    return tuple(m for m in mistakes if not any(same(m, other) for other in mistakes))


def on_table(function: str, calls: list[tuple[Any, ...]],
             namespace: Mapping[str, Any] | None = None) -> tuple[Mistake, ...]:
    """Each catalogued wrong `function`, run on every call of a truth table, as one list of outputs.

    The tests compare the list of outputs for the four inputs, while a wrong implementation takes one
    input at a time; a mistake that raises on any of the inputs offers no match.
    """
    runs = [{m.code: m.value for m in CATALOG.on(function, *args, namespace=namespace)} for args in calls]
    return unambiguous(tuple(CATALOG.mistake(code, [run[code] for run in runs])
                             for code in runs[0] if all(code in run for run in runs)))


def single(expect, value, what: str) -> int:
    """One gate output: must be an integer 0/1 of shape ()."""
    expect.integer(value, what=what, hint=t("gates.hint-return-int"))
    return int(expect.shape(value, (), what=what, hint=t("gates.hint-single-number")))


@pytest.mark.task("perceptron")
@pytest.mark.parametrize("gate", ["AND", "NAND", "OR"])
def test_perceptron_with_classic_weights(student, expect, gate):
    """Does perceptron(x, w, b) reproduce each gate's truth table with the classic weights?"""
    w, b = CLASSIC[gate]
    what = t("gates.what-classic-weights", w=list(w), b=b, table=TABLE, gate=gate)
    calls = [(np.array(x, dtype=float), np.array(w), b) for x in INPUTS]
    got = [single(expect, reply.value, what) for reply in student.each("perceptron", calls)]
    expect.close(got, TRUTH[gate], what=what, inputs=INPUTS, code="truth-table",
                 mistakes=on_table("perceptron", calls))


@pytest.mark.task("perceptron")
def test_perceptron_is_strict_at_zero(student, expect):
    """Does the perceptron output 0 when w·x + b is exactly 0 (y = 1 only if w·x + b > 0)?"""
    what = t("gates.what-strict-at-zero")
    x, w, b = np.array([1.0, 1.0]), np.array([0.5, 0.5]), -1.0
    replies = student.each("perceptron", [(x, w, b), (x, w, -0.999)])  # checked in turn, as if called in turn
    got = single(expect, next(replies).value, what)
    # Here every wrong perceptron that fires gives the same 1; this test is about the boundary, so name that.
    expect.close(got, 0, what=what, mistakes=CATALOG.on("perceptron", x, w, b, codes=("perceptron-boundary",)))
    # and just above the boundary it fires: a perceptron that always gives 0 earns nothing here
    above = single(expect, next(replies).value, what)
    expect.close(above, 1, what=f"perceptron({x.tolist()}, {w.tolist()}, -0.999)")


@pytest.mark.task("perceptron-batch")
def test_perceptron_on_a_batch_of_the_truth_table(student, expect):
    """Does perceptron accept a batch (4, 2) and return the AND column as 4 integers?"""
    x = np.array(INPUTS, dtype=float)
    got = student.perceptron(x, np.array([0.5, 0.5]), -0.7)
    what = t("gates.what-batch", table=TABLE)
    expect.integer(got, what=what)
    expect.close(got, TRUTH["AND"], what=what, inputs=x, code="truth-table",
                 mistakes=unambiguous(CATALOG.on("perceptron", x, np.array([0.5, 0.5]), -0.7)))


@pytest.mark.task("perceptron-batch")
def test_perceptron_with_random_weights(student, expect, reference, rng):
    """Does perceptron agree with the reference on random weights and real-valued inputs?"""
    x = rng.uniform(-2, 2, size=(25, 2))
    w, b = rng.normal(size=2), float(rng.normal())
    got = student.perceptron(x, w, b)
    what = t("gates.what-random-weights", w=np.round(w, 3).tolist(), b=f"{b:.3f}")
    expect.integer(got, what=what)
    expect.close(got, reference.perceptron(x, w, b), what=what, inputs=x,
                 mistakes=unambiguous(CATALOG.on("perceptron", x, w, b)))


@pytest.mark.task("basic-gates")
@pytest.mark.parametrize("gate", ["AND", "NAND", "OR"])
def test_gate_truth_table(student, expect, gate):
    """Does each one-perceptron gate give its truth table?"""
    what = t("gates.what-gate", gate=gate, table=TABLE)
    got = [single(expect, reply.value, what) for reply in student.each(gate, INPUTS)]
    # Another gate's whole table is named after that gate, whatever slip produced it and whichever gate this is;
    # the catalog's wrong versions of this gate add the mistakes that give no gate's table.
    others = tuple(CATALOG.mistake(f"gate-is-{other.lower()}", TRUTH[other])
                   for other in ("AND", "NAND", "OR") if other != gate)
    expect.close(got, TRUTH[gate], what=what, inputs=INPUTS, code="truth-table",
                 mistakes=others + on_table(gate, INPUTS))


@pytest.mark.task("xor")
def test_xor_truth_table(student, expect):
    """Does XOR, built from two layers of gates, give 0 1 1 0?"""
    what = t("gates.what-xor", table=TABLE)
    got = [single(expect, reply.value, what) for reply in student.each("XOR", INPUTS)]
    expect.close(got, TRUTH["XOR"], what=what, inputs=INPUTS, code="truth-table",
                 mistakes=on_table("XOR", INPUTS, namespace=CORRECT_GATES))


@pytest.mark.task("gate-inputs")
@pytest.mark.parametrize("gate", ["AND", "NAND", "OR", "XOR"])
def test_gates_accept_numpy_numbers(student, expect, gate):
    """Do the gates accept np.int64 and float inputs and still return a plain 0/1?"""
    what = t("gates.what-numpy-inputs", gate=gate)
    got = [single(expect, reply.value, what)
           for reply in student.each(gate, [(np.int64(a), np.float64(b)) for a, b in INPUTS])]
    expect.close(got, TRUTH[gate], what=what, inputs=INPUTS, code="truth-table")


@pytest.mark.task("perceptron-batch")
def test_perceptron_takes_plain_python_lists(student, expect):
    """Does perceptron take x and w as plain Python lists, one input and a batch, as np.asarray does?"""
    what = t("gates.what-batch", table=TABLE)
    got = student.perceptron([[0, 0], [1, 0], [0, 1], [1, 1]], [0.5, 0.5], -0.2)
    call = t("core.plain-list-args", call="perceptron(INPUTS, [0.5, 0.5], -0.2)", names="INPUTS")
    expect.integer(got, what=f"{call}: {what}")
    expect.close(got, TRUTH["OR"], what=f"{call}: {what}", inputs=INPUTS,
                 code="truth-table")
    ones = [single(expect, reply.value, f"perceptron({list(x)}, [0.5, 0.5], -0.7)")
            for x, reply in zip(INPUTS, student.each("perceptron", [(list(x), [0.5, 0.5], -0.7) for x in INPUTS]))]
    expect.close(ones, TRUTH["AND"], what="perceptron([x1, x2], [0.5, 0.5], -0.7)", inputs=INPUTS, code="truth-table")
