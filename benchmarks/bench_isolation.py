"""What the kernel wall costs: `nngrade check` latency and `grade-all` throughput with and without isolation.

"Without" is the audit hook alone (NNGRADE_ISOLATION=audit-hook, a judge-side switch for
benchmarks and tests); "with" is what this machine gives by default (namespaces, Landlock
and seccomp on Linux). Both are measured in the same run, runs interleaved so that load
on a shared machine falls on both alike, and reported as medians and a ratio. Goal: at
most 15% overhead. Prints, asserts nothing.

    python benchmarks/bench_isolation.py [--runs 5] [--count 60] [--jobs 2]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_batch import children_cpu, make_class  # noqa: E402
from bench_speed import counted  # noqa: E402

MODES = {"isolated": "auto", "audit hook only": "audit-hook"}


def environment(mode: str) -> dict[str, str]:
    return {**os.environ, "NNGRADE_ISOLATION": mode}


def timed(command: list[str], mode: str) -> tuple[float, float]:
    """Wall and CPU seconds (every process, by perf stat; without perf, the sandboxed ones are missing)."""
    cpu_before = children_cpu()
    done, wall, cpu = counted(command, ROOT, environment(mode))
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return wall, cpu if cpu is not None else children_cpu() - cpu_before


def isolation_of(mode: str) -> str:
    """The isolation a grade under `mode` reports (from the JSON scorecard)."""
    import json

    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "solutions", "-e", "gates", "-f", "json"],
                          capture_output=True, text=True, cwd=ROOT, env=environment(mode), check=True)
    return str(json.loads(done.stdout).get("isolation", "?"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--count", type=int, default=60, help="submissions in the grade-all class")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    for name, mode in MODES.items():
        print(f"{name:16} grades with: {isolation_of(mode)}")

    check = [sys.executable, "-m", "autograder", "check", "--solutions"]
    check_times: dict[str, list[float]] = {name: [] for name in MODES}
    for _ in range(args.runs):
        for name, mode in MODES.items():
            check_times[name].append(timed(check, mode)[0])

    work = Path(tempfile.mkdtemp(prefix="nngrade-bench-isolation-"))
    try:
        make_class(work / "class", args.count)
        without_data = ("gates", "activations", "forward", "softmax", "backprop")
        exercises = [] if os.environ.get("NNGRADE_DATA") else [a for e in without_data for a in ("-e", e)]
        rates: dict[str, list[float]] = {name: [] for name in MODES}
        cpu: dict[str, list[float]] = {name: [] for name in MODES}
        for _ in range(max(1, args.runs // 2)):
            for name, mode in MODES.items():
                out = work / "results"
                shutil.rmtree(out, ignore_errors=True)
                wall, seconds = timed([sys.executable, "-m", "autograder", "grade-all", str(work / "class"),
                                       "--out", str(out), "--jobs", str(args.jobs), "--force", *exercises], mode)
                rates[name].append(args.count / wall)
                cpu[name].append(seconds / args.count)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    base, walled = "audit hook only", "isolated"
    check_ratio = statistics.median(check_times[walled]) / statistics.median(check_times[base])
    rate_ratio = statistics.median(rates[base]) / statistics.median(rates[walled])
    print(f"\nnngrade check --solutions, median of {args.runs}:")
    for name in MODES:
        print(f"  {name:16} {statistics.median(check_times[name]):.3f} s")
    print(f"  overhead         {100 * (check_ratio - 1):+.1f}%   (goal: <= 15%)")
    scope = "full course" if not exercises else "five exercises (no NNGRADE_DATA)"
    print(f"\ngrade-all --jobs {args.jobs}, {args.count} submissions, {scope}, median of {len(rates[base])}:")
    for name in MODES:
        print(f"  {name:16} {statistics.median(rates[name]):.2f} submissions/s, "
              f"{statistics.median(cpu[name]):.3f} CPU-s per submission")
    print(f"  overhead         {100 * (rate_ratio - 1):+.1f}%   (goal: <= 15%)")


if __name__ == "__main__":
    main()
