"""The `nngrade` command: the click group, its own commands (list, check, grade) and the others registered.

Thin commands: they parse and call typed functions; what they share (the course, grading, the error -> exit
code table, output files) is `autograder.cli.common`, which the other command modules import instead of this one.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from autograder.cli import clicktext, common
from autograder.cli.ci import grade_all, gradescope_group, merge_command, release
from autograder.cli.data import data_group
from autograder.cli.nbgrader import nbgrader_group
from autograder.cli.server_commands import server_group
from autograder.cli.student import (
    docs_command,
    hint,
    next_command,
    plot_command,
    reset_command,
    status,
    submit_command,
    watch_command,
)
from autograder.course import Course, CoursePaths, find_course
from autograder.errors import ExitCode
from autograder.i18n import DEFAULT as DEFAULT_LANGUAGE
from autograder.i18n import LANGUAGES, has, language, set_language, t

if TYPE_CHECKING:
    from autograder.grading.scoring import Scorecard

FORMATS = ("console", "json", "gradescope", "junit", "csv")


clicktext.install()


class NngradeGroup(click.Group):
    """The `nngrade` group: click's texts in the active language, and Ctrl-C as one line and exit code 130."""

    context_class = clicktext.Context

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # Not click's "Aborted!" (English, exit 1, which here means "below --fail-under").
            click.echo("\n" + t("cli.interrupted"), err=True)
            ctx.exit(ExitCode.INTERRUPTED)


@click.group(cls=NngradeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--course", "course_path", type=click.Path(path_type=Path, dir_okay=False),
              envvar="NNGRADE_COURSE", help="course.toml to use (default: the nearest one above the working folder).")
@click.version_option(package_name="nngrade", prog_name="nngrade")
@click.pass_context
def main(ctx: click.Context, course_path: Path | None) -> None:
    """Auto-graded exercises for neural-network fundamentals.

    Students: edit exercises/*.py, then run `nngrade check`.
    Instructors and CI: `nngrade grade PATH --format json|gradescope|junit|csv`,
    `nngrade grade-all SUBMISSIONS/`, `nngrade gradescope build`, `nngrade release DIR`.
    """
    ctx.obj = {"course": course_path}
    localize_help(language())  # before a subcommand's --help is read
    offer_solutions(course_path)


for _command in (data_group, nbgrader_group, hint, docs_command, status, watch_command, plot_command, next_command,
                 reset_command, submit_command, grade_all, merge_command, gradescope_group, release, server_group):
    main.add_command(_command)


def offer_solutions(course_path: Path | None) -> None:
    """Show `check --solutions` only in a kit that has solutions/ (the student edition has none)."""
    try:
        has_solutions = (find_course(course_path).parent / "solutions").is_dir()
    except OSError:
        has_solutions = False
    for param in check.params:
        if isinstance(param, click.Option) and param.name == "solutions":
            param.hidden = not has_solutions


def remember(card: Scorecard, course: Course) -> None:
    """Append this check to the kit's .nngrade/ history for `nngrade status`; a failure never fails the check."""
    from autograder.student import progress

    try:
        progress.record(common.progress_home(course), card)
    except OSError as exc:
        click.echo(t("cli.progress-not-recorded", folder=progress.STATE_DIR, detail=exc.strerror or exc), err=True)


@main.command("list")
@click.pass_context
def list_exercises(ctx: click.Context) -> None:
    """Show the exercises, their tasks and points (from course.toml)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from autograder.course import format_points
    from autograder.reporters.escape import rich_text

    course = common.course(ctx)
    # One row per exercise, its tasks indented below it; only the title wraps, so the table reads at 80 columns.
    table = Table(title=rich_text(course.name), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  show_edge=False, title_style="bold")
    table.add_column(t("cli.list-task"), no_wrap=True)
    table.add_column(t("cli.list-points"), justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)  # "hidden" for the tasks only grading runs
    table.add_column(t("cli.list-title"), ratio=1, overflow="fold")
    for number, exercise in enumerate(course.exercises):
        if number:
            table.add_row()
        # Text, not markup: a title like "softmax [stable]" would otherwise lose its brackets.
        table.add_row(rich_text(exercise.id, style="bold"), rich_text(format_points(exercise.max_points), style="bold"),
                      "", rich_text(exercise.localized_title(), style="bold") + Text(f"  ({exercise.module}.py)",
                                                                                   style="dim"))
        for task in exercise.tasks:
            hidden = task.visibility.value == "hidden"
            table.add_row(rich_text("  " + task.id), rich_text(format_points(task.points)),
                          rich_text(t("cli.list-hidden") if hidden else "", style="dim"),
                          rich_text(task.localized_title()))
    total = sum(e.max_points for e in course.exercises)
    table.caption = t("cli.list-caption", count=len(course.exercises), points=format_points(total))
    table.caption_justify = "left"
    common.console().print(table)


@main.command()
@click.argument("exercises", nargs=-1, metavar="[EXERCISE [TASK]]...")
@click.option("--solutions", is_flag=True, help="Grade the reference solutions instead of exercises/.")
@click.option("--path", "path", type=click.Path(path_type=Path, file_okay=False),
              help="Grade this folder instead of exercises/.")
@click.option("-v", "--verbose", is_flag=True, help="Show every failing check and what your code printed.")
@click.option("--exit-code", "exit_code", is_flag=True,
              help="Exit with 1 when a test that ran did not pass (for your own CI).")
@common.isolation_option
@click.pass_context
def check(ctx: click.Context, exercises: tuple[str, ...], solutions: bool, path: Path | None, verbose: bool,
          exit_code: bool) -> None:
    """Grade your work with the public tests and explain every failure.

    EXERCISES limits the run to some exercises (e.g. `nngrade check gates`,
    or `nngrade check exercises/gates.py`); a TASK after an exercise runs only
    that task (`nngrade check gates xor`).
    Hidden tests run only at grading time; the report says how many there are.
    """
    from autograder.student.focus import only_tasks

    full = common.course(ctx)
    chosen = common.selection(ctx, full, exercises)
    course = full.select(chosen.exercises)
    paths = CoursePaths.of(course)
    if solutions and not paths.solutions.is_dir():
        common.usage_error(ctx, t("cli.no-solutions", folder=paths.solutions))
    own_work = not solutions and path is None
    if own_work:
        common.remember_stubs(full)  # before grading: the stubs as shipped, for `nngrade reset`
    folder = path or (paths.solutions if solutions else paths.exercises)
    card = common.grade(course, folder, include_hidden=False)
    if chosen.tasks:
        card = only_tasks(card, chosen.tasks)
        hidden = [f"{e}.{task}" for e, tasks in chosen.tasks.items() for task in tasks
                  if course.task(e, task) and course.task(e, task).visibility.value == "hidden"]  # type: ignore[union-attr]
        if hidden:
            click.echo(t("cli.task-hidden", tasks=", ".join(hidden)))
        if not card.exercises:
            return  # only hidden tasks were asked for: nothing ran, and no report of 0 / 0 points
    # Imported after grading (preloaded before student code runs): its numpy and rich would otherwise delay the
    # worker's start by ~80 ms, which the judge then sometimes waits for (benchmarks/bench_speed.py).
    from autograder.reporters import console

    console.render(card, common.console(), verbose=verbose, check=True)
    if own_work and not chosen.tasks:  # one task's result is not the exercise's score
        remember(card, course)
    if card.internal_errors:
        sys.exit(ExitCode.INTERNAL)
    failed = sum(test.status.value not in ("passed", "not-run") for test in card.tests)
    if exit_code and failed:
        click.echo(t("cli.tests-failed", count=failed), err=True)
        sys.exit(ExitCode.TESTS_FAILED)


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
@click.option("--summary", "summary", type=click.Path(path_type=Path, dir_okay=False),
              help='Also append a Markdown summary to this file (e.g. "$GITHUB_STEP_SUMMARY").')
@common.isolation_option
@click.pass_context
def grade(ctx: click.Context, submission: Path, exercises: tuple[str, ...], fmt: str, output: Path | None,
          fail_under: float | None, public_only: bool, summary: Path | None) -> None:
    """Grade SUBMISSION with every test, hidden ones included.

    SUBMISSION is a folder of modules named like exercises/ (or a repository with
    them in exercises/), one .py file (graded as the exercise it is named after),
    a notebook .ipynb (graded as the exercise it answers), a folder of notebooks,
    or the zip `nngrade submit` wrote (its manifest of hashes is checked: a file
    changed after submitting is reported).

    Exit code 0 whenever grading happened, whatever the score.
    """
    course = common.course(ctx, exercises)
    with common.unzipped(submission) as (unpacked, manifest), common.prepared(unpacked, course) as ready:
        card = common.grade(ready.course, ready.folder, include_hidden=not public_only, name=str(submission))
    common.say_isolation(card.isolation)
    if manifest is not None:
        common.say_manifest(manifest, course.name)
    if card.not_run:
        # A grade must never silently leave out tests: absent data is an error, not points won or lost.
        reason = next(t.message for t in card.tests if t.status.value == "not-run")
        common.fail(t("cli.data-missing", count=card.not_run, reason=reason), ExitCode.DATA_MISSING)
    if fmt == "console" and output is None:
        from autograder.reporters import console

        console.render(card, common.console())
    else:
        text = render(card, ready.course, fmt)
        if manifest is not None and fmt == "json":
            text = common.with_manifest(text, manifest)
        if output is None:
            click.echo(text, nl=False)
        else:
            common.write_output(output, text)
    if summary is not None:
        from autograder.reporters import markdown

        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(markdown.render(card, title=f"nngrade: {card.course}"))
        except OSError as exc:
            common.fail_with(exc, t("cli.cannot-write-summary", path=summary, detail=exc.strerror or exc))
    if card.internal_errors:
        sys.exit(ExitCode.INTERNAL)
    if fail_under is not None and card.percent < fail_under:
        click.echo(t("cli.below-threshold", percent=f"{card.percent:.1f}", threshold=f"{fail_under:g}"), err=True)
        sys.exit(ExitCode.BELOW_THRESHOLD)


def render(card: Scorecard, course: Course, fmt: str) -> str:
    """The scorecard as text in one of FORMATS (console: plain, 100 columns, for files)."""
    if fmt == "json":
        from autograder.reporters import json_report

        return json_report.render(card)
    if fmt == "gradescope":
        from autograder.reporters import gradescope

        return gradescope.render(card, hidden_visibility=course.gradescope_hidden,
                                 hidden_feedback=course.hidden_feedback)
    if fmt == "junit":
        from autograder.reporters import junit

        return junit.render(card)
    if fmt == "csv":
        from autograder.reporters import csv_report

        return csv_report.render(card)
    import io

    from rich.console import Console

    from autograder.reporters import console

    buffer = io.StringIO()
    console.render(card, Console(file=buffer, width=100, no_color=True))
    return buffer.getvalue()


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        set_language(value)
        localize_help(value)


def help_texts(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any, str]]:
    """(key in messages/help.toml, command or option, attribute) for every help text of the CLI."""
    key = "-".join(path) or "nngrade"
    yield key, command, "help"
    for param in command.params:
        if isinstance(param, click.Option) and param.name:
            # --lang is the same option on every command: one text
            yield ("lang" if param.name == "lang" else f"{key}--{param.name.replace('_', '-')}"), param, "help"
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from help_texts(sub, (*path, name))


_ENGLISH_HELP: dict[str, str] = {}


def localize_help(lang: str) -> None:
    """Put `lang`'s help texts on every command and option; the code's own texts are the English ones."""
    for key, holder, attribute in help_texts(main):
        text = getattr(holder, attribute)
        if not text:
            continue
        english = _ENGLISH_HELP.setdefault(key, text)
        setattr(holder, attribute, english if lang == DEFAULT_LANGUAGE or not has(f"help.{key}")
                else t(f"help.{key}", lang))


def _with_lang_option(command: click.Command) -> None:
    """Give `command` and its subcommands --lang: `nngrade check --lang ko` works like `nngrade --lang ko check`."""
    command.params.append(click.Option(
        ["--lang"], type=click.Choice(LANGUAGES), expose_value=False, is_eager=True, callback=_choose_language,
        help="Language of messages, hints and headings (default: NNGRADE_LANG, else the locale: ko for ko_KR.*)."))
    command.context_class = clicktext.Context  # click's own texts translated in every command's help
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _with_lang_option(sub)


_with_lang_option(main)


def language_in(args: list[str]) -> str | None:
    """The language a `--lang X` or `--lang=X` among `args` chooses (the last one wins), if any."""
    chosen = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        value = args[i + 1] if arg == "--lang" and i + 1 < len(args) else arg.removeprefix("--lang=") \
            if arg.startswith("--lang=") else None
        if value in LANGUAGES:
            chosen = value
    return chosen


def run(args: list[str]) -> int:
    """`nngrade ARGS` in this process: the exit code, the output written to sys.stdout and sys.stderr.

    What the console script does, and what the check server (cli/server.py) does for each check it serves.
    """
    try:
        # `nngrade check --help --lang ko`: click answers --help before it reads a later --lang, so read it here.
        chosen = language_in(args)
        if chosen is not None:
            set_language(chosen)
        localize_help(language())  # `nngrade --help` is answered before any callback runs
        main(args=args, prog_name="nngrade")
        code = 0
    except KeyboardInterrupt:  # before a command ran (the group's own handler covers every command)
        click.echo("\n" + t("cli.interrupted"), err=True)
        code = ExitCode.INTERRUPTED
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            click.echo(str(exc.code), err=True)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    return int(code)


def entry(after: Callable[[], None] | None = None) -> None:
    """Console-script entry (through cli/fastpath.py): run, flush, call `after`, and leave without the
    interpreter's teardown.

    Tearing down numpy, pytest and rich costs ~80 ms of a ~0.9 s check; by the time
    main() returns the sandbox is closed, temporary files are removed and results
    are written, so there is nothing left to clean up.
    """
    code = run(sys.argv[1:])
    if after is not None:
        after()
    os._exit(code)
