"""Golden submissions: alternative correct answers score full marks, known-wrong ones lose the right points.

Each folder tests/cases/<exercise>/<case>/ holds the student's module(s) -- whole,
or as <module>.changes.py: only the functions that differ from solutions/<module>.py --
and expected.json:
  {"about": "...", "full_marks": true}
or
  {"about": "...", "lose": {"<task>": ["<feedback code>", ...], ...}}
For a wrong case, every listed task must lose points and show each listed code
among its tests; every task NOT listed must keep full marks, so a mistake is
charged to the right task and to no other.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CASES, case_folder, first_of_each, real_data, slow_except

CASE_DIRS = sorted(p.parent for p in CASES.glob("*/*/expected.json"))
FAST_CASES = first_of_each([p for p in CASE_DIRS if "lose" in json.loads((p / "expected.json").read_text())],
                           lambda p: p.parent.name)  # one wrong case of each exercise in the fast loop


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_every_exercise_has_enough_cases(course):
    """Does every exercise graded so far have >= 3 correct and >= 5 wrong golden submissions?"""
    for exercise in course.exercises:
        folders = [p for p in CASE_DIRS if p.parent.name == exercise.id]
        kinds = [json.loads((p / "expected.json").read_text())  for p in folders]
        correct = sum(1 for k in kinds if k.get("full_marks"))
        wrong = sum(1 for k in kinds if "lose" in k)
        assert correct >= 3 and wrong >= 5, f"{exercise.id}: {correct} correct and {wrong} wrong cases"


@pytest.mark.parametrize("case", slow_except(CASE_DIRS, FAST_CASES), ids=_id)
def test_golden_case(case: Path, grade, course):
    """Does this golden submission get exactly the outcome its expected.json states?"""
    expected = json.loads((case / "expected.json").read_text())
    exercise = case.parent.name
    card = grade(case_folder(case), exercise, data_dir=real_data())
    assert not card.internal_errors, card.internal_errors
    every = {t.task: t for e in card.exercises for t in e.tasks}
    assert set(every) == {t.id for t in course.exercise(exercise).tasks}
    # A task whose tests could not run here (no MNIST data) is neither won nor lost: leave it out.
    tasks = {task_id: t for task_id, t in every.items() if t.not_run < t.total}
    if expected.get("full_marks"):
        lost = {t.task: [(x.name, x.code, x.message) for x in card.tests if x.task == t.task and x.status != "passed"]
                for t in tasks.values() if t.score < t.max_score}
        assert not lost, f"a correct answer lost points: {lost}"
        return
    lose: dict[str, list[str]] = expected["lose"]
    assert set(lose) <= set(every), f"unknown task(s) in expected.json: {sorted(set(lose) - set(every))}"
    for task_id, task in tasks.items():
        codes = {x.code for x in card.tests if x.task == task_id and x.status != "passed"}
        if task_id in lose:
            assert task.score < task.max_score, f"{task_id} should lose points"
            missing = set(lose[task_id]) - codes
            assert not missing, f"{task_id}: expected feedback code(s) {sorted(missing)}, got {sorted(codes)}"
        else:
            assert task.score == task.max_score, f"{task_id} should keep full marks, lost with {sorted(codes)}"
