"""`nngrade merge`: the result folders of a class's shards as one class result, or a refusal saying why.

Every shard of grade-all ends by writing OUT/_shard-K-of-N.manifest (grade_all.write_manifest): which shard it
was, the grader's fingerprint, the whole class's submission names and the content hash of each submission
it graded. From those alone merge knows what a complete class looks like, so it can refuse (or, with
--allow-partial, warn about):

- an absent shard: no manifest for some K of N (never ran, still running, or interrupted);
- a submission missing (no valid result for a name of the class) or graded twice (two manifests list it);
- results graded by different grader fingerprints (another kit version, course.toml or solutions);
- a corrupt manifest or result file, or a result that is not the one its manifest recorded.

Result files are read only at the names the manifests list, checked to be plain names (no `/`, no `..`, no
leading `.` or `_`), and a result must name itself: a file planted under another name wins nothing.
The merged CSV is csv_report's, over the same outcomes, in the same order: byte for byte what one
machine's grade-all of the whole class writes.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.batch.grade_all import (
    MANIFEST_KIND,
    MANIFEST_VERSION,
    Entry,
    Outcome,
    class_digest,
    outcome_from_record,
    shard,
)
from autograder.grading.results import SubmissionStatus as Status
from autograder.grading.scrub import clean
from autograder.i18n import t
from autograder.reporters import csv_report
from autograder.reporters.escape import one_line

_MANIFEST = re.compile(r"^_shard-(?P<k>[1-9][0-9]*)-of-(?P<n>[1-9][0-9]*)\.manifest$")
SHOWN = 20
"""Names listed in one problem before "and N more" (a 2,000-student class must not print a wall)."""


class MergeError(Exception):
    """Nothing can be merged at all (no folder, no manifest): raised whatever --allow-partial says."""


@dataclass(frozen=True)
class Problem:
    """One reason the shards do not make a complete, consistent class."""

    kind: str
    """absent-shard, missing, duplicate, fingerprint, class-differs, corrupt, count-differs."""
    message: str


@dataclass
class Merged:
    """The class as the shards graded it."""

    outcomes: list[Outcome]
    """One per submission with a valid result, by name (the CSV rows)."""
    records: dict[str, dict[str, Any]]
    """Each submission's result file, parsed (the gradebook's task rows)."""
    exercises: list[dict[str, Any]]
    """The graded items in course order: id, title, max_score, tasks (from the manifests)."""
    shards: int
    grader: str
    class_names: list[str]
    problems: list[Problem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    """Result files no manifest lists (another run's leftovers): left out of the merge."""

    @property
    def exercise_ids(self) -> list[str]:
        return [e["id"] for e in self.exercises]

    def csv(self) -> str:
        return csv_report.write([o.result for o in self.outcomes], self.exercise_ids)


@dataclass(frozen=True)
class _Manifest:
    folder: Path
    path: Path
    k: int
    n: int
    grader: str
    names: list[str]
    digest: str
    assigned: dict[str, str]
    exercises: list[dict[str, Any]]


def plain_name(name: object) -> bool:
    """A name discover() could have produced: one path component, not hidden, not a manifest."""
    return (isinstance(name, str) and bool(name) and name not in (".", "..") and name[:1] not in (".", "_")
            and not any(c in name for c in "/\\\0"))


def listed(names: Sequence[str]) -> str:
    """Names for a message, each on one line (a folder name may hold a newline), at most SHOWN of them."""
    shown = ", ".join(one_line(name) for name in names[:SHOWN])
    return shown if len(names) <= SHOWN else t("batch.merge-and-more", names=shown, count=len(names) - SHOWN)


def _load_manifest(folder: Path, path: Path, k: int, n: int) -> _Manifest:
    """The manifest at `path`; ValueError saying what is wrong with it."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(record, dict) or record.get("kind") != MANIFEST_KIND:
        raise ValueError("not a shard manifest")
    if record.get("version") != MANIFEST_VERSION:
        raise ValueError(f"manifest version {record.get('version')!r}, this nngrade reads {MANIFEST_VERSION}")
    klass, assigned, exercises = record.get("class"), record.get("assigned"), record.get("exercises")
    if record.get("shard") != [k, n] or not isinstance(record.get("grader"), str) or not isinstance(klass, dict) \
            or not isinstance(assigned, dict) or not isinstance(exercises, list):
        raise ValueError("its fields do not match its name or are missing")
    names = klass.get("names")
    if not isinstance(names, list) or not all(plain_name(x) for x in names) \
            or not all(plain_name(x) and isinstance(h, str) for x, h in assigned.items()) \
            or not set(assigned) <= set(names) or klass.get("digest") != class_digest(names):
        raise ValueError("its submission names are not plain names of its class")
    if not all(isinstance(e, dict) and isinstance(e.get("id"), str) and isinstance(e.get("max_score"), (int, float))
               for e in exercises):
        raise ValueError("its exercises are malformed")
    return _Manifest(folder, path, k, n, record["grader"], sorted(names), klass["digest"], dict(assigned), exercises)


def _load_result(folder: Path, name: str, manifest: _Manifest) -> dict[str, Any]:
    """The result of `name` its manifest recorded; ValueError saying why the file is not it."""
    try:
        record = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(name) from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"unreadable ({exc})") from None
    batch = record.get("batch") if isinstance(record, dict) else None
    if not isinstance(batch, dict) or batch.get("submission") != clean(name):  # grade-all scrubs what it writes
        raise ValueError("not this submission's result")
    if batch.get("status") not in {s.value for s in Status} or batch.get("status") == Status.WORKSPACE_ERROR.value:
        raise ValueError(f"unknown status {batch.get('status')!r}")
    if batch.get("grader") != manifest.grader or batch.get("hash") != manifest.assigned[name]:
        raise ValueError("graded in another run than its shard's manifest records")
    if "exercises" in record:
        scores = [record.get("score"), record.get("max_score"), record.get("percent")]
        items = record["exercises"]
        if not all(isinstance(v, (int, float)) for v in scores) or not isinstance(items, list) or not all(
                isinstance(e, dict) and isinstance(e.get("id"), str) and isinstance(e.get("score"), (int, float))
                for e in items):
            raise ValueError("its scores are malformed")
    return record


def _manifests(folders: Sequence[Path]) -> tuple[list[_Manifest], list[Problem]]:
    found, problems = [], []
    for folder in folders:
        for path in sorted(folder.iterdir()):
            match = _MANIFEST.match(path.name)
            if not match:
                continue
            try:
                found.append(_load_manifest(folder, path, int(match["k"]), int(match["n"])))
            except ValueError as exc:
                problems.append(Problem("corrupt", t("batch.merge-corrupt-manifest", path=path, detail=exc)))
    return found, problems


def merge(folders: Sequence[Path]) -> Merged:
    """Read every shard's manifest and results in `folders`; the Merged class lists whatever is wrong."""
    unique: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            raise MergeError(t("batch.merge-not-folder", folder=folder))
        if folder.resolve() not in [f.resolve() for f in unique]:
            unique.append(folder)
    manifests, problems = _manifests(unique)
    if not manifests:
        raise MergeError(t("batch.merge-no-manifest", folders=", ".join(map(str, unique))))

    counts = sorted({m.n for m in manifests}, key=lambda n: (-sum(m.n == n for m in manifests), n))
    n = counts[0]
    if len(counts) > 1:
        others = [m.path.name for m in manifests if m.n != n]
        problems.append(Problem("count-differs", t("batch.merge-count-differs", n=n, files=listed(others))))
        manifests = [m for m in manifests if m.n == n]

    by_shard: dict[int, _Manifest] = {}
    for m in manifests:
        if m.k in by_shard:
            problems.append(Problem("duplicate", t("batch.merge-shard-twice", shard=f"{m.k}/{n}",
                                                   first=by_shard[m.k].folder, second=m.folder)))
            continue
        by_shard[m.k] = m
    chosen = [by_shard[k] for k in sorted(by_shard)]

    graders = sorted({m.grader for m in chosen})
    grader = max(graders, key=lambda g: sum(m.grader == g for m in chosen))
    if len(graders) > 1:
        parts = "; ".join(f"{g[:12]}: " + ", ".join(f"{m.k}/{n}" for m in chosen if m.grader == g) for g in graders)
        problems.append(Problem("fingerprint", t("batch.merge-fingerprints", count=len(graders), shards=parts)))

    reference = chosen[0]
    if any(m.digest != reference.digest for m in chosen):
        parts = "; ".join(f"{m.k}/{n}: {len(m.names)}" for m in chosen)
        problems.append(Problem("class-differs", t("batch.merge-class-differs", shards=parts)))
    class_names = sorted({name for m in chosen for name in m.names})

    everyone = [Entry(x, Path(x)) for x in reference.names]
    absent = [k for k in range(1, n + 1) if k not in by_shard]
    for k in absent:  # the manifests hold the whole class, so an absent shard's students can be named
        expected = [e.name for e in shard(everyone, k, n)]
        problems.append(Problem("absent-shard", t("batch.merge-absent", shard=f"{k}/{n}", count=len(expected),
                                                  names=listed(expected))))

    owner: dict[str, _Manifest] = {}
    twice: list[str] = []
    for m in chosen:
        for name in sorted(m.assigned):
            if name in owner:
                twice.append(f"{name} ({owner[name].k}/{n}, {m.k}/{n})")
            else:
                owner[name] = m
    if twice:
        problems.append(Problem("duplicate", t("batch.merge-graded-twice", count=len(twice), names=listed(twice))))

    records: dict[str, dict[str, Any]] = {}
    corrupt: dict[str, str] = {}
    for name in sorted(owner):
        m = owner[name]
        try:
            records[name] = _load_result(m.folder, name, m)
        except FileNotFoundError:
            continue  # reported with the missing below
        except ValueError as exc:
            corrupt[name] = f"{m.folder / (name + '.json')}: {exc}"
    if corrupt:
        problems.append(Problem("corrupt", t("batch.merge-corrupt-results", count=len(corrupt),
                                             names=listed(list(corrupt.values())))))
    unassigned = {e.name for k in absent for e in shard(everyone, k, n)}  # already reported with their shard
    missing = [x for x in class_names if x not in records and x not in corrupt and x not in unassigned]
    if missing:
        problems.append(Problem("missing", t("batch.merge-missing", count=len(missing), names=listed(missing))))

    # A result file its folder's manifests do not list: another run's leftover, or a second copy of a result
    # another folder holds. Never merged; named, so that a stale copy is not mistaken for the grade.
    ignored = sorted(str(p) if len(unique) > 1 else p.name for folder in unique for p in folder.glob("*.json")
                     if p.name[:1] not in (".", "_")
                     and (p.name[:-5] not in owner or owner[p.name[:-5]].folder != folder))
    outcomes = [outcome_from_record(name, records[name], cached=False) for name in sorted(records)]
    return Merged(outcomes, records, reference.exercises, n, grader, class_names, problems, ignored)


def gradebook(merged: Merged, students: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """The JSON gradebook: one row per submission and task (score None when the submission was not graded)."""
    rows = []
    for outcome in merged.outcomes:
        record = merged.records[outcome.name]
        graded = outcome.status is Status.GRADED
        scored = {(e["id"], task.get("task")): task.get("score")
                  for e in record.get("exercises", []) if isinstance(e, dict)
                  for task in e.get("tasks", []) if isinstance(task, dict)}
        who = (students or {}).get(outcome.name, {})
        for exercise in merged.exercises:
            for task in exercise.get("tasks", []):
                score = scored.get((exercise["id"], task["task"])) if graded else None
                rows.append({"submission": outcome.name, **who, "exercise": exercise["id"], "task": task["task"],
                             "title": task["title"], "score": score if isinstance(score, (int, float)) else None,
                             "max_score": task["max_score"], "status": outcome.status.value})
    return {"kind": "nngrade-gradebook", "version": 1, "grader": merged.grader, "shards": merged.shards,
            "submissions": len(merged.outcomes), "exercises": merged.exercises, "rows": rows}
