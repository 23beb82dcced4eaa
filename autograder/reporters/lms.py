"""Gradebook CSVs that Canvas and Moodle import, and the optional roster that maps submissions to students.

Canvas (Grades > Import): the columns of its own gradebook export, `Student`, `ID`, `SIS User ID`,
`SIS Login ID`, `Section`, then one column per assignment; the row under the header is `Points Possible`.
Canvas matches a student by `ID` (its user id), `SIS User ID` or `SIS Login ID`; an assignment column
it does not know becomes a new assignment with those points. An empty cell leaves a grade unchanged.

Moodle (Grades > Import > CSV file): one column identifies the user (mapped on import to "ID number",
"Email address" or "username"), every other column may be mapped to a grade item. Moodle keeps the
maximum on the grade item itself, not in the file, so the column's name states it ("… (10 points)").

A submission that was not graded gets an empty cell, never a zero: the LMS then keeps whatever it had.
Every text cell (names, ids, an item's title) goes through `escape.csv_text`: a roster entry `=cmd`
is written as text, never as a formula; scores are numbers written by the reporter.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from autograder.reporters.csv_report import number
from autograder.reporters.escape import csv_text

COLUMNS = ("submission", "student_id", "name", "email", "login", "section", "canvas_id")
"""The roster's columns: `submission` (the entry's name in SUBMISSIONS/, with or without .py/.ipynb) and
`student_id` are required; the rest are optional."""
LMS = ("canvas", "moodle")


class RosterError(ValueError):
    """The roster cannot be used: the message says which line and why."""


@dataclass(frozen=True)
class Student:
    """Who handed in one submission, as the LMS knows them."""

    submission: str
    student_id: str
    """The institution's id: Canvas's SIS User ID, Moodle's ID number."""
    name: str = ""
    email: str = ""
    login: str = ""
    """Canvas's SIS Login ID."""
    section: str = ""
    canvas_id: str = ""
    """Canvas's own numeric user id (its `ID` column)."""


@dataclass(frozen=True)
class Item:
    """One graded item: an exercise, or the total."""

    id: str
    title: str
    max_score: float


@dataclass(frozen=True)
class Grade:
    """One submission's scores per item id; empty when it was not graded."""

    submission: str
    scores: dict[str, float]


def stem(submission: str) -> str:
    """alice.ipynb and alice.py are alice: the roster may name either."""
    for suffix in (".ipynb", ".py"):
        if submission.endswith(suffix):
            return submission[: -len(suffix)]
    return submission


def read_roster(path: Path) -> dict[str, Student]:
    """The roster CSV, keyed by submission stem; RosterError for a missing column or a repeated name or id."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel's byte-order mark is fine
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"Cannot read the roster {path}: {getattr(exc, 'strerror', None) or exc}.") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if not {"submission", "student_id"} <= set(header):
        raise RosterError(f"The roster {path} needs a header with the columns submission and student_id "
                          f"(optional: {', '.join(COLUMNS[2:])}); it has: {', '.join(header) or 'none'}.")
    reader.fieldnames = header
    students: dict[str, Student] = {}
    ids: dict[str, str] = {}
    for line, row in enumerate(reader, start=2):
        values = {f.name: (row.get(f.name) or "").strip() for f in fields(Student)}
        if not values["submission"] or not values["student_id"]:
            raise RosterError(f"{path}, line {line}: submission and student_id must both be filled in.")
        key = stem(values["submission"])
        if key in students:
            raise RosterError(f"{path}, line {line}: the submission {key} is listed twice.")
        if values["student_id"] in ids:
            # Two submissions for one student would overwrite each other in the LMS: never silently.
            raise RosterError(f"{path}, line {line}: the student_id {values['student_id']} is already the "
                              f"student of {ids[values['student_id']]}.")
        ids[values["student_id"]] = key
        students[key] = Student(**{**values, "submission": key})
    return students


def students_of(submissions: Sequence[str], roster: dict[str, Student] | None) -> tuple[dict[str, Student], list[str]]:
    """Each submission's student, and the submissions the roster lacks (left out of the export).

    Without a roster a submission's own name (without .py/.ipynb) is its student id: folders named by id.
    """
    if roster is None:
        return {s: Student(s, stem(s), name=stem(s)) for s in submissions}, []
    found = {s: roster[stem(s)] for s in submissions if stem(s) in roster}
    return found, [s for s in submissions if stem(s) not in roster]


def _write(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)  # the line ending Canvas and Moodle write
    return out.getvalue()


def canvas(grades: Sequence[Grade], items: Sequence[Item], students: dict[str, Student]) -> str:
    """Canvas's gradebook import: identity columns, one column per item, the Points Possible row."""
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *(csv_text(i.title) for i in items)]
    rows = [header, ["Points Possible", "", "", "", "", *(number(i.max_score) for i in items)]]
    for grade in grades:
        who = students.get(grade.submission)
        if who is None:
            continue
        rows.append([csv_text(who.name or who.student_id), csv_text(who.canvas_id), csv_text(who.student_id),
                     csv_text(who.login), csv_text(who.section), *(number(grade.scores.get(i.id)) for i in items)])
    return _write(rows)


def moodle(grades: Sequence[Grade], items: Sequence[Item], students: dict[str, Student]) -> str:
    """Moodle's CSV grade import: ID number and Email address to map users by, one column per grade item."""
    header = ["ID number", "Email address", "Full name",
              *(csv_text(f"{i.title} ({number(i.max_score)} points)") for i in items)]
    rows = [header]
    for grade in grades:
        who = students.get(grade.submission)
        if who is None:
            continue
        rows.append([csv_text(who.student_id), csv_text(who.email), csv_text(who.name),
                     *(number(grade.scores.get(i.id)) for i in items)])
    return _write(rows)


def export(kind: str, grades: Sequence[Grade], items: Sequence[Item], students: dict[str, Student]) -> str:
    if kind == "canvas":
        return canvas(grades, items, students)
    if kind == "moodle":
        return moodle(grades, items, students)
    raise ValueError(f"unknown LMS {kind!r}: {', '.join(LMS)}")
