"""What every `nngrade` command shares: the course, grading, the error -> exit code table, output files.

The command modules (main, ci, student, data, nbgrader) import this one and never each other, so
the click group in `main` can register them all without an import cycle. Heavy modules (the
sandbox, pytest, rich, numpy) are imported inside the functions that need them: `nngrade --help`
and `nngrade list` start fast.
"""
from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, NoReturn

import click

from autograder.course import Course, CourseError, CoursePaths, Exercise, Task, course_from
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
    "autograder.editions.release.WorkedExercises": ExitCode.EXERCISES_NOT_STUBS,
    "builtins.OSError": ExitCode.OUTPUT_FAILED,
    "autograder.sandbox.process.WorkspaceError": ExitCode.WORKSPACE,
    "autograder.grading.grade.GraderFailed": ExitCode.INTERNAL,
    "autograder.sandbox.process.IsolationRefused": ExitCode.ISOLATION_UNAVAILABLE,
    "autograder.grading.submission_zip.SubmissionZipError": ExitCode.SUBMISSION_INVALID,
    "autograder.student.reset.ResetError": ExitCode.SUBMISSION_INVALID,
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
    """The course of this invocation (--course, else the nearest course.toml), restricted to `exercises`.

    An exercise may be named by its id, its module, or a path to its module (`exercises/gates.py`, as tab
    completion gives it); a name the course does not know is a usage error (exit 2) that lists the names.
    """
    explicit = (ctx.find_root().obj or {}).get("course")
    try:
        full = course_from(explicit)
    except CourseError as exc:
        fail_with(exc)
    return full.select([exercise_named(ctx, full, name) for name in exercises])


def _as_module_name(word: str) -> str:
    """`exercises/gates.py`, `./gates.py`, `exercises/gates/` -> `gates`; any other word unchanged."""
    if "/" in word or "\\" in word or word.endswith(".py"):
        return PurePath(word.replace("\\", "/").rstrip("/")).name.removesuffix(".py")
    return word


def find_exercise(course: Course, word: str) -> Exercise | None:
    """The exercise `word` names (id, module or a path to the module), or None."""
    name = _as_module_name(word)
    return course.exercise(name) or next((e for e in course.exercises if e.module == name), None)


def _did_you_mean(word: str, names: list[str]) -> str:
    close = difflib.get_close_matches(_as_module_name(word), names, n=1, cutoff=0.6)
    return t("cli.did-you-mean", name=close[0]) if close else ""


def usage_error(ctx: click.Context, message: str) -> NoReturn:
    """Stop with click's usage error: the usage line, `message`, exit code 2."""
    raise click.UsageError(visible(message), ctx)


def exercise_named(ctx: click.Context, course: Course, word: str) -> str:
    """The id of the exercise `word` names; a usage error listing the exercises when none."""
    exercise = find_exercise(course, word)
    if exercise is None:
        ids = [e.id for e in course.exercises]
        owners = [e.id for e in course.exercises if e.task(word) is not None]
        if owners:  # `check xor`: a task named without its exercise
            usage_error(ctx, t("cli.unknown-exercise", name=word, known=", ".join(ids))
                        + t("cli.task-of", name=word, exercises=", ".join(owners),
                            example=f"{ctx.command_path} {owners[0]}"
                            + (f" {word}" if ctx.command.name in ("check", "hint") else "")))
        usage_error(ctx, t("cli.unknown-exercise", name=word, known=", ".join(ids)) + _did_you_mean(word, ids))
    return exercise.id


def task_named(ctx: click.Context, course: Course, exercise_id: str, word: str) -> Task:
    """The task `word` names in the exercise; a usage error listing its tasks when none."""
    exercise = course.exercise(exercise_id)
    task = exercise.task(word) if exercise else None
    if task is None:
        ids = [task.id for task in exercise.tasks] if exercise else []
        usage_error(ctx, t("cli.no-such-task", exercise=exercise_id, task=word, tasks=", ".join(ids))
                    + _did_you_mean(word, ids))
    return task


@dataclass(frozen=True)
class Selection:
    """What `check WORDS...` asks for: exercises, and for some of them only some tasks."""

    exercises: tuple[str, ...]
    tasks: dict[str, tuple[str, ...]]
    """exercise id -> the task ids asked for; an exercise not here runs whole."""


def selection(ctx: click.Context, course: Course, words: tuple[str, ...]) -> Selection:
    """Read `gates`, `gates xor`, `gates.xor`, `exercises/gates.py activations`: a word after an exercise is one
    of its tasks if it has one by that name (`softmax softmax`), else the next exercise."""
    exercises: list[str] = []
    tasks: dict[str, list[str]] = {}
    for word in words:
        current = exercises[-1] if exercises else None
        if current is not None and (task := course.task(current, word)) is not None:
            tasks.setdefault(current, []).append(task.id)
            continue
        head, dot, tail = word.partition(".")
        if dot and not word.endswith(".py") and "/" not in word and course.exercise(head) is not None:
            exercise_id, task_id = head, task_named(ctx, course, head, tail).id
        elif find_exercise(course, word) is None and current is not None:
            ids = [e.id for e in course.exercises]
            task_ids = [task.id for task in course.exercise(current).tasks]  # type: ignore[union-attr]
            usage_error(ctx, t("cli.neither-exercise-nor-task", name=word, exercise=current,
                               tasks=", ".join(task_ids), known=", ".join(ids))
                        + _did_you_mean(word, task_ids + ids))
        else:
            exercise_id, task_id = exercise_named(ctx, course, word), ""
        if exercise_id not in exercises:
            exercises.append(exercise_id)
        if task_id:
            tasks.setdefault(exercise_id, []).append(task_id)
    return Selection(tuple(exercises), {e: tuple(dict.fromkeys(ids)) for e, ids in tasks.items()})


def remember_stubs(course: Course) -> None:
    """Keep a copy of every exercise file still as shipped (for `nngrade reset`); never fails a command."""
    from autograder.student.reset import remember_stubs as keep

    try:
        keep(course, CoursePaths.of(course).exercises, progress_home(course))
    except OSError:
        pass


@contextlib.contextmanager
def unzipped(submission: Path) -> Iterator[tuple[Path, Any]]:
    """(folder, manifest check) for a zip written by `nngrade submit`, unpacked safely into a temporary
    folder; (submission, None) for anything else."""
    if submission.suffix.lower() != ".zip" or not submission.is_file():
        yield submission, None
        return
    import shutil
    import tempfile

    from autograder.grading.submission_zip import SubmissionZipError, unpack

    try:
        folder = Path(tempfile.mkdtemp(prefix="nngrade-zip-"))
    except OSError as exc:
        fail(t("cli.workspace-failed", detail=exc), ExitCode.WORKSPACE)
    try:
        try:
            manifest = unpack(submission, folder)
        except SubmissionZipError as exc:
            fail_with(exc, t("cli.cannot-grade", detail=exc))
        yield folder, manifest
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def say_manifest(check: Any, course_name: str) -> None:
    """On stderr: whether the zip's files are those its manifest lists (a clear warning when not)."""
    if check.course is not None and check.course != course_name:
        click.echo(t("cli.manifest-other-course", course=visible(check.course), expected=course_name), err=True)
    if check.skipped:
        click.echo(t("cli.zip-skipped", names=visible(", ".join(check.skipped[:10]))), err=True)
    if check.status == "matches":
        click.echo(t("cli.manifest-matches", created=visible(str(check.created))), err=True)
        return
    if check.status == "tampered":
        changes = [*(f"{n} (changed)" for n in check.changed), *(f"{n} (missing)" for n in check.missing),
                   *(f"{n} (not in the manifest)" for n in check.added)]
        text = t("cli.manifest-tampered", created=visible(str(check.created)), files=visible(", ".join(changes)))
    else:
        text = t(f"cli.manifest-{check.status}")
    click.echo(click.style(text, fg="yellow", bold=True), err=True)


def with_manifest(text: str, check: Any) -> str:
    """The JSON scorecard with `submission_manifest`: status (matches, tampered, absent, unreadable) and files."""
    import json

    card = json.loads(text)
    card["submission_manifest"] = check.as_json()
    return json.dumps(card, indent=2, ensure_ascii=False) + "\n"


def progress_home(course: Course) -> Path:
    """The folder whose .nngrade/ keeps this kit's progress: the kit's root (course.toml's folder)."""
    from autograder.student import progress

    return progress.home(course.root)


def data_dir() -> Path | None:
    """The MNIST folder, if there is one (grading without it reports the tests that need it as not run)."""
    from autograder.data.datadir import existing_data_dir

    return existing_data_dir()


@dataclass(frozen=True)
class Warm:
    """What the check server (cli/server.py) keeps between checks: a sandboxed fork server and the public
    suites collected, for the course file and data folder it was started with."""

    course_file: Path
    data_dir: Path | None
    forkserver: Any
    session: Any


_warm: Warm | None = None


def keep_warm(warm: Warm | None) -> None:
    """Grade with `warm`'s fork server and suites wherever they fit (set by the check server only)."""
    global _warm
    _warm = warm


def grade_folder(course: Course, folder: Path, *, include_hidden: bool, submission: str | None = None) -> Scorecard:
    """Run and score one folder of modules; raises SubmissionError, WorkspaceError or GraderFailed.

    The commands' one way into grading, so where `grade_folder` lives is said once.
    """
    from autograder.grading.grade import grade_folder as run_and_score
    from autograder.grading.preload import also_preload

    also_preload(*REPORTERS)  # written after grading, in this process: imported before student code runs
    data = data_dir()
    warm = _warm if _warm is not None and not include_hidden and course.path.resolve() == _warm.course_file \
        and data == _warm.data_dir else None
    return run_and_score(course, folder, include_hidden=include_hidden, data_dir=data, submission=submission,
                         forkserver=warm.forkserver if warm else None, session=warm.session if warm else None)


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
