"""How much of a failing hidden test a student may see, as course.toml's `[feedback] hidden` says.

- full: everything (the default);
- summary: the one-line message and the feedback code, but no inputs, expected
  values, step tables or hints, so a diff cannot be copied into a hard-coded answer;
- score-only: only that the test passed or not, and its points.
Pure: Scorecard -> Scorecard. Public tests are never redacted.
"""
from __future__ import annotations

from dataclasses import replace

from autograder.course import Visibility
from autograder.i18n import t
from autograder.grading.results import Status
from autograder.grading.scoring import Scorecard, TestScore

LEVELS = ("full", "summary", "score-only")


def _redact(test: TestScore, level: str) -> TestScore:
    if test.visibility is not Visibility.HIDDEN or level == "full" or test.status is Status.PASSED:
        return test
    if level == "summary":
        return replace(test, feedback=None, hint=None, trace="")
    return replace(test, feedback=None, hint=None, trace="", code=None,
                   message=t(f"report.hidden-status-{test.status.value}"), function=None)


def for_students(card: Scorecard, level: str) -> Scorecard:
    """The scorecard as a student may see it at grading time."""
    if level not in LEVELS:
        raise ValueError(f"unknown feedback level {level!r}; expected one of {', '.join(LEVELS)}")
    return replace(card, tests=tuple(_redact(t, level) for t in card.tests))
