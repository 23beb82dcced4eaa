"""`nngrade plot activations`: the student's activations and derivatives over [-5, 5], beside the reference.

The student's functions run in the sandbox like any grading. The grey reference
curves are the reference solutions run the same way when the kit has solutions/,
and in the student edition the values `release` recorded from them on the same
grid: this module holds no formula, so nothing in it computes an answer a student
could copy. Points where the two differ are marked in red. Every text on the
picture is in the active language.
"""
from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.course import Course, CoursePaths
from autograder.grading import curves
from autograder.grading.curves import GRID, Curve, evaluate, load
from autograder.i18n import t

RECORDED = Path(__file__).resolve().parent.parent / curves.RECORDED
"""Written into the student edition by `nngrade release` (the kit computes the curves from solutions/)."""
PANELS = (("step", None), ("sigmoid", "sigmoid_grad"), ("tanh", "tanh_grad"), ("relu", "relu_grad"),
          ("leaky_relu", "leaky_relu_grad"), ("swish", "swish_grad"))
TOLERANCE = 1e-6
KOREAN_FONTS = ["Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "Malgun Gothic", "AppleGothic", "UnDotum"]
"""Tried in order before matplotlib's default, which has no Hangul: the first one installed draws the labels."""


class NoReference(Exception):
    """Neither solutions/ nor recorded reference curves are here to compare with."""


def student_curves(course: Course, folder: Path, x: np.ndarray = GRID) -> dict[str, Curve]:
    """Every plotted function of the activations module in `folder`, on x, in the sandbox."""
    return evaluate(course, folder, x)


def reference_curves(course: Course, x: np.ndarray = GRID, recorded: Path = RECORDED) -> dict[str, np.ndarray]:
    """The reference's values on x: from solutions/ when the kit has them, else as `release` recorded them."""
    solutions = CoursePaths.of(course).solutions
    if solutions.is_dir():
        curves = evaluate(course, solutions, x)
        return {name: c.values for name, c in curves.items() if c.values is not None}
    found = load(recorded, x)
    if not found:
        raise NoReference(str(recorded))
    return found


def differs_at(curve: Curve, reference: np.ndarray) -> np.ndarray:
    if curve.values is None:
        return np.zeros(reference.shape, dtype=bool)
    return ~np.isclose(curve.values, reference, rtol=TOLERANCE, atol=TOLERANCE)


def problem_text(curve: Curve) -> str:
    return t(f"plot.problem-{curve.problem}", detail=curve.detail) if curve.problem else ""


@dataclass(frozen=True)
class Drawn:
    differing: list[str]
    """The functions whose curve differs from the reference somewhere."""
    texts: tuple[str, ...]
    """Every text on the picture (title, legend, notes), as drawn."""


def draw(x: np.ndarray, curves: dict[str, Curve], reference: dict[str, np.ndarray], output: Path) -> Drawn:
    """Draw the 2 x 6 grid into `output` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")  # no screen needed
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"font.family": [*KOREAN_FONTS, "DejaVu Sans"]}), _quiet_missing_fonts():
        figure, axes = plt.subplots(2, len(PANELS), figsize=(3.2 * len(PANELS), 6.0), sharex=True)
        differing: list[str] = []
        for column, pair in enumerate(PANELS):
            for row, name in enumerate(pair):
                ax = axes[row][column]
                if name is None:
                    ax.axis("off")
                    continue
                ax.plot(x, reference[name], color="0.6", linewidth=3, label=t("plot.reference"))
                curve = curves[name]
                if curve.values is None:
                    ax.text(0.5, 0.5, problem_text(curve), transform=ax.transAxes, ha="center", va="center",
                            wrap=True, fontsize=8, color="darkorange")
                else:
                    ax.plot(x, curve.values, color="tab:blue", linewidth=1.2, label=t("plot.yours"))
                    wrong = differs_at(curve, reference[name])
                    if wrong.any():
                        differing.append(name)
                        ax.scatter(x[wrong], curve.values[wrong], s=8, color="red", zorder=3, label=t("plot.differs"))
                title_colour = "red" if name in differing else ("darkorange" if curve.values is None else "black")
                ax.set_title(name, color=title_colour)
                ax.axhline(0, color="0.85", linewidth=0.8)
                ax.axvline(0, color="0.85", linewidth=0.8)
        legend = axes[0][1].legend(loc="upper left", fontsize=8)
        title = figure.suptitle(t("plot.title"))
        figure.tight_layout()
        figure.savefig(output, dpi=90)
        texts = (title.get_text(), *(text.get_text() for text in legend.get_texts()),
                 *(text.get_text() for ax in figure.axes for text in ax.texts))
        plt.close(figure)
    return Drawn(differing, texts)


@contextlib.contextmanager
def _quiet_missing_fonts() -> Iterator[None]:
    """matplotlib warns once per family it cannot find; the CLI says it once, in the student's language."""
    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing from")
            yield
    finally:
        logger.setLevel(level)


def has_korean_font() -> bool:
    """Is one of KOREAN_FONTS installed (else Hangul labels show as empty boxes)?"""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return any(name in installed for name in KOREAN_FONTS)

