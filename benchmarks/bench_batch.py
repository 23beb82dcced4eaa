"""Throughput of `nngrade grade-all`: submissions per second and the median per submission, at --jobs 1 and 2.

Generates a class of submissions in a temporary folder -- a third the reference
solutions, a third the solutions with one module swapped for a known-wrong
variant from tests/cases/ (a buggy student), a third the untouched stubs (not
implemented yet) -- and grades it from scratch with each --jobs value: submissions per
second, the median submission's own time, and the CPU seconds per submission of
every process of the run (grade-all, judges, fork servers, workers; counted by
`perf stat`, see bench_speed.counted), which moves less than wall time on a shared
machine. Target (issue 16): at least 5 submissions/s on 2 cores for the full course,
at most 0.35 CPU-s per submission. Prints, asserts nothing.

The mnist exercise's real-data tests need the MNIST files (NNGRADE_DATA); without
them grade-all refuses to grade the full course, so the script then grades the
exercises that do not need them and says so.

    python benchmarks/bench_batch.py [--count 120] [--jobs 1 2] [-e EXERCISE ...]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import load_course  # noqa: E402

PERF = shutil.which("perf")
from autograder.data.mnist import MNIST_FILES, data_dir  # noqa: E402
from autograder.grading.catalog import patched_source  # noqa: E402


def wrong_variants() -> list[tuple[str, str]]:
    """(file name, source) of the known-wrong modules of the golden cases (their expected.json loses points).

    A case holds its whole module, or only the functions it changes (<module>.changes.py) on top of the solution.
    """
    variants = []
    for expected in sorted((ROOT / "tests" / "cases").glob("*/*/expected.json")):
        if not json.loads(expected.read_text()).get("lose"):
            continue
        for path in sorted(expected.parent.glob("*.py")):
            module = path.name.removesuffix(".changes.py").removesuffix(".py")
            source = path.read_text(encoding="utf-8")
            if path.name.endswith(".changes.py"):
                solution = (ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8")
                source = patched_source(solution, source)
            variants.append((f"{module}.py", source))
    return variants


def make_class(folder: Path, count: int) -> dict[str, int]:
    """`count` submissions in `folder`: correct, buggy and not implemented in turn."""
    kinds = {"correct": 0, "buggy": 0, "not-implemented": 0}
    variants = wrong_variants()
    for i in range(count):
        student = folder / f"student-{i:04d}"
        kind = ("correct", "buggy", "not-implemented")[i % 3]
        source = ROOT / ("exercises" if kind == "not-implemented" else "solutions")
        shutil.copytree(source, student, ignore=shutil.ignore_patterns("__pycache__"))
        if kind == "buggy" and variants:
            name, source = variants[(i // 3) % len(variants)]
            (student / name).write_text(source, encoding="utf-8")
        kinds[kind] += 1
    return kinds


def grade_all(submissions: Path, out: Path, jobs: int, exercises: list[str]) -> tuple[float, float, list[float]]:
    """Wall and CPU seconds of one cold grade-all run, and each submission's own seconds from its result file.

    CPU counts every process of the run (grade-all, judges, fork servers, workers) with perf stat; without perf,
    only those outside the sandbox (bwrap's inner processes are never waited for where getrusage would see them).
    """
    shutil.rmtree(out, ignore_errors=True)
    chosen = [arg for e in exercises for arg in ("-e", e)]
    command = [sys.executable, "-m", "autograder", "grade-all", str(submissions), "--out", str(out),
               "--jobs", str(jobs), "--force", *chosen]
    from bench_speed import counted

    cpu_before = children_cpu()
    done, wall, cpu = counted(command, ROOT)
    if cpu is None:  # no perf: the judges' and grade-all's own CPU only (the sandboxed processes are not counted)
        cpu = children_cpu() - cpu_before
    if done.returncode != 0:
        raise SystemExit(f"grade-all failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    seconds = [json.loads(p.read_text())["batch"]["seconds"] for p in out.glob("*.json")]
    return wall, cpu, seconds


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("-e", "--exercise", dest="exercises", action="append", default=[])
    parser.add_argument("--no-nbgrader", dest="nbgrader", action="store_false",
                        help="Skip the nbgrader autograde figure.")
    args = parser.parse_args()
    course = load_course(ROOT / "course.toml")
    exercises = args.exercises
    has_data = all((data_dir() / f.name).is_file() for f in MNIST_FILES)
    if not exercises and not has_data:
        exercises = [e.id for e in course.exercises if e.id != "mnist"]
        print("no MNIST data (set NNGRADE_DATA): grading without the mnist exercise")
    with tempfile.TemporaryDirectory(prefix="nngrade-bench-") as temp:
        submissions, out = Path(temp) / "submissions", Path(temp) / "results"
        submissions.mkdir()
        kinds = make_class(submissions, args.count)
        print(f"{args.count} submissions ({', '.join(f'{n} {k}' for k, n in kinds.items())}); "
              f"exercises: {', '.join(exercises) or 'all'}; {os.cpu_count()} cores; "
              f"MNIST data: {'yes' if has_data else 'no'}")
        for jobs in args.jobs:
            wall, cpu, seconds = grade_all(submissions, out, jobs, exercises)
            print(f"--jobs {jobs}: {args.count / wall:5.2f} submissions/s   wall {wall:6.1f} s   "
                  f"median {statistics.median(seconds):.3f} s per submission (its own judge time)   "
                  f"CPU {cpu / args.count:.3f} s per submission "
                  f"({'all processes' if PERF else 'without the sandboxed processes: no perf here'})")
    print("target: >= 5 submissions/s at --jobs 2 on 2 cores, full course; <= 0.35 CPU-s per submission")
    if args.nbgrader:
        nbgrader_figure(exercises)


def nbgrader_figure(exercises: list[str]) -> None:
    """nbgrader autograde of one student (benchmarks/bench_nbgrader.py, one run), as submissions per second."""
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        print("nbgrader is not installed: no autograde figure to compare with")
        return
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_nbgrader.py"), "--runs", "1",
                           *exercises], capture_output=True, text=True, cwd=ROOT)
    line = next((row for row in done.stdout.splitlines() if row.startswith("nbgrader autograde")), None)
    if done.returncode != 0 or line is None:
        print(f"nbgrader autograde: not measured ({done.stderr.strip().splitlines()[-1:] or done.returncode})")
        return
    seconds = float(line.split("median", 1)[1].split()[0])
    print(f"beside it, nbgrader autograde of one student: {seconds:.2f} s, {1 / seconds:.2f} submissions/s "
          "(one process; bench_nbgrader.py)")


if __name__ == "__main__":
    main()
