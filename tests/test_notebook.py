"""Notebooks as submissions: reading .ipynb files, cells -> module, one task at a time, check_task."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import CASES, ROOT, case_folder, case_source

from autograder.course import CourseError
from autograder.grading.notebook_source import (
    Cell,
    NotebookError,
    code_cells,
    exercise_of,
    module_source,
    notebook_submission,
    read_notebook,
    without_ipython,
)
from autograder.notebooks import notebook
from autograder.notebooks.notebook import CheckFailed, GraderError, check_task, feedback_text, grade_task, single_task


def make_notebook(*cells: str | dict, metadata: dict | None = None) -> dict:
    """A format-4 notebook; a str is a code cell, a dict is taken as it is."""
    return {
        "nbformat": 4, "nbformat_minor": 5, "metadata": metadata or {},
        "cells": [c if isinstance(c, dict) else {"cell_type": "code", "metadata": {}, "source": c, "outputs": [],
                                                  "execution_count": None} for c in cells],
    }


def write(path: Path, nb: dict) -> Path:
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def run_module(source: str, capsys) -> dict:
    """Execute a built module in a fresh namespace (our own test code, not a student's)."""
    namespace: dict = {"__name__": "built"}
    exec(compile(source, "built.py", "exec"), namespace)
    return namespace


# --- reading ---------------------------------------------------------------------

def test_invalid_json_names_the_file_and_the_place(tmp_path):
    """Does a notebook that is not valid JSON raise NotebookError naming the file, line and column?"""
    path = tmp_path / "gates.ipynb"
    path.write_text('{"cells": [\n  {"cell_type": "code",,}\n]}', encoding="utf-8")
    with pytest.raises(NotebookError) as err:
        read_notebook(path)
    message = str(err.value)
    assert str(path) in message and "line 2" in message and "column" in message
    assert "\n" not in message  # one paragraph


@pytest.mark.parametrize("content, expected", [
    ("[1, 2, 3]", "not a Jupyter notebook"),
    ('{"name": "x"}', "not a Jupyter notebook"),
    ('{"nbformat": 3, "worksheets": []}', "old notebook format 3"),
])
def test_json_that_is_not_a_notebook_is_refused(tmp_path, content, expected):
    """Does JSON that is not a format-4 notebook raise NotebookError saying so?"""
    path = write(tmp_path / "gates.ipynb", json.loads(content))
    with pytest.raises(NotebookError, match=expected):
        read_notebook(path)


def test_binary_file_is_refused(tmp_path):
    """Does a file that is not UTF-8 text raise NotebookError rather than a UnicodeDecodeError?"""
    path = tmp_path / "gates.ipynb"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(NotebookError, match="not UTF-8"):
        read_notebook(path)


def test_code_cells_leave_out_markdown_and_test_cells():
    """Are markdown cells, nbgrader autograder-test cells and cells calling the kit's checks left out?"""
    nb = make_notebook(
        {"cell_type": "markdown", "metadata": {}, "source": "# Title"},
        ["def f():\n", "    return 1\n"],
        {"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "solution": False, "grade_id": "t",
                                                        "points": 1}},
         "source": "assert f() == 1", "outputs": [], "execution_count": None},
        "from autograder.notebooks.notebook import check_task\ncheck_task('gates', 'xor')",
        "g = 2",
    )
    assert [(c.label, c.source) for c in code_cells(nb)] == [("cell 2", "def f():\n    return 1\n"),
                                                              ("cell 5", "g = 2")]


def test_exercise_from_metadata_then_from_the_file_name(course):
    """Does a notebook's nngrade metadata name its exercise, with the file name (id or module) as fallback?"""
    marked = make_notebook(metadata={"nngrade": {"exercise": "activations"}})
    assert exercise_of(marked, Path("whatever-Copy1.ipynb"), course) == "activations"
    assert exercise_of(make_notebook(), Path("softmax.ipynb"), course) == "softmax"
    assert exercise_of(make_notebook(), Path("notes.ipynb"), course) is None


# --- IPython lines and cells -> module -------------------------------------------------

def test_magics_shell_and_help_lines_are_dropped():
    """Are %magic, !shell, x = !shell and obj? lines replaced by pass (indentation kept) and counted?"""
    code, dropped = without_ipython("%matplotlib inline\nfiles = !ls\nnp.exp?\nfor i in range(2):\n"
                                    "    %time f(i)\n!pip install numpy\nx = 1")
    assert dropped == 5
    lines = code.split("\n")
    assert lines[4].startswith("    pass")
    assert lines[-1] == "x = 1"
    compile(code, "cell", "exec")


def test_percent_and_bang_inside_expressions_and_strings_are_kept():
    """Are a modulo or != continuing a bracket, and a % line inside a docstring, left alone?"""
    source = 'y = (10\n     % 3)\nok = (y\n      != 2)\ndoc = """\n%d percent\n!important\n"""'
    code, dropped = without_ipython(source)
    assert dropped == 0 and code == source


def test_cell_magics():
    """Is a %%bash cell left out whole, while a %%time cell keeps its Python body?"""
    assert without_ipython("%%bash\nls -la") == (None, 1)
    code, dropped = without_ipython("\n%%time\nx = 1")
    assert dropped == 1 and code.strip() == "x = 1"


def test_a_failing_cell_stops_only_itself(capsys):
    """Does a cell that raises leave the functions of the other cells defined, as in a notebook?"""
    source, notes = module_source([
        Cell("cell 1", "def f():\n    return 1"),
        Cell("cell 2", "f()\nundefined_name\ndef never(): pass"),
        Cell("cell 3", "def g():\n    return f() + 1"),
    ], "gates.ipynb")
    namespace = run_module(source, capsys)
    assert namespace["g"]() == 2 and "never" not in namespace
    err = capsys.readouterr().err
    assert "cell 2 of gates.ipynb raised an error" in err and "NameError" in err
    assert notes == ()


def test_a_cell_with_a_syntax_error_is_left_out_with_a_note(capsys):
    """Is a cell that does not compile left out (the others kept) with a note naming it and the line?"""
    source, notes = module_source([Cell("cell 1", "def f(:\n    pass"), Cell("cell 2", "x = 3")], "gates.ipynb")
    assert run_module(source, capsys)["x"] == 3
    assert len(notes) == 1 and "cell 1" in notes[0] and "SyntaxError at line 1" in notes[0]


def test_future_imports_are_hoisted_and_strings_keep_their_text(capsys):
    """Does `from __future__` move to the top, and a multi-line string keep its exact text inside the guard?"""
    text = 'def f():\n    """Doc.\n\n  indented\n"""\n    return """a\nb"""'
    source, _ = module_source([Cell("cell 1", "from __future__ import annotations\nimport math"),
                               Cell("cell 2", text)], "nb")
    assert source.index("from __future__ import annotations") < source.index("def _nngrade_cell_failed")
    f = run_module(source, capsys)["f"]
    assert f() == "a\nb" and f.__doc__ == "Doc.\n\n  indented\n"


def test_notes_count_magic_lines_and_name_the_notebook():
    """Do the notes say how many IPython lines were dropped, and from which notebook?"""
    _, notes = module_source([Cell("cell 1", "%load_ext autoreload\n!ls\nx = 1")], "gates.ipynb")
    assert notes == ("dropped 2 IPython magic/shell lines from gates.ipynb",)


def test_odd_file_names_cannot_break_the_module(capsys):
    """Does a notebook name with quotes and braces still give a module that runs?"""
    source, _ = module_source([Cell("cell 1", "1/0")], "bob's {gates}\n.ipynb")
    run_module(source, capsys)
    assert "bob's {gates}" in capsys.readouterr().err


# --- notebook submissions ------------------------------------------------------------

def solution_notebook(module: str, *extra: str) -> dict:
    return make_notebook((ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8"), *extra)


def test_a_notebook_becomes_its_module(tmp_path, course):
    """Does one .ipynb become a folder with <module>.py, removed after the block?"""
    path = write(tmp_path / "gates.ipynb", solution_notebook("gates", "%timeit XOR(1, 0)"))
    with notebook_submission(path, course) as sub:
        assert [p.name for p in sub.folder.iterdir()] == ["gates.py"]
        assert sub.exercises == ("gates",)  # what `grade gates.ipynb` grades: gates alone
        assert sub.notes == ("dropped 1 IPython magic/shell line from gates.ipynb",)
        folder = sub.folder
    assert not folder.exists()


def test_a_folder_of_notebooks_and_modules(tmp_path, course):
    """Does a folder give one module per notebook, keep its other .py files, skip and note the rest?"""
    write(tmp_path / "gates.ipynb", solution_notebook("gates"))
    write(tmp_path / "scratch.ipynb", make_notebook("x = 1"))
    (tmp_path / "gates.py").write_text("raise SystemExit", encoding="utf-8")
    (tmp_path / "softmax.py").write_text("X = 1", encoding="utf-8")
    with notebook_submission(tmp_path, course) as sub:
        assert sorted(p.name for p in sub.folder.iterdir()) == ["gates.py", "softmax.py"]
        assert "def XOR" in (sub.folder / "gates.py").read_text()
        assert any("scratch.ipynb is not one of the course's exercises" in n for n in sub.notes)
        assert any("gates.py was not used" in n for n in sub.notes)


def test_two_notebooks_for_one_exercise_is_an_error(tmp_path, course):
    """Do two notebooks answering the same exercise raise NotebookError naming both?"""
    write(tmp_path / "gates.ipynb", make_notebook())
    write(tmp_path / "mine.ipynb", make_notebook(metadata={"nngrade": {"exercise": "gates"}}))
    with pytest.raises(NotebookError, match="gates.ipynb and mine.ipynb"), notebook_submission(tmp_path, course):
        pass


def test_an_unknown_single_notebook_is_an_error_unless_one_exercise_is_chosen(tmp_path, course):
    """Is alice.ipynb refused for the whole course, but graded as the exercise when only one is selected?"""
    path = write(tmp_path / "alice.ipynb", solution_notebook("gates"))
    with pytest.raises(NotebookError, match="not one of the course's exercises"), notebook_submission(path, course):
        pass
    with notebook_submission(path, course.select(["gates"])) as sub:
        assert (sub.folder / "gates.py").is_file()
        assert "graded alice.ipynb as the exercise gates" in sub.notes


def test_a_missing_path_is_an_error(tmp_path, course):
    """Does a path that does not exist raise NotebookError?"""
    with pytest.raises(NotebookError, match="does not exist"):
        with notebook_submission(tmp_path / "nothing.ipynb", course):
            pass


def test_a_notebook_of_the_solutions_scores_full_marks_through_the_sandbox(tmp_path, course, grade):
    """Does a solutions notebook with a magic, a failing scratch cell and a re-run cell score every point?"""
    nb = solution_notebook("gates", "%load_ext autoreload\nXOR(1, 1)", "print(undefined)",
                           "def XOR(x1, x2):\n    return AND(NAND(x1, x2), OR(x1, x2))")
    with notebook_submission(write(tmp_path / "gates.ipynb", nb), course) as sub:
        card = grade(sub.folder, "gates")
    assert card.score == card.max_score > 0
    assert "cell 3 of gates.ipynb raised an error" in card.student_output


# --- one task through the real runner -----------------------------------------------------

def test_single_task_keeps_one_task(course):
    """Is the course restricted to one exercise holding only the chosen task, and an unknown task refused?"""
    one = single_task(course, "gates", "xor")
    assert [(e.id, [t.id for t in e.tasks]) for e in one.exercises] == [("gates", ["xor"])]
    with pytest.raises(CourseError, match="no task 'nope'"):
        single_task(course, "gates", "nope")


def test_task_points_equal_the_whole_grade(course, grade):
    """Does grading each task alone give the same points and tests as grading the whole exercise?"""
    folder = case_folder(CASES / "gates" / "xor_is_or")
    whole = grade(folder, "gates")
    for task in course.exercise("gates").tasks:
        alone = grade_task(course, "gates", task.id, folder)
        expected = [(t.name, t.status, t.score) for t in whole.tests if t.task == task.id]
        assert [(t.name, t.status, t.score) for t in alone.tests] == expected


def test_a_task_run_does_not_change_later_whole_runs(course, grade):
    """After one task is graded alone, does a whole grade of that exercise still run every test?"""
    before = len(grade(ROOT / "solutions", "gates").tests)
    grade_task(course, "gates", "xor", ROOT / "solutions")
    assert len(grade(ROOT / "solutions", "gates").tests) == before


def test_feedback_text_carries_message_code_and_hint(course):
    """Is a task's feedback the panel `nngrade check` shows: message, code, expected/got and hint?"""
    card = grade_task(course, "gates", "xor", case_folder(CASES / "gates" / "xor_is_or"))
    text = feedback_text(card)
    assert text.startswith("gates · xor: 0 of 1 checks passed, 0/2 points")
    for part in ("[xor-is-or]", "expected: [0, 1, 1, 0]", "got: [0, 1, 1, 1]", "no single perceptron computes XOR"):
        assert part in text


def test_hidden_feedback_levels(course):
    """Does a hidden task's text follow [feedback] hidden as every report does (grading.visibility): full panels,
    the message and code only, or only which checks failed?"""
    card = grade_task(course, "gates", "gate-inputs", case_folder(CASES / "gates" / "xor_is_or"))
    full, summary, score_only = (feedback_text(card, level) for level in ("full", "summary", "score-only"))
    assert "expected:" in full and "hint:" in full
    assert "expected:" not in summary and "✗" in summary and "[truth-table]" in summary and "hint:" not in summary
    headline, *_rest = score_only.split("\n")
    assert headline == "gates · gate-inputs: 3 of 4 checks passed, 0.75/1 points"
    assert "hidden test failed" in score_only
    assert not any(part in score_only for part in ("[truth-table]", "expected:", "hint:"))


# --- check_task, with the kernel's cells given -------------------------------------------

@pytest.fixture
def kernel(monkeypatch):
    """Pretend these cells were run in a notebook kernel."""
    def run_cells(*sources: str) -> None:
        cells = [Cell(f"In [{i}]", s) for i, s in enumerate(sources, 1)]
        monkeypatch.setattr(notebook, "kernel_cells", lambda: cells)
    return run_cells


def case(exercise: str, name: str) -> str:
    return case_source(CASES / exercise / name, exercise)


def test_check_task_passes_quietly_with_full_marks(kernel, course, capsys):
    """Does check_task return None (nbgrader: full points) and print one summary line when all checks pass?"""
    kernel((ROOT / "solutions" / "gates.py").read_text(encoding="utf-8"))
    assert check_task("gates", "basic-gates", course=course) is None
    captured = capsys.readouterr()
    assert captured.out.strip() == "gates · basic-gates: 3 of 3 checks passed, 3/3 points" and not captured.err


def test_check_task_partial_credit_is_returned(kernel, course, capsys):
    """Does check_task return the points won (nbgrader's partial credit) and print the feedback?"""
    kernel(case("gates", "xor_is_or"))
    assert check_task("gates", "gate-inputs", include_hidden=True, course=course) == pytest.approx(0.75)
    captured = capsys.readouterr()
    assert "test_gates_accept_numpy_numbers[XOR]" in captured.out and not captured.err


def test_check_task_raises_the_feedback_when_nothing_passes(kernel, course):
    """Does check_task raise CheckFailed whose text is the feedback when the task scores 0?"""
    kernel(case("gates", "xor_is_or"))
    with pytest.raises(CheckFailed) as failed:
        check_task("gates", "xor", course=course)
    assert "[xor-is-or]" in str(failed.value) and "hint:" in str(failed.value)


def test_check_task_leaves_hidden_tasks_to_grading(kernel, course, capsys):
    """Without include_hidden, does a hidden task only say that it runs at grading time?"""
    kernel("x = 1")
    assert check_task("gates", "perceptron-batch", course=course) is None
    assert "hidden" in capsys.readouterr().out


def test_check_task_grader_faults_are_not_the_students(kernel, course):
    """Does an unknown task or a missing course raise GraderError, never CheckFailed?"""
    kernel("x = 1")
    with pytest.raises(GraderError, match="not the student's fault"):
        check_task("gates", "no-such-task", course=course)
    with pytest.raises(GraderError, match="NNGRADE_COURSE"):
        check_task("gates", "xor", course=Path("/nonexistent/course.toml"))


def test_check_task_outside_a_notebook_says_so(course):
    """Called outside IPython, does check_task explain that it grades the notebook it runs in?"""
    if "IPython" in sys.modules and sys.modules["IPython"].get_ipython() is not None:
        pytest.fail("this test must run outside an IPython kernel")
    with pytest.raises(GraderError, match="notebook cell"):
        check_task("gates", "xor", course=course)


def test_an_interrupt_is_passed_on_not_scored(kernel, course, tmp_path, monkeypatch):
    """When nbgrader interrupts a check at its cell time limit, does check_task raise KeyboardInterrupt rather
    than score the tests that happened to finish?"""
    import os
    import signal
    import tempfile
    import threading

    looping = (ROOT / "solutions" / "gates.py").read_text(encoding="utf-8").replace(
        "    return AND(NAND(x1, x2), OR(x1, x2))",
        '    open(__file__ + ".spinning", "w").close()\n    while True:\n        pass')  # says when it spins
    kernel(looping)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the sandbox's workspace, where that file appears
    monkeypatch.setenv("NNGRADE_NAMESPACES", "0")  # inside bwrap the worker writes in its own tmpfs, unseen here
    finished = threading.Event()

    def interrupt_once_xor_spins() -> None:  # while the looping XOR is being waited on
        while not finished.wait(0.02):
            try:
                spinning = any(tmp_path.glob("*/submission/*.spinning"))
            except OSError:  # a workspace removed while it was listed
                continue
            if spinning:
                os.kill(os.getpid(), signal.SIGINT)
                return

    thread = threading.Thread(target=interrupt_once_xor_spins, daemon=True)
    thread.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            check_task("gates", "gate-inputs", include_hidden=True, course=course)
    finally:
        finished.set()
        thread.join()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_lone_notebook_is_its_exercise_for_grade_but_the_course_for_grade_all(tmp_path, course):
    """Does `grade gates.ipynb` (by name) grade gates alone, while grade-all (not by name) keeps the whole course,
    so every row of its CSV has the same columns?"""
    from autograder.grading.submission import prepare

    path = write(tmp_path / "gates.ipynb", solution_notebook("gates"))
    with prepare(path, course) as ready:
        assert [e.id for e in ready.course.exercises] == ["gates"]
    with prepare(path, course, by_name=False) as ready:
        assert ready.course == course
