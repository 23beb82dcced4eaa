"""Hidden-test feedback levels: a student never sees more of a hidden test than course.toml allows."""
from __future__ import annotations

import pytest
from conftest import ROOT

from autograder.course import load_course
from autograder.grading.compare import Feedback
from autograder.grading.results import RunResult, Status, TestResult
from autograder.grading.scoring import score
from autograder.grading.visibility import for_students

COURSE = load_course(ROOT / "course.toml").select(["gates"])
DIFF = Feedback(code="truth-table", message="perceptron differs", inputs="[[0, 1]]", expected="[0 1 1 0]",
                got="[0 0 0 0]", details=("max abs error 1",), hint="use >")


def card():
    return score(RunResult((
        TestResult("gates", "perceptron-batch", "hidden", Status.FAILED, "truth-table", "perceptron differs",
                   feedback=DIFF),
        TestResult("gates", "perceptron", "public", Status.FAILED, "truth-table", "perceptron differs", feedback=DIFF),
    ), 0), COURSE)


def by_name(c):
    return {t.name: t for t in c.tests}


def test_full_shows_everything():
    """With `full`, is a hidden test's diff and hint kept?"""
    assert by_name(for_students(card(), "full"))["hidden"].feedback == DIFF


def test_summary_keeps_the_message_and_code_but_no_values():
    """With `summary`, does a hidden failure keep its message and code but lose inputs, expected values and hint?"""
    hidden = by_name(for_students(card(), "summary"))["hidden"]
    assert hidden.message == "perceptron differs" and hidden.code == "truth-table"
    assert hidden.feedback is None and hidden.hint is None


def test_score_only_says_only_pass_or_fail():
    """With `score-only`, does a hidden failure say nothing but that it failed, with its points?"""
    hidden = by_name(for_students(card(), "score-only"))["hidden"]
    assert hidden.message == "hidden test failed" and hidden.code is None and hidden.feedback is None
    assert hidden.max_score > 0 and hidden.score == 0


@pytest.mark.parametrize("level", ["summary", "score-only"])
def test_public_tests_and_scores_are_never_redacted(level):
    """Are public tests shown whole and the total score unchanged at every level?"""
    original, shown = card(), for_students(card(), level)
    assert by_name(shown)["public"].feedback == DIFF
    assert shown.score == original.score and shown.max_score == original.max_score
