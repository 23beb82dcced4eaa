"""`nngrade watch`: re-grade an exercise every time its file is saved.

Grading happens in this one process, so after the first run numpy, pytest and
the suites are already imported and a re-grade costs only the run itself.
Ctrl-C is not swallowed here (watchfiles would log an English line and return):
it reaches the command, which ends with one line in the student's language.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from autograder.course import Course
from autograder.grading.scoring import Scorecard
from autograder.student.progress import ExerciseProgress, done

Grade = Callable[[Course, Path], Scorecard]
Show = Callable[[str, Scorecard], None]


def exercises_touched(course: Course, changed: Iterable[str]) -> list[str]:
    """Exercise ids whose module file is among the changed paths, in course order."""
    names = {Path(p).name for p in changed}
    return [e.id for e in course.exercises if f"{e.module}.py" in names]


def saved(course: Course, folder: Path) -> dict[str, int]:
    """Modification times (ns) of the exercise files in `folder`."""
    times = {}
    for exercise in course.exercises:
        try:
            times[exercise.id] = (folder / f"{exercise.module}.py").stat().st_mtime_ns
        except OSError:
            continue
    return times


def next_unfinished(course: Course, seen: Mapping[str, ExerciseProgress], after: str) -> str | None:
    """The first exercise not done, in course order starting after `after` and wrapping round; None if all are."""
    ids = [e.id for e in course.exercises]
    start = ids.index(after) + 1 if after in ids else 0
    return next((e for e in ids[start:] + ids[:start] if e != after and not done(seen.get(e))), None)


def stdin_lines(on_line: Callable[[], None]) -> bool:
    """Call `on_line` for every line typed on a terminal's stdin (a daemon thread); False when stdin is no
    terminal (then nothing reads it)."""
    try:
        if not sys.stdin or not sys.stdin.isatty():
            return False
    except (ValueError, OSError):
        return False

    def read() -> None:
        try:
            for _ in sys.stdin:
                on_line()
        except (OSError, ValueError):
            return

    threading.Thread(target=read, name="nngrade-watch-stdin", daemon=True).start()
    return True


def watch(course: Course, folder: Path, grade: Grade, show: Show, *, only: str | None = None,
          stop: threading.Event | None = None) -> None:
    """Grade `only` (or each saved exercise) on every save in `folder` until `stop` is set; Ctrl-C raises
    KeyboardInterrupt."""
    import watchfiles

    if only is not None:
        before = saved(course, folder)
        show(only, grade(course.select([only]), folder))
        if saved(course, folder) != before:  # saved while the first grade ran, before anything watched
            show(only, grade(course.select([only]), folder))
    if stop is not None and stop.is_set():
        return
    for changes in watchfiles.watch(folder, stop_event=stop, debounce=100, step=20, raise_interrupt=True):
        touched = exercises_touched(course, (path for _, path in changes))
        for exercise in ([only] if only in touched else []) if only else touched:
            show(exercise, grade(course.select([exercise]), folder))
            if stop is not None and stop.is_set():
                return
