"""What grade-all's parent and its judge processes say to each other, and its one encoding (JSON lines).

The parent starts a judge with a `JudgeConfig` (its one argument), then writes a
`JudgeRequest` line per submission on its stdin; the judge writes a `JudgeReady`
line once, then one `JudgeReply` line per request on its stdout. The pool makes
replies of its own (timeouts, dead judges) of the same type.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.grading.results import SubmissionStatus


@dataclass(frozen=True)
class JudgeConfig:
    """What every submission of one grade-all run is graded with."""

    course: str
    """Path of course.toml."""
    exercises: tuple[str, ...]
    """Exercise ids chosen with -e (empty: all)."""
    include_hidden: bool
    data_dir: str | None
    language: str
    """The language of every message the judge writes into a scorecard (grade-all's --lang)."""
    isolation: str = "auto"
    """The isolation mode the judge's workers get (grade-all's --isolation)."""

    def to_json(self) -> str:
        return json.dumps({"course": self.course, "exercises": list(self.exercises),
                           "include_hidden": self.include_hidden, "data_dir": self.data_dir,
                           "language": self.language, "isolation": self.isolation})

    @staticmethod
    def from_json(text: str) -> JudgeConfig:
        raw = json.loads(text)
        return JudgeConfig(raw["course"], tuple(raw["exercises"]), bool(raw["include_hidden"]), raw["data_dir"],
                           raw["language"], raw["isolation"])


@dataclass(frozen=True)
class JudgeRequest:
    """Grade one submission."""

    id: int
    name: str
    """The submission's name: its entry in SUBMISSIONS/, and what its scorecard calls it."""
    path: Path

    def to_line(self) -> bytes:
        return (json.dumps({"id": self.id, "name": self.name, "path": str(self.path)}) + "\n").encode()

    @staticmethod
    def from_line(line: str | bytes) -> JudgeRequest:
        raw = json.loads(line)
        return JudgeRequest(int(raw["id"]), str(raw["name"]), Path(raw["path"]))


@dataclass(frozen=True)
class JudgeReady:
    """The judge imported everything and collected the suites: it takes requests now."""

    pid: int

    def to_line(self) -> str:
        return json.dumps({"ready": self.pid}) + "\n"


@dataclass(frozen=True)
class JudgeReply:
    """What became of one submission: its status, and its JSON scorecard when it was graded."""

    status: SubmissionStatus
    message: str = ""
    """Why not graded, the internal errors, or why tests could not run."""
    record: dict[str, Any] | None = None
    """The JSON scorecard (`grading.card_json`), when graded."""
    notes: tuple[str, ...] = ()
    """What preparing the submission noticed (a notebook converted, a folder unwrapped, ...)."""
    not_run: int = 0
    """Tests that could not run (the MNIST data missing): the run stops rather than record such a grade."""
    seconds: float = 0.0
    id: int = 0
    """The request answered (0: a reply the pool made itself)."""
    name: str = ""
    """The submission's name, set by the pool from its request."""

    def to_line(self) -> str:
        # ASCII only: one reply per line whatever the student's text holds.
        return json.dumps({"id": self.id, "name": self.name, "status": self.status.value, "message": self.message,
                           "record": self.record, "notes": list(self.notes), "not_run": self.not_run,
                           "seconds": self.seconds}, ensure_ascii=True) + "\n"

    @staticmethod
    def from_json(raw: dict[str, Any]) -> JudgeReply:
        return JudgeReply(
            status=SubmissionStatus(raw["status"]), message=str(raw.get("message", "")), record=raw.get("record"),
            notes=tuple(str(n) for n in raw.get("notes", [])), not_run=int(raw.get("not_run", 0)),
            seconds=float(raw.get("seconds", 0.0)), id=int(raw.get("id", 0)), name=str(raw.get("name", "")),
        )


def decode_judge_line(line: str | bytes) -> JudgeReady | JudgeReply:
    """One line a judge wrote: its hello or a reply."""
    raw = json.loads(line)
    if "ready" in raw:
        return JudgeReady(int(raw["ready"]))
    return JudgeReply.from_json(raw)
