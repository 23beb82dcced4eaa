"""`nngrade plot activations`: the student's curves beside the reference, differences marked."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import CASES, ROOT, case_folder

from autograder.cli.main import main
from autograder.course import load_course

pytest.importorskip("matplotlib", reason="`nngrade plot` needs the plot extra (matplotlib)")

from autograder.student.plot import REFERENCE, draw, student_curves

COURSE = load_course(ROOT / "course.toml").select(["activations"])
X = np.linspace(-5, 5, 101)


@pytest.mark.slow
def test_the_solutions_match_every_reference_curve(tmp_path):
    """Do the reference solutions draw on top of the seeds' curves everywhere, with nothing marked?"""
    curves = student_curves(COURSE, ROOT / "solutions", X)
    assert set(curves) == set(REFERENCE) and all(c.values is not None for c in curves.values())
    assert draw(X, curves, tmp_path / "ok.png") == []
    assert (tmp_path / "ok.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_a_wrong_alpha_is_marked_where_it_differs(tmp_path):
    """Is leaky relu with seed 000's alpha 0.1 marked as differing, on the negative side only?"""
    curves = student_curves(COURSE, case_folder(CASES / "activations" / "leaky_default_alpha_01"), X)
    assert draw(X, curves, tmp_path / "leaky.png") == ["leaky_relu"]
    wrong = curves["leaky_relu"].differs_at(X)
    assert wrong[X < -0.01].all() and not wrong[X > 0].any()


def test_stubs_are_drawn_as_not_implemented(tmp_path):
    """Are unimplemented functions left out with a note instead of failing the plot?"""
    curves = student_curves(COURSE, ROOT / "exercises", X)
    assert all(c.values is None and c.problem == "not implemented yet" for c in curves.values())
    assert draw(X, curves, tmp_path / "stubs.png") == []


def test_plot_command_writes_the_png_and_names_the_differences(tmp_path):
    """Does `nngrade plot activations -o F.png --path DIR` write the file and say which curves differ?"""
    target = tmp_path / "mine.png"
    result = CliRunner().invoke(main, ["--course", str(ROOT / "course.toml"), "plot", "activations", "-o",
                                       str(target), "--path", str(case_folder(CASES / "activations" / "leaky_default_alpha_01"))])
    assert result.exit_code == 0, result.output
    assert target.is_file() and "leaky_relu" in result.output
