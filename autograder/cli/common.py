"""What every `nngrade` command shares: the course, grading, the error -> exit code table, output files.

The command modules (main, ci, student, data, nbgrader) import this one and never each other, so
the click group in `main` can register them all without an import cycle. Heavy modules (the
sandbox, pytest, rich, numpy) are imported inside the functions that need them: `nngrade --help`
and `nngrade list` start fast.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from autograder.course import Course, CourseError, course_from
from autograder.errors import ExitCode
from autograder.i18n import t
from autograder.reporters.escape import visible

if TYPE_CHECKING:
    from autograder.grading.scoring import Scorecard
    from autograder.grading.submission import Prepared

EXIT_CODES: dict[str, ExitCode] = {
    "autograder.course.CourseError": ExitCode.COURSE_INVALID,
    "autograder.notebooks.nbgrader_export.ExportError": ExitCode.COURSE_INVALID,
    "autograder.sandbox.process.SubmissionError": ExitCode.SUBMISSION_INVALID,
    "autograder.data.mnist.DataUnavailable": ExitCode.DATA_MISSING,
    "autograder.editions.release.ReleaseError": ExitCode.OUTPUT_FAILED,
    "builtins.OSError": ExitCode.OUTPUT_FAILED,
    "autograder.sandbox.process.WorkspaceError": ExitCode.WORKSPACE,
    "autograder.grading.grade.GraderFailed": ExitCode.INTERNAL,
    "autograder.sandbox.process.IsolationRefused": ExitCode.ISOLATION_UNAVAILABLE,
}
"""The one table from an error the commands meet to the exit code it ends with (checked along the
error's class hierarchy, most specific first). Keyed by name so that no command imports the sandbox
or the batch machinery just to know its errors; a BatchError carries its own code."""


def exit_code_of(error: BaseException) -> ExitCode:
    """The exit code a command ends with when `error` stops it (INTERNAL for what the table does not know)."""
    own = getattr(error, "code", None)
    if isinstance(own, ExitCode):
        return own
    for cls in type(error).__mro__:
        code = EXIT_CODES.get(f"{cls.__module__}.{cls.__qualname__}")
        if code is not None:
            return code
    return ExitCode.INTERNAL


class NngradeError(click.ClickException):
    """A user-facing error: one paragraph on stderr and its own exit code, never a traceback.

    The message often quotes a submission (its name, a syntax error's line): `visible`, so it cannot drive
    the terminal it is printed on.
    """

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(visible(message))
        # click reads exit_code from the instance but declares it a ClassVar: one error class, every code.
        self.exit_code = int(code)  # type: ignore[misc]


def fail(message: str, code: ExitCode) -> NoReturn:
    raise NngradeError(message, code)


def fail_with(error: BaseException, message: str | None = None) -> NoReturn:
    """Stop the command because of `error`: `message` (default: the error's own words), the table's exit code."""
    raise NngradeError(str(error) if message is None else message, exit_code_of(error)) from None


def course(ctx: click.Context, exercises: tuple[str, ...] | list[str] = ()) -> Course:
    """The course of this invocation (--course, else the nearest course.toml), restricted to `exercises`."""
    explicit = (ctx.find_root().obj or {}).get("course")
    try:
        return course_from(explicit, exercises)
    except CourseError as exc:
        fail_with(exc)


def data_dir() -> Path | None:
    """The MNIST folder, if there is one (grading without it reports the tests that need it as not run)."""
    from autograder.data.datadir import existing_data_dir

    return existing_data_dir()


def grade_folder(course: Course, folder: Path, *, include_hidden: bool, submission: str | None = None) -> Scorecard:
    """Run and score one folder of modules; raises SubmissionError, WorkspaceError or GraderFailed.

    The commands' one way into grading, so where `grade_folder` lives is said once.
    """
    from autograder.grading.grade import grade_folder as run_and_score
    from autograder.grading.preload import also_preload

    also_preload(*REPORTERS)  # written after grading, in this process: imported before student code runs
    return run_and_score(course, folder, include_hidden=include_hidden, data_dir=data_dir(), submission=submission)


REPORTERS = ("autograder.reporters.console", "autograder.reporters.text", "autograder.reporters.markdown",
             "autograder.reporters.json_report", "autograder.reporters.gradescope", "autograder.reporters.junit",
             "autograder.reporters.csv_report", "autograder.reporters.escape")
"""Every reporter a command may render with once a submission is graded."""


ISOLATION_MODES = ("auto", "strict")


def choose_isolation(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """--isolation: the mode for this process and the judges it starts (NNGRADE_ISOLATION when not given)."""
    from autograder.sandbox import isolation

    if value is not None:
        isolation.set_mode(value)


isolation_option = click.option(
    "--isolation", type=click.Choice(ISOLATION_MODES), expose_value=False, is_eager=True, callback=choose_isolation,
    help="Isolation of student code: auto uses every kernel layer this machine has (namespaces, Landlock, "
         "seccomp); strict refuses to grade (exit 9) unless one holds. Default: NNGRADE_ISOLATION, else auto.")
"""The --isolation option of every command that runs student code."""


def require_isolation() -> None:
    """Under --isolation strict, stop with exit code 9 unless a real worker here stands behind a kernel wall.

    For commands whose workers run in other processes (grade-all's judges): asked once, before grading.
    """
    from autograder.sandbox import isolation
    from autograder.sandbox.process import probe_isolation

    if isolation.mode() is isolation.Mode.STRICT:
        with grading_errors():
            level = probe_isolation()
        if not isolation.kernel_walled(level):
            fail(t("cli.isolation-refused", level=level), ExitCode.ISOLATION_UNAVAILABLE)


def say_isolation(level: str) -> None:
    """Say once, on stderr, what walled the student's code in (and that it was only the audit hook, if so)."""
    key = "cli.isolation-weak" if level in ("audit-hook", "none") else "cli.isolation"
    click.echo(t(key, level=level), err=True)


@contextlib.contextmanager
def grading_errors() -> Iterator[None]:
    """Submission, workspace and grader faults as NngradeErrors with their explanation and exit code."""
    from autograder.grading.grade import GraderFailed
    from autograder.sandbox.process import IsolationRefused, SubmissionError, WorkspaceError

    try:
        yield
    except SubmissionError as exc:
        fail_with(exc, t("cli.cannot-grade", detail=exc))
    except WorkspaceError as exc:
        fail_with(exc, t("cli.workspace-failed", detail=exc))
    except GraderFailed as exc:
        fail_with(exc, t("cli.grader-failed", detail=exc))
    except IsolationRefused as exc:
        fail_with(exc, t("cli.isolation-refused", level=exc))


def grade(course: Course, submission: Path, *, include_hidden: bool, name: str | None = None) -> Scorecard:
    """Run and score one folder of modules; grader and submission faults become NngradeErrors."""
    with grading_errors():
        card = grade_folder(course, submission, include_hidden=include_hidden, submission=name)
    if card.internal_errors:
        # Shown in the report too; the exit code makes sure CI never trusts such a score.
        click.echo(t("cli.internal-errors", count=len(card.internal_errors)), err=True)
    return card


@contextlib.contextmanager
def prepared(submission: Path, course: Course) -> Iterator[Prepared]:
    """The submission as a folder of modules (a .py file or notebooks converted); bad input -> NngradeError."""
    from autograder.grading.submission import prepare

    with grading_errors(), prepare(submission, course) as ready:
        for note in ready.notes:
            click.echo(f"nngrade: note: {visible(note)}", err=True)
        yield ready


def write_output(path: Path, text: str) -> None:
    """Write a result file atomically; a failure is exit code 6 and earlier results stay as they were."""
    from autograder.atomic import write_text

    try:
        write_text(path, text)
    except OSError as exc:
        fail_with(exc, t("cli.cannot-write", path=path, detail=exc.strerror or exc))


def console() -> Any:
    """A rich Console for stdout (rich imported only by the commands that print tables)."""
    from rich.console import Console

    return Console(highlight=False)
