"""Shared fixtures for the project's own tests: the repository's course and a one-call grader."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from autograder.course import Course, load_course
from autograder.runner import run
from autograder.scoring import Scorecard, score

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"

GradeFn = Callable[..., Scorecard]


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
