"""Softmax, its overflow, log-softmax and the two classic losses (worked examples §4; course notes 000, 001).

Public tests use the worked example's constants and formulas applied to the test's own
input; hidden tests compare with the reference solution on seeded random input. A failure
that equals what a catalogued mistake (autograder/mistakes/softmax.toml) returns on the
same input is named by that mistake's code and hint. Texts come from
autograder/messages/softmax.toml, looked up when a test runs, in the student's language.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from autograder.grading import catalog
from autograder.grading.compare import Mistake
from autograder.grading.recorded import oracle
from autograder.i18n import t

CATALOG = catalog.load("softmax")

A = np.array([0.3, 2.9, 4.0])
SOFTMAX_A = np.array([0.01821127, 0.24519181, 0.73659691])
BIG = np.array([1010.0, 1000.0, 990.0])
SOFTMAX_BIG = np.array([9.99954600e-01, 4.53978686e-05, 2.06106005e-09])
# softmax is unchanged by a shift, so a row and its shifted copies share these values
BATCH = np.array([A, A[[1, 2, 0]], [1.0, 1.0, 1.0], A[[2, 0, 1]] - 7.0])
SOFTMAX_BATCH = np.array([SOFTMAX_A, SOFTMAX_A[[1, 2, 0]], [1 / 3, 1 / 3, 1 / 3], SOFTMAX_A[[2, 0, 1]]])
NEGATIVE = np.array([BIG - 2010.0, BIG - 2000.0])  # [[-1000, -1010, -1020], [-990, -1000, -1010]]
MIXED = np.array([BIG, BIG - 2010.0])  # one huge row, one very negative row
FAR = 1e5  # past e^11356 even np.longdouble overflows: each overflow test repeats its input shifted this far
# Inputs across the range, rows mixing magnitudes ([1e4 ...] and [1e5 ...] rows give SOFTMAX_BIG). The huge ones
# stop at 1e38, as far as float32 reaches: a softmax computed in float32 is correct (tests/cases/softmax/float32).
RANGE = [
    np.array([1e4 + 10.0, 1e4, 1e4 - 10.0]),
    np.array([-1e5 + 10.0, -1e5, -1e5 - 10.0]),
    np.array([1e38, -1e38, 0.0]),
    np.array([[1e-300, 1e38, -1e38], [1e5 + 10.0, 1e5, 1e5 - 10.0], [-1e4, -1e4 - 10.0, -1e4 - 20.0]]),
]

Y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
Y_MOVED = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0])  # the 0.6 moved to index 7
T = np.eye(10)[2]
BATCH_Y = np.array([Y, Y_MOVED, Y])
CE = {"Y": 0.51082546, "Y_MOVED": 2.30258409}
MSE = {"Y": 0.0975, "Y_MOVED": 0.5975}
EXAMPLES = {"Y": Y, "Y_MOVED": Y_MOVED}

# A batch's softmax applied over the wrong axis, also behind a wrong log_softmax built on softmax.
AXIS_CODES = ("softmax-wrong-axis", "softmax-whole-batch")


@oracle
def stable_softmax(a):
    """Softmax along the last axis, in the input's own dtype (float32 stays float32, as a student's does)."""
    a = np.asarray(a)
    e = np.exp(a - np.max(a, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


@oracle
def log_softmax_formula(a):
    a = np.asarray(a, dtype=float)
    shifted = a - np.max(a, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def hint(code: str) -> str:
    """A catalogued mistake's hint, for a failure (NaN, a warning) that shows the mistake without matching a value."""
    return CATALOG[code].hint_text()


def classic(example: str) -> str:
    return t("softmax.classic") if example == "Y" else t("softmax.classic-moved")


def targets(kind: str) -> str:
    return t("softmax.targets-one-hot") if kind == "one-hot" else t("softmax.targets-labels")


def softmax_mistakes(a, transform=None, codes=None) -> Sequence[Mistake]:
    """The catalogued wrong softmaxes run on `a`, their outputs passed through `transform` (row sums, log)."""
    found = CATALOG.on("softmax", a, codes=codes)
    if transform is None:
        return found
    with np.errstate(all="ignore"):
        return tuple(CATALOG.mistake(m.code, transform(np.asarray(m.value))) for m in found)


def log_softmax_mistakes(a) -> Sequence[Mistake]:
    """The catalogued wrong log_softmaxes on `a`, and the log of a softmax taken over the wrong axis."""
    # the wrong log_softmaxes call softmax as a student's would: give them a correct one
    return (*CATALOG.on("log_softmax", a, namespace={"softmax": stable_softmax}),
            *softmax_mistakes(a, np.log, AXIS_CODES))


# --- softmax -----------------------------------------------------------------------------------

@pytest.mark.task("softmax")
def test_softmax_worked_example(student, expect):
    """Does softmax([0.3, 2.9, 4.0]) give [0.01821127, 0.24519181, 0.73659691]?"""
    expect.close(student.softmax(A), SOFTMAX_A, what="softmax([0.3, 2.9, 4.0]) (worked examples §4)", inputs=A,
                 mistakes=softmax_mistakes(A))


@pytest.mark.task("softmax")
def test_softmax_batch_along_last_axis(student, expect):
    """Does a batch (4, 3) get softmax row by row (each row one sample), whatever the rows' offsets?"""
    expect.close(student.softmax(BATCH), SOFTMAX_BATCH, inputs=BATCH, mistakes=softmax_mistakes(BATCH),
                 what=t("softmax.batch-what"), hint=t("softmax.rows-hint"))


@pytest.mark.task("softmax")
def test_rows_sum_to_one(student, expect, rng):
    """Does every row of softmax of a random batch (6, 10) sum to 1?"""
    a = rng.normal(scale=3.0, size=(6, 10))
    got = expect.shape(student.softmax(a), a.shape, what=t("softmax.random-batch-what"), inputs=a,
                       hint=t("softmax.keeps-shape-hint"))
    sums = got.sum(axis=-1)  # in the student's dtype: float32 sums get float32 tolerances
    expect.close(sums, np.ones(6), what=t("softmax.row-sums-what"), inputs=a,
                 mistakes=softmax_mistakes(a, lambda p: p.sum(axis=-1)))
    # rows that sum to one earn nothing by themselves: they must be the right probabilities
    expect.close(got, stable_softmax(a), what=t("softmax.random-batch-what"), inputs=a, mistakes=softmax_mistakes(a))


@pytest.mark.task("softmax")
@pytest.mark.parametrize("shape", [(3,), (1, 3)])
def test_softmax_keeps_shape(student, expect, shape):
    """Does softmax keep a 1-D input 1-D and a one-row batch (1, 3) 2-D?"""
    a = A.reshape(shape)
    got = student.softmax(a)
    what = t("softmax.shaped-what", shape=shape)
    expect.shape(got, shape, what=what, inputs=a, hint=t("softmax.shaped-hint"))
    expect.close(got, SOFTMAX_A.reshape(shape), what=what, inputs=a, mistakes=softmax_mistakes(a))


# --- overflow ----------------------------------------------------------------------------------

def check_stable(reply, expect, want, what, inputs, code, mistakes=(), warnings_first=False):
    """Finite values equal to `want` and no RuntimeWarning; both failures carry `code` and its catalogued hint.

    Values first by default, so that a known mistake (which also warns) is named by its own code.
    """
    if warnings_first:
        expect.no_warnings(reply.warnings, what=what, inputs=inputs, code=code, hint=hint(code))
    expect.close(reply.value, want, what=what, inputs=inputs, mistakes=mistakes, nonfinite_code=code,
                 nonfinite_hint=hint(code))
    expect.no_warnings(reply.warnings, what=what, inputs=inputs, code=code, hint=hint(code))


@pytest.mark.task("overflow")
def test_softmax_of_1010_1000_990(student, expect):
    """Does softmax([1010, 1000, 990]) stay finite and warning-free, as when the max is subtracted (course note 001)?"""
    far = BIG + FAR
    replies = student.each("softmax", [(BIG,), (far,)])  # checked in turn, as if called in turn
    check_stable(next(replies), expect, SOFTMAX_BIG, t("softmax.big-what"), BIG, "softmax-overflow",
                 mistakes=softmax_mistakes(BIG), warnings_first=True)
    check_stable(next(replies), expect, SOFTMAX_BIG, f"softmax({far.tolist()})", far,
                 "softmax-overflow", mistakes=softmax_mistakes(far), warnings_first=True)


@pytest.mark.task("overflow")
def test_softmax_of_very_negative_rows(student, expect):
    """Do rows of large negative scores, where np.exp underflows to 0, still give finite probabilities?"""
    far = NEGATIVE - FAR
    replies = student.each("softmax", [(NEGATIVE,), (far,)])
    # The naive softmax fails here by underflow (0 / 0), not by overflow: leave it out, so it is named so.
    codes = tuple(code for code in CATALOG.mistakes if code != "softmax-overflow")
    check_stable(next(replies), expect, np.array([SOFTMAX_BIG, SOFTMAX_BIG]), t("softmax.negative-what"), NEGATIVE,
                 "softmax-underflow", mistakes=softmax_mistakes(NEGATIVE, codes=codes))
    check_stable(next(replies), expect, np.array([SOFTMAX_BIG, SOFTMAX_BIG]),
                 f"softmax({far.tolist()})", far, "softmax-underflow", mistakes=softmax_mistakes(far, codes=codes))


@pytest.mark.task("overflow")
def test_softmax_subtracts_each_rows_max(student, expect):
    """Does a batch with one huge row and one very negative row get each row's own maximum subtracted?"""
    far = np.array([BIG + FAR, BIG - 2010.0 - FAR])
    replies = student.each("softmax", [(MIXED,), (far,)])
    check_stable(next(replies), expect, np.array([SOFTMAX_BIG, SOFTMAX_BIG]), t("softmax.mixed-what"), MIXED,
                 "softmax-overflow", mistakes=softmax_mistakes(MIXED))
    check_stable(next(replies), expect, np.array([SOFTMAX_BIG, SOFTMAX_BIG]),
                 f"softmax({far.tolist()})", far, "softmax-overflow", mistakes=softmax_mistakes(far))


@pytest.mark.task("overflow")
def test_softmax_across_the_float64_range(student, expect):
    """Is softmax right and warning-free at ±1e4, ±1e5, ±1e38, with 1e-300 and 1e38 in one row?"""
    for a, reply in zip(RANGE, student.each("softmax", [(a,) for a in RANGE])):
        check_stable(reply, expect, stable_softmax(a), f"softmax({a.tolist()})", a,
                     "softmax-overflow", mistakes=softmax_mistakes(a))


# --- log-softmax -------------------------------------------------------------------------------

@pytest.mark.task("log-softmax")
def test_log_softmax_worked_example(student, expect):
    """Does log_softmax([0.3, 2.9, 4.0]) equal a - log Σ exp(a)?"""
    expect.close(student.log_softmax(A), log_softmax_formula(A), inputs=A,
                 what="log_softmax([0.3, 2.9, 4.0]) = a - log(e^0.3 + e^2.9 + e^4.0)",
                 mistakes=log_softmax_mistakes(A))


@pytest.mark.task("log-softmax")
def test_log_softmax_batch_along_last_axis(student, expect):
    """Is log_softmax of a batch (4, 3) computed row by row?"""
    expect.close(student.log_softmax(BATCH), log_softmax_formula(BATCH), inputs=BATCH,
                 what=t("softmax.log-batch-what"), mistakes=log_softmax_mistakes(BATCH), hint=t("softmax.rows-hint"))


@pytest.mark.task("log-softmax")
@pytest.mark.parametrize("a", [[0.0, -1000.0, 0.0], [[-1000.0, 0.0, -5.0], [3.0, -800.0, 3.0]]], ids=["1d", "2d"])
def test_log_softmax_where_softmax_underflows(student, expect, a):
    """Is log_softmax finite (log_softmax([0, -1000, 0]) = [-log 2, -1000 - log 2, -log 2]) where softmax underflows
    to 0? (Not [0, -1000], which returning the input would pass.)"""
    a = np.array(a)
    reply = student.call("log_softmax", a)
    check_stable(reply, expect, log_softmax_formula(a), t("softmax.log-underflow-what", a=a.tolist()), a,
                 "log-of-softmax", mistakes=log_softmax_mistakes(a))


@pytest.mark.task("log-softmax")
def test_log_softmax_of_1010_1000_990(student, expect):
    """Does log_softmax([1010, 1000, 990]) avoid the overflow of np.exp(1010)?"""
    far = BIG + FAR
    replies = student.each("log_softmax", [(BIG,), (far,)])
    check_stable(next(replies), expect, log_softmax_formula(BIG), t("softmax.log-big-what"), BIG,
                 "log-softmax-overflow", mistakes=log_softmax_mistakes(BIG))
    check_stable(next(replies), expect, log_softmax_formula(far), f"log_softmax({far.tolist()})",
                 far, "log-softmax-overflow", mistakes=log_softmax_mistakes(far))


@pytest.mark.task("log-softmax")
def test_log_softmax_across_the_float64_range(student, expect):
    """Is log_softmax right and warning-free at ±1e4, ±1e5, ±1e38, with 1e-300 and 1e38 in one row?"""
    for a, reply in zip(RANGE, student.each("log_softmax", [(a,) for a in RANGE])):
        check_stable(reply, expect, log_softmax_formula(a), f"log_softmax({a.tolist()})", a,
                     "log-softmax-overflow", mistakes=log_softmax_mistakes(a))


# --- cross-entropy -----------------------------------------------------------------------------

@pytest.mark.task("cross-entropy")
@pytest.mark.parametrize("example", list(EXAMPLES))
@pytest.mark.parametrize("target", ["one-hot", "label"])
def test_cross_entropy_classic(student, expect, example, target):
    """Does cross_entropy_error give 0.51082546 and 2.30258409 on the classic example, with t one-hot or the label 2?"""
    y = EXAMPLES[example]
    truth = T if target == "one-hot" else 2
    shown = t("softmax.target-one-hot") if target == "one-hot" else t("softmax.target-label")
    expect.close(student.cross_entropy_error(y, truth), CE[example], inputs=y,
                 what=t("softmax.ce-classic-what", target=shown, example=classic(example)),
                 mistakes=CATALOG.on("cross_entropy_error", y, truth), hint=t("softmax.ce-formula-hint"))


@pytest.mark.task("cross-entropy")
@pytest.mark.parametrize("target", ["one-hot", "labels"])
def test_cross_entropy_batch_mean(student, expect, target):
    """Is the cross-entropy of a batch (3, 10) the mean over its rows, (2·0.51082546 + 2.30258409) / 3?"""
    truth = np.array([T] * 3) if target == "one-hot" else np.array([2, 2, 2])
    total = 2 * CE["Y"] + CE["Y_MOVED"]
    expect.close(student.cross_entropy_error(BATCH_Y, truth), total / 3, inputs=BATCH_Y,
                 hint=t("softmax.batch-mean-hint"), what=t("softmax.ce-batch-what", target=targets(target)),
                 mistakes=CATALOG.on("cross_entropy_error", BATCH_Y, truth))


@pytest.mark.task("cross-entropy")
def test_cross_entropy_of_a_zero_probability(student, expect):
    """Does the 1e-7 keep the loss finite, -log(1e-7) = 16.11809565, when the true class has probability 0?"""
    labels = np.array([3, 3, 3])  # y[:, 3] is exactly 0
    reply = student.call("cross_entropy_error", BATCH_Y, labels)
    expect.close(reply.value, -np.log(1e-7), inputs=BATCH_Y, what=t("softmax.ce-zero-what"),
                 mistakes=CATALOG.on("cross_entropy_error", BATCH_Y, labels),
                 nonfinite_code="cross-entropy-missing-epsilon", nonfinite_hint=hint("cross-entropy-missing-epsilon"))


# --- mse ---------------------------------------------------------------------------------------

@pytest.mark.task("mse")
@pytest.mark.parametrize("example", list(EXAMPLES))
def test_mean_squared_error_classic(student, expect, example):
    """Does mean_squared_error give 0.0975 and 0.5975 (½·Σ(y − t)²) on the classic example?"""
    y = EXAMPLES[example]
    expect.close(student.mean_squared_error(y, T), MSE[example], inputs=y,
                 what=t("softmax.mse-classic-what", example=classic(example)),
                 mistakes=CATALOG.on("mean_squared_error", y, T))


@pytest.mark.task("mse")
def test_mean_squared_error_batch_mean(student, expect):
    """Is the squared error of a batch (3, 10) the mean over its rows, (2·0.0975 + 0.5975) / 3?"""
    truth = np.array([T] * 3)
    total = 2 * MSE["Y"] + MSE["Y_MOVED"]
    expect.close(student.mean_squared_error(BATCH_Y, truth), total / 3, inputs=BATCH_Y,
                 hint=t("softmax.batch-mean-hint"), what=t("softmax.mse-batch-what"),
                 mistakes=CATALOG.on("mean_squared_error", BATCH_Y, truth))


# --- random-inputs (hidden) --------------------------------------------------------------------

def score_mistakes(name, a) -> Sequence[Mistake]:
    return softmax_mistakes(a) if name == "softmax" else log_softmax_mistakes(a)


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_random_scores(student, expect, reference, rng, name):
    """Do softmax and log_softmax agree with the reference on random scores (8, 12) spread over ±60?"""
    a = rng.normal(scale=20.0, size=(8, 12))
    expect.close(student.call(name, a).value, getattr(reference, name)(a), inputs=a, hint=t("softmax.rows-hint"),
                 what=t("softmax.random-scores-what", name=name), mistakes=score_mistakes(name, a))


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_float32_scores(student, expect, reference, rng, name):
    """Is float32 input handled, with scores up to 100 where a float32 np.exp overflows (past e^88.7)?"""
    a = rng.uniform(-100.0, 100.0, size=(6, 9)).astype(np.float32)
    a += np.float32(FAR)  # float32 holds 1e5 too: past what a naive formula survives even in np.longdouble
    reply = student.call(name, a)
    code = "softmax-overflow" if name == "softmax" else "log-of-softmax"
    check_stable(reply, expect, getattr(reference, name)(a.astype(np.float64)), t("softmax.float32-what", name=name),
                 a, code, mistakes=score_mistakes(name, a))


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("target", ["one-hot", "labels"])
def test_random_cross_entropy(student, expect, reference, rng, target):
    """Does cross_entropy_error agree with the reference on a random batch of probabilities, some of them 0?"""
    y = stable_softmax(rng.normal(scale=2.0, size=(7, 5)))
    y[rng.random(size=y.shape) < 0.2] = 0.0
    labels = rng.integers(0, 5, size=7)
    truth = np.eye(5)[labels] if target == "one-hot" else labels
    expect.close(student.cross_entropy_error(y, truth), reference.cross_entropy_error(y, truth), inputs=y,
                 what=t("softmax.random-ce-what", target=targets(target)),
                 mistakes=CATALOG.on("cross_entropy_error", y, truth))


@pytest.mark.task("random-inputs")
def test_random_mean_squared_error(student, expect, reference, rng):
    """Does mean_squared_error agree with the reference on a random batch (9, 4)?"""
    y, truth = rng.random(size=(9, 4)), np.eye(4)[rng.integers(0, 4, size=9)]
    expect.close(student.mean_squared_error(y, truth), reference.mean_squared_error(y, truth), inputs=y,
                 what=t("softmax.random-mse-what"), mistakes=CATALOG.on("mean_squared_error", y, truth))


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_plain_python_lists(student, expect, reference, name):
    """Do softmax and log_softmax take plain Python lists (1-D and 2-D), as np.asarray does?"""
    inputs = ([0.3, 2.9, 4.0], [[0.3, 2.9, 4.0], [1.0, 1.0, 1.0]])
    for a, reply in zip(inputs, student.each(name, [(a,) for a in inputs])):
        expect.close(reply.value, getattr(reference, name)(np.asarray(a)), what=f"{name}({a!r})",
                     inputs=a, mistakes=score_mistakes(name, np.asarray(a)))


@pytest.mark.task("random-inputs")
def test_losses_of_plain_python_lists(student, expect, reference):
    """Do cross_entropy_error and mean_squared_error take plain Python lists and a Python int label?"""
    y, y2, t2 = Y.tolist(), BATCH_Y.tolist(), [T.tolist()] * 3
    calls = ((y, T.tolist()), (y, 2), (y2, t2), (y2, [2, 7, 2]))
    for args, reply in zip(calls, student.each("cross_entropy_error", calls)):
        expect.close(reply.value, reference.cross_entropy_error(*map(np.asarray, args)),
                     what=f"cross_entropy_error{args!r}", inputs=args[0],
                     mistakes=CATALOG.on("cross_entropy_error", *map(np.asarray, args)))
    calls = ((y, T.tolist()), (y2, t2))
    for args, reply in zip(calls, student.each("mean_squared_error", calls)):
        expect.close(reply.value, reference.mean_squared_error(*map(np.asarray, args)),
                     what=f"mean_squared_error{args!r}", inputs=args[0],
                     mistakes=CATALOG.on("mean_squared_error", *map(np.asarray, args)))
