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
from autograder.course import CoursePaths
from autograder.errors import ExitCode
from autograder.i18n import language, t
from autograder.reporters.escape import visible


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def _shard(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, int] | None:
    """K/N as a pair; None for `auto` (resolved from the engine's variables once --shards is known too)."""
    from autograder.batch.grade_all import parse_shard

    if value.strip().lower() == "auto":
        return None
    try:
        return parse_shard(value)
    except ValueError as exc:
        raise click.BadParameter(f"{exc}, or auto") from None


def _engine_shard(given: tuple[int, int] | None, shards: int | None) -> tuple[tuple[int, int], str]:
    """The shard and where it came from: --shard K/N as given, or --shard auto read from Slurm or Kubernetes."""
    from autograder.batch import shards as engines

    if given is not None:
        if shards is not None and shards != given[1]:
            fail(t("ci.shards-differ", shard=f"{given[0]}/{given[1]}", shards=shards), ExitCode.USAGE)
        return given, "given"
    try:
        found = engines.detect(os.environ, shards)
    except engines.ShardError as exc:
        fail(str(exc), ExitCode.USAGE)
    click.echo(found.describe(), err=True)
    return found.pair, found.engine


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
@click.option("--shard", default="1/1", show_default=True, metavar="K/N|auto", callback=_shard,
              help="Grade only the K-th of N equal parts (CI matrices, job arrays); auto reads K and N from a "
                   "Slurm job array or a Kubernetes Indexed Job.")
@click.option("--shards", type=click.IntRange(min=1), envvar="NNGRADE_SHARDS", metavar="N",
              help="N for --shard auto where the engine does not say it (a Kubernetes Indexed Job's completions); "
                   "also read from NNGRADE_SHARDS.")
@click.option("--timeout", type=click.FloatRange(min=1), default=600.0, show_default=True, metavar="SECONDS",
              help="Time one submission may take in all before it is stopped and reported.")
@click.option("--force", is_flag=True, help="Grade every submission again, even those unchanged since the last run.")
@click.option("--public-only", is_flag=True, help="Run only the public tests.")
@common.isolation_option
@click.pass_context
def grade_all(ctx: click.Context, submissions: Path, exercises: tuple[str, ...], jobs: int | None, out: Path,
              csv_path: Path | None, shard: tuple[int, int] | None, shards: int | None, timeout: float,
              force: bool, public_only: bool) -> None:
    """Grade every submission in SUBMISSIONS, in parallel, into OUT/<submission>.json.

    One entry of SUBMISSIONS per student: a folder (modules at its top, in exercises/, or in
    the one folder a zip unpacked into), a zip written by `nngrade submit`, an .ipynb
    notebook, or a .py file when one exercise is chosen with -e. A re-run grades only what
    changed since the last one, and resumes an interrupted run. Exit code 0 when every
    submission was dealt with (the summary lists those that could not be graded), 70 when
    the grader itself failed on any.
    """
    from rich.console import Console

    from autograder.batch import grade_all as batch
    from autograder.batch import summary as summary_report
    from autograder.grading.results import SubmissionStatus
    from autograder.sandbox import isolation

    part, engine = _engine_shard(shard, shards)
    course = common.course(ctx, exercises)
    common.require_isolation()
    options = batch.Options(
        submissions=submissions, out=out, course=course, exercises=exercises, jobs=jobs or _cores(), shard=part,
        csv=csv_path, deadline=timeout, force=force, include_hidden=not public_only, data_dir=common.data_dir(),
        language=language(), isolation=isolation.mode().value, shard_engine=engine,
    )
    try:
        plan = batch.plan(options)
    except batch.BatchError as exc:
        fail_with(exc)
    if not plan.entries and part == (1, 1):
        fail(t("ci.no-submissions", folder=submissions), ExitCode.SUBMISSION_INVALID)
    errors = Console(stderr=True, highlight=False)
    if plan.skipped_links:
        # A link could point at a classmate's folder or the instructor's: never graded, always said.
        names = ", ".join(visible(name) for name in plan.skipped_links)
        click.echo(t("ci.skipped-links", count=len(plan.skipped_links), names=names), err=True)
    progress = _progress(errors)
    task = progress.add_task(t("ci.progress", shard=f"{part[0]}/{part[1]}", kept=len(plan.kept)),
                             total=len(plan.to_grade))
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        # The judges are other processes: they are told the language this command speaks.
        with progress:
            outcomes = batch.run(options, plan, on_done=lambda o: progress.advance(task), refresh=progress.refresh)
        batch.write_csv(options, outcomes)
        batch.write_manifest(options, plan, outcomes)  # last: the shard is complete only once this exists
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


# --- merge ---------------------------------------------------------------------

@click.command("merge")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The class's CSV: the same bytes as one machine's grade-all --csv of the whole class.")
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write a JSON gradebook: one row per submission and task.")
@click.option("--canvas", "canvas_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write a CSV that Canvas's gradebook imports.")
@click.option("--moodle", "moodle_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write a CSV that Moodle's grade import reads.")
@click.option("--roster", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="CSV mapping submission names to students: submission, student_id[, name, email, login, "
                   "section, canvas_id]. Without it a submission's name is its student id.")
@click.option("--lms-items", type=click.Choice(["exercises", "total"]), default="exercises", show_default=True,
              help="Canvas/Moodle columns: one per exercise, or the total alone (one assignment).")
@click.option("--allow-partial", is_flag=True,
              help="Merge what there is when shards are absent, submissions missing or graded twice, graders "
                   "differ or files are corrupt; each problem becomes a warning.")
def merge_command(results: tuple[Path, ...], csv_path: Path, json_path: Path | None, canvas_path: Path | None,
                  moodle_path: Path | None, roster: Path | None, lms_items: str, allow_partial: bool) -> None:
    """Merge the RESULTS folders of grade-all's shards into one class: CSV, summary, gradebook, LMS exports.

    Each shard's folder holds its result files and the manifest grade-all writes when the shard
    completes (_shard-K-of-N.manifest). Merge refuses, writing nothing (exit 10), when a shard is absent,
    a submission is missing or graded twice, the shards were graded by different graders, or a file is
    corrupt; --allow-partial merges anyway and warns. Every file is written atomically.
    """
    from rich.console import Console

    from autograder.atomic import write_text
    from autograder.batch import grade_all as batch
    from autograder.batch import merge as merging
    from autograder.batch import summary as summary_report
    from autograder.grading.results import SubmissionStatus
    from autograder.reporters import lms
    from autograder.reporters.escape import json_dumps

    try:
        merged = merging.merge(results)
    except merging.MergeError as exc:
        fail(str(exc), ExitCode.MERGE_REFUSED)
    try:
        people = lms.read_roster(roster) if roster else None
    except lms.RosterError as exc:
        fail(str(exc), ExitCode.USAGE)
    if merged.problems and not allow_partial:
        lines = [t("batch.merge-refused"), *(f"- {p.message}" for p in merged.problems), t("batch.merge-refused-hint")]
        fail("\n".join(lines), ExitCode.MERGE_REFUSED)
    for problem in merged.problems:
        click.echo(visible(t("batch.merge-partial", problem=problem.message)), err=True)
    if merged.ignored:
        click.echo(visible(t("batch.merge-ignored", count=len(merged.ignored), names=merging.listed(merged.ignored))),
                   err=True)

    names = [o.name for o in merged.outcomes]
    students, unknown = lms.students_of(names, people)
    if unknown and (canvas_path or moodle_path):
        click.echo(visible(t("ci.roster-unknown", count=len(unknown), names=merging.listed(unknown))), err=True)
    if lms_items == "total":
        total = sum(float(e["max_score"]) for e in merged.exercises)
        items = [lms.Item("total", "nngrade", total)]
    else:
        items = [lms.Item(e["id"], str(e.get("title") or e["id"]), float(e["max_score"])) for e in merged.exercises]
    grades = [lms.Grade(o.name, ({**o.result.scores, "total": o.result.score or 0.0}
                                 if o.status is SubmissionStatus.GRADED else {})) for o in merged.outcomes]
    book = merging.gradebook(merged, {s: {"student_id": p.student_id, "name": p.name, "email": p.email}
                                      for s, p in students.items()} if people else None)
    writes = [(csv_path, merged.csv())]  # every text made before the first write: a refusal writes nothing
    if json_path:
        writes.append((json_path, json_dumps(book) + "\n"))
    for kind, path in (("canvas", canvas_path), ("moodle", moodle_path)):
        if path:
            writes.append((path, lms.export(kind, grades, items, students)))
    for path, text in writes:
        try:
            write_text(path, text)
        except OSError as exc:
            fail_with(exc, t("ci.cannot-write", path=path, detail=exc.strerror or exc))
    summary = batch.summarize(merged.outcomes)
    summary_report.render(summary, Console(highlight=False), csv=str(csv_path), shards=merged.shards)
    for path, _ in writes[1:]:
        click.echo(t("batch.merge-written", path=path))


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
@click.option("--allow-worked-exercises", "allow_worked", is_flag=True,
              help="If exercises/ holds worked code, ship stubs rebuilt from it instead of refusing.")
@click.pass_context
def release(ctx: click.Context, folder: Path, force: bool, allow_worked: bool) -> None:
    """Write the student edition into FOLDER: exercises, the autograder without hidden tests, course.toml,
    a README for students and a GitHub Actions workflow; never the solutions."""
    from autograder.editions import release as edition

    course = common.course(ctx)
    try:
        made = edition.build(course, folder, force=force, allow_worked=allow_worked)
    except edition.WorkedExercises as exc:
        fail_with(exc, t("ci.edition-worked-exercises", folder=CoursePaths.of(course).exercises,
                         files=", ".join(f"{module}.py" for module in exc.worked),
                         detail=", ".join(f"{m}.py:{problems[0].line}" for m, problems in exc.worked.items())))
    except edition.ReleaseError as exc:
        fail_with(exc, t("ci.edition-refused", detail=exc))
    except OSError as exc:
        fail_with(exc, t("ci.edition-cannot-write", folder=folder, detail=exc.strerror or exc))
    if made.rebuilt:
        click.echo(t("ci.edition-rebuilt-stubs", files=", ".join(f"exercises/{m}.py" for m in made.rebuilt)), err=True)
    click.echo(t("ci.edition-written", folder=folder, files=len(made.files), public=made.public_tests,
                 hidden=sum(made.hidden_tests.values())))
