"""Every suite copes with whatever a student returns: no point won, and never the grader's own error.

A suite that does arithmetic on a student's value before checking its type
would report an internal error (exit 70) for what is the student's mistake.
"""
from __future__ import annotations

import ast

import pytest
from conftest import ROOT, real_data, slow_except

RETURNS = {
    "none": "None", "string": "'oops'", "dict": "{'a': 1}", "empty-list": "[]", "scalar": "3.0",
    "wrong-shape": "__import__('numpy').zeros((3, 7))", "tuple": "(1, 2)", "nan": "float('nan')",
    "bool": "True", "ragged-list": "[[1, 2], [3]]", "int-array": "__import__('numpy').arange(5)",
}


@pytest.mark.parametrize("kind", slow_except(sorted(RETURNS), ["none"]))
def test_constant_returns_score_nothing_and_raise_no_internal_error(kind, grade, tmp_path):
    """Does a submission whose every function returns the same odd value score 0 with no internal error?"""
    for stub in (ROOT / "exercises").glob("*.py"):
        names = [n.name for n in ast.parse(stub.read_text()).body if isinstance(n, ast.FunctionDef)]
        (tmp_path / stub.name).write_text(
            "\n".join(f"def {name}(*args, **kwargs):\n    return {RETURNS[kind]}\n" for name in names))
    card = grade(tmp_path, data_dir=real_data())
    assert not card.internal_errors, card.internal_errors[:3]
    assert card.score == 0, [(t.exercise, t.name) for t in card.tests if t.score]
