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


def _demo(code: str = "doubled", function: str = "f", **extra) -> Misconception:
    return Misconception("demo", code, function, ("t",), {"en": "doubled", "ko": "두 배"},
                         {"en": "halve it", "ko": "반으로"}, f"def {function}(x):\n    return 2 * x\n", **extra)


def test_a_mistake_is_named_only_on_tests_of_its_function(monkeypatch):
    """A catalogued mistake (and its hint) of f is dropped on a test that called only g, kept on f's and users'."""
    from autograder.grading import scope
    monkeypatch.setattr(scope, "_owners", {})
    monkeypatch.setattr(scope, "_uses", {})
    x = np.arange(1.0, 5.0)
    mistake = _demo().found(2 * x)
    hint = _demo().hint_text("en")
    try:
        for called, named in (("g", False), ("f", True), ("uses_f", True)):
            scope.begin()
            scope.register("demo", {"doubled": ("f",)}, {"uses_f": ["f"]})
            scope.called(called)
            with pytest.raises(Mismatch) as caught:
                expect_close(2 * x, x, what="f(x)", mistakes=[mistake], hint=hint)
            assert (caught.value.feedback.code == "doubled") is named, called
            assert (caught.value.feedback.hint == "halve it") is named, called
    finally:
        scope.end()
    with pytest.raises(Mismatch) as outside:  # no test running: nothing is out of scope
        expect_close(2 * x, x, what="f(x)", mistakes=[mistake])
    assert outside.value.feedback.code == "doubled"


def test_a_mistake_declared_also_of_another_function_is_named_there():
    from autograder.grading import scope
    x = np.arange(1.0, 5.0)
    try:
        scope.begin()
        scope.called("g")
        with pytest.raises(Mismatch) as caught:
            expect_close(2 * x, x, what="g(x)", mistakes=[_demo(also=("g",)).found(2 * x)])
        assert caught.value.feedback.code == "doubled"
    finally:
        scope.end()


@pytest.mark.parametrize("warning,suite_code,shown", [
    ("overflow encountered in exp", "sigmoid-overflow", "sigmoid-overflow"),
    ("divide by zero encountered in divide", "sigmoid-overflow", "divide-by-zero"),
    ("divide by zero encountered in log", "sigmoid-overflow", "divide-by-zero-in-log"),
    ("invalid value encountered in divide", "softmax-underflow", "softmax-underflow"),
    ("invalid value encountered in multiply", "softmax-overflow", "invalid-value"),
    ("overflow encountered in exp", "runtime-warning", "overflow-in-exp"),
])
def test_a_warning_is_named_by_what_raised_it(warning, suite_code, shown):
    """The suite's catalogued code only when its mistake causes this warning; otherwise the warning's own code."""
    from autograder.grading.compare import expect_no_warnings
    with pytest.raises(Mismatch) as caught:
        expect_no_warnings((("RuntimeWarning", warning),), what="f(x)", code=suite_code, hint="suite hint")
    feedback = caught.value.feedback
    assert feedback.code == shown
    assert (feedback.hint == "suite hint") is (shown == suite_code) and feedback.hint


def test_raises_matches_the_exception_type_and_message():
    mistake = _demo(raises="ValueError|AxisError: truth value of an array")
    assert mistake.raised_by(("ValueError", "Exception"), "ValueError: The truth value of an array with more")
    assert mistake.raised_by(("AxisError",), "AxisError: The truth value of an array")
    assert not mistake.raised_by(("TypeError",), "TypeError: The truth value of an array")
    assert not mistake.raised_by(("ValueError",), "ValueError: something else")
    assert not _demo().raised_by(("ValueError",), "ValueError: The truth value of an array")
    entry = catalog.Catalog("demo", {"boom": _demo("boom", raises="KeyError: 'x'")}, {"g": ("f",)})
    assert entry.raised("f", ("KeyError",), "KeyError: 'x'").code == "boom"
    assert entry.raised("g", ("KeyError",), "KeyError: 'x'").code == "boom"  # g calls f
    assert entry.raised("h", ("KeyError",), "KeyError: 'x'") is None  # never on another function's test


def test_a_malformed_raises_is_reported(tmp_path, monkeypatch):
    (tmp_path / "demo.toml").write_text('[[mistake]]\ncode = "x"\nfunction = "f"\nwrong = "def f(): pass"\n'
                                        'raises = "no type here"\n'
                                        'title = {en = "a", ko = "b"}\nhint = {en = "a", ko = "b"}\n')
    monkeypatch.setattr(catalog, "MISTAKES", tmp_path)
    catalog.load.cache_clear()
    try:
        with pytest.raises(CatalogError, match="raises"):
            catalog.load("demo")
    finally:
        catalog.load.cache_clear()


def test_uses_lists_every_call_between_the_solutions_functions(course):
    """A mistake of f is named on tests of functions calling f: [uses] must know every such call."""
    import ast
    for exercise in course.exercises:
        tree = ast.parse((ROOT / "solutions" / f"{exercise.module}.py").read_text(encoding="utf-8"))
        functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        uses = catalog.load(exercise.id).uses
        for name, node in functions.items():
            calls = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in functions} - {name}
            assert calls <= set(uses.get(name, ())), f"{exercise.id}: {name} calls {sorted(calls)}, [uses] says " \
                                                     f"{sorted(uses.get(name, ()))}"
