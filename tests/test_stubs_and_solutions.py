"""The grader as a measuring instrument: every stub scores 0, every solution scores full marks."""
from __future__ import annotations

import importlib.util
import inspect

import pytest
from conftest import ROOT, real_data


def test_every_stub_scores_zero_as_not_implemented(grade, course):
    """Does grading exercises/ (all stubs) give 0 points, every test 'not-implemented', hidden ones included?"""
    card = grade(ROOT / "exercises", data_dir=real_data())
    offered = sum(e.max_points for e in course.exercises)
    assert card.max_score == offered if real_data() else card.max_score < offered
    assert card.score == 0
    statuses = {t.status.value for t in card.tests}
    assert statuses <= {"not-implemented", "not-run"}, statuses
    assert any(t.status.value == "not-implemented" for t in card.tests)


def test_every_solution_scores_full_marks(grade, course):
    """Does grading solutions/ give every point course.toml offers, hidden tests included?"""
    card = grade(ROOT / "solutions", data_dir=real_data())
    failing = [(t.exercise, t.name, t.code, t.message) for t in card.tests if t.status.value not in ("passed", "not-run")]
    assert not failing
    assert not card.internal_errors
    for task in (t for e in card.exercises for t in e.tasks):
        assert task.score == pytest.approx(task.max_score, abs=1e-3), task
    assert {e.id for e in card.exercises} == {e.id for e in course.exercises}


def _load(path):
    spec = importlib.util.spec_from_file_location(f"_mirror_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("module", sorted(p.stem for p in (ROOT / "exercises").glob("*.py")))
def test_stub_and_solution_have_the_same_functions_and_signatures(module):
    """Do exercises/<m>.py and solutions/<m>.py define the same public functions with the same signatures?"""
    stub, solution = _load(ROOT / "exercises" / f"{module}.py"), _load(ROOT / "solutions" / f"{module}.py")

    def api(m):
        return {name: str(inspect.signature(f)) for name, f in vars(m).items()
                if inspect.isfunction(f) and not name.startswith("_") and f.__module__ == m.__name__}

    assert api(stub) == api(solution)
    for name, function in vars(stub).items():
        if inspect.isfunction(function) and not name.startswith("_") and function.__module__ == stub.__name__:
            assert function.__doc__ and len(function.__doc__) > 40, f"{module}.{name} needs a docstring"


def test_every_course_module_has_a_stub_and_a_solution(course):
    """Does every exercise in course.toml have exercises/<module>.py and solutions/<module>.py?"""
    for exercise in course.exercises:
        assert (ROOT / "exercises" / f"{exercise.module}.py").is_file()
        assert (ROOT / "solutions" / f"{exercise.module}.py").is_file()
