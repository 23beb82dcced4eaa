"""The one comparison helper: verdicts, tolerances and the feedback they carry."""
from __future__ import annotations

import numpy as np
import pytest

from autograder.grading.compare import (
    Mismatch,
    Mistake,
    Step,
    expect_close,
    expect_integer,
    expect_no_warnings,
    expect_steps,
)


def feedback_of(call):
    with pytest.raises(Mismatch) as info:
        call()
    return info.value.feedback


def test_equal_within_tolerance_passes():
    """Do 8-decimal constants pass against the float64 truth at atol 1e-8?"""
    expect_close(1 / (1 + np.exp(5.0)), 0.00669285, what="sigmoid(-5)", atol=1e-8, rtol=1e-7)


def test_value_mismatch_reports_errors_and_worst_index():
    """Does a wrong element give max abs/rel error, the tolerance and the worst index?"""
    fb = feedback_of(lambda: expect_close([[1.0, 2.0], [3.0, 5.0]], [[1, 2], [3, 4]], what="w"))
    assert fb.code == "value-mismatch"
    text = "\n".join(fb.details)
    assert "max abs error 1" in text and "(1, 1)" in text and "atol" in text and "1 of 4" in text


def test_shape_nan_none_and_type_problems_have_their_own_codes():
    """Are shape, NaN/inf, None and non-numeric results each named for what they are?"""
    assert feedback_of(lambda: expect_close([1.0, 2.0], [[1.0, 2.0]], what="s")).code == "shape-mismatch"
    fb = feedback_of(lambda: expect_close([1.0, np.nan], [1.0, 2.0], what="n"))
    assert fb.code == "nan-or-inf" and "(1,)" in fb.details[0]
    assert feedback_of(lambda: expect_close(None, 1.0, what="r")).code == "returned-none"
    assert feedback_of(lambda: expect_close("1.0", 1.0, what="t")).code == "wrong-type"


def test_float32_results_get_float32_tolerance():
    """Is a float32 result compared with a float32-sized tolerance, and float64 with the strict one?"""
    exact = np.array([1.0, 2.0, 7.0]) / 3
    expect_close(exact.astype(np.float32), exact, what="f32", rtol=1e-9, atol=0)
    with pytest.raises(Mismatch):
        expect_close(exact.astype(np.float32).astype(np.float64), exact, what="f64", rtol=1e-9, atol=0)


def test_a_known_mistake_is_named_with_its_hint():
    """When the result equals a catalogued wrong answer, does the feedback name that mistake?"""
    fb = feedback_of(lambda: expect_close([0.1], [0.01], what="alpha",
                                          mistakes=(Mistake("leaky-relu-alpha", [0.1], "use 0.01"),)))
    assert fb.code == "leaky-relu-alpha" and fb.hint == "use 0.01"


def test_integer_check_distinguishes_bool_and_float():
    """Are booleans and floats refused where integers 0/1 are required, integers accepted?"""
    assert expect_integer(np.array([0, 1]), what="i").dtype.kind == "i"
    assert feedback_of(lambda: expect_integer(np.array([True]), what="b")).code == "bool-not-int"
    assert feedback_of(lambda: expect_integer(np.array([1.0]), what="f")).code == "dtype-mismatch"


def test_dtype_mismatch_without_expected_values_says_integers_were_expected():
    """A panel must not read "expected: None" when the check had only the dtype to go by."""
    shown = feedback_of(lambda: expect_integer(np.array([1.0]), what="f")).expected
    assert "None" not in shown and "int" in shown
    assert feedback_of(lambda: expect_integer(np.array([1.0]), what="f", expected=np.array([1]))).expected.startswith("[1]")


def test_runtime_warnings_fail_with_the_given_code():
    """Does a RuntimeWarning from the student's call fail with the catalogue's code and hint?"""
    fb = feedback_of(lambda: expect_no_warnings((("RuntimeWarning", "overflow encountered in exp"),),
                                                what="sigmoid", code="sigmoid-overflow", hint="use -|x|"))
    assert fb.code == "sigmoid-overflow" and "overflow" in fb.message
    expect_no_warnings((("DeprecationWarning", "old"),), what="ok")


def test_steps_mark_the_first_divergence():
    """Does a step table mark the first wrong step, later wrong ones, and keep earlier ones ok?"""
    fb = feedback_of(lambda: expect_steps(
        [Step("z1", 0.08, 0.08), Step("h1", 0.6, 0.51998934), Step("o1", 0.7, 0.609446)], what="forward"))
    assert [row.verdict for row in fb.steps] == ["ok", "DIVERGES", "wrong"]
    assert "h1" in fb.message


def test_a_float32_mistake_is_still_named():
    """Is a float32 result that equals a known mistake named, not reported as a generic mismatch?"""
    wrong = (np.array([1.0, 2.0, 7.0]) / 3).astype(np.float32)
    fb = feedback_of(lambda: expect_close(wrong, [5.0, 5.0, 5.0], what="m", rtol=1e-9, atol=0,
                                          mistakes=(Mistake("known", np.array([1.0, 2.0, 7.0]) / 3, "fix"),)))
    assert fb.code == "known"


def test_a_sparkline_shows_where_a_1d_result_goes_wrong():
    """Does a failing 1-D check carry a sparkline whose tall bars sit where the values differ?"""
    x = np.linspace(-5, 5, 40)
    wrong = np.where(x > 3, x + 1.0, x)  # wrong only on the right-hand side
    fb = feedback_of(lambda: expect_close(wrong, x, what="f(x)"))
    line = next(d for d in fb.details if d.startswith("difference along the input"))
    bars = line.split()[-1]
    assert len(bars) == 40 and set(bars[:30]) == {"▁"} and bars[-1] == "█"
