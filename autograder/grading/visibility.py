"""How much of a failing hidden test a student may see, as course.toml's `[feedback] hidden` says.

- full: everything (the default);
- summary: the one-line message and the feedback code, but no inputs, expected
  values, step tables or hints, so a diff cannot be copied into a hard-coded answer;
- score-only: only that the test passed or not, and its points.
Pure: Scorecard -> Scorecard. Public tests are never redacted.
"""
from __future__ import annotations

from dataclasses import replace

from autograder.course import FeedbackLevel, Visibility
from autograder.grading.results import Status
from autograder.grading.scoring import Scorecard, TestScore
from autograder.i18n import t


def _redact(test: TestScore, level: FeedbackLevel) -> TestScore:
    if test.visibility is not Visibility.HIDDEN or level is FeedbackLevel.FULL or test.status is Status.PASSED:
        return test
    if level is FeedbackLevel.SUMMARY:
        return replace(test, feedback=None, hint=None, trace="")
    return replace(test, feedback=None, hint=None, trace="", code=None,
                   message=t(f"report.hidden-status-{test.status.value}"), function=None)


def for_students(card: Scorecard, level: FeedbackLevel | str) -> Scorecard:
    """The scorecard as a student may see it at grading time (`level` as course.toml spells it, or the enum)."""
    try:
        chosen = FeedbackLevel(level)
    except ValueError:
        levels = ", ".join(v.value for v in FeedbackLevel)
        raise ValueError(f"unknown feedback level {level!r}; expected one of {levels}") from None
    return replace(card, tests=tuple(_redact(t, chosen) for t in card.tests))
