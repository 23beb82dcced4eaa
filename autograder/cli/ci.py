"""`nngrade grade-all`, `nngrade gradescope build|run`, `nngrade release`: grading a class, the kit on other engines.

Thin commands: they parse, call `batch`, `gradescope` and `release`, and map errors to exit codes.
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

from autograder.cli import common
from autograder.cli.common import fail, fail_with
from autograder.errors import ExitCode
from autograder.i18n import language, t
from autograder.reporters.escape import visible


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def _shard(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, int]:
    from autograder.batch.grade_all import parse_shard

    try:
        return parse_shard(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM (a cluster's time limit) stops the run like Ctrl-C: cleanly


@click.command("grade-all")
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("-e", "--exercise", "exercises", multiple=True, help="Grade only this exercise (repeatable).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Submissions graded at once (default: the cores).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("results"), show_default=True,
              help="Folder for the result files, one <submission>.json each.")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write a CSV: one row per submission, a column per exercise and the total.")
@click.option("--shard", default="1/1", show_default=True, metavar="K/N", callback=_shard,
              help="Grade only the K-th of N equal parts (for CI matrices and job arrays).")
@click.option("--timeout", type=click.FloatRange(min=1), default=600.0, show_default=True, metavar="SECONDS",
              help="Time one submission may take in all before it is stopped and reported.")
@click.option("--force", is_flag=True, help="Grade every submission again, even those unchanged since the last run.")
@click.option("--public-only", is_flag=True, help="Run only the public tests.")
@common.isolation_option
@click.pass_context
def grade_all(ctx: click.Context, submissions: Path, exercises: tuple[str, ...], jobs: int | None, out: Path,
              csv_path: Path | None, shard: tuple[int, int], timeout: float, force: bool, public_only: bool) -> None:
    """Grade every submission in SUBMISSIONS, in parallel, into OUT/<submission>.json.

    One entry of SUBMISSIONS per student: a folder (modules at its top, in exercises/, or in
    the one folder a zip unpacked into), an .ipynb notebook, or a .py file when one exercise
    is chosen with -e. A re-run grades only what changed since the last one, and resumes an
    interrupted run. Exit code 0 when every submission was dealt with (the summary lists
    those that could not be graded), 70 when the grader itself failed on any.
    """
    from rich.console import Console

    from autograder.batch import grade_all as batch
    from autograder.batch import summary as summary_report
    from autograder.grading.results import SubmissionStatus
    from autograder.sandbox import isolation

    course = common.course(ctx, exercises)
    common.require_isolation()
    options = batch.Options(
        submissions=submissions, out=out, course=course, exercises=exercises, jobs=jobs or _cores(), shard=shard,
        csv=csv_path, deadline=timeout, force=force, include_hidden=not public_only, data_dir=common.data_dir(),
        language=language(), isolation=isolation.mode().value,
    )
    try:
        plan = batch.plan(options)
    except batch.BatchError as exc:
        fail_with(exc)
    if not plan.entries and shard == (1, 1):
        fail(t("ci.no-submissions", folder=submissions), ExitCode.SUBMISSION_INVALID)
    errors = Console(stderr=True, highlight=False)
    if plan.skipped_links:
        # A link could point at a classmate's folder or the instructor's: never graded, always said.
        names = ", ".join(visible(name) for name in plan.skipped_links)
        click.echo(t("ci.skipped-links", count=len(plan.skipped_links), names=names), err=True)
    progress = _progress(errors)
    task = progress.add_task(t("ci.progress", shard=f"{shard[0]}/{shard[1]}", kept=len(plan.kept)),
                             total=len(plan.to_grade))
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        # The judges are other processes: they are told the language this command speaks.
        with progress:
            outcomes = batch.run(options, plan, on_done=lambda o: progress.advance(task), refresh=progress.refresh)
        batch.write_csv(options, outcomes)
    except batch.BatchError as exc:
        fail_with(exc)
    except KeyboardInterrupt:
        done = progress.tasks[0].completed
        fail(t("ci.interrupted", count=f"{done:g}"), ExitCode.INTERRUPTED)
    finally:
        signal.signal(signal.SIGTERM, previous)
    summary = batch.summarize(outcomes)
    summary_report.render(summary, Console(highlight=False), results=str(out), csv=str(csv_path or ""))
    internal_errors = summary.by_status.get(SubmissionStatus.INTERNAL_ERROR.value, 0)
    if internal_errors:
        click.echo(t("ci.internal-errors", count=internal_errors), err=True)
        sys.exit(ExitCode.INTERNAL)


def _progress(console: Any) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Submissions per second."""

        def render(self, task: Task) -> Text:
            return Text(f"{task.speed:.2f}/s" if task.speed else "-/s", style="cyan")

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
                    TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=console,
                    speed_estimate_period=60.0)


# --- gradescope ---------------------------------------------------------------

@click.group("gradescope")
def gradescope_group() -> None:
    """Run the kit on Gradescope: build the autograder zip, grade inside its container."""


@gradescope_group.command("build")
@click.argument("output", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-e", "--exercise", "exercises", multiple=True,
              help="Grade only this exercise (repeatable): one Gradescope assignment per exercise, say.")
@click.option("--requirements", "requirements", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A requirements.txt to install instead of this environment's pinned versions.")
@click.option("--no-data", is_flag=True, help="Do not fetch the MNIST files in setup.sh.")
@click.pass_context
def gradescope_build(ctx: click.Context, output: Path, exercises: tuple[str, ...], requirements: Path | None,
                     no_data: bool) -> None:
    """Write OUTPUT (autograder.zip): setup.sh, run_autograder, pinned requirements and the kit with its solutions."""
    from autograder.editions import gradescope

    course = common.course(ctx, exercises)
    pins = requirements.read_text(encoding="utf-8").splitlines() if requirements else None
    try:
        names = gradescope.build(course, output, exercises=exercises, requirements=pins, fetch_data=not no_data)
    except OSError as exc:
        fail_with(exc, t("ci.cannot-write", path=output, detail=exc.strerror or exc))
    kit = sum(n.startswith("kit/") for n in names)
    click.echo(t("ci.zip-written", path=output, kit=kit, exercises=", ".join(e.id for e in course.exercises)))


@gradescope_group.command("run")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), envvar="NNGRADE_GRADESCOPE_ROOT",
              default=Path("/autograder"), show_default=True, help="Gradescope's folder.")
@click.option("-e", "--exercise", "exercises", multiple=True, help="Grade only this exercise (repeatable).")
@common.isolation_option
@click.pass_context
def gradescope_run(ctx: click.Context, root: Path, exercises: tuple[str, ...]) -> None:
    """Grade ROOT/submission into ROOT/results/results.json (what run_autograder calls).

    A submission that cannot be graded gets a results.json with zero points and the
    reason; a broken grader (missing data, internal error) exits non-zero so that
    Gradescope tells the instructor instead of recording a grade.
    """
    from autograder.editions import gradescope
    from autograder.grading.submission import prepare
    from autograder.reporters import gradescope as report
    from autograder.sandbox.process import SubmissionError

    course = common.course(ctx, exercises)
    target = gradescope.results_path(root)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail_with(exc, t("ci.cannot-create", path=target.parent, detail=exc.strerror or exc))
    with common.grading_errors():  # workspace and grader faults: exit codes, so Gradescope tells the instructor
        try:
            with prepare(root / "submission", course) as ready:
                card = common.grade_folder(ready.course, ready.folder, include_hidden=True, submission="submission")
        except SubmissionError as exc:
            # The student's upload, not the grader: Gradescope records zero points and says what to upload.
            modules = ", ".join(e.module + ".py" for e in course.exercises)
            common.write_output(target, gradescope.dump(report.failure(t("ci.upload-what", detail=exc,
                                                                         modules=modules))))
            click.echo(visible(t("ci.submission-invalid", detail=exc)), err=True)
            return
    if card.not_run:
        reason = next(t.message for t in card.tests if t.status.value == "not-run")
        fail(t("ci.data-missing", count=card.not_run, reason=reason), ExitCode.DATA_MISSING)
    common.write_output(target, report.render(card, hidden_visibility=course.gradescope_hidden,
                                              hidden_feedback=course.hidden_feedback))
    click.echo(t("ci.points-written", score=f"{card.score:g}", max_score=f"{card.max_score:g}", path=target), err=True)
    if card.internal_errors:
        sys.exit(ExitCode.INTERNAL)


# --- release ---------------------------------------------------------------------

@click.command("release")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace FOLDER if it is not empty.")
@click.pass_context
def release(ctx: click.Context, folder: Path, force: bool) -> None:
    """Write the student edition into FOLDER: exercises, the autograder without hidden tests, course.toml,
    a README for students and a GitHub Actions workflow; never the solutions."""
    from autograder.editions import release as edition

    course = common.course(ctx)
    try:
        made = edition.build(course, folder, force=force)
    except edition.ReleaseError as exc:
        fail_with(exc, t("ci.edition-refused", detail=exc))
    except OSError as exc:
        fail_with(exc, t("ci.edition-cannot-write", folder=folder, detail=exc.strerror or exc))
    click.echo(t("ci.edition-written", folder=folder, files=len(made.files), public=made.public_tests,
                 hidden=sum(made.hidden_tests.values())))
