"""Notebooks in nbgrader: `check_task` for the exported test cells, and the feedback text they show.

`check_task(exercise, task)` is what an exported test cell calls: it rebuilds the module from the
cells the kernel has run (`autograder.grading.notebook_source`, which also turns saved notebooks
into submissions), grades that one task through the sandbox and the real suites, and fails with
the feedback `nngrade check` prints.
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import warnings
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.course import Course, CourseError, CoursePaths, course_from, format_points
from autograder.data.datadir import existing_data_dir
from autograder.grading.notebook_source import TEST_MODULE, Cell, module_source
from autograder.i18n import language

if TYPE_CHECKING:
    from autograder.grading.scoring import Scorecard

class CheckFailed(AssertionError):
    """A task's checks failed in a notebook: the message is the feedback `nngrade check` shows."""


class GraderError(Exception):
    """The check could not run (course, suites or data missing): not the student's fault."""


# --- one task through the real runner ------------------------------------------

_SHIM = '''"""The tests of task {task!r} of {suite}, for one notebook check (made by autograder.notebooks.notebook)."""
import importlib.util as _util
import sys as _sys

_spec = _util.spec_from_file_location({name!r}, {suite!r})
_suite = _util.module_from_spec(_spec)
_sys.modules[{name!r}] = _suite
_spec.loader.exec_module(_suite)


def _task_of(obj):
    marks = [*getattr(obj, "pytestmark", []), *getattr(_suite, "pytestmark", [])]
    return next((m.args[0] for m in marks if getattr(m, "name", "") == "task" and m.args), None)


globals().update({{key: value for key, value in vars(_suite).items() if not key.startswith("__")
                  and not (key.startswith(("test", "Test")) and callable(value) and _task_of(value) != {task!r})}})
'''


def single_task(course: Course, exercise_id: str, task_id: str) -> Course:
    """The course restricted to one task of one exercise (CourseError if either is unknown)."""
    exercise = course.select([exercise_id]).exercises[0]
    task = exercise.task(task_id)
    if task is None:
        known = ", ".join(t.id for t in exercise.tasks)
        raise CourseError(f"{course.path}: exercise {exercise_id!r} has no task {task_id!r} (it has: {known})")
    return replace(course, exercises=(replace(exercise, tasks=(task,)),))


def grade_task(course: Course, exercise_id: str, task_id: str, submission: Path,
               data_dir: Path | None = None) -> Scorecard:
    """Grade one task of a submission folder through the sandbox and the real suite (hidden tests included).

    The suite file is loaded through a shim that keeps only this task's tests, under the suite's own
    name, so seeded inputs are the same as in `nngrade grade`.
    """
    from autograder.grading.preload import also_preload
    from autograder.grading.runner import run
    from autograder.grading.scoring import score
    from autograder.sandbox.process import open_sandbox

    also_preload("autograder.reporters.console", "autograder.grading.visibility")  # feedback_text, after grading
    one = single_task(course, exercise_id, task_id)
    paths = CoursePaths.of(course)
    suite = paths.suites / f"test_{exercise_id}.py"
    with tempfile.TemporaryDirectory(prefix="nngrade-task-") as shim:
        (Path(shim) / suite.name).write_text(_SHIM.format(
            task=task_id, suite=str(suite), name=f"_nngrade_suite_{exercise_id.replace('-', '_')}"), encoding="utf-8")
        sandbox = open_sandbox(one, submission, data_dir, paths)  # the real suites stay off limits
        # pytest reuses a module already imported under the same name: neither the real suite nor the
        # shim may stand in for the other in a later run of this process.
        previous = sys.modules.pop(suite.stem, None)
        try:
            result = run(one, submission, include_hidden=True, data_dir=data_dir,
                         paths=replace(paths, suites=Path(shim)), sandbox=sandbox)
        finally:
            sys.modules.pop(suite.stem, None)
            if previous is not None:
                sys.modules[suite.stem] = previous
    return score(result, one, submission=str(submission), lang=language())


# --- rendering -----------------------------------------------------------------

def feedback_text(card: Scorecard, hidden_feedback: str = "full", width: int = 90) -> str:
    """Plain text of one task's result: a headline, then what `nngrade check` prints about its failing tests,
    hidden tests cut to course.toml's `[feedback] hidden` level as every report cuts them."""
    from rich.console import Console

    from autograder.grading.visibility import for_students
    from autograder.reporters import console as report

    task = card.exercises[0].tasks[0]
    headline = (f"{task.exercise} · {task.task}: {task.passed} of {task.total} checks passed, "
                f"{format_points(task.score)}/{format_points(task.max_score)} points")
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, force_jupyter=False,
                      highlight=False, emoji=False)
    report.render_failures(for_students(card, hidden_feedback), console, verbose=True)
    details = buffer.getvalue().strip("\n")
    return headline + ("\n" + details if details else "")


# --- inside a notebook kernel ---------------------------------------------------

def kernel_cells() -> list[Cell]:
    """The cells this IPython kernel has run, in order (re-runs included), test cells left out."""
    ipython = sys.modules.get("IPython")  # a kernel has imported it; nothing else needs to
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        raise GraderError("check_task grades the code of the notebook it runs in: call it from a notebook cell "
                          "(`nngrade grade NOTEBOOK.ipynb` grades a saved notebook).")
    history = list(shell.history_manager.input_hist_raw)
    return [Cell(f"In [{n}]", source) for n, source in enumerate(history)
            if n and isinstance(source, str) and TEST_MODULE not in source]


def notebook_course(explicit: Course | Path | str | None) -> Course:
    """The course a notebook check grades with: given, else NNGRADE_COURSE, else the nearest course.toml."""
    if isinstance(explicit, Course):
        return explicit
    named = explicit or os.environ.get("NNGRADE_COURSE") or None
    try:
        return course_from(Path(named) if named else None)
    except CourseError as exc:
        raise GraderError(f"nngrade cannot load its course (not the student's fault): {exc}. "
                          "Set NNGRADE_COURSE to the course.toml the notebooks were exported from.") from None


def check_task(exercise: str, task: str, *, include_hidden: bool = False,
               course: Course | Path | str | None = None) -> float | None:
    """Grade one task against the code this notebook has run; what an exported test cell calls.

    Returns None when every check passes (full points in nbgrader), the points won when some
    pass (nbgrader's partial credit), and raises CheckFailed with the feedback when none does.
    A hidden task's tests run only with include_hidden=True (inside nbgrader's hidden-test region).
    """
    __tracebackhide__ = True
    chosen = notebook_course(course)
    try:
        one = single_task(chosen, exercise, task)
    except CourseError as exc:
        raise GraderError(f"{exc} (not the student's fault: the notebook and course.toml disagree)") from None
    the_task = one.exercises[0].tasks[0]
    if the_task.visibility.value == "hidden" and not include_hidden:
        print(f"{exercise} · {task}: the tests of this task are hidden; they run when your notebook is graded.")
        return None
    cells = kernel_cells()
    source, notes = module_source(cells, "this notebook")
    autograding = os.environ.get("NBGRADER_EXECUTION") == "autograde"
    card = _grade_source(one, source)
    not_run = [t for t in card.tests if t.status.value == "not-run"]
    if card.internal_errors or (not_run and autograding):
        problem = card.internal_errors[0] if card.internal_errors else not_run[0].message
        raise GraderError(f"nngrade could not grade {exercise} · {task} (not the student's fault): {problem}")
    text = feedback_text(card, chosen.hidden_feedback)
    if notes:
        text += "\n" + "\n".join(f"note: {n}" for n in notes)
    result = card.exercises[0].tasks[0]
    if result.score >= result.max_score:
        print(text)
        return None
    if result.score > 0:
        print(text)
        return result.score
    raise CheckFailed(text)


def _grade_source(one: Course, source: str) -> Scorecard:
    """Write the rebuilt module to a temporary folder and grade it, quietly (nbgrader zeroes a cell that writes
    to stderr) and with a kernel interrupt (nbgrader's cell timeout) passed on rather than swallowed by pytest."""
    import signal

    from autograder.grading.runner import InternalError
    from autograder.sandbox.process import SubmissionError

    exercise = one.exercises[0]
    interrupted = []

    def on_interrupt(signum: int, frame: Any) -> None:
        interrupted.append(signum)
        raise KeyboardInterrupt

    with tempfile.TemporaryDirectory(prefix="nngrade-notebook-") as folder:
        (Path(folder) / f"{exercise.module}.py").write_text(source, encoding="utf-8")
        try:
            previous = signal.signal(signal.SIGINT, on_interrupt)
        except ValueError:  # not the main thread: interrupts reach pytest unannounced
            previous = None
        try:
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                card = grade_task(one, exercise.id, exercise.tasks[0].id, Path(folder), existing_data_dir())
        except (InternalError, SubmissionError) as exc:
            raise GraderError(f"nngrade could not grade {exercise.id} (not the student's fault): {exc}") from None
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise KeyboardInterrupt("the check was interrupted (the notebook's cell time limit?)")
    return card
