"""Student text never becomes markup: every report escapes it for its medium, and course.toml refuses absurd numbers.

One hostile string, holding rich markup, terminal escapes, C1 and bidi controls, XML breakers, spreadsheet
formulas, Markdown table and fence breakers and HTML, goes everywhere a student can put text: an exception's
message, a print, a returned value's repr, and the name of a submission folder in grade-all. Each medium must
show it as text and do nothing with it.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ROOT
from rich.console import Console

from autograder.batch import summary as batch_summary
from autograder.batch.grade_all import Outcome, summarize
from autograder.course import CourseError, load_course
from autograder.errors import ExitCode
from autograder.grading.compare import Feedback, StepRow
from autograder.grading.results import RunResult, Status, SubmissionResult, SubmissionStatus, TestResult
from autograder.grading.scoring import Scorecard, score
from autograder.reporters import console, csv_report, escape, gradescope, json_report, junit, markdown

MARKUP = "[bold red]x[/] [link=http://evil.example]click[/link]"
ANSI = "\x1b[2J\x1b]8;;http://x\x07"
C1 = "\x9b31m"
BIDI = "\u202eevil\u2066"
XML = "\x00 \x0b ]]> </testcase>"
FORMULA = "=cmd|'/c calc'!A0"
MARKDOWN = "| col | ``` fence"
HTML = "<img src=x onerror=alert(1)>"
HOSTILE = " ".join((MARKUP, ANSI, C1, BIDI, XML, FORMULA, MARKDOWN, HTML))
"""Everything at once, as one student string."""
FORMULAS = (FORMULA, "+1", "-1+1", "@SUM(1)", "\t=1", " =1", "\uff1d1")

VISIBLE = ("[bold red]x[/]", "[link=http://evil.example]click[/link]", "]]> </testcase>", "'/c calc'!A0",
           "<img src=x onerror=alert(1)>")
"""Pieces of HOSTILE that must reach the reader exactly as written."""
FORBIDDEN = ("\x00", "\x07", "\x0b", "\x9b", "\u202e", "\u2066")
"""Characters that must never reach a terminal or a file raw."""

COURSE = load_course(ROOT / "course.toml").select(["gates"])
SGR = re.compile(r"\x1b\[[0-9;]*m")


def hostile_card(text: str = HOSTILE) -> Scorecard:
    """A scorecard with `text` in every student-made field: message, feedback values, trace, output, name."""
    fb = Feedback(code="value-mismatch", message=text, what="XOR", inputs=text, expected="[0 1 1 0]", got=text,
                  details=(text,), steps=(StepRow(label="z", expected="1", got=text, verdict="DIVERGES"),))
    run = RunResult((
        TestResult("gates", "xor", "test_xor", Status.FAILED, "value-mismatch", text, feedback=fb),
        TestResult("gates", "perceptron", "test_raises", Status.ERROR, "exception", text, trace=text),
        TestResult("gates", "and", "test_and", Status.PASSED, None, ""),
    ), hidden_not_run=0, student_output=text + "\n" + text)
    return score(run, COURSE, submission=text)


def terminal_output(render) -> str:
    """What `render(console)` writes to a colour terminal, rich's own colour codes taken out."""
    buffer = io.StringIO()
    render(Console(file=buffer, force_terminal=True, width=400, color_system="truecolor"))
    return SGR.sub("", buffer.getvalue())


def assert_inert(text: str, *, pieces: tuple[str, ...] = VISIBLE) -> None:
    """No escape or control character is left, and each visible piece is there as written."""
    assert "\x1b" not in text, repr(text[text.index("\x1b") - 40:][:80])
    for char in FORBIDDEN:
        assert char not in text, repr(char)
    for piece in pieces:
        assert piece in text, piece


# --- the escapers --------------------------------------------------------------------------------

def test_visible_writes_controls_out_and_keeps_the_rest():
    """Do controls, bidi and invisible characters become `\\x1b`-style text while tab, newline and text stay?"""
    assert escape.visible("a\x1b[2Jb\u202ec\td\ne\rf\r\ng\ud800") == "a\\x1b[2Jb\\u202ec\td\ne\nf\ng\ufffd"
    assert escape.visible(escape.visible(HOSTILE)) == escape.visible(HOSTILE)  # escaping twice changes nothing


def test_markdown_code_block_cannot_be_closed_by_its_text():
    """Is the fence longer than every run of backticks in the text?"""
    block = escape.markdown_code("a ``` b ````` c")
    fence = block.split("\n", 1)[0]
    assert set(fence) == {"`"} and len(fence) == 6 and block.endswith("\n" + fence)


def test_markdown_block_starts_no_list_heading_or_code():
    """Does each line of a Markdown paragraph stay a paragraph line, whatever it starts with?"""
    text = escape.markdown_block("- item\n1. first\n# head\n    code\n> quote\n=====")
    assert text.split("  \n") == ["\\- item", "1\\. first", "\\# head", "code", "&gt; quote", "\\=====" ]


@pytest.mark.parametrize("cell", FORMULAS)
def test_csv_text_neutralises_every_formula_start(cell):
    """Does a cell that a spreadsheet would run begin with a single quote, and an ordinary one stay as it is?"""
    assert escape.csv_text(cell).startswith("'")
    assert escape.csv_text("alice") == "alice" and escape.csv_text("bob 1") == "bob 1"


# --- each medium -----------------------------------------------------------------------------------

def test_console_report_shows_student_text_as_text():
    """Does the console report (check -v) print the hostile string, in panels, values, output and the
    submission line, with no escape sequence and no markup interpreted?"""
    card = hostile_card()
    text = terminal_output(lambda c: console.render(card, c, verbose=True))
    assert_inert(text)
    assert text.count("[bold red]x[/]") >= 6  # message, input, got, step, trace, output, submission
    assert "\\x1b[2J" in text and "\\u202e" in text  # shown, so a student sees what they printed


def test_console_titles_and_tables_parse_no_markup():
    """Are a test name, a task name and an exercise title with brackets printed as they are?"""
    card = hostile_card()
    test = dataclasses.replace(card.tests[0], name=f"test_x[{MARKUP}]", task=MARKUP)
    exercise = dataclasses.replace(card.exercises[0], title=MARKUP)
    card = dataclasses.replace(card, tests=(test, *card.tests[1:]), exercises=(exercise,))
    text = terminal_output(lambda c: console.render(card, c))
    assert f"test_x[{MARKUP}]" in text and f"gates · {MARKUP} · " in text
    assert "gates — [bold red]x[/]" in text  # the table's title (wrapped to the table's width)


def test_junit_parses_and_keeps_the_visible_text():
    """Does the JUnit XML parse, with the hostile text in attributes and bodies as written and no character
    XML forbids?"""
    card = hostile_card()
    text = junit.render(card)
    assert_inert(text, pieces=())
    root = ET.fromstring(text.split("\n", 2)[2])
    failure = root.find("./testsuite/testcase/failure")
    error = root.find("./testsuite/testcase/error")
    assert failure is not None and error is not None
    for found in (failure.get("message"), failure.text, error.get("message"), error.text):
        assert_inert(found)
    assert len(root.findall("./testsuite/testcase")) == len(card.tests)  # </testcase> in the text closed nothing


def test_csv_neutralises_formulas_and_keeps_the_scores():
    """Is every text cell that starts like a formula neutralised, while the score cells are the numbers?"""
    rows = [SubmissionResult(name, SubmissionStatus.GRADED, {"gates": 7.5}, 7.5, 10.0, 75.0, message=name)
            for name in FORMULAS]
    rows.append(SubmissionResult(HOSTILE, SubmissionStatus.INVALID, message=HOSTILE))
    text = csv_report.write(rows, ["gates"])
    assert_inert(text, pieces=())
    parsed = list(csv.reader(io.StringIO(text)))
    assert len(parsed) == len(rows) + 1
    for row in parsed[1:-1]:
        assert row[0].startswith("'") and row[-1].startswith("'"), row
        assert row[1:6] == ["7.5", "7.5", "10", "75", "graded"]
    assert parsed[-1][0] == parsed[-1][-1] == escape.one_line(HOSTILE)  # starts with "[": no formula


def test_csv_of_a_hostile_scorecard():
    """Does one graded scorecard named with a formula give a neutralised submission cell and its score?"""
    card = hostile_card()
    row = list(csv.reader(io.StringIO(csv_report.render(card, FORMULA))))[1]
    assert row[0] == "'" + FORMULA and float(row[1]) == card.exercises[0].score


def test_markdown_table_keeps_its_columns():
    """Does a pipe, a fence or HTML in a cell or the title leave the Markdown table with three columns?"""
    card = hostile_card()
    card = dataclasses.replace(card, exercises=(dataclasses.replace(card.exercises[0], title=HOSTILE),))
    text = markdown.render(card, title=HOSTILE)
    assert_inert(text, pieces=())
    assert "<img" not in text and "```" not in text
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 3
    for line in table:
        assert len(re.split(r"(?<!\\)\|", line)) == 5, line  # 3 cells between 4 unescaped pipes
    heading = text.splitlines()[0]
    assert heading.startswith("### ") and "\n" not in heading


def test_gradescope_results_are_valid_json_and_fenced():
    """Is results.json valid JSON with no raw control character, and every test output a code block its text
    cannot close?"""
    card = hostile_card()
    text = gradescope.render(card, hidden_visibility="visible")
    assert_inert(text, pieces=())
    results = json.loads(text)
    for test in results["tests"]:
        if test["status"] == "failed":
            fence, _, rest = test["output"].partition("\n")
            assert set(fence) == {"`"} and rest.endswith("\n" + fence)
            assert fence not in rest[:-len(fence)]
            assert_inert(test["output"])
    assert "<img" not in results["output"]


def test_gradescope_failure_message_is_not_markup():
    """Does the reason a submission could not be graded (which quotes it) reach Gradescope as escaped text?"""
    results = gradescope.failure(f"{HOSTILE}\n- {HTML}")
    assert json.loads(json.dumps(results)) == results
    assert "<img" not in results["output"] and "\\- &lt;img" in results["output"]


def test_json_keeps_the_data_and_holds_no_raw_control():
    """Is the JSON scorecard valid UTF-8 JSON even with a lone surrogate, its C1 and bidi characters escaped?"""
    card = hostile_card(HOSTILE + "\ud800")
    text = json_report.render(card)
    text.encode("utf-8")
    assert "\x9b" not in text and "\u202e" not in text
    data = json.loads(text)
    assert "\x9b31m" in data["tests"][0]["message"] and data["tests"][0]["message"].endswith("\ufffd")


def test_grade_all_summary_shows_submission_names_as_text():
    """Does grade-all's table of submissions not graded print a hostile folder name and reason inertly?"""
    outcomes = [Outcome(SubmissionResult(HOSTILE, SubmissionStatus.INVALID, message=HOSTILE + "\nsecond")),
                Outcome(SubmissionResult("ok", SubmissionStatus.GRADED, {"gates": 1.0}, 1.0, 1.0, 100.0))]
    text = terminal_output(lambda c: batch_summary.render(summarize(outcomes), c, results="out", csv="c.csv"))
    assert_inert(text)
    assert "second" not in text


# --- end to end: a real submission, the real CLI ----------------------------------------------------

SUBMISSION = f'''
H = {HOSTILE!r}


def perceptron(x, w, b):
    print(H)
    raise ValueError(H)


def AND(x1, x2):
    return H
'''


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "gates.py").write_text(SUBMISSION, encoding="utf-8")
    return folder


def test_a_hostile_submission_is_inert_in_every_format(grade, hostile_folder):
    """Graded for real (raising, printing and returning the string), is every report inert?"""
    card = grade(hostile_folder, "gates")
    assert any(HOSTILE in t.message for t in card.tests) and "\x1b[2J" in card.student_output
    assert any(t.feedback and "[bold red]" in t.feedback.got for t in card.tests)  # the returned value's repr
    assert_inert(terminal_output(lambda c: console.render(card, c, verbose=True)))
    ET.fromstring(junit.render(card).split("\n", 2)[2])
    json.loads(gradescope.render(card))
    assert_inert(markdown.render(card), pieces=())
    assert_inert(json_report.render(card), pieces=())


def test_check_verbose_prints_student_text_as_text(cli, hostile_folder):
    """Does `nngrade check -v` print the exception and the output with the markup literal and no escape?"""
    result = cli("check", "gates", "--path", str(hostile_folder), "-v")
    assert result.exit_code == 0, result.output
    assert_inert(result.output, pieces=("[bold red]x[/]", "<img src=x onerror=alert(1)>"))


@pytest.mark.slow
def test_grade_all_with_hostile_folder_names(tmp_path, hostile_folder):
    """Does grade-all, with folders named like formulas, markup and escapes, write a neutral CSV, valid result
    files and an inert summary?"""
    # A folder name holds no slash, so no closing tag: an open one is markup all the same.
    graded, invalid = "=HYPERLINK(\"x\")[bold red]x\u202e", "+1 [link=x]y\x1b]8;;x\x07\x9b"
    submissions = tmp_path / "class"
    (submissions / graded).mkdir(parents=True)
    (submissions / graded / "gates.py").write_text(SUBMISSION, encoding="utf-8")
    (submissions / invalid).mkdir()
    (submissions / invalid / "notes.txt").write_text("no modules")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "300", "NNGRADE_LANG": "en"}
    done = subprocess.run([sys.executable, "-m", "autograder", "--course", str(ROOT / "course.toml"), "grade-all",
                           str(submissions), "--out", str(tmp_path / "out"), "--csv", str(tmp_path / "c.csv"),
                           "-e", "gates", "-j", "1"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert_inert(done.stdout + done.stderr, pieces=("+1 [link=x]y\\x1b]8;;x\\x07\\x9b",))
    rows = list(csv.reader(io.StringIO((tmp_path / "c.csv").read_text(encoding="utf-8"))))[1:]
    assert sorted(row[0][:2] for row in rows) == ["'+", "'="]
    assert_inert((tmp_path / "c.csv").read_text(encoding="utf-8"), pieces=())
    for path in (tmp_path / "out").glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))


# --- course.toml: numbers ----------------------------------------------------------------------------

BASE = '''format = 1
name = "demo"
[defaults]
{defaults}
[[exercises]]
id = "gates"
[[exercises.tasks]]
id = "and"
points = {points}
'''


@pytest.mark.parametrize("defaults,points,key,allowed", [
    ("", "nan", "points", "finite"),
    ("", "inf", "points", "at most 10000"),
    ("", "20000", "points", "at most 10000"),
    ("timeout = inf", "1", "defaults.timeout", "at most 3600 seconds"),
    ("timeout = 7200", "1", "defaults.timeout", "at most 3600 seconds"),
    ("timeout = -inf", "1", "defaults.timeout", "finite"),
    ("memory_mb = 10000000", "1", "defaults.memory_mb", "at most 65536 MiB"),
    ("memory_mb = 16", "1", "defaults.memory_mb", "at least 64"),
    ("rtol = -1", "1", "defaults.rtol", "positive and less than 1"),
    ("rtol = nan", "1", "defaults.rtol", "finite"),
    ("atol = 1", "1", "defaults.atol", "at least 0 and less than 1"),
])
def test_course_numbers_must_be_finite_and_sensible(tmp_path, defaults, points, key, allowed):
    """Does each non-finite or absurd number raise CourseError naming the key and the allowed range?"""
    path = tmp_path / "course.toml"
    path.write_text(BASE.format(defaults=defaults, points=points))
    with pytest.raises(CourseError) as info:
        load_course(path)
    assert key in str(info.value) and allowed in str(info.value)


@pytest.mark.parametrize("defaults,points,key", [
    ("", "nan", "points"), ("timeout = inf", "1", "timeout"), ("memory_mb = 10000000", "1", "memory_mb"),
    ("rtol = -1", "1", "rtol"),
])
def test_cli_refuses_a_bad_course_with_exit_3(cli, tmp_path, defaults, points, key):
    """Does `nngrade --course bad.toml list` exit 3 with one paragraph naming the key, and no traceback?"""
    from click.testing import CliRunner

    from autograder.cli.main import main

    path = tmp_path / "bad.toml"
    path.write_text(BASE.format(defaults=defaults, points=points))
    result = CliRunner().invoke(main, ["--course", str(path), "list"])
    assert result.exit_code == ExitCode.COURSE_INVALID == 3
    assert key in result.output and "Traceback" not in result.output


def test_limits_at_the_edges_are_accepted(tmp_path):
    """Are the largest sensible values still a valid course?"""
    path = tmp_path / "course.toml"
    path.write_text(BASE.format(defaults="timeout = 3600\nmemory_mb = 65536\natol = 0\nrtol = 0.5", points="0"))
    course = load_course(path)
    assert course.limits.timeout == 3600 and course.limits.memory_mb == 65536
