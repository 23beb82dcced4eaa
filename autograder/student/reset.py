"""`nngrade reset gates`: put the stub of exercises/gates.py back, keeping the student's version as a backup.

Where a stub comes from is decided in one place, `pristine_stub`, in this order:

1. the copy kept in .nngrade/stubs/ the first time any student command saw the file still as shipped
   (every function body raising NotImplementedError): exact, and there in a zip download too;
2. the version of exercises/<module>.py first committed to git, when the kit is a git work tree (a
   GitHub Classroom repository, the instructor's kit) and that version is a stub;
3. the student's own file with every function body replaced by `raise NotImplementedError`, keeping
   the signatures and docstrings (grading/stubs.py, as `release` does): close to the shipped stub, said
   so when used.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

from autograder.atomic import write_text
from autograder.course import Course, Exercise
from autograder.grading.stubs import is_stub, rebuilt_stub
from autograder.student.progress import state_dir

STUBS = "stubs"
"""In .nngrade/: the shipped stubs, copied the first time a command saw them unchanged."""
BACKUPS = "backups"
"""In .nngrade/: a student's file as it was before each `nngrade reset`."""


class StubSource(str, Enum):
    KEPT = "kept"
    GIT = "git"
    REBUILT = "rebuilt"


@dataclass(frozen=True)
class Stub:
    source: str
    origin: StubSource


@dataclass(frozen=True)
class Reset:
    path: Path
    backup: Path | None
    """Where the student's version went; None when there was nothing to keep (no file, or already the stub)."""
    origin: StubSource
    changed: bool


class ResetError(Exception):
    """No stub can be found for the exercise (the message says what would give one)."""


def remember_stubs(course: Course, exercises: Path, home: Path) -> None:
    """Keep a copy of every exercise file still as shipped, the first time it is seen (never replaced after)."""
    kept = state_dir(home) / STUBS
    for exercise in course.exercises:
        target = kept / f"{exercise.module}.py"
        if target.exists():
            continue
        try:
            source = (exercises / f"{exercise.module}.py").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if is_stub(source):
            kept.mkdir(parents=True, exist_ok=True)
            write_text(target, source)


def _from_git(kit_root: Path, relative: str) -> str | None:
    """The file as first committed, if the kit is a git work tree and git is here."""
    if not (kit_root / ".git").exists() or shutil.which("git") is None:
        return None
    try:
        commits = subprocess.run(["git", "-C", str(kit_root), "log", "--diff-filter=A", "--format=%H", "--",
                                  relative], capture_output=True, text=True, timeout=20, check=True).stdout.split()
        if not commits:
            return None
        return subprocess.run(["git", "-C", str(kit_root), "show", f"{commits[-1]}:{relative}"],
                              capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return None


def pristine_stub(course: Course, exercise: Exercise, exercises: Path, home: Path) -> Stub:
    """The stub of `exercise`: the one place that knows where stubs come from (see the module's docstring)."""
    kept = state_dir(home) / STUBS / f"{exercise.module}.py"
    try:
        return Stub(kept.read_text(encoding="utf-8"), StubSource.KEPT)
    except (OSError, UnicodeDecodeError):
        pass
    try:
        relative = str((exercises / f"{exercise.module}.py").relative_to(course.root))
    except ValueError:
        relative = ""
    from_git = _from_git(course.root, relative) if relative else None
    if from_git is not None and is_stub(from_git):
        return Stub(from_git, StubSource.GIT)
    try:
        current = (exercises / f"{exercise.module}.py").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    rebuilt = rebuilt_stub(current, exercise.module) if current is not None else None
    if rebuilt is None or not is_stub(rebuilt):
        raise ResetError(f"exercises/{exercise.module}.py")
    return Stub(rebuilt, StubSource.REBUILT)


def reset(course: Course, exercise: Exercise, exercises: Path, home: Path, when: datetime | None = None) -> Reset:
    """Copy the current file to .nngrade/backups/<module>-<UTC time>.py, then write the stub in its place."""
    stub = pristine_stub(course, exercise, exercises, home)
    path = exercises / f"{exercise.module}.py"
    try:
        current: str | None = path.read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        current = None
    if current == stub.source:
        return Reset(path, None, stub.origin, changed=False)
    backup = None
    if current is not None:
        folder = state_dir(home) / BACKUPS
        folder.mkdir(parents=True, exist_ok=True)
        stamp = (when or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
        backup = folder / f"{exercise.module}-{stamp}.py"
        number = 1
        while backup.exists():
            number += 1
            backup = folder / f"{exercise.module}-{stamp}-{number}.py"
        shutil.copy2(path, backup)  # the bytes as they were, even a file that is not UTF-8
    write_text(path, stub.source)
    return Reset(path, backup, stub.origin, changed=True)
