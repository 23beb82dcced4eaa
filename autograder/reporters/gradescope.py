"""Gradescope's results.json: score, tests[] with name, score, max_score, status, output, visibility.

Public tests are `visible`; hidden tasks' tests get course.toml's
`[feedback] gradescope_hidden` (default `after_published`), and their output is
cut to `[feedback] hidden` (full, summary or score-only; `autograder.grading.visibility`).
Test output is Markdown (`output_format: "md"`), the feedback in a code block so
numbers line up (a block its text cannot close: `escape.markdown_code`); names are one line of visible text.
"""
from __future__ import annotations

from typing import Any

from autograder import __version__
from autograder.course import FeedbackLevel, GradescopeVisibility, Visibility
from autograder.grading.results import Status
from autograder.grading.scoring import Scorecard, TestScore
from autograder.grading.scrub import scrub
from autograder.grading.visibility import for_students
from autograder.i18n import t
from autograder.reporters import escape, markdown
from autograder.reporters.text import feedback, title_of


def _test(test: TestScore, hidden_visibility: GradescopeVisibility) -> dict[str, Any]:
    hidden = test.visibility is Visibility.HIDDEN
    return {
        "name": escape.one_line(title_of(test)),
        "score": test.score,
        "max_score": test.max_score,
        "status": "passed" if test.status is Status.PASSED else "failed",
        "output": escape.markdown_code(feedback(test)) if test.status is not Status.PASSED else "",
        "output_format": "md",
        "visibility": (hidden_visibility if hidden else GradescopeVisibility.VISIBLE).value,
        "tags": [test.exercise, f"{test.exercise}.{test.task}"],
        "extra_data": {"exercise": test.exercise, "task": test.task, "status": test.status.value, "code": test.code},
    }


def to_dict(card: Scorecard, *,
            hidden_visibility: GradescopeVisibility | str = GradescopeVisibility.AFTER_PUBLISHED,
            hidden_feedback: FeedbackLevel | str = FeedbackLevel.FULL) -> dict[str, Any]:
    """The results.json object for one graded submission (the settings as course.toml spells them, or the enums)."""
    try:
        visibility = GradescopeVisibility(hidden_visibility)
    except ValueError:
        raise ValueError(f"hidden_visibility must be one of {', '.join(v.value for v in GradescopeVisibility)}") \
            from None
    shown = for_students(card, hidden_feedback)
    # Scrubbed as well as escaped at render: callers that dump the dict themselves get text UTF-8 can hold.
    return scrub({
        "score": card.score,
        "output": markdown.render(card, public_only=visibility is not GradescopeVisibility.VISIBLE),
        "output_format": "md",
        "test_output_format": "md",
        "visibility": GradescopeVisibility.VISIBLE.value,
        "stdout_visibility": GradescopeVisibility.HIDDEN.value,
        "tests": [_test(t, visibility) for t in shown.tests],
        "extra_data": {"nngrade": __version__, "max_score": card.max_score, "percent": round(card.percent, 2),
                       "internal_errors": list(card.internal_errors), "isolation": card.isolation},
    })


def failure(message: str) -> dict[str, Any]:
    """results.json for a submission that could not be graded: zero points and the reason, visible at once.

    The reason carries student text (a file name, a syntax error): it is Markdown-escaped, not markup.
    """
    return scrub({
        "score": 0.0,
        "output": f"**{t('report.not-graded')}**\n\n{escape.markdown_block(message)}",
        "output_format": "md",
        "visibility": GradescopeVisibility.VISIBLE.value,
        "stdout_visibility": GradescopeVisibility.HIDDEN.value,
        "tests": [],
        "extra_data": {"nngrade": __version__, "error": message},
    })


def render(card: Scorecard, *,
           hidden_visibility: GradescopeVisibility | str = GradescopeVisibility.AFTER_PUBLISHED,
           hidden_feedback: FeedbackLevel | str = FeedbackLevel.FULL) -> str:
    """results.json as text: valid UTF-8 JSON whatever the student wrote (`escape.json_dumps`)."""
    return escape.json_dumps(to_dict(card, hidden_visibility=hidden_visibility,
                                     hidden_feedback=hidden_feedback)) + "\n"
