"""Seeded inputs drawn once per judge, and the reference's answers on them (grading/seeded.py)."""
from __future__ import annotations

import numpy as np
import pytest

from autograder.grading import seeded


def network(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {"W": rng.normal(size=(n, 3)), "b": rng.normal(size=3)}


@pytest.fixture
def remembering():
    seeded.remember(True)
    yield
    seeded.remember(False)


def test_drawn_values_and_the_generator_after_are_those_of_drawing(remembering):
    """Does a remembered draw give the same values, and leave the generator where drawing leaves it, so that
    whatever the test draws next is unchanged too?"""
    plain = np.random.default_rng(7)
    want, next_want = network(plain, 4), plain.normal(size=5)
    for _ in range(3):
        rng = np.random.default_rng(7)
        got = seeded.drawn(rng, network, 4)
        assert set(got) == {"W", "b"}
        np.testing.assert_array_equal(got["W"], want["W"])
        np.testing.assert_array_equal(got["b"], want["b"])
        np.testing.assert_array_equal(rng.normal(size=5), next_want)


def test_a_generator_in_another_state_draws_anew(remembering):
    first = seeded.drawn(np.random.default_rng(1), network, 2)
    other = seeded.drawn(np.random.default_rng(2), network, 2)
    bigger = seeded.drawn(np.random.default_rng(1), network, 3)
    assert not np.array_equal(first["W"], other["W"])
    assert bigger["W"].shape == (3, 3)


def test_drawn_arrays_cannot_be_changed_and_their_containers_are_new(remembering):
    """A test that changed a drawn value would change it for every later submission: arrays are read-only, and
    each draw gets its own dict."""
    one = seeded.drawn(np.random.default_rng(3), network, 2)
    with pytest.raises(ValueError):
        one["W"][0, 0] = 1.0
    one["extra"] = np.zeros(1)
    again = seeded.drawn(np.random.default_rng(3), network, 2)
    assert "extra" not in again and again["W"] is one["W"]


def square(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.normal(size=(n, n))


def test_answers_are_remembered_only_for_drawn_inputs(remembering):
    """Is the reference's answer on drawn inputs computed once per argument list, and computed every time for
    any input that is not itself a drawn array (a copy, a view, a NaN)?"""
    calls = []

    def reference(values: dict[str, np.ndarray], x: np.ndarray, scale: float = 1.0) -> np.ndarray:
        calls.append(1)
        return scale * (x @ values["W"] + values["b"])

    values = seeded.drawn(np.random.default_rng(4), network, 2)
    x = seeded.drawn(np.random.default_rng(5), square, 2)
    first = seeded.answered(reference, values, x, scale=2.0)
    second = seeded.answered(reference, values, x, scale=2.0)
    assert len(calls) == 1
    np.testing.assert_array_equal(first, 2.0 * (x @ values["W"] + values["b"]))
    np.testing.assert_array_equal(first, second)
    assert not first.flags.writeable
    seeded.answered(reference, values, x, scale=3.0)
    assert len(calls) == 2  # other arguments, another answer
    for other in (x.copy(), x.copy(), x[:1], x[:1]):
        seeded.answered(reference, values, other)
    assert len(calls) == 6
    seeded.answered(reference, values, x, scale=float("nan"))
    seeded.answered(reference, values, x, scale=float("nan"))
    assert len(calls) == 8
    redrawn = seeded.drawn(np.random.default_rng(4), network, 2)  # a new dict around the same arrays
    seeded.answered(reference, redrawn, x, scale=2.0)
    assert len(calls) == 8


def test_nothing_is_remembered_when_off():
    seeded.remember(False)
    rng = np.random.default_rng(5)
    one = seeded.drawn(rng, network, 2)
    assert one["W"].flags.writeable
    count = []
    seeded.answered(lambda: count.append(1))
    seeded.answered(lambda: count.append(1))
    assert len(count) == 2


def test_a_judge_that_remembers_grades_every_submission_as_one_that_does_not():
    """Do the mnist suites give the same scorecard, test by test, with seeded inputs and answers remembered
    (grade-all's judges) as computed afresh, for the solution and catalogued mistakes, graded in turn?"""
    from conftest import ROOT, case_folder

    from autograder.course import CoursePaths, load_course
    from autograder.grading.runner import run

    course = load_course(ROOT / "course.toml").select(["mnist"])
    folders = [ROOT / "solutions", *(case_folder(ROOT / "tests" / "cases" / "mnist" / name)
                                     for name in ("relu-in-predict", "partial-batch-dropped", "seed-softmax"))]

    def cards() -> list[list[tuple[str, str, str, str]]]:
        out = []
        for folder in folders:
            result = run(course, folder, include_hidden=True, paths=CoursePaths(exercises=folder,
                                                                                solutions=ROOT / "solutions"))
            out.append([(t.name, t.status.value, t.code, t.message) for t in result.tests])
        return out

    seeded.remember(False)
    fresh = cards()
    seeded.remember(True)
    try:
        remembered = cards(), cards()
    finally:
        seeded.remember(False)
    assert remembered[0] == fresh and remembered[1] == fresh
    assert {code for card in fresh[1:] for _, _, code, _ in card} >= {"relu-in-predict", "partial-batch-dropped"}
