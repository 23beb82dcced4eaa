"""What nbgrader costs: `nbgrader autograde` of one student beside `nngrade grade` of the same code.

In a temporary course directory: export the notebooks, release them, submit the solutions
as one student, then time, in the same run, `nbgrader autograde` of that student (every
exported notebook, one kernel each) and `nngrade grade` of the same code as modules.
Prints medians and the ratio; asserts nothing. mnist is left out unless NNGRADE_DATA
names the MNIST folder (without the data `nngrade grade` refuses to score).

    python benchmarks/bench_nbgrader.py [--runs 3] [EXERCISE ...]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import load_course  # noqa: E402
from autograder.notebooks.nbgrader_export import export  # noqa: E402

ASSIGNMENT = "nngrade"


def median_seconds(command: list[str], cwd: Path, env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def submit(root: Path, exercise: str, code: str) -> None:
    """The released notebook with the answer cell filled in, as submitted/alice/<assignment>/."""
    nb = json.loads((root / "release" / ASSIGNMENT / f"{exercise}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            cell["source"] = code
    folder = root / "submitted" / "alice" / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{exercise}.ipynb").write_text(json.dumps(nb), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("exercises", nargs="*")
    args = parser.parse_args()
    course = load_course(ROOT / "course.toml")
    with_data = bool(os.environ.get("NNGRADE_DATA"))
    chosen = args.exercises or [e.id for e in course.exercises if with_data or e.id != "mnist"]
    course = course.select(chosen)
    with tempfile.TemporaryDirectory(prefix="nngrade-bench-nbgrader-") as tmp:
        root = Path(tmp)
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / ".jupyter"), "IPYTHONDIR": str(root / ".ipython"),
               "JUPYTER_RUNTIME_DIR": str(root / ".runtime")}
        export(course, root, ASSIGNMENT)
        nbgrader = [sys.executable, "-m", "nbgrader"]
        subprocess.run([*nbgrader, "generate_assignment", ASSIGNMENT], cwd=root, env=env, capture_output=True,
                       check=True)
        modules = root / "modules"
        modules.mkdir()
        for exercise in course.exercises:
            code = (ROOT / "solutions" / f"{exercise.module}.py").read_text(encoding="utf-8")
            submit(root, exercise.id, code)
            (modules / f"{exercise.module}.py").write_text(code, encoding="utf-8")
        autograde = median_seconds([*nbgrader, "autograde", ASSIGNMENT, "--student", "alice", "--force"],
                                   root, env, args.runs)
        grade = median_seconds([sys.executable, "-m", "autograder", "--course", str(ROOT / "course.toml"), "grade",
                                str(modules), *(a for e in chosen for a in ("-e", e)), "-f", "json",
                                "-o", str(root / "result.json")], root, env, args.runs)
    n = len(course.exercises)
    print(f"exercises: {', '.join(chosen)} ({n} notebooks, {len(course.tasks())} test cells)")
    print(f"nbgrader autograde, one student     median {autograde:.2f} s over {args.runs} runs "
          f"({autograde / n:.2f} s a notebook)")
    print(f"nngrade grade, the same code        median {grade:.2f} s over {args.runs} runs")
    print(f"ratio autograde / grade             {autograde / grade:.1f}x")


if __name__ == "__main__":
    main()
