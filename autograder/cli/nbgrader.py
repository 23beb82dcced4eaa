"""`nngrade nbgrader export`: write nbgrader source notebooks for the course's exercises."""
from __future__ import annotations

from pathlib import Path

import click

from autograder.cli import common
from autograder.cli.common import fail, fail_with
from autograder.errors import ExitCode


@click.group("nbgrader")
def nbgrader_group() -> None:
    """Run the kit's exercises on nbgrader: exported notebooks, autograde, gradebook.

    Needs the nbgrader extra: pip install -e ".[nbgrader]".
    """


@nbgrader_group.command("export")
@click.argument("course_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--assignment", default="nngrade", show_default=True,
              help="nbgrader assignment name: notebooks go to COURSE_DIR/source/NAME/.")
@click.option("-e", "--exercise", "exercises", multiple=True, help="Export only this exercise (repeatable).")
@click.pass_context
def export_command(ctx: click.Context, course_dir: Path, assignment: str, exercises: tuple[str, ...]) -> None:
    """Write nbgrader source notebooks, one per exercise, into COURSE_DIR/source/ASSIGNMENT/.

    Each notebook teaches the worked example, holds the reference solution between
    nbgrader's solution markers, and has one read-only test cell per task with its
    points from course.toml (hidden tasks in hidden-test regions). A minimal
    nbgrader_config.py is written when COURSE_DIR has none.
    """
    try:
        from autograder.notebooks.nbgrader_export import ExportError, export
    except ImportError as exc:
        fail(f"nngrade nbgrader needs nbformat ({exc.name} is not installed): pip install -e \".[nbgrader]\"",
             ExitCode.USAGE)
    course = common.course(ctx, exercises)
    try:
        result = export(course, course_dir, assignment)
    except ExportError as exc:
        fail_with(exc, f"Cannot export: {exc}.")
    except OSError as exc:
        fail_with(exc, f"Cannot write into {course_dir}: {exc.strerror or exc}.")
    folder = course_dir / "source" / assignment
    click.echo(f"Wrote {len(result.notebooks)} source notebook(s) to {folder}/:")
    for exercise, path in zip(course.exercises, result.notebooks):
        hidden = sum(t.visibility.value == "hidden" for t in exercise.tasks)
        click.echo(f"  {path.name:<20} {len(exercise.tasks)} tasks ({hidden} hidden), {exercise.max_points:g} points")
    if result.documents:
        click.echo(f"  {', '.join(path.name for path in result.documents)}: the worked examples the notebooks cite")
    if result.config is not None:
        click.echo(f"Wrote {result.config}.")
    else:
        click.echo(f"Kept the existing {course_dir / 'nbgrader_config.py'}.")
    click.echo(f"Next: cd {course_dir} && nbgrader generate_assignment {assignment}")
