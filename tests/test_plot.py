"""`nngrade plot activations`: the student's curves beside the reference, differences marked, in either language."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import CASES, ROOT, case_folder

from autograder.cli.main import main
from autograder.course import load_course
from autograder.grading import curves
from autograder.i18n import set_language, t

pytest.importorskip("matplotlib", reason="`nngrade plot` needs the plot extra (matplotlib)")

from autograder.student.plot import GRID, NoReference, draw, reference_curves, student_curves

COURSE = load_course(ROOT / "course.toml").select(["activations"])


@pytest.fixture(scope="module")
def reference():
    return reference_curves(COURSE)


@pytest.mark.slow
def test_the_solutions_match_every_reference_curve(tmp_path, reference):
    """Do the reference solutions draw on top of the reference curves everywhere, with nothing marked?"""
    drawn_curves = student_curves(COURSE, ROOT / "solutions")
    assert set(drawn_curves) == set(curves.PLOTTED) == set(reference)
    assert draw(GRID, drawn_curves, reference, tmp_path / "ok.png").differing == []
    assert (tmp_path / "ok.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_wrong_alpha_is_marked_where_it_differs(tmp_path, reference):
    """Is leaky relu with seed 000's alpha 0.1 marked as differing, on the negative side only?"""
    drawn_curves = student_curves(COURSE, case_folder(CASES / "activations" / "leaky_default_alpha_01"))
    drawn = draw(GRID, drawn_curves, reference, tmp_path / "leaky.png")
    assert drawn.differing == ["leaky_relu"]
    wrong = ~np.isclose(drawn_curves["leaky_relu"].values, reference["leaky_relu"], rtol=1e-6, atol=1e-6)
    assert wrong[GRID < -0.01].all() and not wrong[GRID > 0].any()


def test_stubs_are_drawn_as_not_implemented(tmp_path, reference):
    """Are unimplemented functions left out with a note instead of failing the plot?"""
    drawn_curves = student_curves(COURSE, ROOT / "exercises")
    assert all(c.values is None and c.problem == "not-implemented" for c in drawn_curves.values())
    drawn = draw(GRID, drawn_curves, reference, tmp_path / "stubs.png")
    assert drawn.differing == [] and t("plot.problem-not-implemented") in drawn.texts


def test_every_text_on_the_picture_is_korean_with_lang_ko(tmp_path, reference):
    """`plot --lang ko` draws a Korean picture: title, legend and notes, no English left."""
    drawn_curves = student_curves(COURSE, case_folder(CASES / "activations" / "leaky_default_alpha_01"))
    set_language("ko")
    try:
        korean = draw(GRID, drawn_curves, reference, tmp_path / "ko.png").texts
    finally:
        set_language("en")
    english = draw(GRID, drawn_curves, reference, tmp_path / "en.png").texts
    assert len(korean) == len(english) >= 3  # the title and the legend at least
    for ko_text, en_text in zip(korean, english):
        assert ko_text != en_text and any("\uac00" <= ch <= "\ud7a3" for ch in ko_text), (ko_text, en_text)


def test_without_solutions_the_recorded_curves_are_the_reference(tmp_path, reference):
    """The student edition has no solutions/: plot compares with the curves release recorded, on the same grid."""
    kit = tmp_path / "kit"
    kit.mkdir()
    shutil.copyfile(ROOT / "course.toml", kit / "course.toml")
    edition_course = load_course(kit / "course.toml").select(["activations"])
    recorded = tmp_path / "reference_curves.json"
    with pytest.raises(NoReference):
        reference_curves(edition_course, recorded=recorded)
    curves.save(curves.evaluate(COURSE, ROOT / "solutions", GRID), GRID, recorded)
    found = reference_curves(edition_course, recorded=recorded)
    assert set(found) == set(reference) and all(np.array_equal(found[n], reference[n]) for n in reference)
    with pytest.raises(NoReference):  # recorded on another grid: not used
        reference_curves(edition_course, GRID[::2], recorded=recorded)


def test_plot_command_writes_the_png_and_names_the_differences(tmp_path):
    """Does `nngrade plot activations -o F.png --path DIR` write the file and say which curves differ?"""
    target = tmp_path / "mine.png"
    result = CliRunner().invoke(main, ["--course", str(ROOT / "course.toml"), "plot", "activations", "-o",
                                       str(target), "--path", str(case_folder(CASES / "activations" / "leaky_default_alpha_01"))])
    assert result.exit_code == 0, result.output
    assert target.is_file() and "leaky_relu" in result.output
