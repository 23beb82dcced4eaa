"""What a student and an instructor read, driven through the CLI at 80 columns, in English and Korean.

One broken file is one panel with its line and a caret; `check -v` shows every failing check; a lone
notebook is graded as its exercise; `list`, panel titles and `status` read well at 80 columns; JUnit
carries real times.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT
from rich.text import Text

from autograder.errors import ExitCode
from autograder.grading.load_failure import excerpt, problem_text
from autograder.sandbox.faults import Fault, FaultKind, Spot
from autograder.sandbox.replies import WorkerReply

WIDTH = 80
ENGLISH_WORDS = re.compile(r"\b(line|byte|encoding|declares|invalid|syntax|unexpected|loading|raised|save)\b", re.I)


@pytest.fixture
def nngrade(tmp_path_factory, monkeypatch):
    """nngrade(*args) -> (exit code, output): the CLI in-process, as a student's 80-column terminal shows it."""
    from autograder.cli.main import main

    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, ["--course", str(ROOT / "course.toml"), *args], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke


def submission(tmp_path: Path, module: str, change=None, *, raw: bytes | None = None) -> Path:
    """A folder with the reference solution of `module`, changed by `change(source)` or replaced by `raw`."""
    folder = tmp_path / "work"
    folder.mkdir(exist_ok=True)
    source = (ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8")
    if raw is not None:
        (folder / f"{module}.py").write_bytes(raw)
    else:
        (folder / f"{module}.py").write_text(change(source) if change else source, encoding="utf-8")
    return folder


def panels(output: str) -> list[str]:
    """Each panel's lines (title line first)."""
    found, current = [], None
    for line in output.splitlines():
        if line.startswith("╭"):
            current = [line]
        elif current is not None:
            current.append(line)
            if line.startswith("╰"):
                found.append("\n".join(current))
                current = None
    return found


def inner(panel: str) -> list[str]:
    """A panel's body lines, without the borders."""
    return [line[2:-2] for line in panel.splitlines()[1:-1]]


def flowing(panel: str) -> str:
    """A panel's words as one line (rich wraps them at the panel's width)."""
    return " ".join(" ".join(inner(panel)).split())


def caret_under(panel: str, text: str) -> bool:
    """True when the panel shows a source line `N | ...` and a caret line whose ^ stands under `text`."""
    lines = inner(panel)
    for number, line in enumerate(lines[:-1]):
        if re.match(r"^\s*\d+ \| ", line) and text in line:
            caret = lines[number + 1]
            at = Text(line[:line.index(text)]).cell_len
            return "|" in caret and Text(caret[:caret.index("^")]).cell_len == at if "^" in caret else False
    return False


def prose(panel: str) -> str:
    """A panel's words: no source excerpt, no stable [feedback-code] (codes are the same in every language)."""
    lines = [line for line in inner(panel) if not re.match(r"^\s*\d* \| ", line)]
    return re.sub(r"\[[a-z0-9-]+\]", "", "\n".join(lines))


def widest(output: str) -> int:
    """The widest line of the report (the one-line notes nngrade writes to stderr aside)."""
    return max(Text(line).cell_len for line in output.splitlines() if not line.startswith("nngrade: "))


# --- one broken file, one panel --------------------------------------------------

BROKEN_RETURN = "    return np.where(np.asarray(x) > 0, 1.0, alpha)"


def test_a_syntax_error_is_one_panel_with_the_file_line_source_and_caret(nngrade, tmp_path):
    """Does a SyntaxError in gates.py give one panel (not one per function) naming the file and line,
    showing the line and a caret under the spot, within 80 columns?"""
    folder = submission(tmp_path, "gates", lambda s: s.replace("def AND(", "def AND(:\ndef _old_and(", 1))
    line = (folder / "gates.py").read_text(encoding="utf-8").splitlines().index(
        next(x for x in (folder / "gates.py").read_text(encoding="utf-8").splitlines() if x.startswith("def AND(:")))
    code, output = nngrade("check", "--path", str(folder), "gates")
    assert code == 0, output
    shown = panels(output)
    assert len(shown) == 1, output
    assert "gates · cannot be loaded" in shown[0]
    assert f"gates.py, line {line + 1}:" in shown[0] and "(SyntaxError)" in shown[0]
    assert caret_under(shown[0], ":") or caret_under(shown[0], "def AND(:")
    assert "tests of gates failed" in shown[0]
    assert "the same problem" not in output and "gates.AND()" not in output
    assert widest(output) <= WIDTH


def test_a_syntax_error_in_korean_has_no_english_words(nngrade, tmp_path):
    """Under --lang ko, is the whole panel Korean (Python's identifiers and the code aside)?"""
    folder = submission(tmp_path, "gates", lambda s: s.replace("def XOR(", "def XOR(\n    x = 1 +\n", 1))
    code, output = nngrade("check", "--lang", "ko", "--path", str(folder), "gates")
    shown = panels(output)
    assert code == 0 and len(shown) == 1, output
    words = prose(shown[0])
    assert "번째 줄" in words and "불러올 수 없음" in shown[0]
    assert not ENGLISH_WORDS.search(words), words
    assert widest(output) <= WIDTH


def test_an_indentation_error_points_at_the_line(nngrade, tmp_path):
    """Does an IndentationError name its class, the line, and the source line?"""
    folder = submission(tmp_path, "gates", lambda s: s.replace("def OR(", "def _unused():\n  x = 1\n    y = 2\n\n"
                                                                  "def OR(", 1))
    code, output = nngrade("check", "--path", str(folder), "gates")
    shown = panels(output)
    assert code == 0 and len(shown) == 1, output
    assert "(IndentationError)" in shown[0] and "unexpected indent" in shown[0]
    assert re.search(r"\d+ \|     y = 2", shown[0])


@pytest.mark.parametrize("lang,words", [("en", ("byte 0xe9", "line 1", "save the file as UTF-8")),
                                        ("ko", ("바이트 0xe9", "1번째 줄", "UTF-8로 저장하세요"))])
def test_a_latin1_byte_on_line_one_is_named_not_called_an_unknown_encoding(nngrade, tmp_path, lang, words):
    """Does a Latin-1 é in the first comment line say which byte, which line, and to save as UTF-8, in the
    student's language, with the line and a caret under the byte?"""
    source = (ROOT / "solutions" / "gates.py").read_bytes()
    folder = submission(tmp_path, "gates", raw=b"# caf\xe9 au lait\n" + source)
    code, output = nngrade("check", "--lang", lang, "--path", str(folder), "gates")
    shown = panels(output)
    assert code == 0 and len(shown) == 1, output
    assert all(word in shown[0] for word in words), shown[0]
    assert "unknown encoding" not in output and "declares" not in output
    assert caret_under(shown[0], "\ufffd")
    if lang == "ko":
        assert not ENGLISH_WORDS.search(prose(shown[0])), prose(shown[0])


def test_an_import_of_a_missing_package_is_one_panel_with_its_line(nngrade, tmp_path):
    """Does `import torch` at the top of activations.py give one panel with that line, a caret and what to do?"""
    folder = submission(tmp_path, "activations",
                        lambda s: s.replace("import numpy as np\n", "import numpy as np\nimport torch  # 모델\n", 1))
    code, output = nngrade("check", "--path", str(folder), "activations")
    shown = panels(output)
    assert code == 0 and len(shown) == 1, output
    line = (folder / "activations.py").read_text(encoding="utf-8").splitlines().index("import torch  # 모델") + 1
    text = flowing(shown[0])
    assert f"activations.py, line {line}: imports torch, which is not installed" in text
    assert "Remove `import torch` from activations.py" in text
    assert caret_under(shown[0], "import torch")


def test_an_exception_raised_at_import_is_one_panel_with_its_line(nngrade, tmp_path):
    """Does a module-level statement that raises give one panel at that line, with the exception?"""
    folder = submission(tmp_path, "gates", lambda s: s + "\nWEIGHTS = [0.5, 0.5][2]\n")
    code, output = nngrade("check", "--path", str(folder), "gates")
    shown = panels(output)
    assert code == 0 and len(shown) == 1, output
    assert "loading the file raised IndexError: list index out of range" in flowing(shown[0])
    assert caret_under(shown[0], "[0.5, 0.5][2]")


def test_sys_exit_at_the_top_of_the_file_is_one_panel_at_its_line(nngrade, tmp_path):
    """Does a module-level sys.exit() (left from a script) give one panel at that line, not one per function?"""
    folder = submission(tmp_path, "gates", lambda s: s + "\nimport sys\nsys.exit('done')\n")
    code, output = nngrade("check", "--path", str(folder), "gates")
    shown = panels(output)
    assert code == 0 and len(shown) == 1, output
    assert "gates · cannot be loaded" in shown[0] and "[exit-called]" in shown[0]
    assert caret_under(shown[0], "sys.exit('done')")


def test_a_hostile_source_line_is_shown_as_text(nngrade, tmp_path):
    """Can the line a student's SyntaxError points at drive the terminal or rich's markup? Its escape sequence
    and markup are shown as inert text; nothing else is read into the panel."""
    bad = "x = '\x1b]52;c;aGk=\x07\x1b[2J[bold red]boom[/]' +"
    folder = submission(tmp_path, "gates", lambda s: s + "\n" + bad + "\n")
    code, output = nngrade("check", "--path", str(folder), "gates")
    shown = panels(output)
    assert code == 0 and len(shown) == 1, output
    assert "\x1b" not in output and "\x07" not in output
    assert "[bold red]boom[/]" in shown[0]


# --- the excerpt and the spot, without the CLI -------------------------------------------------

def test_the_caret_stands_under_its_character_after_tabs_and_hangul():
    """Does the caret line up under the marked character when the line holds a tab and Korean (two cells)?"""
    spot = Spot("gates.py", 3, 8, 9, "\t# 값 = x +", problem="invalid syntax")
    source, caret = excerpt(spot)
    assert source == "   3 |     # 값 = x +"
    assert Text(caret[:caret.index("^")]).cell_len == Text(source[:source.index("x")]).cell_len


def test_a_long_line_is_cut_around_the_caret():
    """Is a 300-character line shown as a window around the caret that fits 80 columns?"""
    text = "y = " + " + ".join(f"w{i}" for i in range(80)) + " +"
    spot = Spot("gates.py", 7, len(text), 0, text)
    source, caret = excerpt(spot)
    assert source.startswith("   7 | …") and source.endswith("+")
    assert len(source) <= 70 and caret.index("^") == len(source) - 1


def test_python_words_are_explained_in_korean(monkeypatch):
    """Are the common SyntaxError texts said in Korean, and an unknown one kept as Python's, labelled?"""
    from autograder import i18n

    i18n.set_language("ko")
    assert problem_text("expected ':'") == "여기에 ':'가 있어야 합니다"
    assert problem_text("expected an indented block after function definition on line 3") == \
        "3번째 줄의 함수 정의 다음에는 들여쓴 블록이 있어야 합니다"
    assert problem_text("'(' was never closed") == "'('를 열고 닫지 않았습니다"
    assert problem_text("something new in Python 3.14") == "문법 오류 (파이썬의 설명: something new in Python 3.14)"


def test_a_forged_spot_in_a_reply_is_bounded():
    """Can a worker (or student code writing to its pipe) send a spot that is huge, negative or of the wrong
    types? Numbers out of range become 0, text is cut, a bad byte is dropped."""
    reply = WorkerReply.from_message({"id": 1, "ok": False, "fault": {
        "kind": "syntax-error", "message": "x", "spot": {
            "file": "gates.py" * 100, "line": -5, "column": 10**12, "end_column": "9", "text": "a" * 10**5,
            "problem": ["not", "text"], "byte": 999}}})
    spot = reply.fault.spot if reply.fault else None
    assert spot is not None
    assert (len(spot.file), spot.line, spot.column, spot.end_column, len(spot.text), spot.problem, spot.byte) == \
        (200, 0, 0, 0, 500, "", -1)
    assert WorkerReply.from_message({"ok": False, "fault": {"kind": "syntax-error", "spot": "x"}}).fault.spot is None
    sent = Fault(FaultKind.NOT_UTF8, "m", spot=Spot("gates.py", 2, 3, 0, "ab\ufffd", byte=0xE9))
    assert WorkerReply.from_message(WorkerReply(ok=False, fault=sent).to_message()).fault == sent


# --- check -v -------------------------------------------------------------------

def _float_gates(source: str) -> str:
    """perceptron returns floats (every gate test fails the same way) and prints as it goes."""
    return source.replace("def perceptron(", "def perceptron(x, w, b):\n    print('debug', b)\n"
                          "    return 0.0 * np.asarray(x, dtype=float).sum(axis=-1)\n\n\ndef _old(", 1)


def test_check_folds_repeats_and_says_the_code_printed(nngrade, tmp_path):
    """Does plain `check` fold the same problem into one panel and say, in one line, that the code printed and
    that -v shows it (without showing the prints)?"""
    folder = submission(tmp_path, "gates", _float_gates)
    code, output = nngrade("check", "--path", str(folder), "gates")
    assert code == 0, output
    assert "more tests; `nngrade check -v` shows each)" in output
    printed = [line for line in output.splitlines() if "printed" in line]
    assert len(printed) == 1 and "`nngrade check -v` shows" in printed[0]
    assert "debug -0.7" not in output
    assert widest(output) <= WIDTH


def test_check_verbose_shows_every_failing_check_and_the_prints(nngrade, tmp_path, course):
    """Does `check -v` give each failing test its own panel (no "same problem in N more") and the prints?"""
    folder = submission(tmp_path, "gates", _float_gates)
    _, plain = nngrade("check", "--path", str(folder), "gates")
    code, output = nngrade("check", "-v", "--path", str(folder), "gates")
    assert code == 0, output
    assert "same problem" not in output and "more tests)" not in output
    failing = [t for t in _json_grade(nngrade, folder)["tests"] if t["status"] in ("failed", "error")]
    titles = [p.splitlines()[0] for p in panels(output) if "your code printed" not in p.splitlines()[0]]
    assert len(titles) == len(failing) > len(panels(plain))
    assert "debug -0.7" in output and "your code printed" in output


def _json_grade(nngrade, folder: Path) -> dict:
    code, output = nngrade("grade", str(folder), "-e", "gates", "--public-only", "-f", "json")
    assert code == 0
    return json.loads(output[output.index("{"):])


# --- one notebook is one exercise ------------------------------------------------------

def notebook(path: Path, module: str, metadata: dict | None = None) -> Path:
    source = (ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8")
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata or {}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}]}),
        encoding="utf-8")
    return path


@pytest.mark.parametrize("name,metadata", [("gates.ipynb", None), ("Bob-gates-final.ipynb",
                                                                    {"nngrade": {"exercise": "gates"}})])
def test_a_single_notebook_is_graded_as_its_exercise(nngrade, tmp_path, name, metadata, course):
    """Is gates.ipynb (or any notebook whose metadata says gates) graded as gates alone: full marks, no other
    exercise reported missing?"""
    path = notebook(tmp_path / name, "gates", metadata)
    gates = course.exercise("gates")
    code, output = nngrade("grade", str(path))
    assert code == 0, output
    assert f"Total: {gates.max_points:g} / {gates.max_points:g} points (100.0%)" in output
    assert "activations" not in output and "Missing" not in output
    code, output = nngrade("grade", str(path), "-f", "json")
    card = json.loads(output[output.index("{"):])
    assert [e["id"] for e in card["exercises"]] == ["gates"] and card["percent"] == 100


def test_a_notebook_that_names_no_exercise_is_a_clear_error(nngrade, tmp_path):
    """Is alice.ipynb (no metadata, not an exercise's name) refused with what to do, exit code 4, no
    traceback; and graded when the exercise is chosen with -e?"""
    path = notebook(tmp_path / "alice.ipynb", "gates")
    code, output = nngrade("grade", str(path))
    assert code == ExitCode.SUBMISSION_INVALID, output
    assert "alice.ipynb" in output and "gates.ipynb" in output and "-e" in output and "Traceback" not in output
    code, output = nngrade("grade", str(path), "-e", "gates")
    assert code == 0 and "(100.0%)" in output


def test_a_single_py_file_is_graded_as_its_exercise(nngrade, tmp_path, course):
    """And gates.py alone, as before: gates only, full marks."""
    path = tmp_path / "gates.py"
    path.write_text((ROOT / "solutions" / "gates.py").read_text(encoding="utf-8"), encoding="utf-8")
    code, output = nngrade("grade", str(path))
    assert code == 0 and "(100.0%)" in output and "activations" not in output


# --- readable at 80 columns -------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "ko"])
def test_list_reads_at_80_columns(nngrade, course, lang):
    """Does `nngrade list` fit 80 columns, one row per exercise with its tasks below, in under 120 lines, with
    every title's words present (wrapped, never cut)?"""
    code, output = nngrade("list", "--lang", lang)
    assert code == 0
    lines = output.splitlines()
    assert widest(output) <= WIDTH and len(lines) < 120
    words = " ".join(output.split())
    for exercise in course.exercises:
        assert re.search(rf"^{exercise.id}\s+{exercise.max_points:g}\s", output, re.M), exercise.id
        for task in exercise.tasks:
            assert re.search(rf"^  {re.escape(task.id)}\s+{task.points:g}\s", output, re.M), task.id
            assert " ".join(task.localized_title(lang).split()) in words
    assert "…" not in output


def test_a_long_panel_title_is_never_cut(nngrade, tmp_path):
    """Is a test whose name does not fit a panel's title at 80 columns shown whole (inside the panel)?"""
    folder = submission(tmp_path, "activations", lambda s: s.replace(BROKEN_RETURN,
                                                                     "    return np.where(np.asarray(x) > 0, 1.0, 0.5)"))
    code, output = nngrade("grade", str(folder), "-e", "activations")
    assert code == 0, output
    name = "test_derivative_matches_central_differences[leaky_relu_grad]"
    assert name in output
    titles = [p.splitlines()[0] for p in panels(output)]
    assert titles and not any("…" in title for title in titles)
    assert widest(output) <= WIDTH
    # The exercise's heading is one line at 80 columns, not wrapped at its table's width.
    assert re.search(r"^activations — Activation functions and their derivatives   [\d.]+/20$", output, re.M), output


def test_status_prints_points_as_check_does(nngrade):
    """Does `status` show 12.90/16 where the history holds 12.9048 (as check prints it), never 12.9048?"""
    from autograder.student import progress

    state = progress.state_dir(progress.home(ROOT))  # the kit's progress (kept elsewhere in tests)
    state.mkdir()
    (state / progress.HISTORY_FILE).write_text(json.dumps(
        {"when": "2026-01-02T03:04:05+00:00", "exercise": "forward", "score": 12.9048, "max_score": 16,
         "open_tasks": ["dense"]}) + "\n", encoding="utf-8")
    code, output = nngrade("status")
    assert code == 0, output
    assert "12.90/16" in output and "12.9048" not in output


def test_junit_carries_real_test_times(nngrade, tmp_path):
    """Does `grade -f junit` give each testcase its measured time, and each suite the sum of its tests'?"""
    folder = submission(tmp_path, "gates")
    code, output = nngrade("grade", str(folder), "-e", "gates", "-f", "junit")
    assert code == 0
    root = ET.fromstring(output[output.index("<testsuites"):])
    cases = [float(case.get("time")) for case in root.iter("testcase")]
    assert cases and all(t >= 0 for t in cases) and sum(cases) > 0
    suite = root.find("testsuite")
    assert suite is not None
    assert float(suite.get("time")) == pytest.approx(sum(cases), abs=0.002 * len(cases))
