"""Garbage earns nothing: a function that returns constants, zeros, NaNs, its input or shuffled values scores 0 on
every test that exercises that function, and a naive formula computed in np.longdouble scores 0 on every test of
overflow and stability.

Each submission is the reference solution with ONE graded function replaced. The tests that exercise the function
are those a submission fails when only that function raises NotImplementedError (the stub); the garbage must pass
none of them -- a property (no warning, shape kept, rows sum to one) never earns points by itself. The tests of
overflow are those the same naive formula in float64 fails; computing it in a wider type must not rescue it.
"""
from __future__ import annotations

import ast
import shutil
import tempfile
import textwrap
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT, real_data

from autograder.grading.catalog import patched_source

EXERCISES = ("gates", "activations", "forward", "softmax", "backprop", "mnist")


def _functions(module: str) -> dict[str, ast.FunctionDef]:
    """The graded (public) functions of solutions/<module>.py, by name."""
    tree = ast.parse((ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8"))
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}


# Leaves (arrays, numbers) of whatever the reference returns, replaced; tuples, lists and dicts keep their form.
GARBAGE_HELPERS = '''
def _garbage_map(value, leaf):
    if isinstance(value, dict):
        return {k: _garbage_map(v, leaf) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_garbage_map(v, leaf) for v in value)
    return leaf(value)


def _garbage_fill(value, fill):
    a = np.asarray(value)
    if a.dtype.kind in "iub" and fill != fill:
        a = a.astype(float)
    if a.dtype.kind in "iub":
        fill = int(fill == fill and fill != 0)
    out = np.full(a.shape, fill, dtype=a.dtype if a.dtype.kind in "iubfc" else float)
    return out if a.ndim or isinstance(value, np.ndarray) else out.item()


def _garbage_roll(value):
    a = np.asarray(value)
    if a.ndim == 0 or a.size < 2 or np.all(a.ravel() == a.ravel()[0]):
        return _garbage_fill(value, 0.5) if a.dtype.kind == "f" else _garbage_fill(value, 1 - (a.ravel()[0] if a.size else 0))
    return np.roll(a.ravel(), 1).reshape(a.shape)
'''

LEAVES = {
    "constant": "lambda v: _garbage_fill(v, 0.5)",
    "zeros": "lambda v: _garbage_fill(v, 0)",
    "nan": "lambda v: _garbage_fill(v, float('nan'))",
    "shuffled": "_garbage_roll",
}

# The naive formulas, in np.longdouble (exact up to e^11356 on x86) and cast back to float64.
LONGDOUBLE = {
    "activations": {
        "sigmoid": "return (1 / (1 + np.exp(-np.asarray(x, dtype=np.longdouble)))).astype(np.float64)",
        "swish": "x = np.asarray(x, dtype=np.longdouble)\n    return (x / (1 + np.exp(-x))).astype(np.float64)",
        "sigmoid_grad": "s = 1 / (1 + np.exp(-np.asarray(x, dtype=np.longdouble)))\n"
                        "    return (s * (1 - s)).astype(np.float64)",
        "swish_grad": "x = np.asarray(x, dtype=np.longdouble)\n    s = 1 / (1 + np.exp(-x))\n"
                      "    return (s + x * s * (1 - s)).astype(np.float64)",
        "tanh": "x = np.asarray(x, dtype=np.longdouble)\n"
                "    return ((np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))).astype(np.float64)",
        "tanh_grad": "x = np.asarray(x, dtype=np.longdouble)\n"
                     "    return (1 - ((np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))) ** 2).astype(np.float64)",
    },
    "softmax": {
        "softmax": "e = np.exp(np.asarray(a, dtype=np.longdouble))\n"
                   "    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float64)",
        "log_softmax": "a = np.asarray(a, dtype=np.longdouble)\n"
                       "    return (a - np.log(np.exp(a).sum(axis=-1, keepdims=True))).astype(np.float64)",
    },
}


def naive(formula: str) -> str:
    """The same naive formula in float64: it overflows where the tests check stability."""
    return formula.replace("np.longdouble", "np.float64")


def garbage_source(module: str, name: str, kind: str) -> str:
    """The replacement for `name` that returns garbage of `kind`, with the reference kept as _garbage_reference."""
    node = _functions(module)[name]
    params = ast.unparse(node.args)
    if kind == "raise":
        return f"def {name}({params}):\n    raise NotImplementedError\n"
    if kind in ("longdouble", "naive"):
        formula = LONGDOUBLE[module][name]
        return f"def {name}({params}):\n    {formula if kind == 'longdouble' else naive(formula)}\n"
    reference = ast.unparse(node).replace(f"def {name}(", "def _garbage_reference(", 1)
    args = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
    call = ", ".join(f"{a}={a}" for a in args)
    if kind == "echo":
        return f"def {name}({params}):\n    return {args[0]}\n"
    body = textwrap.dedent(f"""
        def {name}({params}):
            try:
                value = _garbage_reference({call})
            except Exception:
                value = np.zeros(3)
            return _garbage_map(value, {LEAVES[kind]})
        """)
    return GARBAGE_HELPERS + "\n" + reference + "\n" + body


def kinds(module: str, name: str) -> list[str]:
    node = _functions(module)[name]
    found = list(LEAVES)
    if node.args.args and name != "identity":  # identity's echo is the right answer
        found.append("echo")
    if name in LONGDOUBLE.get(module, {}):
        found.append("longdouble")
    return found


_FOLDERS: list[Path] = []


def submission(module: str, name: str, kind: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f"nngrade-garbage-{module}-{name}-{kind}-"))
    _FOLDERS.append(folder)
    source = (ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8")
    (folder / f"{module}.py").write_text(patched_source(source, garbage_source(module, name, kind)), encoding="utf-8")
    return folder


@pytest.fixture(scope="module", autouse=True)
def _cleanup():
    yield
    for folder in _FOLDERS:
        shutil.rmtree(folder, ignore_errors=True)


# Tests that judge one function on the student's own output of another, by design, so that a mistake is charged
# to one task only: accuracy is checked against labels made from the student's own predict.
DECOUPLED = {("mnist", "predict"): ("accuracy",)}


@pytest.fixture(scope="module")
def exercised(grade):
    """exercised(module, name, by) -> the names of the tests that fail when only `name` is replaced by `by`:
    "raise" (the stub: every test that exercises the function) or "naive" (the float64 formula: the tests of
    overflow and stability, which the same formula in np.longdouble must fail too)."""

    @cache
    def tests_of(module: str, name: str, by: str = "raise") -> frozenset[str]:
        card = grade(submission(module, name, by), module, data_dir=real_data())
        assert not card.internal_errors, card.internal_errors
        skip = DECOUPLED.get((module, name), ())
        return frozenset(t.name for t in card.tests if t.status.value not in ("passed", "not-run") and t.task not in skip)

    return tests_of


CASES = [(module, name, kind) for module in EXERCISES for name in _functions(module) for kind in kinds(module, name)]
FAST = {("gates", "perceptron", "constant"), ("activations", "sigmoid", "longdouble"),
        ("forward", "dense", "zeros"), ("softmax", "softmax", "longdouble"), ("softmax", "softmax", "shuffled"),
        ("backprop", "mlp_backward", "nan"), ("mnist", "predict", "constant")}


@pytest.mark.parametrize("module,name,kind", [
    pytest.param(*case, marks=() if case in FAST else pytest.mark.slow, id="-".join(case)) for case in CASES])
def test_garbage_scores_zero(grade, exercised, module, name, kind):
    """Does a function returning garbage pass none of the tests that exercise it?"""
    tests = exercised(module, name, "naive" if kind == "longdouble" else "raise")
    assert tests, f"no test exercises {module}.{name}"
    card = grade(submission(module, name, kind), module, data_dir=real_data())
    assert not card.internal_errors, card.internal_errors
    won = sorted(f"{t.task}::{t.name}" for t in card.tests if t.name in tests and (t.score > 0 or t.status.value == "passed"))
    assert not won, f"{module}.{name} returning {kind} garbage wins: {won}"
