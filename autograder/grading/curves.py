"""Functions of a submission evaluated on a grid, in the sandbox: the curves `nngrade plot` draws.

The reference curves are the same call on solutions/ (in the kit) or the values `release` recorded
from it (in the student edition, which must hold no formula that computes an answer).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.atomic import write_text
from autograder.course import Course
from autograder.sandbox.process import StudentFault, open_sandbox

GRID = np.linspace(-5.0, 5.0, 401)
"""Where `nngrade plot` evaluates the activations: [-5, 5], where the seeds plot them."""
RECORDED = Path("student") / "reference_curves.json"
"""Inside the package of the student edition: the reference's curves on GRID, written by `release`."""
PLOTTED = ("step", "sigmoid", "tanh", "relu", "leaky_relu", "swish",
           "sigmoid_grad", "tanh_grad", "relu_grad", "leaky_relu_grad", "swish_grad")


@dataclass(frozen=True)
class Curve:
    """One function's values on the grid, or why there are none (`problem`: not-implemented,
    wrong-shape, not-numbers or fault, with `detail`)."""

    name: str
    values: np.ndarray | None
    problem: str = ""
    detail: str = ""


def evaluate(course: Course, folder: Path, x: np.ndarray, names: tuple[str, ...] = PLOTTED) -> dict[str, Curve]:
    """Call each of `names` in the activations module of `folder` on `x`, in the sandbox."""
    exercise = course.exercise("activations")
    assert exercise is not None
    curves: dict[str, Curve] = {}
    with open_sandbox(course, folder) as sandbox:
        for name in names:
            try:
                value = sandbox.call(exercise.module, name, (x,), timeout=course.limits.timeout).value
                arr = np.asarray(value, dtype=np.float64)
                curves[name] = Curve(name, arr) if arr.shape == x.shape else Curve(
                    name, None, "wrong-shape", str(arr.shape))
            except StudentFault as fault:
                if fault.fault.kind == "not-implemented":
                    curves[name] = Curve(name, None, "not-implemented")
                else:
                    curves[name] = Curve(name, None, "fault", fault.fault.message[:80])
            except (TypeError, ValueError) as exc:
                curves[name] = Curve(name, None, "not-numbers", str(exc)[:60])
    return curves


def save(curves: dict[str, Curve], x: np.ndarray, path: Path) -> None:
    """Write the reference curves as JSON (floats round-trip exactly; never pickle)."""
    missing = [name for name, curve in curves.items() if curve.values is None]
    if missing:
        raise ValueError(f"the reference does not draw {', '.join(missing)}")
    data = {"format": 1, "about": "reference curves for `nngrade plot`, recorded from solutions/ by `nngrade release`",
            "x": x.tolist(), "curves": {name: c.values.tolist() for name, c in curves.items() if c.values is not None}}
    write_text(path, json.dumps(data) + "\n")


def load(path: Path, x: np.ndarray) -> dict[str, np.ndarray]:
    """Recorded reference curves on exactly this grid; {} if there are none for it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or not np.array_equal(np.asarray(data.get("x", []), dtype=np.float64), x):
        return {}
    return {name: np.asarray(values, dtype=np.float64) for name, values in data.get("curves", {}).items()}
