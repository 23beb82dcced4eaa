"""CSV: one row per submission, a column per exercise, the total; the shape gradebooks import.

Columns: submission, one per exercise (its points), total, max_score, percent,
status (graded, invalid, timeout, internal-error) and message (why not graded).
Scores are left empty unless the status is `graded`: a submission that could
not be graded is not silently a zero.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from autograder.reporters.text import clean
from autograder.grading.scoring import Scorecard

FIXED = ("total", "max_score", "percent", "status", "message")


@dataclass(frozen=True)
class Row:
    """One submission's line of the CSV."""

    submission: str
    status: str = "graded"
    scores: dict[str, float] = field(default_factory=dict)
    """Points per exercise id."""
    score: float | None = None
    max_score: float | None = None
    percent: float | None = None
    message: str = ""

    @staticmethod
    def of_card(card: Scorecard, submission: str | None = None) -> Row:
        status = "internal-error" if card.internal_errors else "graded"
        return Row(submission if submission is not None else card.submission, status,
                   {e.id: e.score for e in card.exercises}, card.score, card.max_score, round(card.percent, 2),
                   "; ".join(card.internal_errors)[:500])

    @staticmethod
    def of_record(submission: str, record: dict[str, Any], status: str, message: str = "") -> Row:
        """From a JSON scorecard (reporters.json_report.to_dict) or an error record without scores."""
        if "exercises" not in record:
            return Row(submission, status, message=message)
        return Row(submission, status, {e["id"]: e["score"] for e in record["exercises"]}, record["score"],
                   record["max_score"], record["percent"], message)


def header(exercise_ids: Sequence[str]) -> list[str]:
    return ["submission", *exercise_ids, *FIXED]


def _text(value: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet; a submission name must never run as one.
    value = clean(value).replace("\r", " ").replace("\n", " ")
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}".rstrip("0").rstrip(".")


def cells(row: Row, exercise_ids: Sequence[str]) -> list[str]:
    graded = row.status == "graded"
    scores = [_number(row.scores.get(e)) if graded else "" for e in exercise_ids]
    totals = [_number(v) if graded else "" for v in (row.score, row.max_score, row.percent)]
    return [_text(row.submission), *scores, *totals, row.status, _text(row.message)]


def write(rows: Iterable[Row], exercise_ids: Sequence[str], *, with_header: bool = True) -> str:
    """The CSV text; shards after the first leave out the header so their files concatenate."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if with_header:
        writer.writerow(header(exercise_ids))
    writer.writerows(cells(r, exercise_ids) for r in rows)
    return out.getvalue()


def render(card: Scorecard, submission: str | None = None) -> str:
    """Header and one row for one graded submission."""
    return write([Row.of_card(card, submission)], [e.id for e in card.exercises])
