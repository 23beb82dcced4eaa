"""`nngrade submit`: the student's work as one zip an instructor can check (grading/submission_zip.py reads it back).

The zip holds exercises/<module>.py for each exercise file there is, and MANIFEST.json: the course's name,
the kit's version, when, and the SHA-256 of every file. `nngrade grade submission.zip` and `grade-all` unpack
it with limits and say whether the files still have the hashes the manifest lists, so an instructor can tell
the work graded is the work submitted.
"""
from __future__ import annotations

import io
import json
import stat
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from autograder.atomic import write_bytes
from autograder.course import Course
from autograder.grading.submission_zip import MANIFEST, sha256

FORMAT = 1
DEFAULT_NAME = "submission.zip"


@dataclass(frozen=True)
class Submitted:
    path: Path
    files: dict[str, str]
    """Name in the zip -> SHA-256."""
    missing: tuple[str, ...]
    """Exercise files not there to submit."""


def kit_version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("nngrade")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def build(course: Course, exercises: Path, output: Path, when: datetime | None = None) -> Submitted:
    """Write `output` (atomically): exercises/<module>.py of every exercise file there is, and MANIFEST.json."""
    files: dict[str, bytes] = {}
    missing = []
    for exercise in course.exercises:
        path = exercises / f"{exercise.module}.py"
        if path.is_symlink() or not path.is_file():
            missing.append(f"{exercise.module}.py")
            continue
        files[f"exercises/{exercise.module}.py"] = path.read_bytes()
    hashes = {name: sha256(data) for name, data in files.items()}
    manifest = {
        "format": FORMAT,
        "course": course.name,
        "kit_version": kit_version(),
        "created": (when or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "files": hashes,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in [*files.items(), (MANIFEST, (json.dumps(manifest, indent=2, ensure_ascii=False)
                                                       + "\n").encode("utf-8"))]:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # same work, same zip
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    write_bytes(output, buffer.getvalue())
    return Submitted(output, hashes, tuple(missing))
