"""`nngrade data fetch|verify`: get the MNIST files into the cache, or check a folder that holds them."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from autograder.cli.common import fail, fail_with
from autograder.errors import ExitCode
from autograder.i18n import t

if TYPE_CHECKING:  # mnist_data pulls in urllib and http: imported by the data commands only
    from autograder.data import mnist as mnist_data


@click.group("data")
def data_group() -> None:
    """Download or check the MNIST data (four .gz files) used by the mnist exercise.

    The folder is --dir, else $NNGRADE_DATA, else a per-user cache folder.
    """


def _report(checks: list[mnist_data.FileCheck]) -> None:
    for check in checks:
        mark = click.style("ok", fg="green") if check.ok else click.style(check.status.value, fg="red")
        click.echo(f"  {mark:>18}  {check.name}" + ("" if check.ok else f"  ({check.message})"))


@data_group.command()
@click.option("--dir", "folder", type=click.Path(path_type=Path, file_okay=False), help="Folder to check.")
def verify(folder: Path | None) -> None:
    """Check the four MNIST files by the sha256 of their unpacked content."""
    from autograder.data import mnist as mnist_data

    target = mnist_data.data_dir(folder)
    checks = mnist_data.verify(target)
    click.echo(t("data.verify-heading", target=target))
    _report(checks)
    if not all(c.ok for c in checks):
        fail(t("data.verify-failed", count=sum(not c.ok for c in checks), target=target), ExitCode.DATA_MISSING)


@data_group.command()
@click.option("--dir", "folder", type=click.Path(path_type=Path, file_okay=False), help="Folder to fill.")
@click.option("--mirror", "mirrors", multiple=True, metavar="URL",
              help="Base URL to download from (repeatable; default: the public MNIST mirrors).")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per network operation.")
def fetch(folder: Path | None, mirrors: tuple[str, ...], timeout: float) -> None:
    """Download the MNIST files that are missing or corrupt, verify them, and move them into place atomically."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TimeRemainingColumn, TransferSpeedColumn

    from autograder.data import mnist as mnist_data

    target = mnist_data.data_dir(folder)
    columns = ("{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(name: str, done: int, total: int | None) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)

        try:
            outcomes = mnist_data.fetch(target, mirrors or mnist_data.DEFAULT_MIRRORS, progress=progress,
                                        timeout=timeout)
        except mnist_data.DataUnavailable as exc:
            fail_with(exc)
        except OSError as exc:
            # A cache folder that cannot be filled leaves the data missing, whatever the reason.
            fail(t("data.cannot-write", target=target, detail=exc.strerror or exc), ExitCode.DATA_MISSING)
    for outcome in outcomes:
        how = t("data.downloaded", source=outcome.source) if outcome.downloaded else t("data.already-present")
        click.echo(f"  {outcome.name}: {how}")
    hint = "" if folder or mnist_data.ENV_VAR in os.environ else " " + t("data.default-folder")
    click.echo(t("data.ready", target=target) + hint)
