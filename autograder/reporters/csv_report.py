"""CSV: one row per submission, a column per exercise, the total; the shape gradebooks import.

Columns: submission, one per exercise (its points), total, max_score, percent,
status (graded, invalid, timeout, internal-error) and message (why not graded).
Scores are left empty unless the status is `graded`: a submission that could
not be graded is not silently a zero. The text cells a student names or causes (the submission, the
message) go through `escape.csv_text`: never a formula; numbers are written as numbers.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from autograder.grading.results import SubmissionResult, SubmissionStatus
from autograder.grading.scoring import Scorecard
from autograder.reporters.escape import csv_text as _text

FIXED = ("total", "max_score", "percent", "status", "message")


def of_card(card: Scorecard, submission: str | None = None) -> SubmissionResult:
    """The row of one graded scorecard (internal-error when the grader failed on part of it)."""
    status = SubmissionStatus.INTERNAL_ERROR if card.internal_errors else SubmissionStatus.GRADED
    return SubmissionResult(submission if submission is not None else card.submission, status,
                            {e.id: e.score for e in card.exercises}, card.score, card.max_score,
                            round(card.percent, 2), "; ".join(card.internal_errors)[:500])


def header(exercise_ids: Sequence[str]) -> list[str]:
    return ["submission", *exercise_ids, *FIXED]


def number(value: float | None) -> str:
    """A score as the CSV writes it: at most 4 decimals, no trailing zeros, empty for None."""
    return "" if value is None else f"{value:.4f}".rstrip("0").rstrip(".")


def cells(row: SubmissionResult, exercise_ids: Sequence[str]) -> list[str]:
    graded = row.status is SubmissionStatus.GRADED
    scores = [number(row.scores.get(e)) if graded else "" for e in exercise_ids]
    totals = [number(v) if graded else "" for v in (row.score, row.max_score, row.percent)]
    return [_text(row.submission), *scores, *totals, row.status.value, _text(row.message)]


def write(rows: Iterable[SubmissionResult], exercise_ids: Sequence[str], *, with_header: bool = True) -> str:
    """The CSV text; shards after the first leave out the header so their files concatenate."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if with_header:
        writer.writerow(header(exercise_ids))
    writer.writerows(cells(r, exercise_ids) for r in rows)
    return out.getvalue()


def render(card: Scorecard, submission: str | None = None) -> str:
    """Header and one row for one graded submission."""
    return write([of_card(card, submission)], [e.id for e in card.exercises])
