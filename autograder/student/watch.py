"""`nngrade watch`: re-grade an exercise every time its file is saved.

Grading happens in this one process, so after the first run numpy, pytest and
the suites are already imported and a re-grade costs only the run itself.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from autograder.course import Course
from autograder.grading.scoring import Scorecard

Grade = Callable[[Course, Path], Scorecard]
Show = Callable[[str, Scorecard], None]


def exercises_touched(course: Course, changed: Iterable[str]) -> list[str]:
    """Exercise ids whose module file is among the changed paths, in course order."""
    names = {Path(p).name for p in changed}
    return [e.id for e in course.exercises if f"{e.module}.py" in names]


def watch(course: Course, folder: Path, grade: Grade, show: Show, *, only: str | None = None,
          stop: threading.Event | None = None) -> None:
    """Grade `only` (or each saved exercise) on every save in `folder` until `stop` is set or Ctrl-C."""
    import watchfiles

    if only is not None:
        show(only, grade(course.select([only]), folder))
    for changes in watchfiles.watch(folder, stop_event=stop, debounce=100, step=20, raise_interrupt=False):
        touched = exercises_touched(course, (path for _, path in changes))
        for exercise in ([only] if only in touched else []) if only else touched:
            show(exercise, grade(course.select([exercise]), folder))
