"""Student commands beside `check`: hint (the hint ladder), status and next (progress), watch, reset, submit
and plot. Progress lives in .nngrade/ at the kit's root, wherever in the kit they are run."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import click

from autograder.cli import common
from autograder.course import Course, CoursePaths, Task, format_points
from autograder.errors import ExitCode
from autograder.i18n import language, t
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


def course_and_progress(ctx: click.Context) -> tuple[Course, dict[str, progress.ExerciseProgress]]:
    """The course and the student's progress in it, as `status` and `next` show them (stubs remembered first)."""
    course = common.course(ctx)
    common.remember_stubs(course)
    with progress_kept():
        return course, progress.summary(common.progress_home(course))


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
    went is remembered in .nngrade/ of the kit.
    """
    course = common.course(ctx, [exercise])
    exercise = course.exercises[0].id
    folder = common.progress_home(course)
    if reset:
        if task is not None:
            common.task_named(ctx, course, exercise, task)
        keys = [t.key for t in course.tasks() if task in (None, t.id)]
        with progress_kept():
            progress.reset_hints(folder, keys)
        click.echo(t("cli.hint-reset", target=f"{exercise}{'.' + task if task else ''}"))
        return
    if task is not None:
        chosen = common.task_named(ctx, course, exercise, task)
    else:
        first_open = _first_open_task(ctx, exercise)
        if first_open is None:
            click.echo(t("cli.hint-all-pass", exercise=exercise))
            return
        chosen = first_open
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

    course, seen = course_and_progress(ctx)
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
        click.echo(t("cli.status-no-history", folder=common.progress_home(course)))


@click.command("watch")
@click.argument("exercise", required=False)
@click.option("--path", "path", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Watch this folder instead of exercises/.")
@click.pass_context
def watch_command(ctx: click.Context, exercise: str | None, path: Path | None) -> None:
    """Re-grade on every save: EXERCISE only, or whichever exercise file you saved. Ctrl-C stops."""
    import threading

    from rich.console import Console

    from autograder.reporters import console as report
    from autograder.student.watch import next_unfinished, stdin_lines, watch

    full = common.course(ctx)
    target = common.exercise_named(ctx, full, exercise) if exercise else None
    folder = path or CoursePaths.of(full).exercises
    home = common.progress_home(full)
    if path is None:
        common.remember_stubs(full)
    screen = Console(highlight=False)
    offered: list[str] = []  # the exercise offered next, if any
    switch = threading.Event()

    def footer(watched: str | None) -> None:
        screen.print(rich_text(t("cli.watch-footer", folder=_shown(folder, Path.cwd()),
                                 target=watched or t("cli.watch-any")),
                               style="dim"))

    def show(exercise_id: str, card) -> None:  # type: ignore[no-untyped-def]
        screen.clear()
        report.render(card, screen)
        if path is None:
            with contextlib.suppress(OSError):
                progress.record(home, card)
        offered.clear()
        finished = bool(card.exercises) and all(e.score >= e.max_score for e in card.exercises)
        try:
            seen = progress.summary(home) if finished else {}
        except OSError:
            seen = {}  # a .nngrade/ that cannot be read: offer the next exercise in course order
        following = next_unfinished(full, seen, after=exercise_id) if finished else None
        if finished:
            if following is None:
                screen.print(rich_text(t("cli.watch-all-done"), style="bold green"))
            elif interactive:
                offered.append(following)
                screen.print(rich_text(t("cli.watch-offer", exercise=exercise_id, next=following),
                                       style="bold green"))
            else:
                screen.print(rich_text(t("cli.watch-suggest", exercise=exercise_id, next=following),
                                       style="bold green"))
        footer(target)

    def grade(selected, submission: Path):  # type: ignore[no-untyped-def]
        return common.grade(selected, submission, include_hidden=False)

    def on_enter() -> None:
        if offered:
            switch.set()

    interactive = stdin_lines(on_enter)
    while True:
        if target is None:
            footer(None)
        switch.clear()
        watch(full, folder, grade, show, only=target, stop=switch)
        if not switch.is_set() or not offered:
            return  # stopped by something else than Enter on an offer
        target = offered[0]


@click.command("next")
@click.pass_context
def next_command(ctx: click.Context) -> None:
    """Show the suggested order of the exercises, which are done, and what to do next."""
    from rich.table import Table

    course, seen = course_and_progress(ctx)
    table = Table(title=t("cli.next-title", course=course.name), title_justify="left")
    for column in ("order", "exercise", "module", "state", "points"):
        table.add_column(t(f"cli.next-{column}"), justify="right" if column in ("order", "points") else "left")
    suggestion = None
    for number, exercise in enumerate(course.exercises, 1):
        entry = seen.get(exercise.id)
        if progress.done(entry):
            state = t("cli.next-done")
        elif entry is None:
            state = t("cli.next-not-started")
        else:
            state = t("cli.next-open", count=len(entry.open_tasks))
        if suggestion is None and not progress.done(entry):
            suggestion = exercise.id
        points = "-" if entry is None else f"{format_points(entry.last)}/{format_points(entry.max_score)}"
        table.add_row(str(number), rich_text(exercise.id), f"{exercise.module}.py", rich_text(state), points)
    common.console().print(table)
    if suggestion is None:
        click.echo(t("cli.next-all-done"))
    else:
        click.echo(t("cli.next-suggestion", exercise=suggestion))


@click.command("reset")
@click.argument("exercise")
@click.pass_context
def reset_command(ctx: click.Context, exercise: str) -> None:
    """Put the stub of EXERCISE back in exercises/, keeping your version as a backup in .nngrade/backups/."""
    from autograder.student.reset import ResetError, StubSource, reset

    full = common.course(ctx)
    chosen = full.exercise(common.exercise_named(ctx, full, exercise))
    assert chosen is not None
    exercises = CoursePaths.of(full).exercises
    home = common.progress_home(full)
    common.remember_stubs(full)
    try:
        with progress_kept():
            done = reset(full, chosen, exercises, home)
    except ResetError as exc:
        common.fail_with(exc, t("cli.reset-no-stub", file=exc))
    shown = _shown(done.path, full.root)
    if not done.changed:
        click.echo(t("cli.reset-already", file=shown))
        return
    click.echo(t("cli.reset-done", file=shown))
    if done.backup is not None:
        click.echo(t("cli.reset-backup", backup=_shown(done.backup, full.root)))
    if done.origin is StubSource.REBUILT:
        click.echo(t("cli.reset-rebuilt"))


@click.command("submit")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Zip file to write (default: submission.zip in the kit's folder).")
@click.pass_context
def submit_command(ctx: click.Context, output: Path | None) -> None:
    """Pack your exercises/*.py into submission.zip with a manifest of their SHA-256 hashes, to hand in."""
    from autograder.grading.stubs import is_stub
    from autograder.student.submit import DEFAULT_NAME, build

    course = common.course(ctx)
    exercises = CoursePaths.of(course).exercises
    target = output or course.root / DEFAULT_NAME
    common.remember_stubs(course)
    try:
        made = build(course, exercises, target)
    except OSError as exc:
        common.fail_with(exc, t("cli.cannot-write", path=target, detail=exc.strerror or exc))
    click.echo(t("cli.submit-wrote", output=_shown(made.path, Path.cwd()), count=len(made.files)))
    for name, digest in made.files.items():
        click.echo(f"  {name}  sha256:{digest[:16]}…")
    untouched = [name for name in made.files
                 if is_stub((exercises / Path(name).name).read_text(encoding="utf-8", errors="replace"))]
    if untouched:
        click.echo(click.style(t("cli.submit-stubs", files=", ".join(untouched)), fg="yellow"))
    if made.missing:
        click.echo(click.style(t("cli.submit-missing", files=", ".join(made.missing)), fg="yellow"))
    click.echo(t("cli.submit-next", output=made.path.name))


def _shown(path: Path, base: Path) -> str:
    """`path` relative to `base` when inside it (what a student recognises), else as it is."""
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


@click.command("plot")
@click.argument("exercise", type=click.Choice(["activations"]))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=Path("activations.png"),
              show_default=True, help="PNG file to write.")
@click.option("--path", "path", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Plot the functions in this folder instead of exercises/.")
@click.pass_context
def plot_command(ctx: click.Context, exercise: str, output: Path, path: Path | None) -> None:
    """Draw your activations and derivatives over [-5, 5] beside the reference curves (needs matplotlib)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        common.fail(t("cli.plot-needs-matplotlib"), ExitCode.EXTRA_MISSING)
    from autograder.sandbox.process import SubmissionError
    from autograder.student.plot import GRID, NoReference, draw, has_korean_font, reference_curves, student_curves

    course = common.course(ctx, [exercise])
    try:
        reference = reference_curves(course)
        curves = student_curves(course, path or CoursePaths.of(course).exercises)
    except NoReference as exc:
        common.fail(t("plot.no-reference", path=exc), ExitCode.COURSE_INVALID)
    except SubmissionError as exc:
        common.fail_with(exc)
    drawn = draw(GRID, curves, reference, output)
    missing = [c.name for c in curves.values() if c.values is None]
    click.echo(t("cli.plot-wrote", output=output))
    if language() == "ko" and not has_korean_font():
        click.echo(t("plot.no-korean-font"), err=True)
    if drawn.differing:
        click.echo(t("cli.plot-differs", names=", ".join(drawn.differing)))
    if missing:
        click.echo(t("cli.plot-not-drawn", names=", ".join(missing)))
    if not drawn.differing and not missing:
        click.echo(t("cli.plot-all-match"))



@click.command("docs")
@click.argument("section", required=False)
@click.pass_context
def docs_command(ctx: click.Context, section: str | None) -> None:
    """Show the worked examples: every number the tests check, worked out, section by section.

    SECTION is a number (2 or §2), an exercise (activations) or a course note
    (004). Without it, the list of sections and where the whole document is.
    """
    from rich.console import Console
    from rich.markdown import Markdown

    from autograder.course import CourseError, course_from
    from autograder.student import docs

    path = docs.document(language())
    text = path.read_text(encoding="utf-8")
    screen = Console(highlight=False)
    if section is None:
        screen.print(rich_text(t("docs.list-title", path=path), style="bold"))
        for part in docs.sections(text):
            screen.print(rich_text(f"  §{part.key:<3} {part.title}"))
        for note in docs.notes(text):
            screen.print(rich_text(f"       {note.key}  {note.title}"))
        screen.print(rich_text(t("docs.list-usage")))
        return
    try:  # an exercise's name needs the course; numbers and notes do not
        course: Course | None = course_from((ctx.find_root().obj or {}).get("course"))
    except CourseError:
        course = None
    found = docs.find(text, section, course)
    if found is None:
        known = ", ".join([*(part.key for part in docs.sections(text)), *(note.key for note in docs.notes(text))])
        common.usage_error(ctx, t("docs.unknown-section", name=section, known=known))
    screen.print(Markdown(found.text))
