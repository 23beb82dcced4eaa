"""A student's progress, kept in `.nngrade/` at the kit's root: grading history and the hint ladder.

The kit's root is the folder that holds course.toml, wherever in the kit the
student runs a command, so `check` in exercises/ and `status` at the top read
and write the same history. NNGRADE_PROGRESS_HOME moves it elsewhere (a
read-only kit; the kit's own tests, which must never write into a real one).

History is JSON lines, one per exercise per `nngrade check`, appended with a
single O_APPEND write so concurrent or interrupted runs never interleave or
rewrite earlier lines; a line cut short by a crash is skipped when read.
"""
from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.atomic import write_text

if TYPE_CHECKING:  # runtime imports would pull numpy in before `nngrade check` starts its worker
    from autograder.course import Task
    from autograder.grading.scoring import Scorecard

STATE_DIR = ".nngrade"
HOME_ENV = "NNGRADE_PROGRESS_HOME"
"""A folder to keep .nngrade/ in instead of the kit's root."""
HISTORY_FILE = "history.jsonl"
HINTS_FILE = "hints.json"


@dataclass(frozen=True)
class Attempt:
    """One exercise's result in one `nngrade check` run."""

    when: str
    """ISO 8601 time in UTC."""
    exercise: str
    score: float
    max_score: float
    open_tasks: tuple[str, ...]
    """Tasks without full marks in this run."""


@dataclass(frozen=True)
class ExerciseProgress:
    """What `nngrade status` shows for one exercise."""

    exercise: str
    best: float
    last: float
    max_score: float
    last_when: str
    open_tasks: tuple[str, ...]
    attempts: int


def home(kit_root: Path) -> Path:
    """The folder whose .nngrade/ holds the progress of the kit at `kit_root` (NNGRADE_PROGRESS_HOME, else the
    kit's root itself)."""
    override = os.environ.get(HOME_ENV, "").strip()
    return Path(override) if override else kit_root


def state_dir(folder: Path) -> Path:
    return folder / STATE_DIR


def done(entry: ExerciseProgress | None) -> bool:
    """True when the last check of the exercise passed every public test."""
    return entry is not None and not entry.open_tasks and entry.last >= entry.max_score


def attempts_of(card: Scorecard, when: datetime | None = None) -> list[Attempt]:
    stamp = (when or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    return [
        Attempt(stamp, e.id, e.score, e.max_score, tuple(t.task for t in e.tasks if t.score < t.max_score))
        for e in card.exercises
    ]


def record(folder: Path, card: Scorecard, when: datetime | None = None) -> None:
    """Append this run's attempts to the history (one write, so lines never interleave)."""
    lines = "".join(json.dumps(asdict(a), ensure_ascii=False) + "\n" for a in attempts_of(card, when))
    if not lines:
        return
    state_dir(folder).mkdir(exist_ok=True)
    fd = os.open(state_dir(folder) / HISTORY_FILE, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # the torn-line check and the append must not interleave with another check
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            lines = "\n" + lines  # a crash left a torn line: start ours on a fresh one, or it is lost too
        os.write(fd, lines.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _attempt(raw: Any) -> Attempt | None:
    try:
        return Attempt(str(raw["when"]), str(raw["exercise"]), float(raw["score"]), float(raw["max_score"]),
                       tuple(str(t) for t in raw["open_tasks"]))
    except (KeyError, TypeError, ValueError):
        return None


def history(folder: Path) -> list[Attempt]:
    """Every recorded attempt, oldest first; unreadable lines (a crash mid-write) are skipped."""
    path = state_dir(folder) / HISTORY_FILE
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    attempts = []
    for line in text.splitlines():
        try:
            attempt = _attempt(json.loads(line))
        except json.JSONDecodeError:
            continue
        if attempt is not None:
            attempts.append(attempt)
    return attempts


def summary(folder: Path) -> dict[str, ExerciseProgress]:
    """Best and last score per exercise, when, and what is still open."""
    result: dict[str, ExerciseProgress] = {}
    for a in history(folder):
        before = result.get(a.exercise)
        result[a.exercise] = ExerciseProgress(
            a.exercise, max(a.score, before.best if before else a.score), a.score, a.max_score, a.when,
            a.open_tasks, (before.attempts if before else 0) + 1,
        )
    return result


# --- the hint ladder ----------------------------------------------------------

def _hint_levels(folder: Path) -> dict[str, int]:
    try:
        raw = json.loads((state_dir(folder) / HINTS_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return {str(k): int(v) for k, v in raw.items() if isinstance(v, int)} if isinstance(raw, dict) else {}


def next_hint(folder: Path, task: Task) -> tuple[int, str] | None:
    """The next rung of the task's ladder (1-based level, text), remembered; None if the task has no hints."""
    hints = task.localized_hints()
    if not hints:
        return None
    levels = _hint_levels(folder)
    level = min(levels.get(task.key, 0) + 1, len(hints))
    levels[task.key] = level
    state_dir(folder).mkdir(exist_ok=True)
    write_text(state_dir(folder) / HINTS_FILE, json.dumps(levels, indent=2, sort_keys=True) + "\n")
    return level, hints[level - 1]


def reset_hints(folder: Path, task_keys: list[str]) -> None:
    """Start these tasks' ladders from the first rung again."""
    levels = {k: v for k, v in _hint_levels(folder).items() if k not in task_keys}
    state_dir(folder).mkdir(exist_ok=True)
    write_text(state_dir(folder) / HINTS_FILE, json.dumps(levels, indent=2, sort_keys=True) + "\n")
