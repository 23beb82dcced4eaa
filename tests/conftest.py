"""Shared fixtures for the project's own tests: the repository's course and a one-call grader."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

import pytest

from autograder.course import Course, load_course
from autograder.mnist_data import MNIST_FILES
from autograder.runner import run
from autograder.scoring import Scorecard, score

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"

GradeFn = Callable[..., Scorecard]


def real_data() -> Path | None:
    """The MNIST folder NNGRADE_DATA names, if it holds the four files; else None (real-data tests not run)."""
    value = os.environ.get("NNGRADE_DATA")
    folder = Path(value) if value else None
    return folder if folder and all((folder / f.name).is_file() for f in MNIST_FILES) else None


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """Tests read English unless they choose Korean, whatever the developer's locale; --lang never leaks."""
    from autograder import i18n

    monkeypatch.setenv(i18n.ENV, "en")
    monkeypatch.setattr(i18n, "_active", None)
    cli_module = sys.modules.get("autograder.cli")
    if cli_module is not None:  # help texts live on click's command objects: put the English back
        cli_module.localize_help("en")


@pytest.fixture
def cli():
    """cli("check", "gates") runs `nngrade --course <the kit's course.toml> check gates` in-process."""
    from click.testing import CliRunner

    from autograder.cli import main

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, ["--course", str(ROOT / "course.toml"), *args], catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(ROOT / "course.toml")


@pytest.fixture(scope="session")
def grade(course: Course) -> GradeFn:
    """grade(folder, *exercises, include_hidden=True) -> Scorecard, through the real sandbox."""

    def grade_folder(folder: Path, *exercises: str, include_hidden: bool = True,
                     data_dir: Path | None = None, selected: Course | None = None) -> Scorecard:
        chosen = selected or course.select(list(exercises))
        return score(run(chosen, Path(folder), include_hidden=include_hidden, data_dir=data_dir), chosen)

    return grade_folder
