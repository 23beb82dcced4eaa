"""The misconception catalog: every catalogued mistake, submitted as a student file, gets its own code.

A mistake's `wrong` source is patched into the reference solution, so the file
makes that one mistake and nothing else; grading it must lose points in the
tasks the catalog names, with the mistake's code among those tasks' failures.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, first_of_each, real_data, slow_except

from autograder.grading import catalog
from autograder.grading.catalog import CatalogError, Misconception, patched_source
from autograder.grading.compare import Mismatch, expect_close

ENTRIES = [m for ex in catalog.exercises() for m in catalog.load(ex).mistakes.values()]
FAST_ENTRIES = first_of_each(ENTRIES, lambda m: m.exercise)  # one mistake of each exercise in the fast loop
# Tasks that read the real MNIST files; without them those tasks are not run and prove nothing.
REAL_DATA_TASKS = {("mnist", "real-data")}


def test_every_exercise_has_a_catalog_of_at_least_six(course):
    """Does every exercise of the course catalogue >= 6 known mistakes, each in tasks that exist?"""
    for exercise in course.exercises:
        entries = catalog.load(exercise.id).mistakes
        assert len(entries) >= 6, f"{exercise.id}: only {len(entries)} catalogued mistakes"
        task_ids = {t.id for t in exercise.tasks}
        for mistake in entries.values():
            assert mistake.tasks, f"{exercise.id}/{mistake.code}: names no task"
            assert set(mistake.tasks) <= task_ids, f"{exercise.id}/{mistake.code}: unknown task(s) {mistake.tasks}"


@pytest.mark.parametrize("mistake", slow_except(ENTRIES, FAST_ENTRIES), ids=lambda m: f"{m.exercise}/{m.code}")
def test_catalogued_mistake_submitted_as_a_student_file_gets_its_code(mistake: Misconception, grade, course,
                                                                      tmp_path: Path):
    """Does the solution with just this mistake lose points in the catalogued tasks, showing its code?"""
    exercise = course.exercise(mistake.exercise)
    source = (ROOT / "solutions" / f"{exercise.module}.py").read_text(encoding="utf-8")
    (tmp_path / f"{exercise.module}.py").write_text(patched_source(source, mistake.wrong), encoding="utf-8")
    data = real_data()
    card = grade(tmp_path, exercise.id, data_dir=data)
    assert not card.internal_errors, card.internal_errors
    checked = [task for task in mistake.tasks if data is not None or (exercise.id, task) not in REAL_DATA_TASKS]
    if not checked:
        pytest.skip("this mistake shows only on the real MNIST files: set NNGRADE_DATA to check it")
    tasks = {t.task: t for e in card.exercises for t in e.tasks}
    for task in checked:
        codes = {x.code for x in card.tests if x.task == task and x.status != "passed"}
        assert tasks[task].score < tasks[task].max_score, f"{mistake.code}: task {task} kept full marks"
        assert mistake.code in codes, f"{mistake.code}: task {task} failed with {sorted(codes)} instead"


def test_a_match_names_the_mistake_and_its_fix(monkeypatch):
    """Does a value equal to a catalogued mistake's output get that code and the catalog's hint, in each language?"""
    entry = catalog.Catalog("demo", {"doubled": Misconception(
        "demo", "doubled", "f", ("t",), {"en": "doubled", "ko": "두 배"}, {"en": "halve it", "ko": "반으로"},
        "def f(x):\n    return 2 * x\n")})
    monkeypatch.setattr(catalog, "load", lambda exercise: entry)
    x = np.arange(1.0, 5.0)
    mistakes = entry.on("f", x)
    for lang, title, hint in (("en", "doubled", "halve it"), ("ko", "두 배", "반으로")):
        monkeypatch.setenv("NNGRADE_LANG", lang)
        with pytest.raises(Mismatch) as caught:
            expect_close(2 * x, x, what="f(x)", inputs=x, mistakes=mistakes)
        feedback = caught.value.feedback
        assert feedback.code == "doubled" and title in feedback.message and feedback.hint == hint
    with pytest.raises(Mismatch) as unmatched:  # not the catalogued output: the generic diff
        expect_close(3 * x, x, what="f(x)", inputs=x, mistakes=mistakes)
    assert unmatched.value.feedback.code == "value-mismatch"


def test_a_mistake_that_raises_on_this_input_matches_nothing():
    entry = catalog.Catalog("demo", {"boom": Misconception(
        "demo", "boom", "f", ("t",), {"en": "a", "ko": "a"}, {"en": "b", "ko": "b"},
        "def f(x):\n    raise ValueError\n")})
    assert entry.on("f", 1.0) == ()


def test_patched_source_replaces_only_the_named_function():
    source = "import numpy as np\n\ndef f(x):\n    return x\n\ndef g(x):\n    return f(x) + 1\n"
    patched = patched_source(source, "def f(x):\n    return -x\n")
    scope: dict = {}
    exec(patched, scope)
    assert scope["g"](2) == -1 and scope["f"](2) == -2


def test_a_malformed_catalog_is_reported_with_its_file(tmp_path, monkeypatch):
    (tmp_path / "demo.toml").write_text('[[mistake]]\ncode = "x"\nfunction = "f"\nwrong = "def g(): pass"\n'
                                        'title = {en = "a", ko = "b"}\nhint = {en = "a", ko = "b"}\n')
    monkeypatch.setattr(catalog, "MISTAKES", tmp_path)
    catalog.load.cache_clear()
    try:
        with pytest.raises(CatalogError, match=r"demo\.toml.*must define f\(\)"):
            catalog.load("demo")
    finally:
        catalog.load.cache_clear()


def test_patched_source_keeps_docstring_and_future_import_first():
    source = '"""doc"""\nfrom __future__ import annotations\n\ndef f(x):\n    return x\n'
    patched = patched_source(source, "def f(x):\n    return np.negative(x)\n")
    scope: dict = {}
    exec(compile(patched, "<patched>", "exec"), scope)
    assert scope["__doc__"] == "doc" and scope["f"](2) == -2
