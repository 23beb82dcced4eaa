"""Every speed target of issue 16 in one run: check, watch, grade-all and check's memory, beside a baseline.

What is measured (medians; runs of all trees and cases interleaved, so load on a
shared machine falls on each alike):

- the import floor `python -c "import numpy, pytest"`;
- `nngrade check` of the whole course (solutions, and the untouched stubs) and of one
  exercise (solutions of gates), as wall time and as a ratio to the floor;
- `nngrade watch gates`: from saving the file to the re-graded report on screen;
- `nngrade grade-all --jobs 2` of a generated class (a third correct, a third buggy, a
  third stubs; bench_batch.make_class), full course with the real MNIST data when
  NNGRADE_DATA has it: submissions per second and CPU seconds per submission;
- peak memory of `check` of the whole course: the largest sum of the resident sets of
  all its processes at once (judge, bwrap, worker), sampled every 5 ms; and the largest
  sum of their proportional sets (a page shared by judge and worker counted once).

Each check is measured twice: in its own process (NNGRADE_SERVER=0, a first check or a
machine without the server), and served by the tree's warm check server (cli/server.py),
started before timing; a tree without a check server serves nothing (its "served" rows
are checks in their own process).

CPU is counted over *every* process with `perf stat -e task-clock` (counters follow
forks into the sandbox's namespaces). getrusage(RUSAGE_CHILDREN) does not see them:
bwrap's processes are never waited for by the judge, so their CPU time is lost to it.
Without perf, CPU is not reported rather than under-reported.

`--baseline DIR` measures another checkout the same way, in the same run, and prints
this tree's figures as ratios to it (a tree of any commit, without touching a worktree:
`mkdir DIR && git archive COMMIT | tar -x -C DIR`). Bytecode is written and used
(PYTHONDONTWRITEBYTECODE is dropped), as for an installed kit. Prints, asserts nothing.

    python benchmarks/bench_speed.py [--runs 9] [--count 60] [--baseline DIR] [--skip grade-all watch memory]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_batch import make_class  # noqa: E402

TARGETS = {
    "check whole course": "<= 0.8 s and <= 2x the floor",
    "check one exercise": "<= 1.3x the floor",
    "watch re-grade": "<= 0.3 s",
    "grade-all rate": ">= 5 submissions/s",
    "grade-all CPU": "<= 0.35 CPU-s per submission",
    "check peak memory": "<= 150 MB",
}
PERF = shutil.which("perf")


RUNTIME = Path(tempfile.mkdtemp(prefix="nngrade-bench-run-"))
"""The check servers' sockets of this run (XDG_RUNTIME_DIR), apart from any the user has running."""


def environment(tree: Path, served: bool = False) -> dict[str, str]:
    """Every command in `tree`'s package; `served`: a check may be answered by the tree's check server
    (cli/server.py), else it runs in its own process as on a machine without one (NNGRADE_SERVER=0)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "CI")}
    runtime = RUNTIME / tree.name
    runtime.mkdir(mode=0o700, exist_ok=True)
    return {**env, "PYTHONPATH": str(tree), "COLUMNS": "400", "NNGRADE_SERVER": "1" if served else "0",
            "XDG_RUNTIME_DIR": str(runtime)}


def server(tree: Path, action: str) -> str:
    """`nngrade server ACTION` in `tree` (status or stop): what it printed ("" where the tree has no server)."""
    done = subprocess.run([sys.executable, "-m", "autograder", "server", action], capture_output=True, text=True,
                          cwd=tree, env=environment(tree, served=True))
    return done.stdout if done.returncode == 0 else ""


def start_server(tree: Path) -> bool:
    """A check that starts the tree's check server, then wait until it answers; False for a tree without one."""
    wall([sys.executable, "-m", "autograder", "check", "--solutions", "gates"], tree, served=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if "is running" in server(tree, "status"):
            return True
        time.sleep(0.2)
    return False


def wall(command: list[str], tree: Path, served: bool = False) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, cwd=tree, env=environment(tree, served))
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: `check` of the stubs scores below full marks and says so
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return seconds


def perf_cpu(command: list[str], tree: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every process) of one run, from perf stat's own counters."""
    done, seconds, cpu = counted(command, tree, environment(tree))
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    assert cpu is not None
    return seconds, cpu


def counted(command: list[str], cwd: Path, env: dict[str, str] | None = None
            ) -> tuple[subprocess.CompletedProcess[str], float, float | None]:
    """Run `command`: its result, wall seconds and CPU seconds of every process it started (None without perf).

    perf's counters follow every fork, into bwrap's namespaces too; getrusage(RUSAGE_CHILDREN) does not count
    the sandboxed processes (bwrap's inner processes are never waited for by anyone it reports to).
    """
    if PERF is None:
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)
        return done, time.perf_counter() - started, None
    with tempfile.NamedTemporaryFile("r", suffix=".perf") as out:
        done = subprocess.run([PERF, "stat", "-e", "task-clock", "-o", out.name, "--", *command],
                              capture_output=True, text=True, cwd=cwd, env=env)
        text = out.read()
    clock = re.search(r"([\d.,]+)\s+msec\s+task-clock", text)
    elapsed = re.search(r"([\d.,]+)\s+seconds time elapsed", text)
    if clock is None or elapsed is None:
        raise SystemExit(f"cannot read perf stat's output:\n{text}")
    return done, float(elapsed.group(1).replace(",", "")), float(clock.group(1).replace(",", "")) / 1000


def descendants(pid: int) -> list[int]:
    found, level = [pid], [pid]
    while level:
        following: list[int] = []
        for parent in level:
            try:
                tasks = os.listdir(f"/proc/{parent}/task")
            except OSError:
                continue
            for task in tasks:
                try:
                    with open(f"/proc/{parent}/task/{task}/children") as handle:
                        following += [int(p) for p in handle.read().split()]
                except OSError:
                    continue
        found += following
        level = following
    return found


def server_pid(tree: Path) -> int | None:
    match = re.search(r"process (\d+)", server(tree, "status"))
    return int(match.group(1)) if match else None


def peak_memory(command: list[str], tree: Path, served: bool = False) -> tuple[float, float, float]:
    """(largest sum of resident MB of all processes at once, largest single process's MB, largest sum of
    proportional MB at once) over one run.

    Resident sets count a page every process maps once per process: numpy's and Python's libraries, which the
    judge and the worker both map, count twice. The proportional set size (Pss, smaps_rollup) splits each
    shared page among its mappers, so its sum is the memory all processes take from the machine together.
    """
    page = os.sysconf("SC_PAGE_SIZE") / 2**20
    warm = server_pid(tree) if served else None  # a served check's processes: the client, and the server's
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tree,
                               env=environment(tree, served))
    peak_sum = peak_one = peak_pss = 0.0
    while process.poll() is None:
        sizes, shares = [], []
        for pid in [*descendants(process.pid), *(descendants(warm) if warm else [])]:
            try:
                with open(f"/proc/{pid}/statm") as handle:
                    sizes.append(int(handle.read().split()[1]) * page)
                with open(f"/proc/{pid}/smaps_rollup") as handle:
                    shares += [int(line.split()[1]) / 1024 for line in handle if line.startswith("Pss:")]
            except (OSError, IndexError, ValueError):
                continue
        peak_sum, peak_one, peak_pss = max(peak_sum, sum(sizes)), max([peak_one, *sizes]), max(peak_pss, sum(shares))
        time.sleep(0.005)
    return peak_sum, peak_one, peak_pss


def watch_regrades(tree: Path, saves: int) -> list[float]:
    """Seconds from each save of gates.py to the re-graded report of a running `nngrade watch gates`."""
    folder = Path(tempfile.mkdtemp(prefix="nngrade-bench-watch-"))
    shutil.copytree(tree / "solutions", folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    marker = b"for gates \xe2\x80\x94 Ctrl-C stops"  # the footer printed under each report (--lang en)
    process = subprocess.Popen([sys.executable, "-m", "autograder", "--lang", "en", "watch", "gates", "--path",
                                str(folder)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=tree,
                               env=environment(tree))
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    seen = bytearray()

    def wait_for(count: int, timeout: float = 30.0) -> float:
        deadline = time.monotonic() + timeout
        while seen.count(marker) < count:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"watch printed no report in {timeout:g} s:\n{seen.decode(errors='replace')[-1500:]}")
            chunk = process.stdout.read() if process.stdout else None  # type: ignore[union-attr]
            if chunk:
                seen.extend(chunk)
            else:
                time.sleep(0.001)
        return time.perf_counter()

    try:
        wait_for(1)  # the first grade (cold): not a re-grade
        time.sleep(0.3)  # the watcher is listening
        samples = []
        source = (folder / "gates.py").read_text(encoding="utf-8")
        for i in range(saves):
            saved = time.perf_counter()
            (folder / "gates.py").write_text(source + f"\n# save {i}\n", encoding="utf-8")
            samples.append(wait_for(i + 2) - saved)
            time.sleep(0.2)
        return samples
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def interleaved(trees: dict[str, Path], runs: int, cases: dict[str, Callable[[Path], object]]
                ) -> dict[tuple[str, str], list[object]]:
    samples: dict[tuple[str, str], list[object]] = {(t, c): [] for t in trees for c in cases}
    for tree in trees.values():  # warm: bytecode written, files in the page cache
        for case in cases.values():
            case(tree)
    for _ in range(runs):
        for name, tree in trees.items():
            for case, measure in cases.items():
                samples[(name, case)].append(measure(tree))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--count", type=int, default=60, help="submissions in the grade-all class")
    parser.add_argument("--grade-all-runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout to measure beside this one")
    parser.add_argument("--skip", nargs="*", default=[], choices=["check", "watch", "grade-all", "memory"])
    args = parser.parse_args()
    trees = {"this": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    py = sys.executable
    load = os.getloadavg()
    print(f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start; "
          f"trees: {', '.join(f'{k}={v}' for k, v in trees.items())}; CPU by perf: {'yes' if PERF else 'no'}")
    median = statistics.median

    if "check" not in args.skip:
        check = [py, "-m", "autograder", "check"]
        served = {t: start_server(tree) for t, tree in trees.items()}
        print("check servers: " + ", ".join(f"{t}: {'running' if up else 'none'}" for t, up in served.items()))
        cases: dict[str, Callable[[Path], object]] = {
            "floor": lambda tree: wall([py, "-c", "import numpy, pytest"], tree),
            "check whole course (solutions)": lambda tree: wall([*check, "--solutions"], tree),
            "check whole course (stubs)": lambda tree: wall([*check, "--path", str(tree / "exercises")], tree),
            "check one exercise (gates)": lambda tree: wall([*check, "--solutions", "gates"], tree),
            "served: whole course (solutions)": lambda tree: wall([*check, "--solutions"], tree, served=True),
            "served: whole course (stubs)": lambda tree: wall([*check, "--path", str(tree / "exercises")], tree,
                                                              served=True),
            "served: one exercise (gates)": lambda tree: wall([*check, "--solutions", "gates"], tree, served=True),
        }
        samples = interleaved(trees, args.runs, cases)
        print(f"\nwall time, median of {args.runs}:")
        for case in cases:
            figures = {t: median(samples[(t, case)]) for t in trees}  # type: ignore[type-var]
            floors = {t: median(samples[(t, "floor")]) for t in trees}  # type: ignore[type-var]
            line = "   ".join(f"{t}: {figures[t]:.3f} s ({figures[t] / floors[t]:.2f}x floor)" for t in trees)
            if "baseline" in trees:
                line += f"   this/baseline {figures['this'] / figures['baseline']:.2f}"
            print(f"  {case:34} {line}")
        if PERF:
            commands = {"check whole course (solutions)": [*check, "--solutions"],
                        "check one exercise (gates)": [*check, "--solutions", "gates"]}
            cpu = interleaved(trees, max(3, args.runs // 3), {k: (lambda tree, c=c: perf_cpu(c, tree)[1])
                                                              for k, c in commands.items()})
            print(f"CPU seconds of all processes (perf), median of {max(3, args.runs // 3)}:")
            for case in commands:
                print(f"  {case:32} " + "   ".join(f"{t}: {median(cpu[(t, case)]):.3f} CPU-s"  # type: ignore[type-var]
                                                    for t in trees))

    if "memory" not in args.skip:
        command = [py, "-m", "autograder", "check", "--solutions"]
        memory = interleaved(trees, 3, {"m": lambda tree: peak_memory(command, tree),
                                        "s": lambda tree: peak_memory(command, tree, served=True)})
        for key, what in (("m", "in its own process"), ("s", "served (client, server, fork server, worker)")):
            print(f"\npeak memory of `check --solutions` {what}, all processes, median of 3:")
            for t in trees:
                peaks = memory[(t, key)]
                print(f"  {t:9} {median(p[0] for p in peaks):6.1f} MB resident at once "  # type: ignore[index]
                      f"(largest process {median(p[1] for p in peaks):.1f} MB); "  # type: ignore[index]
                      f"shared pages counted once (Pss): {median(p[2] for p in peaks):.1f} MB")  # type: ignore[index]

    if "watch" not in args.skip:
        regrades = {t: watch_regrades(tree, args.runs) for t, tree in trees.items()}
        print(f"\nwatch gates: save to re-graded report, median of {args.runs} saves:")
        for t in trees:
            print(f"  {t:9} {median(regrades[t]):.3f} s (min {min(regrades[t]):.3f}, max {max(regrades[t]):.3f})")

    if "grade-all" not in args.skip:
        grade_all(trees, args)
    for tree in trees.values():
        server(tree, "stop")
    shutil.rmtree(RUNTIME, ignore_errors=True)


def grade_all(trees: dict[str, Path], args: argparse.Namespace) -> None:
    from autograder.data.mnist import MNIST_FILES, data_dir

    has_data = all((data_dir() / f.name).is_file() for f in MNIST_FILES)
    exercises = [] if has_data else ["-e", "gates", "-e", "activations", "-e", "forward", "-e", "softmax",
                                     "-e", "backprop"]
    work = Path(tempfile.mkdtemp(prefix="nngrade-bench-speed-"))
    try:
        make_class(work / "class", args.count)

        def run(tree: Path) -> tuple[float, float | None]:
            out = work / "results"
            shutil.rmtree(out, ignore_errors=True)
            command = [sys.executable, "-m", "autograder", "grade-all", str(work / "class"), "--out", str(out),
                       "--jobs", "2", "--force", *exercises]
            if PERF:
                seconds, cpu = perf_cpu(command, tree)
                return seconds, cpu
            return wall(command, tree), None

        samples = interleaved(trees, args.grade_all_runs, {"g": run})
        scope = "full course, real MNIST data" if has_data else "five exercises (no NNGRADE_DATA)"
        print(f"\ngrade-all --jobs 2, {args.count} submissions, {scope}, median of {args.grade_all_runs} "
              "(after one warm-up run each):")
        rates = {}
        for t in trees:
            runs = samples[(t, "g")]
            rates[t] = statistics.median(args.count / r[0] for r in runs)  # type: ignore[index]
            cpus = [r[1] for r in runs if r[1] is not None]  # type: ignore[index]
            cpu = f"{statistics.median(cpus) / args.count:.3f} CPU-s per submission (all processes)" if cpus else \
                "CPU not measured (no perf)"
            print(f"  {t:9} {rates[t]:.2f} submissions/s, {cpu}")
        if "baseline" in trees:
            print(f"  this/baseline rate {rates['this'] / rates['baseline']:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\ntargets: " + "; ".join(f"{k} {v}" for k, v in TARGETS.items()))


if __name__ == "__main__":
    main()
