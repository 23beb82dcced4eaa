"""grade-all: a folder of submissions graded in parallel, one result file each, resumable.

Every entry of SUBMISSIONS/ is one submission: a folder (its modules at the top,
in exercises/, or in the one folder a zip unpacked into), a zip written by
`nngrade submit` (unpacked safely, its manifest checked and recorded), a
notebook `.ipynb`, or a loose `.py` file (only when one exercise is chosen with -e). Names starting
with `.` or `_` are skipped, and so are symbolic links (one named like a submission
could point at a classmate's folder or the instructor's): the summary lists them.

Each submission's result is `OUT/<entry name>.json`: the JSON scorecard plus a
`batch` block (content hash, grader fingerprint, status, message), written
atomically the moment it is graded. A re-run keeps a result whose hash and
fingerprint still match and whose status is final (graded, invalid, timeout),
and grades the rest: an interrupted run (Ctrl-C, SIGKILL) resumes with nothing
lost, duplicated or half-written. Internal errors are retried on the next run.

When every submission of the shard has its result, `OUT/_shard-K-of-N.manifest` says so (write_manifest):
the shard, the grader's fingerprint, the whole class's names, each graded submission's hash. A run that
has something to grade removes it first, so a shard stopped half-way is absent to `nngrade merge`.
"""
from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import re
import statistics
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder import __version__
from autograder.atomic import write_text
from autograder.batch.messages import JudgeConfig, JudgeReply
from autograder.batch.pool import Job, Pool, PoolBroken
from autograder.course import Course, CoursePaths
from autograder.errors import ExitCode
from autograder.grading.card_json import SCHEMA_VERSION
from autograder.grading.results import SubmissionResult
from autograder.grading.results import SubmissionStatus as Status
from autograder.grading.scrub import scrub
from autograder.grading.submission_zip import Check, SubmissionZipError, unpack
from autograder.i18n import DEFAULT as DEFAULT_LANGUAGE
from autograder.reporters import csv_report

STATUSES = (Status.GRADED, Status.INVALID, Status.TIMEOUT, Status.INTERNAL_ERROR)
"""The statuses a result file can hold (a workspace error stops the run instead), in the summary's order."""


class BatchError(Exception):
    """The run cannot go on (output unwritable, data missing, judges cannot start); carries its exit code."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Entry:
    """One submission in SUBMISSIONS/."""

    name: str
    """The entry's file name (alice, bob.ipynb, carol.py): unique, and the result file's stem."""
    path: Path


@dataclass(frozen=True)
class Outcome:
    """What happened to one submission, this run or an earlier one."""

    result: SubmissionResult
    """Its status and scores (the CSV row)."""
    seconds: float = 0.0
    cached: bool = False
    """True when an earlier run's result was kept."""
    isolation: str = ""
    """What walled its code in while it was graded ("" when it was not graded)."""

    @property
    def name(self) -> str:
        return self.result.submission

    @property
    def status(self) -> Status:
        """graded, invalid, timeout or internal-error."""
        return self.result.status

    @property
    def message(self) -> str:
        return self.result.message


@dataclass(frozen=True)
class Options:
    """Everything one grade-all run needs."""

    submissions: Path
    out: Path
    course: Course
    """The course as selected with -e."""
    exercises: tuple[str, ...] = ()
    jobs: int = 1
    shard: tuple[int, int] = (1, 1)
    csv: Path | None = None
    deadline: float = 600.0
    """Seconds one submission may take in all before its judge is stopped."""
    force: bool = False
    """Grade everything again, whatever the earlier results say."""
    include_hidden: bool = True
    data_dir: Path | None = None
    language: str = DEFAULT_LANGUAGE
    """The language the judges write their scorecards in."""
    isolation: str = "auto"
    """The isolation mode the judges grade under (sandbox.isolation.Mode's value)."""
    shard_engine: str = "given"
    """Where the shard came from: "given" (--shard K/N), "slurm" or "kubernetes" (--shard auto)."""


# --- finding the submissions -----------------------------------------------

def discover(folder: Path, exclude: Iterable[Path] = (), skipped: list[str] | None = None) -> list[Entry]:
    """The submissions in `folder`, sorted by name; `exclude` (the results folder, say) is left out.

    Symbolic links are never submissions: their names are added to `skipped`, if given, for the summary.
    """
    if not folder.is_dir():
        raise BatchError(f"{folder} is not a folder: pass the folder that holds one entry per submission.",
                         ExitCode.SUBMISSION_INVALID)
    skip = {p.resolve() for p in exclude}
    entries = []
    for path in sorted(folder.iterdir()):
        if path.name[:1] in (".", "_") or path.resolve() in skip:
            continue
        if path.is_symlink():
            if skipped is not None:
                skipped.append(path.name)
            continue
        if path.is_dir() or (path.is_file() and path.suffix.lower() in (".py", ".ipynb", ".zip")):
            entries.append(Entry(path.name, path))
    return entries


def parse_shard(text: str) -> tuple[int, int]:
    """'K/N' -> (K, N) with 1 <= K <= N; ValueError otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"{text!r} is not K/N with 1 <= K <= N (e.g. 2/4)")
    return int(match[1]), int(match[2])


def shard(entries: list[Entry], k: int, n: int) -> list[Entry]:
    """Shard K of N: every N-th submission in name order, starting at the K-th (the same on every machine)."""
    return sorted(entries, key=lambda e: e.name)[k - 1::n]


def fingerprint(course: Course, include_hidden: bool) -> str:
    """sha256 of everything besides the submission that decides a grade: the kit, course.toml, solutions."""
    digest = hashlib.sha256(f"{__version__}\0{include_hidden}\0".encode())
    digest.update("\0".join(e.id for e in course.exercises).encode())
    package = Path(__file__).resolve().parent.parent
    files = [course.path, *sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                                  and p.suffix in (".py", ".json", ".npz", ".toml"))]
    files += sorted(CoursePaths.of(course).solutions.glob("*.py"))
    for file in files:
        digest.update(f"{file.name}\0".encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


# --- results ----------------------------------------------------------------

_TEMP = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]+\.tmp$")  # atomic.write_text's temporary files


def remove_stale_temp(folder: Path, names: set[str]) -> None:
    """Remove temporary files a killed run left for these result names (never another run's others)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        match = _TEMP.match(path.name)
        if match and match["name"] in names:
            path.unlink(missing_ok=True)


def read_record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("batch"), dict) else None


def outcome_from_record(name: str, record: dict[str, Any], *, cached: bool) -> Outcome:
    """A result file (a JSON scorecard, or an error record without scores, plus its batch block) as an Outcome."""
    batch = record["batch"]
    status, message = Status(batch["status"]), batch.get("message", "")
    if "exercises" in record:
        result = SubmissionResult(name, status, {e["id"]: e["score"] for e in record["exercises"]}, record["score"],
                                  record["max_score"], record["percent"], message)
    else:
        result = SubmissionResult(name, status, message=message)
    isolation = record.get("isolation")
    return Outcome(result, float(batch.get("seconds", 0.0)), cached,
                   isolation if isinstance(isolation, str) and "exercises" in record else "")


def _record(entry: Entry, reply: JudgeReply, content: str, grader: str) -> dict[str, Any]:
    record = dict(reply.record or {"schema": SCHEMA_VERSION, "nngrade": __version__, "submission": entry.name})
    record["batch"] = {
        "submission": entry.name, "path": str(entry.path), "status": reply.status.value,
        "message": reply.message, "notes": list(reply.notes), "hash": content, "grader": grader,
        "seconds": reply.seconds,
        "graded_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    return scrub(record)


# --- the run ----------------------------------------------------------------

@dataclass
class Plan:
    """What a run will do: the submissions to grade and the results it keeps."""

    entries: list[Entry]
    """This shard's submissions."""
    to_grade: list[Entry] = field(default_factory=list)
    kept: list[Outcome] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)
    grader: str = ""
    skipped_links: list[str] = field(default_factory=list)
    """Entries of SUBMISSIONS/ left out because they are symbolic links."""
    class_names: list[str] = field(default_factory=list)
    """Every submission of the class, all shards together (the manifest's check that shards saw one class)."""


def plan(options: Options) -> Plan:
    """Find this shard's submissions and decide which earlier results still hold."""
    from autograder.grading.submission import content_hash

    out = options.out.resolve()
    links: list[str] = []
    everyone = discover(options.submissions, [out, *([options.csv] if options.csv else [])], links)
    entries = shard(everyone, *options.shard)
    result = Plan(entries, grader=fingerprint(options.course, options.include_hidden), skipped_links=links,
                  class_names=sorted(e.name for e in everyone))
    for entry in entries:
        try:
            result.hashes[entry.name] = content_hash(entry.path)
        except OSError as exc:  # graded anyway: the judge says why it cannot be read
            result.hashes[entry.name] = f"unreadable: {exc.strerror}"
        record = None if options.force else read_record(out / f"{entry.name}.json")
        batch = record["batch"] if record else {}
        if record and batch.get("hash") == result.hashes[entry.name] and batch.get("grader") == result.grader \
                and batch.get("status") in {s.value for s in Status if s.final}:
            result.kept.append(outcome_from_record(entry.name, record, cached=True))
        else:
            result.to_grade.append(entry)
    return result


def run(options: Options, the_plan: Plan, on_done: Callable[[Outcome], None] = lambda o: None,
        refresh: Callable[[], None] = lambda: None) -> list[Outcome]:
    """Grade what the plan says, writing each result as it comes; returns every outcome of the shard, by name."""
    out = options.out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"Cannot create the results folder {out}: {exc.strerror or exc}.",
                         ExitCode.OUTPUT_FAILED) from None
    manifest = manifest_path(out, *options.shard)
    remove_stale_temp(out, {f"{e.name}.json" for e in the_plan.entries} | {manifest.name})
    try:  # until this shard completes again, merge must see it as absent, not as its last run's
        if the_plan.to_grade:  # (a run that keeps every result changes no file: the manifest stays too)
            manifest.unlink(missing_ok=True)
    except OSError as exc:
        raise BatchError(f"Cannot remove the old shard manifest {manifest}: {exc.strerror or exc}.",
                         ExitCode.OUTPUT_FAILED) from None
    outcomes = {o.name: o for o in the_plan.kept}
    entries = {e.name: e for e in the_plan.entries}
    config = JudgeConfig(str(options.course.path), options.exercises, options.include_hidden,
                         str(options.data_dir) if options.data_dir else None, options.language,
                         options.isolation)
    with _scratch(any(e.path.suffix.lower() == ".zip" for e in the_plan.to_grade)) as scratch:
        zips = unpack_zips(the_plan.to_grade, scratch) if scratch else UnpackedZips()
        for name, refused in zips.refused.items():  # a zip that cannot be unpacked safely is graded as nothing
            record = _record(entries[name], JudgeReply(Status.INVALID, message=refused), the_plan.hashes[name],
                             the_plan.grader)
            outcomes[name] = _write_result(out, entries[name], record)
            on_done(outcomes[name])
        jobs = [Job(e.name, zips.folders.get(e.name, e.path)) for e in the_plan.to_grade if e.name not in zips.refused]
        _grade(options, the_plan, config, jobs, zips, entries, outcomes, on_done, refresh)
    return [outcomes[name] for name in sorted(outcomes)]


@contextlib.contextmanager
def _scratch(needed: bool) -> Iterator[Path | None]:
    """A temporary folder for the run's unpacked zips, removed with everything in it; None when none is needed."""
    if not needed:
        yield None
        return
    try:
        folder = tempfile.TemporaryDirectory(prefix="nngrade-zips-")
    except OSError as exc:
        raise BatchError(f"Cannot create a temporary folder to unpack the zips in: {exc.strerror or exc}. Set "
                         "TMPDIR to a folder with room, then run the same command again.", ExitCode.WORKSPACE) from None
    with folder:
        yield Path(folder.name)


@dataclass
class UnpackedZips:
    """The zips of a run, unpacked: where each went and what its manifest says, or why it was refused."""

    folders: dict[str, Path] = field(default_factory=dict)
    checks: dict[str, Check] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def unpack_zips(entries: Iterable[Entry], scratch: Path) -> UnpackedZips:
    """Each `.zip` entry unpacked into its own folder of `scratch` (the limits of grading.submission_zip: a
    zip bomb or a path out of the folder is refused, and that submission alone is invalid)."""
    found = UnpackedZips()
    for number, entry in enumerate(entries):
        if entry.path.suffix.lower() != ".zip" or not entry.path.is_file():
            continue
        folder = scratch / str(number)  # not the entry's name: it came from the class folder
        try:
            folder.mkdir()
            found.checks[entry.name] = unpack(entry.path, folder)
        except SubmissionZipError as exc:
            found.refused[entry.name] = f"the zip cannot be unpacked safely: {exc}"
            continue
        except OSError as exc:
            raise BatchError(f"Cannot unpack {entry.name} into {scratch}: {exc.strerror or exc}. Make room in the "
                             "temporary folder (TMPDIR), then run the same command again to resume.",
                             ExitCode.WORKSPACE) from None
        found.folders[entry.name] = folder
    return found


def _write_result(out: Path, entry: Entry, record: dict[str, Any]) -> Outcome:
    target = out / f"{entry.name}.json"
    try:
        write_text(target, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise BatchError(
            f"Cannot write {target}: {exc.strerror or exc}. The results written before are complete "
            "and untouched; make room or fix the folder, then run the same command again to resume.",
            ExitCode.OUTPUT_FAILED) from None
    return outcome_from_record(entry.name, record, cached=False)


def _grade(options: Options, the_plan: Plan, config: JudgeConfig, jobs: list[Job], zips: UnpackedZips,
           entries: dict[str, Entry], outcomes: dict[str, Outcome], on_done: Callable[[Outcome], None],
           refresh: Callable[[], None]) -> None:
    """Grade the jobs with a pool of judges, writing each result the moment it comes."""
    with Pool(config, min(options.jobs, max(1, len(jobs))), options.deadline) as pool:
        try:
            for reply in pool.grade(jobs, refresh):
                entry = entries[reply.name]
                if reply.status is Status.WORKSPACE_ERROR:
                    raise BatchError(f"Cannot grade {entry.name}: {reply.message}. The results already "
                                     "written are complete; fix the temporary folder, then run the same command "
                                     "again to resume.", ExitCode.WORKSPACE)
                if reply.not_run:
                    raise BatchError(
                        f"{reply.not_run} test(s) could not run for {entry.name}: {reply.message}. "
                        "Nothing was written for it; the results already written are complete. Fix the data, "
                        "then run the same command again to resume.", ExitCode.DATA_MISSING)
                record = _record(entry, reply, the_plan.hashes[entry.name], the_plan.grader)
                if entry.name in zips.checks:  # what grade says of one zip, kept for each of the class's
                    record["submission_manifest"] = zips.checks[entry.name].as_json()
                outcomes[entry.name] = _write_result(options.out, entry, record)
                on_done(outcomes[entry.name])
        except PoolBroken as exc:
            raise BatchError(f"The grader itself failed (not any student's fault): {exc}", ExitCode.INTERNAL) from None


def write_csv(options: Options, outcomes: list[Outcome]) -> None:
    """The shard's CSV; shard 1 alone writes the header, so `cat` of the shards' files (in order) is the class's."""
    if options.csv is None:
        return
    remove_stale_temp(options.csv.parent, {options.csv.name})
    text = csv_report.write([o.result for o in outcomes], [e.id for e in options.course.exercises],
                            with_header=options.shard[0] == 1)
    try:
        write_text(options.csv, text)
    except OSError as exc:
        raise BatchError(f"Cannot write the CSV {options.csv}: {exc.strerror or exc}. The result files are "
                         "complete; run the same command again to write it.", ExitCode.OUTPUT_FAILED) from None


# --- the shard manifest ---------------------------------------------------------

MANIFEST_KIND = "nngrade-shard"
MANIFEST_VERSION = 1


def manifest_path(out: Path, k: int, n: int) -> Path:
    """OUT/_shard-K-of-N.manifest: JSON, but neither a result's name (a submission never starts with `_`) nor
    `*.json`, so that a script reading results/*.json as scorecards never meets it."""
    return out / f"_shard-{k}-of-{n}.manifest"


def class_digest(names: Iterable[str]) -> str:
    """sha256 of the class's sorted submission names: equal on every shard that saw the same folder."""
    # surrogateescape: a folder name that is not UTF-8 hashes as its own bytes instead of failing the shard
    return hashlib.sha256("\0".join(sorted(names)).encode("utf-8", "surrogateescape")).hexdigest()


def course_outline(course: Course) -> list[dict[str, Any]]:
    """The graded items, in course order, with their points: the columns of a merged gradebook."""
    return [{"id": e.id, "title": e.title, "max_score": e.max_points,
             "tasks": [{"task": t.id, "title": t.title, "max_score": t.points} for t in e.tasks]}
            for e in course.exercises]


def write_manifest(options: Options, the_plan: Plan, outcomes: list[Outcome]) -> Path:
    """Written last, atomically, once every submission of the shard has its result: `nngrade merge` reads it
    to tell a complete shard from an absent or interrupted one, and a result from another run's."""
    k, n = options.shard
    graded = {o.name for o in outcomes}
    record = {
        "kind": MANIFEST_KIND, "version": MANIFEST_VERSION, "nngrade": __version__, "shard": [k, n],
        "engine": options.shard_engine, "grader": the_plan.grader, "include_hidden": options.include_hidden,
        "class": {"count": len(the_plan.class_names), "digest": class_digest(the_plan.class_names),
                  "names": the_plan.class_names},
        "exercises": course_outline(options.course),
        "assigned": {e.name: the_plan.hashes[e.name] for e in the_plan.entries if e.name in graded},
    }
    target = manifest_path(options.out, k, n)
    # ASCII: a folder name that is not UTF-8 (a surrogate in Python) crosses as \udcxx and comes back the same
    text = json.dumps(record, indent=2) + "\n"
    try:
        unchanged = target.read_text(encoding="utf-8") == text
    except (OSError, ValueError):  # absent, or damaged: written anew
        unchanged = False
    if unchanged:
        return target  # a resumed run that changed nothing leaves the file as it was, date included
    try:
        options.out.mkdir(parents=True, exist_ok=True)
        write_text(target, text)
    except OSError as exc:
        raise BatchError(f"Cannot write the shard manifest {target}: {exc.strerror or exc}. The result files are "
                         "complete; run the same command again to write it.", ExitCode.OUTPUT_FAILED) from None
    return target


# --- the summary -------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    """Figures over a shard's outcomes."""

    count: int
    graded_now: int
    kept: int
    by_status: dict[str, int]
    """Submissions per status code (graded, invalid, timeout, internal-error), in that order."""
    mean: float | None
    median: float | None
    low: float | None
    high: float | None
    histogram: tuple[int, ...]
    """Graded submissions per tenth of the percentage: 0-10, 10-20, ..., 90-100 (100 in the last)."""
    problems: tuple[Outcome, ...]
    """The submissions not graded, and why."""
    by_isolation: dict[str, int] = field(default_factory=dict)
    """Graded submissions per isolation level they were graded under (one level, on one machine)."""


def summarize(outcomes: list[Outcome]) -> Summary:
    percents = [o.result.percent for o in outcomes
                if o.status is Status.GRADED and o.result.percent is not None]
    histogram = [0] * 10
    for p in percents:
        histogram[min(9, int(p // 10))] += 1
    return Summary(
        count=len(outcomes), graded_now=sum(not o.cached for o in outcomes), kept=sum(o.cached for o in outcomes),
        by_status={s.value: sum(o.status is s for o in outcomes) for s in STATUSES},
        mean=statistics.fmean(percents) if percents else None,
        median=statistics.median(percents) if percents else None,
        low=min(percents, default=None), high=max(percents, default=None), histogram=tuple(histogram),
        problems=tuple(o for o in outcomes if o.status is not Status.GRADED),
        by_isolation=dict(sorted(Counter(o.isolation for o in outcomes if o.isolation).items())),
    )
