"""Scoring is pure arithmetic over results; the console report renders it for a student."""
from __future__ import annotations

import io

from conftest import ROOT
from rich.console import Console

from autograder.course import load_course
from autograder.grading.card_json import card_to_dict
from autograder.grading.compare import Feedback
from autograder.grading.results import RunResult, Status, TestResult
from autograder.grading.scoring import score
from autograder.reporters import console

COURSE = load_course(ROOT / "course.toml").select(["gates"])


def result(task, name, status, **kw):
    return TestResult("gates", task, name, status, None if status is Status.PASSED else kw.pop("code", "x"),
                      kw.pop("message", ""), **kw)


def test_points_are_shared_by_the_tests_of_a_task():
    """With 1 of 4 perceptron tests passing, does the task get a quarter of its 2 points?"""
    run = RunResult((
        result("perceptron", "a", Status.PASSED), result("perceptron", "b", Status.FAILED),
        result("perceptron", "c", Status.FAILED), result("perceptron", "d", Status.TIMEOUT),
        result("xor", "x", Status.PASSED),
    ), hidden_not_run=3)
    card = score(run, COURSE)
    tasks = {t.task: t for t in card.exercises[0].tasks}
    assert tasks["perceptron"].score == 0.5 and tasks["perceptron"].max_score == 2
    assert tasks["xor"].score == 2
    assert card.score == 2.5 and card.max_score == 4 and card.hidden_not_run == 3


def test_failed_test_gets_the_first_hint_of_its_task_unless_the_check_has_one():
    """Does a failure without a specific hint get the task's first hint from course.toml?"""
    fb = Feedback(code="truth-table", message="m", hint=None)
    card = score(RunResult((result("xor", "x", Status.FAILED, feedback=fb, code="truth-table"),), 0), COURSE)
    assert card.tests[0].hint == COURSE.task("gates", "xor").hints[0]
    fb = Feedback(code="xor-is-or", message="m", hint="combine with AND")
    card = score(RunResult((result("xor", "x", Status.FAILED, feedback=fb, code="xor-is-or"),), 0), COURSE)
    assert card.tests[0].hint == "combine with AND"


def test_internal_errors_are_kept_apart():
    """Is a grader fault listed as an internal error, not silently scored?"""
    card = score(RunResult((result("xor", "x", Status.ERROR, code="internal-error", internal=True),), 0), COURSE)
    assert card.internal_errors and card_to_dict(card)["internal_errors"]


def render(card) -> str:
    buffer = io.StringIO()
    console.render(card, Console(file=buffer, width=120, no_color=True))
    return buffer.getvalue()


def test_console_report_shows_table_panel_and_hidden_count():
    """Does the report show the task table, a panel with expected/got/hint, the total and the hidden count?"""
    fb = Feedback(code="value-mismatch", message="XOR differs", what="XOR on (0,0) (1,0) (0,1) (1,1)",
                  inputs="[(0, 0)]", expected="[0 1 1 0]", got="[0 1 1 1]", details=("max abs error 1",),
                  hint="use AND")
    run = RunResult((result("xor", "test_xor", Status.FAILED, feedback=fb, code="value-mismatch",
                            message="XOR differs"), result("perceptron", "p", Status.PASSED)), hidden_not_run=4)
    text = render(score(run, COURSE))
    for piece in ("xor", "perceptron", "0/1", "test_xor", "expected: [0 1 1 0]", "got: [0 1 1 1]",
                  "max abs error 1", "hint: use AND", "Total: 2 / 4 points", "4 hidden tests"):
        assert piece in text, piece


def test_not_implemented_is_one_line_per_function():
    """Do six not-implemented tests of one function render as one line, not six panels?"""
    run = RunResult(tuple(result("perceptron", f"t{i}", Status.NOT_IMPLEMENTED, function="perceptron",
                                 code="not-implemented", message="gates.perceptron() is not implemented yet")
                          for i in range(6)), 0)
    text = render(score(run, COURSE))
    assert text.count("gates.perceptron()") == 1 and "(6 tests)" in text and "╭" not in text
