"""How long a student waits: median wall time of `nngrade check --solutions` beside the import floor.

The floor is `python -c "import numpy, pytest"`, measured in the same run, so the
ratio is comparable across machines. Targets (issue 16): the whole course within 0.8 s and 2x the floor,
one exercise within 1.3x the floor, on 2 cores. bench_speed.py measures these beside a baseline.

    python benchmarks/bench_check.py [--runs 7] [EXERCISE ...]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_seconds(command: list[str], runs: int) -> float:
    subprocess.run(command, capture_output=True, check=True, cwd=ROOT)  # warm caches and bytecode
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("exercises", nargs="*")
    args = parser.parse_args()
    floor = median_seconds([sys.executable, "-c", "import numpy, pytest"], args.runs)
    check = median_seconds([sys.executable, "-m", "autograder", "check", "--solutions", *args.exercises], args.runs)
    print(f"floor  (import numpy, pytest)   median {floor:.3f} s over {args.runs} runs")
    print(f"nngrade check --solutions       median {check:.3f} s over {args.runs} runs")
    print(f"ratio check / floor             {check / floor:.2f}x   "
          "(target: whole course <= 2x and <= 0.8 s; one exercise <= 1.3x)")


if __name__ == "__main__":
    main()
