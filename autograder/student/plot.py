"""`nngrade plot activations`: the student's activations and derivatives over [-5, 5], beside the seeds' curves.

The student's functions run in the sandbox like any grading; the reference
curves are the textbook formulas the seeds plot (written stably), not the
hidden solutions, so the plot works in the student edition too. Points where
the two differ are marked in red.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.course import Course
from autograder.sandbox.process import StudentFault, open_sandbox


def _seed_sigmoid(x: np.ndarray) -> np.ndarray:
    # The seeds' own formula: on [-5, 5] it cannot overflow, and it gives away nothing of the
    # stability task (this module ships in the student edition, the stable form must not).
    return 1 / (1 + np.exp(-x))


REFERENCE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "step": lambda x: (x > 0).astype(float),
    "sigmoid": _seed_sigmoid,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(0.0, x),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "swish": lambda x: x * _seed_sigmoid(x),
    "sigmoid_grad": lambda x: _seed_sigmoid(x) * (1 - _seed_sigmoid(x)),
    "tanh_grad": lambda x: 1 - np.tanh(x) ** 2,
    "relu_grad": lambda x: (x > 0).astype(float),
    "leaky_relu_grad": lambda x: np.where(x > 0, 1.0, 0.01),
    "swish_grad": lambda x: _seed_sigmoid(x) + x * _seed_sigmoid(x) * (1 - _seed_sigmoid(x)),
}
PANELS = (("step", None), ("sigmoid", "sigmoid_grad"), ("tanh", "tanh_grad"), ("relu", "relu_grad"),
          ("leaky_relu", "leaky_relu_grad"), ("swish", "swish_grad"))
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Curve:
    """One function as the student computed it, or why it could not be drawn."""

    name: str
    values: np.ndarray | None
    problem: str = ""

    def differs_at(self, x: np.ndarray) -> np.ndarray:
        if self.values is None:
            return np.zeros_like(x, dtype=bool)
        return ~np.isclose(self.values, REFERENCE[self.name](x), rtol=TOLERANCE, atol=TOLERANCE)


def student_curves(course: Course, folder: Path, x: np.ndarray) -> dict[str, Curve]:
    """Call every plotted function of the student's activations.py on x, in the sandbox."""
    exercise = course.exercise("activations")
    assert exercise is not None
    curves: dict[str, Curve] = {}
    with open_sandbox(course, folder) as sandbox:
        for name in REFERENCE:
            try:
                value = sandbox.call(exercise.module, name, (x,), timeout=course.limits.timeout).value
                arr = np.asarray(value, dtype=np.float64)
                curves[name] = Curve(name, arr) if arr.shape == x.shape else Curve(
                    name, None, f"returned shape {arr.shape}, not {x.shape}")
            except StudentFault as fault:
                text = "not implemented yet" if fault.fault.kind == "not-implemented" else fault.fault.message
                curves[name] = Curve(name, None, text[:80])
            except (TypeError, ValueError) as exc:
                curves[name] = Curve(name, None, f"returned something that is not numbers ({exc})"[:80])
    return curves


def draw(x: np.ndarray, curves: dict[str, Curve], output: Path) -> list[str]:
    """Draw the 2 x 6 grid into `output` (PNG); return the names of the functions that differ."""
    import matplotlib

    matplotlib.use("Agg")  # no screen needed
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, len(PANELS), figsize=(3.2 * len(PANELS), 6.0), sharex=True)
    differing: list[str] = []
    for column, pair in enumerate(PANELS):
        for row, name in enumerate(pair):
            ax = axes[row][column]
            if name is None:
                ax.axis("off")
                continue
            ax.plot(x, REFERENCE[name](x), color="0.6", linewidth=3, label="reference (seeds)")
            curve = curves[name]
            if curve.values is None:
                ax.text(0.5, 0.5, curve.problem, transform=ax.transAxes, ha="center", va="center", wrap=True,
                        fontsize=8, color="darkorange")
            else:
                ax.plot(x, curve.values, color="tab:blue", linewidth=1.2, label="yours")
                wrong = curve.differs_at(x)
                if wrong.any():
                    differing.append(name)
                    ax.scatter(x[wrong], curve.values[wrong], s=8, color="red", zorder=3, label="differs")
            title_colour = "red" if name in differing else ("darkorange" if curve.values is None else "black")
            ax.set_title(name, color=title_colour)
            ax.axhline(0, color="0.85", linewidth=0.8)
            ax.axvline(0, color="0.85", linewidth=0.8)
    axes[0][1].legend(loc="upper left", fontsize=8)
    figure.suptitle("Your activations (blue) and their derivatives against the seeds' curves (grey); "
                    "red points differ")
    figure.tight_layout()
    figure.savefig(output, dpi=90)
    plt.close(figure)
    return differing
