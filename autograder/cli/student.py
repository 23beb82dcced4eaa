"""Student commands beside `check`: `nngrade hint` (the hint ladder) and `nngrade status` (progress)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import click

from autograder.cli import common
from autograder.course import CoursePaths, Task, format_points
from autograder.errors import ExitCode
from autograder.i18n import t
from autograder.reporters.escape import rich_text
from autograder.student import progress


@contextlib.contextmanager
def progress_kept() -> Iterator[None]:
    """.nngrade/ that cannot be read or written (a file in its place, a read-only folder): a message and
    OUTPUT_FAILED, not a traceback."""
    try:
        yield
    except OSError as exc:
        common.fail_with(exc, t("cli.progress-unusable", folder=progress.STATE_DIR, detail=exc.strerror or exc))


def _first_open_task(ctx: click.Context, exercise_id: str) -> Task | None:
    """Grade the exercise with its public tests and return the first task without full marks."""
    course = common.course(ctx, [exercise_id])
    card = common.grade(course, CoursePaths.of(course).exercises, include_hidden=False)
    for exercise in card.exercises:
        for task in exercise.tasks:
            if task.score < task.max_score:
                return course.task(exercise.id, task.task)
    return None


@click.command()
@click.argument("exercise")
@click.argument("task", required=False)
@click.option("--reset", is_flag=True, help="Start the hint ladder of this exercise (or task) from the first rung.")
@click.pass_context
def hint(ctx: click.Context, exercise: str, task: str | None, reset: bool) -> None:
    """Show the next hint for the first failing task of EXERCISE (or for TASK).

    Each call climbs one rung, from a nudge to nearly the answer; how far you
    went is remembered in .nngrade/ of this folder.
    """
    course = common.course(ctx, [exercise])
    folder = Path.cwd()
    if reset:
        keys = [t.key for t in course.tasks() if task in (None, t.id)]
        with progress_kept():
            progress.reset_hints(folder, keys)
        click.echo(t("cli.hint-reset", target=f"{exercise}{'.' + task if task else ''}"))
        return
    if task is not None:
        chosen = course.task(exercise, task)
        if chosen is None:
            ids = ", ".join(t.id for t in course.tasks())
            raise click.BadParameter(t("cli.no-such-task", exercise=exercise, task=task, tasks=ids), param_hint="TASK")
    else:
        chosen = _first_open_task(ctx, exercise)
        if chosen is None:
            click.echo(t("cli.hint-all-pass", exercise=exercise))
            return
    with progress_kept():
        rung = progress.next_hint(folder, chosen)
    if rung is None:
        click.echo(t("cli.hint-none", task=chosen.key))
        return
    level, text = rung
    rungs = len(chosen.localized_hints())
    click.echo(click.style(t("cli.hint-heading", level=level, rungs=rungs, task=chosen.key,
                             title=chosen.localized_title()), bold=True))
    click.echo(f"  {text}")
    if level < rungs:
        click.echo(click.style(t("cli.hint-next"), dim=True))


@click.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show your progress: best and last score per exercise, when, and the tasks still open."""
    from rich.console import Console
    from rich.table import Table

    course = common.course(ctx)
    with progress_kept():
        seen = progress.summary(Path.cwd())
    table = Table(title=t("cli.status-title", course=course.name), title_justify="left")
    for column in ("exercise", "best", "last", "last-run", "attempts", "still-open"):
        justify: Literal["right", "left"] = "right" if column in ("best", "last", "attempts") else "left"
        table.add_column(t(f"cli.status-{column}"), justify=justify)
    for exercise in course.exercises:
        entry = seen.get(exercise.id)
        if entry is None:
            cells = [exercise.id, "-", "-", t("cli.status-never"), "0", t("cli.status-everything")]
        else:
            # The points as `check` prints them (12.90, not 12.9048).
            best, last, most = (format_points(v) for v in (entry.best, entry.last, entry.max_score))
            cells = [exercise.id, f"{best}/{most}", f"{last}/{most}",
                     entry.last_when.replace("T", " ").removesuffix("+00:00") + " UTC", str(entry.attempts),
                     ", ".join(entry.open_tasks) or t("cli.status-nothing-open")]
        # Text, not markup: .nngrade/ history is a file anyone in the folder can edit.
        table.add_row(*(rich_text(cell) for cell in cells))
    Console(highlight=False).print(table)
    if not seen:
        click.echo(t("cli.status-no-history"))


@click.command("watch")
@click.argument("exercise", required=False)
@click.option("--path", "path", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Watch this folder instead of exercises/.")
@click.pass_context
def watch_command(ctx: click.Context, exercise: str | None, path: Path | None) -> None:
    """Re-grade on every save: EXERCISE only, or whichever exercise file you saved. Ctrl-C stops."""
    from rich.console import Console

    from autograder.reporters import console as report
    from autograder.student.watch import watch

    course = common.course(ctx, [exercise] if exercise else [])
    full = common.course(ctx)
    folder = path or CoursePaths.of(full).exercises
    screen = Console(highlight=False)

    def show(exercise_id: str, card) -> None:  # type: ignore[no-untyped-def]
        screen.clear()
        report.render(card, screen)
        target = exercise_id if exercise else t("cli.watch-any")
        screen.print(rich_text(t("cli.watch-footer", folder=folder, target=target), style="dim"))

    def grade(selected, submission: Path):  # type: ignore[no-untyped-def]
        return common.grade(selected, submission, include_hidden=False)

    screen.print(rich_text(t("cli.watch-start", folder=folder)))
    watch(full if exercise is None else course, folder, grade, show, only=exercise)


@click.command("plot")
@click.argument("exercise", type=click.Choice(["activations"]))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=Path("activations.png"),
              show_default=True, help="PNG file to write.")
@click.option("--path", "path", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Plot the functions in this folder instead of exercises/.")
@click.pass_context
def plot_command(ctx: click.Context, exercise: str, output: Path, path: Path | None) -> None:
    """Draw your activations and derivatives over [-5, 5] beside the seeds' curves (needs matplotlib)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        common.fail(t("cli.plot-needs-matplotlib"), ExitCode.EXTRA_MISSING)
    import numpy as np

    from autograder.sandbox.process import SubmissionError
    from autograder.student.plot import draw, student_curves

    course = common.course(ctx, [exercise])
    x = np.linspace(-5.0, 5.0, 401)
    try:
        curves = student_curves(course, path or CoursePaths.of(course).exercises, x)
    except SubmissionError as exc:
        common.fail_with(exc)
    differing = draw(x, curves, output)
    missing = [c.name for c in curves.values() if c.values is None]
    click.echo(t("cli.plot-wrote", output=output))
    if differing:
        click.echo(t("cli.plot-differs", names=", ".join(differing)))
    if missing:
        click.echo(t("cli.plot-not-drawn", names=", ".join(missing)))
    if not differing and not missing:
        click.echo(t("cli.plot-all-match"))

