"""A Scorecard as plain JSON data: the stable shape of `-f json`, grade-all's result files and the judge's replies.

In the grading layer because a grade-all judge sends a scorecard to its parent in
this shape; `reporters.json_report` renders it as the JSON report.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from autograder import __version__
from autograder.grading.scoring import Scorecard

SCHEMA_VERSION = 1


def card_to_dict(card: Scorecard) -> dict[str, Any]:
    """score, max_score and tests[] with exercise, task, name, status, score, max_score, code, message, hint."""
    return {
        "schema": SCHEMA_VERSION,
        "nngrade": __version__,
        "course": card.course,
        "submission": card.submission,
        "score": card.score,
        "max_score": card.max_score,
        "percent": round(card.percent, 2),
        "hidden_not_run": card.hidden_not_run,
        "internal_errors": list(card.internal_errors),
        "isolation": card.isolation,
        "exercises": [
            {
                "id": e.id, "title": e.title, "score": e.score, "max_score": e.max_score,
                "tasks": [
                    {"task": t.task, "title": t.title, "score": t.score, "max_score": t.max_score,
                     "passed": t.passed, "total": t.total, "visibility": t.visibility.value}
                    for t in e.tasks
                ],
            }
            for e in card.exercises
        ],
        "tests": [
            {
                "exercise": t.exercise, "task": t.task, "name": t.name, "status": t.status.value,
                "score": t.score, "max_score": t.max_score, "code": t.code, "message": t.message,
                "hint": t.hint, "visibility": t.visibility.value,
                "feedback": asdict(t.feedback) if t.feedback else None,
                "trace": t.trace or None,
            }
            for t in card.tests
        ],
        "student_output": card.student_output,
    }
