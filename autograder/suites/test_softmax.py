"""Softmax, its overflow, log-softmax and the two classic losses (WORKED_EXAMPLES §4; seeds 000, 001).

Public tests use the worked example's constants and formulas applied to the test's own
input (a stable softmax in the judge serves only to compute what a known mistake
returns); hidden tests compare with the reference solution on seeded random input.
"""
from __future__ import annotations

import numpy as np
import pytest

from autograder.compare import Mistake

A = np.array([0.3, 2.9, 4.0])
SOFTMAX_A = np.array([0.01821127, 0.24519181, 0.73659691])
BIG = np.array([1010.0, 1000.0, 990.0])
SOFTMAX_BIG = np.array([9.99954600e-01, 4.53978686e-05, 2.06106005e-09])
# softmax is unchanged by a shift, so a row and its shifted copies share these values
BATCH = np.array([A, A[[1, 2, 0]], [1.0, 1.0, 1.0], A[[2, 0, 1]] - 7.0])
SOFTMAX_BATCH = np.array([SOFTMAX_A, SOFTMAX_A[[1, 2, 0]], [1 / 3, 1 / 3, 1 / 3], SOFTMAX_A[[2, 0, 1]]])
NEGATIVE = np.array([BIG - 2010.0, BIG - 2000.0])  # [[-1000, -1010, -1020], [-990, -1000, -1010]]
MIXED = np.array([BIG, BIG - 2010.0])  # one huge row, one very negative row

Y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
Y_MOVED = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0])  # the 0.6 moved to index 7
T = np.eye(10)[2]
BATCH_Y = np.array([Y, Y_MOVED, Y])
CE = {"Y": 0.51082546, "Y_MOVED": 2.30258409}
MSE = {"Y": 0.0975, "Y_MOVED": 0.5975}
EXAMPLES = {"Y": Y, "Y_MOVED": Y_MOVED}
CLASSIC = "the classic example of WORKED_EXAMPLES §4 (t one-hot at index 2)"

OVERFLOW_HINT = (
    "e^1010 is about 10^438, far past the largest float64 (about 1.8e308 = e^709.78): np.exp overflows to inf and "
    "inf / inf is NaN. Subtract the maximum of each row first: e = np.exp(a - np.max(a, axis=-1, keepdims=True)); "
    "softmax is unchanged because the common factor e^-max cancels (seed 001)."
)
UNDERFLOW_HINT = (
    "np.exp(-1000) underflows to 0 for every score of the row, so the sum is 0 and 0 / 0 is NaN. Subtract the row "
    "maximum first: the largest exponent becomes exp(0) = 1 and the sum is at least 1."
)
GLOBAL_MAX_HINT = (
    "subtract each ROW's maximum (np.max(a, axis=-1, keepdims=True)), not the maximum of the whole batch: a row far "
    "below the batch maximum underflows to all zeros, and 0 / 0 is NaN"
)
WHOLE_BATCH_HINT = "each row is one sample: sum with axis=-1, keepdims=True, not over the whole array (seed 001's np.sum)"
COLUMNS_HINT = "each row is one sample: normalise along the last axis (axis=-1), not down the columns (axis=0)"
LOG_HINT = (
    "np.log(softmax(a)) is log(0) = -inf where a probability underflows to 0. Take the log of the formula instead: "
    "log_softmax(a) = (a - m) - np.log(np.sum(np.exp(a - m), axis=-1, keepdims=True)) with m the row maximum."
)
EPSILON_HINT = "the classic formula adds 1e-7 inside the log: -np.sum(t * np.log(y + 1e-7)); it keeps log(0) finite"
BATCH_MEAN_HINT = "average over the batch: divide the sum by N, the number of rows of y"


def stable_softmax(a, axis=-1):
    a = np.asarray(a, dtype=float)
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax_formula(a):
    a = np.asarray(a, dtype=float)
    shifted = a - np.max(a, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def axis_mistakes(a, transform=lambda p: p) -> tuple[Mistake, ...]:
    """What softmax over the columns or over the whole batch gives on a 2-D input (after `transform`, e.g. log)."""
    with np.errstate(all="ignore"):
        return (
            Mistake("softmax-wrong-axis", transform(stable_softmax(a, axis=0)), COLUMNS_HINT),
            Mistake("softmax-wrong-axis", transform(stable_softmax(np.ravel(a)).reshape(np.shape(a))), WHOLE_BATCH_HINT),
        )


# --- softmax -----------------------------------------------------------------------------------

@pytest.mark.task("softmax")
def test_softmax_worked_example(student, expect):
    """Does softmax([0.3, 2.9, 4.0]) give [0.01821127, 0.24519181, 0.73659691]?"""
    expect.close(student.softmax(A), SOFTMAX_A, what="softmax([0.3, 2.9, 4.0]) (WORKED_EXAMPLES §4)", inputs=A,
                 mistakes=(Mistake("softmax-not-normalised", np.exp(A), "divide exp(a) by the sum of exp(a)"),))


@pytest.mark.task("softmax")
def test_softmax_batch_along_last_axis(student, expect):
    """Does a batch (4, 3) get softmax row by row (each row one sample), whatever the rows' offsets?"""
    expect.close(student.softmax(BATCH), SOFTMAX_BATCH, inputs=BATCH, mistakes=axis_mistakes(BATCH),
                 what="softmax of a batch: each row is a shifted or permuted [0.3, 2.9, 4.0] or [1, 1, 1]",
                 hint=WHOLE_BATCH_HINT)


@pytest.mark.task("softmax")
def test_rows_sum_to_one(student, expect, rng):
    """Does every row of softmax of a random batch (6, 10) sum to 1?"""
    a = rng.normal(scale=3.0, size=(6, 10))
    got = expect.shape(student.softmax(a), a.shape, what="softmax(a) for a of shape (6, 10)", inputs=a,
                       hint="softmax keeps the shape of its input")
    sums = got.sum(axis=-1)  # in the student's dtype: float32 sums get float32 tolerances
    expect.close(sums, np.ones(6), what="the row sums of softmax(a), a of shape (6, 10)", inputs=a,
                 mistakes=tuple(Mistake(m.code, m.value.sum(axis=-1), m.hint) for m in axis_mistakes(a)))


@pytest.mark.task("softmax")
@pytest.mark.parametrize("shape", [(3,), (1, 3)])
def test_softmax_keeps_shape(student, expect, shape):
    """Does softmax keep a 1-D input 1-D and a one-row batch (1, 3) 2-D?"""
    a = A.reshape(shape)
    got = student.softmax(a)
    expect.shape(got, shape, what=f"softmax of [0.3, 2.9, 4.0] given with shape {shape}", inputs=a,
                 hint="use axis=-1 with keepdims=True for the max and the sum; do not flatten or squeeze")
    expect.close(got, SOFTMAX_A.reshape(shape), what=f"softmax of [0.3, 2.9, 4.0] given with shape {shape}", inputs=a,
                 mistakes=axis_mistakes(a) if a.ndim == 2 else ())


# --- overflow ----------------------------------------------------------------------------------

def check_stable(reply, expect, want, what, inputs, code, hint, mistakes=(), warnings_first=False):
    """Finite values equal to `want` and no RuntimeWarning; both failures carry `code` and `hint`.

    Values first by default, so that a known mistake (which also warns) is named by its own code.
    """
    if warnings_first:
        expect.no_warnings(reply.warnings, what=what, inputs=inputs, code=code, hint=hint)
    expect.close(reply.value, want, what=what, inputs=inputs, mistakes=mistakes, nonfinite_code=code,
                 nonfinite_hint=hint)
    expect.no_warnings(reply.warnings, what=what, inputs=inputs, code=code, hint=hint)


@pytest.mark.task("overflow")
def test_softmax_of_1010_1000_990(student, expect):
    """Does softmax([1010, 1000, 990]) stay finite and warning-free, as when the max is subtracted (seed 001)?"""
    reply = student.call("softmax", BIG)
    check_stable(reply, expect, SOFTMAX_BIG, "softmax([1010, 1000, 990]), where np.exp(1010) overflows", BIG,
                 "softmax-overflow", OVERFLOW_HINT, warnings_first=True)


@pytest.mark.task("overflow")
def test_softmax_of_very_negative_rows(student, expect):
    """Do rows of large negative scores, where np.exp underflows to 0, still give finite probabilities?"""
    reply = student.call("softmax", NEGATIVE)
    check_stable(reply, expect, np.array([SOFTMAX_BIG, SOFTMAX_BIG]), inputs=NEGATIVE, code="softmax-underflow",
                 what="softmax([[-1000, -1010, -1020], [-990, -1000, -1010]]), where np.exp underflows to 0",
                 hint=UNDERFLOW_HINT, mistakes=axis_mistakes(NEGATIVE))


@pytest.mark.task("overflow")
def test_softmax_subtracts_each_rows_max(student, expect):
    """Does a batch with one huge row and one very negative row get each row's own maximum subtracted?"""
    reply = student.call("softmax", MIXED)
    global_max = np.array([SOFTMAX_BIG, [np.nan] * 3])  # the second row: 0 / 0 after subtracting 1010
    check_stable(reply, expect, np.array([SOFTMAX_BIG, SOFTMAX_BIG]), inputs=MIXED, code="softmax-overflow", hint=OVERFLOW_HINT,
                 what="softmax([[1010, 1000, 990], [-1000, -1010, -1020]]) row by row",
                 mistakes=(Mistake("softmax-global-max", global_max, GLOBAL_MAX_HINT), *axis_mistakes(MIXED)))


# --- log-softmax -------------------------------------------------------------------------------

@pytest.mark.task("log-softmax")
def test_log_softmax_worked_example(student, expect):
    """Does log_softmax([0.3, 2.9, 4.0]) equal a - log Σ exp(a)?"""
    expect.close(student.log_softmax(A), log_softmax_formula(A), inputs=A,
                 what="log_softmax([0.3, 2.9, 4.0]) = a - log(e^0.3 + e^2.9 + e^4.0)",
                 mistakes=(Mistake("log-softmax-is-softmax", SOFTMAX_A, "take the log: log_softmax = log(softmax)"),
                           Mistake("log-softmax-missing-normaliser", A - A.max(),
                                   "after a - max, also subtract log Σ exp(a - max)")))


@pytest.mark.task("log-softmax")
def test_log_softmax_batch_along_last_axis(student, expect):
    """Is log_softmax of a batch (4, 3) computed row by row?"""
    expect.close(student.log_softmax(BATCH), log_softmax_formula(BATCH), inputs=BATCH,
                 what="log_softmax of the softmax batch (each row a shifted or permuted [0.3, 2.9, 4.0] or [1, 1, 1])",
                 mistakes=axis_mistakes(BATCH, np.log), hint=WHOLE_BATCH_HINT)


@pytest.mark.task("log-softmax")
@pytest.mark.parametrize("a", [[0.0, -1000.0], [[-1000.0, 0.0, -5.0], [3.0, -800.0, 3.0]]], ids=["1d", "2d"])
def test_log_softmax_where_softmax_underflows(student, expect, a):
    """Is log_softmax finite (e.g. log_softmax([0, -1000]) = [0, -1000]) where softmax underflows to 0?"""
    a = np.array(a)
    reply = student.call("log_softmax", a)
    check_stable(reply, expect, log_softmax_formula(a), f"log_softmax({a.tolist()}), where softmax underflows to 0",
                 a, "log-of-softmax", LOG_HINT)


@pytest.mark.task("log-softmax")
def test_log_softmax_of_1010_1000_990(student, expect):
    """Does log_softmax([1010, 1000, 990]) avoid the overflow of np.exp(1010)?"""
    reply = student.call("log_softmax", BIG)
    check_stable(reply, expect, log_softmax_formula(BIG), "log_softmax([1010, 1000, 990]), where np.exp(1010) overflows",
                 BIG, "softmax-overflow", OVERFLOW_HINT)


# --- cross-entropy -----------------------------------------------------------------------------

def without_epsilon(y, t) -> tuple[Mistake, ...]:
    """What -Σ t·log(y) / N gives without the 1e-7 (NaN for one-hot t where y = 0), and with np.clip instead."""
    y, t = np.atleast_2d(y), np.asarray(t)
    picked = y[np.arange(len(y)), np.ravel(t)] if t.size != y.size else None
    with np.errstate(divide="ignore", invalid="ignore"):
        plain = -np.mean(np.log(picked)) if picked is not None else -np.sum(t.reshape(y.shape) * np.log(y)) / len(y)
        clipped = (-np.mean(np.log(np.clip(picked, 1e-7, 1))) if picked is not None
                   else -np.sum(t.reshape(y.shape) * np.log(np.clip(y, 1e-7, 1))) / len(y))
    return (Mistake("cross-entropy-missing-epsilon", float(plain), EPSILON_HINT),
            Mistake("cross-entropy-missing-epsilon", float(clipped),
                    "np.clip(y, 1e-7, 1) is not the classic formula: add 1e-7 inside the log, np.log(y + 1e-7)"))


@pytest.mark.task("cross-entropy")
@pytest.mark.parametrize("example", list(EXAMPLES))
@pytest.mark.parametrize("target", ["one-hot", "label"])
def test_cross_entropy_classic(student, expect, example, target):
    """Does cross_entropy_error give 0.51082546 and 2.30258409 on the classic example, with t one-hot or the label 2?"""
    y = EXAMPLES[example]
    t = T if target == "one-hot" else 2
    expect.close(student.cross_entropy_error(y, t), CE[example], inputs=y,
                 what=f"cross_entropy_error(y, t = {'one-hot at 2' if target == 'one-hot' else 'label 2'}) on {CLASSIC}"
                      f"{'' if example == 'Y' else ', the 0.6 moved to index 7'}",
                 mistakes=without_epsilon(y, t),
                 hint="E = -Σ t·log(y + 1e-7); for a label t, E = -log(y[t] + 1e-7)")


@pytest.mark.task("cross-entropy")
@pytest.mark.parametrize("target", ["one-hot", "labels"])
def test_cross_entropy_batch_mean(student, expect, target):
    """Is the cross-entropy of a batch (3, 10) the mean over its rows, (2·0.51082546 + 2.30258409) / 3?"""
    t = np.array([T] * 3) if target == "one-hot" else np.array([2, 2, 2])
    total = 2 * CE["Y"] + CE["Y_MOVED"]
    expect.close(student.cross_entropy_error(BATCH_Y, t), total / 3, inputs=BATCH_Y, hint=BATCH_MEAN_HINT,
                 what=f"cross_entropy_error on the batch [y, y with 0.6 moved to 7, y], t as {target}",
                 mistakes=(Mistake("cross-entropy-no-batch-mean", total, BATCH_MEAN_HINT), *without_epsilon(BATCH_Y, t)))


@pytest.mark.task("cross-entropy")
def test_cross_entropy_of_a_zero_probability(student, expect):
    """Does the 1e-7 keep the loss finite, -log(1e-7) = 16.11809565, when the true class has probability 0?"""
    labels = np.array([3, 3, 3])  # y[:, 3] is exactly 0
    reply = student.call("cross_entropy_error", BATCH_Y, labels)
    expect.close(reply.value, -np.log(1e-7), inputs=BATCH_Y, what="cross_entropy_error(y, labels [3, 3, 3]) where y[:, 3] = 0",
                 mistakes=(Mistake("cross-entropy-missing-epsilon", np.inf, EPSILON_HINT),
                           Mistake("cross-entropy-no-batch-mean", -3 * np.log(1e-7), BATCH_MEAN_HINT)),
                 nonfinite_code="cross-entropy-missing-epsilon", nonfinite_hint=EPSILON_HINT)


# --- mse ---------------------------------------------------------------------------------------

@pytest.mark.task("mse")
@pytest.mark.parametrize("example", list(EXAMPLES))
def test_mean_squared_error_classic(student, expect, example):
    """Does mean_squared_error give 0.0975 and 0.5975 (½·Σ(y − t)²) on the classic example?"""
    y = EXAMPLES[example]
    squares = float(np.sum((y - T) ** 2))
    expect.close(student.mean_squared_error(y, T), MSE[example], inputs=y,
                 what=f"mean_squared_error(y, t) = ½·Σ(y − t)² on {CLASSIC}"
                      f"{'' if example == 'Y' else ', the 0.6 moved to index 7'}",
                 mistakes=(Mistake("mse-missing-half", squares, "the formula is ½·Σ(y − t)²: multiply by 0.5"),
                           Mistake("mse-mean-over-classes", 0.5 * squares / y.size,
                                   "sum over the classes (np.sum), do not average them (np.mean)"),
                           Mistake("mse-mean-over-classes", squares / y.size,
                                   "½·Σ(y − t)²: a sum over the classes times 0.5, not np.mean")))


@pytest.mark.task("mse")
def test_mean_squared_error_batch_mean(student, expect):
    """Is the squared error of a batch (3, 10) the mean over its rows, (2·0.0975 + 0.5975) / 3?"""
    t = np.array([T] * 3)
    total = 2 * MSE["Y"] + MSE["Y_MOVED"]
    expect.close(student.mean_squared_error(BATCH_Y, t), total / 3, inputs=BATCH_Y, hint=BATCH_MEAN_HINT,
                 what="mean_squared_error on the batch [y, y with 0.6 moved to 7, y]",
                 mistakes=(Mistake("mse-no-batch-mean", total, BATCH_MEAN_HINT),
                           Mistake("mse-missing-half", 2 * total / 3, "the formula is ½·Σ(y − t)²: multiply by 0.5")))


# --- random-inputs (hidden) --------------------------------------------------------------------

@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_random_scores(student, expect, reference, rng, name):
    """Do softmax and log_softmax agree with the reference on random scores (8, 12) spread over ±60?"""
    a = rng.normal(scale=20.0, size=(8, 12))
    expect.close(student.call(name, a).value, getattr(reference, name)(a), inputs=a, hint=WHOLE_BATCH_HINT,
                 what=f"{name}(a), a of shape (8, 12)",
                 mistakes=axis_mistakes(a, np.log if name == "log_softmax" else (lambda p: p)))


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_float32_scores(student, expect, reference, rng, name):
    """Is float32 input handled, with scores up to 100 where a float32 np.exp overflows (past e^88.7)?"""
    a = rng.uniform(-100.0, 100.0, size=(6, 9)).astype(np.float32)
    reply = student.call(name, a)
    what = f"{name}(a) for float32 a of shape (6, 9) in [-100, 100]"
    code, hint = ("softmax-overflow", OVERFLOW_HINT) if name == "softmax" else ("log-of-softmax", LOG_HINT)
    check_stable(reply, expect, getattr(reference, name)(a.astype(np.float64)), what, a, code, hint,
                 mistakes=axis_mistakes(a, np.log if name == "log_softmax" else (lambda p: p)))


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("target", ["one-hot", "labels"])
def test_random_cross_entropy(student, expect, reference, rng, target):
    """Does cross_entropy_error agree with the reference on a random batch of probabilities, some of them 0?"""
    y = stable_softmax(rng.normal(scale=2.0, size=(7, 5)))
    y[rng.random(size=y.shape) < 0.2] = 0.0
    labels = rng.integers(0, 5, size=7)
    t = np.eye(5)[labels] if target == "one-hot" else labels
    want = reference.cross_entropy_error(y, t)
    expect.close(student.cross_entropy_error(y, t), want, inputs=y, what=f"cross_entropy_error(y (7, 5), t as {target})",
                 mistakes=(Mistake("cross-entropy-no-batch-mean", 7 * want, BATCH_MEAN_HINT), *without_epsilon(y, t)))


@pytest.mark.task("random-inputs")
def test_random_mean_squared_error(student, expect, reference, rng):
    """Does mean_squared_error agree with the reference on a random batch (9, 4)?"""
    y, t = rng.random(size=(9, 4)), np.eye(4)[rng.integers(0, 4, size=9)]
    want = reference.mean_squared_error(y, t)
    expect.close(student.mean_squared_error(y, t), want, inputs=y, what="mean_squared_error(y (9, 4), one-hot t)",
                 mistakes=(Mistake("mse-no-batch-mean", 9 * want, BATCH_MEAN_HINT),
                           Mistake("mse-missing-half", 2 * want, "the formula is ½·Σ(y − t)²: multiply by 0.5")))
