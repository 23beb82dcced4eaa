"""The machine-readable formats of one graded submission: Gradescope results.json, JUnit XML, CSV, Markdown."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import CASES, ROOT, case_folder

from autograder.course import CourseError, Visibility, parse_course
from autograder.errors import ExitCode
from autograder.grading.results import Status, SubmissionResult, SubmissionStatus
from autograder.reporters import csv_report, gradescope, junit, markdown

EXERCISES = ("gates", "softmax")


@pytest.fixture(scope="module")
def cards(course, grade):
    """Scorecards of the solutions, the stubs and a buggy gates (XOR written as OR), gates and softmax only."""
    buggy = {"solutions": ROOT / "solutions", "stubs": ROOT / "exercises"}
    cards = {name: grade(folder, *EXERCISES) for name, folder in buggy.items()}
    cards["buggy"] = grade(case_folder(CASES / "gates" / "xor_is_or"), "gates")
    return cards


# --- Gradescope ------------------------------------------------------------------------------

def test_gradescope_results_have_the_documented_shape(cards):
    """Does results.json carry score, output, visibility, stdout_visibility and per test name, score, max_score,
    status, output, visibility and output_format "md"?"""
    results = gradescope.to_dict(cards["buggy"])
    assert {"score", "output", "visibility", "stdout_visibility", "tests"} <= set(results)
    assert results["tests"] and len(results["tests"]) == len(cards["buggy"].tests)
    for test in results["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility", "output_format"} <= set(test)
        assert test["status"] in ("passed", "failed") and test["output_format"] == "md"
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]), abs=1e-3)
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert failed and all(t["output"] and t["score"] == 0 for t in failed)
    assert all(t["output"] == "" for t in results["tests"] if t["status"] == "passed")


def test_gradescope_hides_hidden_tasks_until_published_by_default(cards, course):
    """Are hidden tasks' tests `after_published` by default and public ones `visible`, and is the default the
    course's setting?"""
    assert course.gradescope_hidden == "after_published"
    results = gradescope.to_dict(cards["solutions"])
    for test, scored in zip(results["tests"], cards["solutions"].tests):
        assert test["visibility"] == ("after_published" if scored.visibility is Visibility.HIDDEN else "visible")
    assert "hidden tests also ran" in results["output"]


def test_gradescope_visibility_and_feedback_follow_course_toml(cards):
    """Do `[feedback] gradescope_hidden` and `[feedback] hidden` set the hidden tests' visibility and output?"""
    card = cards["stubs"]
    hidden = [i for i, t in enumerate(card.tests) if t.visibility is Visibility.HIDDEN]
    full = gradescope.to_dict(card, hidden_visibility="hidden", hidden_feedback="full")["tests"]
    summary = gradescope.to_dict(card, hidden_visibility="after_due_date", hidden_feedback="summary")["tests"]
    nothing = gradescope.to_dict(card, hidden_feedback="score-only")["tests"]
    assert hidden
    for i in hidden:
        assert full[i]["visibility"] == "hidden" and summary[i]["visibility"] == "after_due_date"
        assert "traceback" in full[i]["output"] and "traceback" not in summary[i]["output"]
        assert card.tests[i].message in summary[i]["output"]
        assert card.tests[i].message not in nothing[i]["output"] and "hidden test" in nothing[i]["output"]
    public = next(i for i, t in enumerate(card.tests) if t.visibility is Visibility.PUBLIC)
    assert "traceback" in nothing[public]["output"]  # public tests are never cut


def test_course_toml_checks_the_gradescope_setting(course):
    """Is a wrong `[feedback] gradescope_hidden` a CourseError naming the key and the allowed values?"""
    data = {"format": 1, "name": "x", "feedback": {"gradescope_hidden": "later"},
            "exercises": [{"id": "gates", "tasks": [{"id": "a", "points": 1}]}]}
    with pytest.raises(CourseError, match=r"feedback.gradescope_hidden.*after_published"):
        parse_course(data, Path("course.toml"))
    data["feedback"]["gradescope_hidden"] = "visible"
    assert parse_course(data, Path("course.toml")).gradescope_hidden == "visible"
    assert course.select(["gates"]).gradescope_hidden == course.gradescope_hidden


# --- JUnit -----------------------------------------------------------------------------------------

def test_junit_has_one_testcase_per_test_and_failure_messages(cards):
    """Does the JUnit XML hold one <testcase> per test, a <failure> with the message and hint for each wrong
    answer, and the suites' points as properties?"""
    card = cards["buggy"]
    root = ET.fromstring(junit.render(card).split("\n", 2)[2])
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(card.tests) == int(root.get("tests"))
    for case, test in zip(cases, card.tests):
        assert case.get("name") == test.name and case.get("classname") == f"{test.exercise}.{test.task}"
        failure = case.find("failure")
        if test.status is Status.PASSED:
            assert failure is None and case.find("error") is None
        else:
            assert failure is not None and failure.get("message") == test.message
            assert test.message in failure.text and (test.hint is None or test.hint in failure.text)
    suite = root.find("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert float(props["score"]) == card.exercises[0].score and float(props["max_score"]) == 10


def test_junit_stubs_are_failures_and_stay_valid_xml_with_hostile_text(cards):
    """Are stubs reported as failures, and does text with control characters or lone surrogates still give
    well-formed XML?"""
    card = cards["stubs"]
    root = ET.fromstring(junit.render(card).split("\n", 2)[2])
    assert int(root.get("failures")) == len(card.tests)
    nasty = dataclasses.replace(card.tests[0], message="bad \x00\x1b[31m \ud800 --> ]]> <tag>", code="exception",
                                status=Status.ERROR)
    text = junit.render(dataclasses.replace(card, tests=(nasty, *card.tests[1:]), submission="a--b"))
    error = ET.fromstring(text.split("\n", 2)[2]).find("./testsuite/testcase/error")
    assert error is not None and "<tag>" in error.get("message") and "\x00" not in error.get("message")


# --- CSV and Markdown ------------------------------------------------------------------------------

def test_csv_has_a_column_per_exercise_and_the_total(cards):
    """Is the CSV one header and one row: the submission, a column per exercise, total, max_score, percent?"""
    card = cards["buggy"]
    rows = list(csv.DictReader(io.StringIO(csv_report.render(card, "carol"))))
    assert len(rows) == 1
    assert list(rows[0]) == ["submission", "gates", "total", "max_score", "percent", "status", "message"]
    assert rows[0]["submission"] == "carol" and float(rows[0]["total"]) == card.score
    assert float(rows[0]["gates"]) == card.exercises[0].score and rows[0]["status"] == "graded"


def test_csv_rows_of_ungraded_submissions_are_empty_not_zero_and_never_formulas():
    """Does a submission that could not be graded get empty scores and its reason, and is a name that looks like
    a spreadsheet formula written as text?"""
    rows = [SubmissionResult("=HYPERLINK(1)", SubmissionStatus.INVALID, message="no modules"),
            SubmissionResult("ok", scores={"gates": 10.0}, score=10.0, max_score=10.0, percent=100.0)]
    text = csv_report.write(rows, ["gates"], with_header=False)
    first, second = list(csv.reader(io.StringIO(text)))
    assert first == ["'=HYPERLINK(1)", "", "", "", "", "invalid", "no modules"]
    assert second == ["ok", "10", "10", "10", "100", "graded", ""]


def test_markdown_summary_holds_the_score(cards):
    """Does the Markdown summary give each exercise's points and the total, and can it leave hidden ones out?"""
    card = cards["solutions"]
    text = markdown.render(card, title="nngrade")
    assert "### nngrade" in text and f"**Total: {card.score:g} / {card.max_score:g} points (100.0%)" in text
    public = markdown.render(card, public_only=True)
    assert "Public tests:" in public and "hidden tests also ran" in public


# --- the command -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["gradescope", "junit", "csv", "json"])
def test_grade_writes_every_format_atomically(cli, tmp_path, fmt):
    """Does `nngrade grade --format F --output FILE` write a parseable file and nothing else?"""
    target = tmp_path / f"result.{fmt}"
    result = cli("grade", str(ROOT / "solutions"), "-e", "gates", "-f", fmt, "-o", str(target))
    assert result.exit_code == 0, result.output
    text = target.read_text()
    if fmt in ("gradescope", "json"):
        assert json.loads(text)["score"] == 10
    elif fmt == "junit":
        assert ET.fromstring(text.split("\n", 2)[2]).get("failures") == "0"
    else:
        assert next(csv.DictReader(io.StringIO(text)))["total"] == "10"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_fail_under_and_summary_for_ci(cli, tmp_path):
    """Does --fail-under gate CI with JUnit output, and does --summary append the score in Markdown?"""
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    result = cli("grade", str(ROOT / "exercises"), "-e", "gates", "-f", "junit", "-o", str(tmp_path / "r.xml"),
                 "--fail-under", "50", "--summary", str(summary))
    assert result.exit_code == ExitCode.BELOW_THRESHOLD
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "Total: 0 / 10 points" in text


def test_one_py_file_is_graded_as_the_exercise_it_is_named_after(cli, tmp_path):
    """Is `nngrade grade softmax.py` graded as the softmax exercise, and an oddly named file with -e as that one,
    while an oddly named file without -e is refused with a clear message?"""
    single = tmp_path / "softmax.py"
    shutil.copyfile(ROOT / "solutions" / "softmax.py", single)
    card = json.loads(cli("grade", str(single), "-f", "json").stdout)
    assert [e["id"] for e in card["exercises"]] == ["softmax"] and card["score"] == card["max_score"] == 20
    odd = tmp_path / "alice.py"
    shutil.copyfile(ROOT / "solutions" / "gates.py", odd)
    assert json.loads(cli("grade", str(odd), "-e", "gates", "-f", "json").stdout)["score"] == 10
    refused = cli("grade", str(odd))
    assert refused.exit_code == ExitCode.SUBMISSION_INVALID and "-e" in refused.output
    assert "Traceback" not in refused.output


def test_a_repository_with_exercises_folder_is_found(cli, tmp_path):
    """Is a student repository (modules in exercises/) graded like the folder of modules itself?"""
    shutil.copytree(ROOT / "solutions", tmp_path / "repo" / "exercises")
    result = json.loads(cli("grade", str(tmp_path / "repo"), "-e", "gates", "-f", "json").stdout)
    assert result["score"] == 10


def _notebook(source: str) -> str:
    """A minimal nbformat-4 notebook with one code cell, as plain JSON."""
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source.splitlines(keepends=True)}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_a_notebook_is_graded_like_its_module(cli, tmp_path):
    """Does `nngrade grade gates.ipynb` give the score of the module it holds, and is a notebook that is not
    JSON refused with exit code 4 and a message?"""
    pytest.importorskip("autograder.notebooks.notebook")
    notebook = tmp_path / "gates.ipynb"
    notebook.write_text(_notebook((ROOT / "solutions" / "gates.py").read_text()))
    result = cli("grade", str(notebook), "-e", "gates", "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["score"] == 10
    broken = tmp_path / "broken" / "gates.ipynb"
    broken.parent.mkdir()
    broken.write_text("{ not json")
    refused = cli("grade", str(broken), "-e", "gates")
    assert refused.exit_code == ExitCode.SUBMISSION_INVALID and "Traceback" not in refused.output
    assert "gates.ipynb" in refused.output


def test_student_text_that_is_not_valid_unicode_cannot_break_a_report(cli, tmp_path):
    """Does an exception message with a lone surrogate, and a print with a terminal escape, still give a JSON
    file and a console report (the characters replaced), never a traceback?"""
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "gates.py").write_text('def perceptron(x, w, b):\n    print("\\x1b[2J")\n'
                                     '    raise ValueError("bad \\ud800 value")\n')
    result = cli("grade", str(folder), "-e", "gates", "-f", "json", "-o", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert any("bad \ufffd value" in t["message"] for t in card["tests"])
    assert "\x1b" not in card["student_output"]
    assert cli("grade", str(folder), "-e", "gates").exit_code == 0
