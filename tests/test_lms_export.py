"""Canvas and Moodle gradebook CSVs, and the roster that maps submissions to students."""
from __future__ import annotations

import csv
import io

import pytest

from autograder.reporters.lms import Grade, Item, RosterError, canvas, moodle, read_roster, students_of

ITEMS = [Item("gates", "Logic gates", 10.0), Item("softmax", "Softmax", 12.5)]
GRADES = [Grade("alice", {"gates": 10.0, "softmax": 7.25}), Grade("bob.py", {"gates": 0.0, "softmax": 12.5}),
          Grade("frank", {})]


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def roster(tmp_path, text: str):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return read_roster(path)


def test_canvas_has_its_identity_columns_a_points_possible_row_and_blank_for_ungraded(tmp_path):
    """Is Canvas's file its export's shape: Student, ID, SIS User ID, SIS Login ID, Section, an item column
    each, the Points Possible row; is a submission not graded a blank cell, never a zero?"""
    people = roster(tmp_path, "\ufeffSubmission,Student_ID,name,email,login,section,canvas_id\n"
                              "alice,S001,Alice Kim,alice@u.edu,akim,A,101\nbob,S002,Bob Lee,,blee,B,\n"
                              "frank,S006,Frank,,,,\n")
    students, unknown = students_of([g.submission for g in GRADES], people)
    assert unknown == [] and students["bob.py"].student_id == "S002"  # bob.py is the roster's bob
    rows = table(canvas(GRADES, ITEMS, students))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Logic gates", "Softmax"]
    assert rows[1] == ["Points Possible", "", "", "", "", "10", "12.5"]
    assert rows[2] == ["Alice Kim", "101", "S001", "akim", "A", "10", "7.25"]
    assert rows[3] == ["Bob Lee", "", "S002", "blee", "B", "0", "12.5"]
    assert rows[4][-2:] == ["", ""]


def test_moodle_has_id_number_email_and_the_maximum_in_each_items_name(tmp_path):
    """Does Moodle's file identify users by ID number and Email address, name each item with its maximum
    (Moodle keeps the maximum on the grade item), and leave no Points Possible row Moodle would take for a user?"""
    people = roster(tmp_path, "submission,student_id,name,email\nalice,S001,Alice Kim,alice@u.edu\n"
                              "bob,S002,Bob Lee,bob@u.edu\n")
    students, unknown = students_of([g.submission for g in GRADES], people)
    assert unknown == ["frank"]  # not in the roster: left out of the export, and the command says so
    rows = table(moodle(GRADES, ITEMS, students))
    assert rows[0] == ["ID number", "Email address", "Full name", "Logic gates (10 points)", "Softmax (12.5 points)"]
    assert rows[1:] == [["S001", "alice@u.edu", "Alice Kim", "10", "7.25"], ["S002", "bob@u.edu", "Bob Lee", "0", "12.5"]]


def test_without_a_roster_the_submission_name_is_the_student_id():
    students, unknown = students_of(["s123.ipynb", "s456"], None)
    assert unknown == [] and [s.student_id for s in students.values()] == ["s123", "s456"]


def test_a_formula_in_the_roster_or_a_submission_name_stays_text(tmp_path):
    """A roster student id `=cmd|' /C calc'!A0` or a name `@SUM(1)` (CSV injection): written as text with a
    leading quote in both exports, never as a cell a spreadsheet would run?"""
    people = roster(tmp_path, "submission,student_id,name,email\nalice,=cmd|' /C calc'!A0,@SUM(1),+1@x.org\n")
    students, _ = students_of(["alice"], people)
    for text in (canvas(GRADES[:1], ITEMS, students), moodle(GRADES[:1], ITEMS, students)):
        cells = [cell for row in table(text) for cell in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "-")], cells
        assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(1)" in cells


@pytest.mark.parametrize(("text", "why"), [
    ("name,email\nalice,a@u.edu\n", "needs a header with the columns submission and student_id"),
    ("submission,student_id\nalice,S1\nalice.py,S2\n", "line 3: the submission alice is listed twice"),
    ("submission,student_id\nalice,S1\nbob,S1\n", "line 3: the student_id S1 is already the student of alice"),
    ("submission,student_id\nalice,\n", "line 2: submission and student_id must both be filled in"),
])
def test_a_roster_that_would_misfile_grades_is_refused_with_its_line(tmp_path, text, why):
    """Is a roster without the key columns, with a submission twice, or two submissions for one student (which
    would overwrite each other in the LMS) refused, saying which line?"""
    with pytest.raises(RosterError, match=why):
        roster(tmp_path, text)
