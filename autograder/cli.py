"""The `nngrade` command: a thin click group that parses, calls typed functions and maps errors to exit codes."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from autograder.course import Course, CourseError, CoursePaths, find_course, load_course
from autograder.exitcodes import ExitCode

if TYPE_CHECKING:
    from autograder.scoring import Scorecard

FORMATS = ("console", "json")


class NngradeError(click.ClickException):
    """A user-facing error: one paragraph on stderr and its own exit code, never a traceback."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.exit_code = int(code)


def fail(message: str, code: ExitCode) -> NoReturn:
    raise NngradeError(message, code)


def _course(ctx: click.Context, exercises: tuple[str, ...] = ()) -> Course:
    try:
        course = load_course(find_course(ctx.obj["course"]))
        return course.select(list(exercises))
    except CourseError as exc:
        fail(f"{exc}", ExitCode.COURSE_INVALID)


def _data_dir() -> Path | None:
    from autograder.mnist_data import data_dir

    folder = data_dir()
    return folder if folder.is_dir() else None


def _grade(course: Course, submission: Path, *, include_hidden: bool) -> Scorecard:
    """Run and score; grader and submission faults become NngradeErrors."""
    from autograder.sandbox import SubmissionError, WorkspaceError, open_sandbox

    data_dir = _data_dir()
    try:
        # Start the worker first: it boots while the judge imports pytest and collects the suites.
        sandbox = open_sandbox(course, submission, data_dir)
    except SubmissionError as exc:
        fail(f"Cannot grade this submission: {exc}.", ExitCode.SUBMISSION_INVALID)
    except WorkspaceError as exc:
        fail(f"Cannot grade: the grader {exc}. Nothing was graded or written.", ExitCode.WORKSPACE)
    from autograder.runner import InternalError, run
    from autograder.scoring import score

    try:
        result = run(course, submission, include_hidden=include_hidden, data_dir=data_dir, sandbox=sandbox)
    except InternalError as exc:
        fail(f"The grader itself failed (not the student's fault; please report it): {exc}", ExitCode.INTERNAL)
    card = score(result, course, submission=str(submission))
    if card.internal_errors:
        # Shown in the report too; the exit code makes sure CI never trusts such a score.
        click.echo(f"nngrade: {len(card.internal_errors)} internal error(s) while grading", err=True)
    return card


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(highlight=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--course", "course_path", type=click.Path(path_type=Path, dir_okay=False),
              envvar="NNGRADE_COURSE", help="course.toml to use (default: the nearest one above the working folder).")
@click.version_option(package_name="nngrade", prog_name="nngrade")
@click.pass_context
def main(ctx: click.Context, course_path: Path | None) -> None:
    """Auto-graded exercises for neural-network fundamentals.

    Students: edit exercises/*.py, then run `nngrade check`.
    Instructors and CI: `nngrade grade PATH --format json`.
    """
    ctx.obj = {"course": course_path}


from autograder.data_cli import data_group  # noqa: E402  (registered after main exists)

main.add_command(data_group)


@main.command("list")
@click.pass_context
def list_exercises(ctx: click.Context) -> None:
    """Show the exercises, their tasks and points (from course.toml)."""
    from rich.table import Table

    course = _course(ctx)
    table = Table(title=course.name, title_justify="left")
    for column in ("exercise", "module", "task", "points", "visibility", "title"):
        table.add_column(column, justify="right" if column == "points" else "left", no_wrap=column != "title")
    for exercise in course.exercises:
        for i, task in enumerate(exercise.tasks):
            table.add_row(exercise.id if i == 0 else "", f"{exercise.module}.py" if i == 0 else "",
                          task.id, f"{task.points:g}", task.visibility.value, task.title)
        table.add_section()
    total = sum(e.max_points for e in course.exercises)
    table.caption = f"{len(course.exercises)} exercises, {total:g} points"
    _console().print(table)


@main.command()
@click.argument("exercises", nargs=-1)
@click.option("--solutions", is_flag=True, help="Grade the reference solutions instead of exercises/.")
@click.option("--path", "path", type=click.Path(path_type=Path, file_okay=False),
              help="Grade this folder instead of exercises/.")
@click.option("-v", "--verbose", is_flag=True, help="Show every failing check and what your code printed.")
@click.pass_context
def check(ctx: click.Context, exercises: tuple[str, ...], solutions: bool, path: Path | None, verbose: bool) -> None:
    """Grade your work with the public tests and explain every failure.

    EXERCISES limits the run to some exercises (e.g. `nngrade check gates`).
    Hidden tests run only at grading time; the report says how many there are.
    """
    from autograder.reporters import console

    course = _course(ctx, exercises)
    paths = CoursePaths.of(course)
    folder = path or (paths.solutions if solutions else paths.exercises)
    card = _grade(course, folder, include_hidden=False)
    console.render(card, _console(), verbose=verbose)
    if card.internal_errors:
        sys.exit(ExitCode.INTERNAL)


@main.command()
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("-e", "--exercise", "exercises", multiple=True, help="Grade only this exercise (repeatable).")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="console", show_default=True,
              help="Output format.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the result to this file (atomically) instead of stdout.")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PCT",
              help="Exit with 1 when the score is below PCT percent (for CI gates).")
@click.option("--public-only", is_flag=True, help="Run only the public tests, as `nngrade check` does.")
@click.pass_context
def grade(ctx: click.Context, submission: Path, exercises: tuple[str, ...], fmt: str, output: Path | None,
          fail_under: float | None, public_only: bool) -> None:
    """Grade SUBMISSION (a folder of modules named like exercises/) with every test, hidden ones included.

    Exit code 0 whenever grading happened, whatever the score.
    """
    course = _course(ctx, exercises)
    if not submission.exists():
        fail(f"{submission} does not exist: pass a folder that holds the student's .py files.",
             ExitCode.SUBMISSION_INVALID)
    card = _grade(course, submission, include_hidden=not public_only)
    if card.not_run:
        # A grade must never silently leave out tests: absent data is an error, not points won or lost.
        reason = next(t.message for t in card.tests if t.status.value == "not-run")
        fail(f"{card.not_run} test(s) could not run: {reason}. Nothing was written.", ExitCode.DATA_MISSING)
    if fmt == "json":
        from autograder.reporters import json_report

        text = json_report.render(card)
        if output is None:
            click.echo(text, nl=False)
    else:
        from autograder.reporters import console

        if output is None:
            console.render(card, _console())
            text = ""
        else:
            from rich.console import Console
            import io

            buffer = io.StringIO()
            console.render(card, Console(file=buffer, width=100, no_color=True))
            text = buffer.getvalue()
    if output is not None:
        from autograder.atomic import write_text

        try:
            write_text(output, text)
        except OSError as exc:
            fail(f"Cannot write the results to {output}: {exc.strerror or exc}. Earlier results are untouched.",
                 ExitCode.OUTPUT_FAILED)
    if card.internal_errors:
        sys.exit(ExitCode.INTERNAL)
    if fail_under is not None and card.percent < fail_under:
        click.echo(f"nngrade: score {card.percent:.1f}% is below --fail-under {fail_under:g}%", err=True)
        sys.exit(ExitCode.BELOW_THRESHOLD)


def entry() -> None:
    """Console-script entry: run, flush, and leave without the interpreter's teardown.

    Tearing down numpy, pytest and rich costs ~80 ms of a ~0.9 s check; by the time
    main() returns the sandbox is closed, temporary files are removed and results
    are written, so there is nothing left to clean up.
    """
    try:
        main(prog_name="nngrade")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            click.echo(str(exc.code), err=True)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
