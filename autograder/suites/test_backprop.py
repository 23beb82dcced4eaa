"""Backprop: the chain rule by hand on the 2-2-2 network, then layer backward passes (WORKED_EXAMPLES §5, seed 002).

Public tests use the worked example's constants, the chain-rule formulas of seed 002
applied to them, and central differences of the judge's own small loss formulas on the
inputs the test hands to the student. Hidden tests compare with the reference on seeded
random sizes and batches.

Step tables: a test's own values decide its verdict; on a failure the student's values
from the earlier functions (mlp_forward, mse_loss, mlp_backward) are shown above them,
so the report marks the FIRST step of the worked example that differs.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
import pytest

from autograder.compare import Checker, Feedback, Mismatch, Mistake, Step, expect_shape, show
from autograder.sandbox import StudentFault

# --- WORKED_EXAMPLES §5: W_h = [[W1, W2], [W3, W4]], W_o = [[W5, W6], [W7, W8]], lr = 0.5 ---
X, T, LR = np.array([0.1, 0.2]), np.array([0.4, 0.6]), 0.5
W_H, W_O = np.array([[0.3, 0.25], [0.4, 0.35]]), np.array([[0.45, 0.4], [0.7, 0.6]])
EXAMPLE = {"x": X.tolist(), "t": T.tolist(), "W_h": W_H.tolist(), "W_o": W_O.tolist()}
WHERE = "the 2-2-2 network of WORKED_EXAMPLES §5"
TABLE: dict[str, Any] = {
    "z_h": np.array([0.08, 0.11]), "h": np.array([0.51998934, 0.52747230]),
    "z_o": np.array([0.44498412, 0.68047592]), "o": np.array([0.60944600, 0.66384491]),
    "E_o": np.array([0.02193381, 0.00203809]), "E_total": np.float64(0.02397190), "loss": np.float64(0.02397190),
    "dW_h": np.array([[0.00080888, 0.00161775], [0.00071009, 0.00142017]]),
    "dW_o": np.array([[0.02592286, 0.02629590], [0.00740844, 0.00751506]]),
    "W_h_new": np.array([[0.29959556, 0.24919112], [0.39964496, 0.34928991]]),
    "W_o_new": np.array([[0.43703857, 0.38685205], [0.69629578, 0.59624247]]),
}
FORWARD_KEYS, BACKWARD_KEYS = ("z_h", "h", "z_o", "o"), ("delta_o", "delta_h", "dW_o", "dW_h")

HINTS = {
    "weights-transposed": "row i of the weight matrix feeds unit i: z1 = W1·x1 + W2·x2 is (W_h @ x)[0]; "
                          "you combined a column (W_h.T @ x)",
    "activation-missing": "apply the sigmoid to every layer: h = sigmoid(z_h), o = sigmoid(z_o)",
    "loss-missing-half": "E = ½ Σ (t − o)²: halve the sum of squares (the ½ cancels the 2 of the derivative); "
                         "a mean over the outputs is something else",
    "loss-mean": "E = ½ Σ (t − o)² sums over the outputs: do not divide by their number",
    "loss-after-step": "return the loss of the forward pass with the OLD weights, computed before the update",
    "delta-o-missing-sigmoid-derivative": "∂E/∂z3 = ∂E/∂o1 · ∂o1/∂z3: multiply (o − t) by the sigmoid's slope "
                                          "o(1 − o) (0.23802157 for o1)",
    "gradient-sign": "∂E/∂o1 = −(t1 − o1) = o1 − t1 = +0.20944600: you have t − o, a gradient that climbs the loss",
    "sigmoid-derivative-of-output": "o(1 − o) (and h(1 − h)) already is the sigmoid's slope at z: do not apply "
                                    "sigmoid or sigmoid_grad to the output o or h again",
    "delta-h-missing-sigmoid-derivative": "δh = ∂E/∂h · ∂h/∂z_h: multiply W_o.T @ δo by h(1 − h)",
    "delta-h-transposed-weights": "∂E/∂h1 = W5·δo1 + W7·δo2 goes back through COLUMN 1 of W_o: W_o.T @ δo, "
                                  "not W_o @ δo",
    "gradient-transposed": "dW[i, j] must be ∂E/∂W[i, j] = δ_i · input_j: np.outer(delta, input), delta first",
    "delta-h-uses-updated-weights": "compute all eight gradients with the OLD W5..W8 first, then update all "
                                    "weights together: δh must not see the updated output weights",
    "update-sign": "gradient DEscent goes against the gradient: W⁺ = W − lr·∂E/∂W (with ∂E/∂o = o − t)",
    "learning-rate-ignored": "W⁺ = W − lr·∂E/∂W with the lr argument, not a constant",
}


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def slope(s: np.ndarray) -> np.ndarray:
    """The sigmoid's derivative from its output s: s(1 - s)."""
    return s * (1 - s)


def network_loss(x: np.ndarray, t: np.ndarray, W_h: np.ndarray, W_o: np.ndarray) -> float:
    """The judge's own formula: E = ½ Σ (t − sigmoid(W_o sigmoid(W_h x)))²."""
    return float(0.5 * np.sum((t - sigmoid(W_o @ sigmoid(W_h @ x))) ** 2))


def numeric_gradient(f: Callable[[np.ndarray], float], at: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences (f(a + h) − f(a − h)) / 2h, one element of `at` at a time."""
    at = np.array(at, dtype=np.float64)
    grad = np.zeros_like(at)
    for index in np.ndindex(at.shape):
        old = at[index]
        at[index] = old + h
        plus = f(at.copy())
        at[index] = old - h
        minus = f(at.copy())
        at[index] = old
        grad[index] = (plus - minus) / (2 * h)
    return grad


# --- known mistakes, as the values they produce on the test's own input -------------------

@dataclass(frozen=True)
class Wrong:
    """One catalogued mistake: the values it gives, keyed like the student's results."""

    code: str
    values: dict[str, Any]


def square(matrix: np.ndarray) -> bool:
    return matrix.shape[0] == matrix.shape[1]


def chain(x: np.ndarray, h: np.ndarray, W: tuple[np.ndarray, np.ndarray], deltas: tuple[Any, Any],
          lr: float) -> dict[str, Any]:
    """Gradients and updated weights that follow from the deltas (δo, δh)."""
    (W_h, W_o), (delta_o, delta_h) = W, deltas
    dW_o, dW_h = np.outer(delta_o, h), np.outer(delta_h, x)
    return {"delta_o": delta_o, "delta_h": delta_h, "dW_o": dW_o, "dW_h": dW_h,
            "W_o_new": W_o - lr * dW_o, "W_h_new": W_h - lr * dW_h}


def wrong_answers(x: np.ndarray, t: np.ndarray, W_h: np.ndarray, W_o: np.ndarray, h: np.ndarray, o: np.ndarray,
                  lr: float) -> list[Wrong]:
    """The mistakes seed 002's chain rule invites, evaluated on this network (h, o given)."""
    def back(delta_o: np.ndarray, through: np.ndarray = W_o.T, local: np.ndarray = slope(h)) -> np.ndarray:
        return (through @ delta_o) * local

    delta_o = (o - t) * slope(o)
    no_slope, of_output = o - t, (o - t) * slope(sigmoid(o))
    variants = {
        "delta-o-missing-sigmoid-derivative": (no_slope, back(no_slope)),
        "gradient-sign": (-delta_o, back(-delta_o)),
        "sigmoid-derivative-of-output": (of_output, back(of_output, local=slope(sigmoid(h)))),
        "delta-h-missing-sigmoid-derivative": (delta_o, W_o.T @ delta_o),
    }
    if square(W_o):
        variants["delta-h-transposed-weights"] = (delta_o, back(delta_o, through=W_o))
    right = chain(x, h, (W_h, W_o), (delta_o, back(delta_o)), lr)
    # update-sign first: a flipped δo gives the same W⁺, and it is caught earlier, at ∂E/∂W, in a step table
    wrong = [Wrong("update-sign", {"W_o_new": W_o + lr * right["dW_o"], "W_h_new": W_h + lr * right["dW_h"]})]
    wrong += [Wrong(code, chain(x, h, (W_h, W_o), deltas, lr)) for code, deltas in variants.items()]
    loss = 0.5 * np.sum((t - o) ** 2)
    after = network_loss(x, t, right["W_h_new"], right["W_o_new"])
    wrong += [
        Wrong("delta-h-uses-updated-weights",
              {"W_h_new": W_h - lr * np.outer(back(delta_o, through=right["W_o_new"].T), x)}),
        *(Wrong("learning-rate-ignored", {"W_o_new": W_o - rate * right["dW_o"], "W_h_new": W_h - rate * right["dW_h"]})
          for rate in (1.0, 0.5) if rate != lr),
        Wrong("loss-missing-half", {"E_o": (t - o) ** 2, "E_total": 2 * loss, "loss": 2 * loss}),
        Wrong("loss-mean", {"E_total": loss / len(o), "loss": loss / len(o)}),
        Wrong("loss-after-step", {"loss": after}),
        Wrong("activation-missing", {"h": W_h @ x, "o": W_o @ h}),
    ]
    transposed = {key: right[key].T for key, W in (("dW_o", W_o), ("dW_h", W_h)) if square(W)}
    transposed.update({f"{key[1:]}_new": W - lr * transposed[key]
                       for key, W in (("dW_o", W_o), ("dW_h", W_h)) if key in transposed})
    forward = {key: W.T @ v for key, W, v in (("z_h", W_h, x), ("z_o", W_o, h)) if square(W)}
    return [*wrong, Wrong("gradient-transposed", transposed), Wrong("weights-transposed", forward)]


def mistakes_at(wrong: list[Wrong], key: str, index: tuple[int, ...] = ()) -> tuple[Mistake, ...]:
    """Mistake(code, value, hint) of every catalogued mistake that changes `key` (at `index`)."""
    return tuple(Mistake(w.code, np.asarray(w.values[key])[index], HINTS[w.code]) for w in wrong if key in w.values)


WRONG = wrong_answers(X, T, W_H, W_O, TABLE["h"], TABLE["o"], LR)
_DELTA_O = (TABLE["o"] - T) * slope(TABLE["o"])  # the seed's 0.20944600 × 0.23802157, from the table
TABLE.update(delta_o=_DELTA_O, delta_h=(W_O.T @ _DELTA_O) * slope(TABLE["h"]))


# --- reading the student's results ----------------------------------------------------------

def entry(result: Any, key: str, shape: tuple[int, ...], function: str) -> np.ndarray:
    """result[key] of a function that returns a dict, checked to be numbers of this shape."""
    what = f"{function}(...)[{key!r}]"
    if not isinstance(result, dict) or key not in result:
        keys = ", ".join(f"{k!r}: ..." for k in (FORWARD_KEYS if function == "mlp_forward" else BACKWARD_KEYS))
        raise Mismatch(Feedback(
            code="missing-key", message=f"{function} must return a dict with the key {key!r}", what=what,
            expected=f"a dict {{{keys}}}", got=f"a dict with keys {sorted(result)}" if isinstance(result, dict)
            else show(result), hint=f"end {function} with return {{{keys}}}",
        ))
    return expect_shape(result[key], shape, what=what,
                        hint="with x of shape (n_in,), every vector is 1-D (n,) and every dW has the shape of its W")


def parts(result: Any, names: tuple[str, ...], function: str) -> tuple[Any, ...]:
    """The values of a function that returns a tuple (train_step, graph_example, affine_backward)."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        raise Mismatch(Feedback(
            code="wrong-return", message=f"{function} must return {len(names)} values: {', '.join(names)}",
            what=f"what {function} returns", expected=f"a tuple ({', '.join(names)})", got=show(result),
            hint=f"end with return {', '.join(names)}",
        ))
    return tuple(result)


# --- step tables -------------------------------------------------------------------------------

def weight(first: int, i: int, j: int) -> str:
    """W_h = [[W1, W2], [W3, W4]] (first = 1), W_o = [[W5, W6], [W7, W8]] (first = 5)."""
    return f"W{first + 2 * i + j}"


def updated(first: int) -> Callable[[int, int], str]:
    def label(i: int, j: int) -> str:
        w = weight(first, i, j)
        return f"{w}⁺ = {w} − 0.5·∂E/∂{w}"
    return label


LABELS: dict[str, Callable[..., str]] = {
    "z_h": lambda k: f"z{k + 1} = {weight(1, k, 0)}·x1 + {weight(1, k, 1)}·x2",
    "h": lambda k: f"h{k + 1} = sigmoid(z{k + 1})",
    "z_o": lambda k: f"z{k + 3} = {weight(5, k, 0)}·h1 + {weight(5, k, 1)}·h2",
    "o": lambda k: f"o{k + 1} = sigmoid(z{k + 3})",
    "E_o": lambda k: f"E_o{k + 1} = ½(t{k + 1} − o{k + 1})²",
    "E_total": lambda: "E_total = E_o1 + E_o2",
    "loss": lambda: "loss = E_total before the step",
    "delta_o": lambda k: f"δo{k + 1} = (o{k + 1} − t{k + 1})·o{k + 1}(1 − o{k + 1})",
    "delta_h": lambda k: f"δh{k + 1} = (W{k + 5}·δo1 + W{k + 7}·δo2)·h{k + 1}(1 − h{k + 1})",
    "dW_o": lambda i, j: f"∂E/∂{weight(5, i, j)} = δo{i + 1}·h{j + 1}",
    "dW_h": lambda i, j: f"∂E/∂{weight(1, i, j)} = δh{i + 1}·x{j + 1}",
    "W_o_new": updated(5),
    "W_h_new": updated(1),
}


def rows(got: dict[str, Any], keys: tuple[str, ...]) -> list[Step]:
    """One Step per element of each key, labelled in the worked example's words, with its known mistakes."""
    return [Step(LABELS[key](*index), np.asarray(got[key])[index], TABLE[key][index], mistakes_at(WRONG, key, index))
            for key in keys for index in np.ndindex(np.shape(TABLE[key]))]


def forward_steps(student: Any) -> list[Step]:
    result = student.mlp_forward(X, W_H, W_O)
    return rows({key: entry(result, key, (2,), "mlp_forward") for key in FORWARD_KEYS}, FORWARD_KEYS)


def total_loss_step(student: Any) -> list[Step]:
    return rows({"E_total": student.mse_loss(TABLE["o"], T)}, ("E_total",))


def backward_steps(student: Any, keys: tuple[str, ...] = ("delta_o", "dW_o", "delta_h", "dW_h")) -> list[Step]:
    result = student.mlp_backward(X, T, W_H, W_O)
    return rows({key: entry(result, key, np.shape(TABLE[key]), "mlp_backward") for key in keys}, keys)


def shown(*earlier: Callable[[], list[Step]]) -> list[Step]:
    """The student's earlier steps, for orientation only: a part that cannot be computed is left out."""
    steps: list[Step] = []
    for part in earlier:
        try:
            steps += part()
        except (StudentFault, Mismatch):  # not written yet, or the wrong shape: nothing to show
            continue
    return steps


def expect_walkthrough(expect: Checker, own: list[Step], *earlier: Callable[[], list[Step]], what: str) -> None:
    """The test's own steps decide; if one differs, the whole table is reported with the first divergence."""
    try:
        expect.steps(own, what=what, inputs=EXAMPLE)
    except Mismatch:
        expect.steps([*shown(*earlier), *own], what=what, inputs=EXAMPLE)
        raise


# --- gradient checks ----------------------------------------------------------------------------

GRADIENT_TOLERANCE = {"rtol": 1e-6, "atol": 1e-9}  # central differences with h = 1e-5 are good to ~1e-10


def relative_error(got: Any, expected: Any) -> float:
    """CS231n's relative error: max |a − b| / max(|a|, |b|, 1e-8) over the elements."""
    a, b = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)))


def _same_shape(got: Any, expected: Any) -> bool:
    try:  # a ragged list from the student has no shape at all
        return np.shape(got) == np.shape(expected)
    except ValueError:
        return False


def expect_gradient(expect: Checker, got: Any, expected: Any, *, what: str, mistakes: tuple[Mistake, ...] = (),
                    **tolerance: float) -> None:
    """expect.close, and on failure the max relative error the way CS231n's gradient check reports it."""
    try:
        expect.close(got, expected, what=what, mistakes=mistakes, **(tolerance or GRADIENT_TOLERANCE))
    except Mismatch as mismatch:
        fb = mismatch.feedback
        if fb.code not in ("wrong-type", "returned-none") and _same_shape(got, expected):
            line = (f"max relative error |a − b| / max(|a|, |b|) = {relative_error(got, expected):.2e} "
                    "(CS231n's rule of thumb: about 1e-7 or less is right, above 1e-2 the gradient is probably wrong)")
            fb = replace(fb, details=(*fb.details, line))
        raise Mismatch(fb) from None


# === public: the worked example ===================================================================

@pytest.mark.task("forward-pass")
def test_forward_pass_step_by_step(student, expect):
    """Does mlp_forward give z1, z2, h1, h2, z3, z4, o1, o2 of the worked example?"""
    expect.steps(forward_steps(student), what=f"mlp_forward(x, W_h, W_o) on {WHERE}", inputs=EXAMPLE)


@pytest.mark.task("forward-pass")
def test_loss_per_output_and_total(student, expect):
    """Does mse_loss give E_o1, E_o2 (one output each) and E_total = ½ Σ (t − o)² as a float?"""
    o = TABLE["o"]
    singles = [student.mse_loss(o[k:k + 1], T[k:k + 1]) for k in range(2)]
    total = expect_shape(student.mse_loss(o, T), (), what="mse_loss(o, t)", hint="return float(...) of the sum")
    got = {"E_o": [expect_shape(e, (), what="mse_loss of one output") for e in singles], "E_total": total}
    expect.steps(rows(got, ("E_o", "E_total")), what=f"mse_loss(o, t) with o = {o.tolist()}, t = {T.tolist()}",
                 inputs=EXAMPLE)


@pytest.mark.task("gradients")
def test_backward_pass_step_by_step(student, expect):
    """Does mlp_backward give δo, ∂E/∂W5..W8, δh and ∂E/∂W1..W4 (WORKED_EXAMPLES §5), first difference marked?"""
    expect_walkthrough(expect, backward_steps(student), lambda: forward_steps(student),
                       what=f"mlp_backward(x, t, W_h, W_o) on {WHERE}")


@pytest.mark.task("gradients")
def test_backward_matches_central_differences(student, expect):
    """Do dW_h and dW_o agree with central differences of E = ½ Σ (t − o)² on the worked example?"""
    result = student.mlp_backward(X, T, W_H, W_O)
    for key, W, loss in (("dW_o", W_O, lambda V: network_loss(X, T, W_H, V)),
                         ("dW_h", W_H, lambda V: network_loss(X, T, V, W_O))):
        expect_gradient(expect, entry(result, key, W.shape, "mlp_backward"), numeric_gradient(loss, W),
                        what=f"mlp_backward(...)[{key!r}] against (E(W + h) − E(W − h)) / 2h, h = 1e-5, on {WHERE}",
                        mistakes=mistakes_at(WRONG, key))


@pytest.mark.task("train-step")
def test_train_step_walks_the_worked_example(student, expect):
    """Does one train_step (lr = 0.5) give W5⁺..W8⁺, W1⁺..W4⁺ and the loss before the step?"""
    W_h_new, W_o_new, loss = parts(student.train_step(X, T, W_H, W_O, 0.5), ("W_h_new", "W_o_new", "loss"),
                                   "train_step")
    got = {"W_o_new": expect_shape(W_o_new, (2, 2), what="W_o_new"),
           "W_h_new": expect_shape(W_h_new, (2, 2), what="W_h_new"), "loss": expect_shape(loss, (), what="loss")}
    expect_walkthrough(expect, rows(got, ("W_o_new", "W_h_new", "loss")), lambda: forward_steps(student),
                       lambda: total_loss_step(student), lambda: backward_steps(student, ("dW_o", "dW_h")),
                       what=f"train_step(x, t, W_h, W_o, lr=0.5) on {WHERE}")


@pytest.mark.task("train-step")
def test_train_step_uses_the_learning_rate(student, expect):
    """Does train_step with lr = 0.1 move every weight by 0.1·∂E/∂W (the worked example's gradients)?"""
    got = parts(student.train_step(X, T, W_H, W_O, lr=0.1), ("W_h_new", "W_o_new", "loss"), "train_step")
    wrong = wrong_answers(X, T, W_H, W_O, TABLE["h"], TABLE["o"], 0.1)
    for value, W, key in ((got[1], W_O, "dW_o"), (got[0], W_H, "dW_h")):
        expect.close(value, W - 0.1 * TABLE[key], what=f"W − 0.1·∂E/∂W for W_{key[-1]} on {WHERE}", inputs=EXAMPLE,
                     mistakes=mistakes_at(wrong, f"W_{key[-1]}_new"))


# === public: the computational graph and the layer passes ========================================

@pytest.mark.task("layer-backward")
def test_graph_example(student, expect):
    """Does graph_example(-2, 5, -4) multiply local gradients backwards to (-12, -4, -4, 3)?"""
    got = parts(student.graph_example(-2, 5, -4), ("f", "df_dx", "df_dy", "df_dz"), "graph_example")
    expect.close(got, (-12, -4, -4, 3), what="(f, ∂f/∂x, ∂f/∂y, ∂f/∂z) for f = (x + y)·z at x = -2, y = 5, z = -4",
                 inputs=(-2, 5, -4), mistakes=(
        Mistake("local-gradient-only", (-12, 1, 1, 3),
                "chain rule: ∂f/∂x = ∂f/∂q · ∂q/∂x = z · 1 = -4; the local gradient 1 alone is not enough"),
        Mistake("local-gradients-swapped", (-12, 3, 3, -4),
                "for f = q·z, ∂f/∂q = z and ∂f/∂z = q: each factor's gradient is the other factor"),
    ))


@dataclass(frozen=True)
class LayerCase:
    """A layer's backward pass on a seeded random batch, with the judge's numeric gradients."""

    function: str
    args: tuple[Any, ...]
    outputs: tuple[str, ...]
    numeric: tuple[np.ndarray, ...]
    """Central differences of the judge's loss, one per output."""
    mistakes: tuple[tuple[Mistake, ...], ...]
    what: str


def affine_case(rng: np.random.Generator, n: int) -> LayerCase:
    x, W, b, dout = (rng.normal(size=s) for s in ((n, 3), (3, 5), (5,), (n, 5)))

    def loss(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> float:  # L = Σ out·dout, so ∂L/∂out = dout
        return float(np.sum((x @ W + b) * dout))

    numeric = (numeric_gradient(lambda v: loss(v, W, b), x), numeric_gradient(lambda v: loss(x, v, b), W),
               numeric_gradient(lambda v: loss(x, W, v), b))
    return LayerCase("affine_backward", (dout, x, W), ("dx", "dW", "db"), numeric, (
        (),
        (Mistake("affine-dw-transposed", numeric[1].T, "dW = x.T @ dout has the shape of W, (D, M)"),),
        (Mistake("affine-db-not-summed", dout, "b is added to every sample: db = dout.sum(axis=0), shape (M,)"),
         Mistake("affine-db-mean", dout.mean(axis=0), "db SUMS over the batch: dout.sum(axis=0), not the mean")),
    ), f"affine_backward(dout, x, W) for out = x @ W + b, x {x.shape}, W {W.shape}")


def relu_case(rng: np.random.Generator, n: int) -> LayerCase:
    x, dout = rng.normal(size=(n, 6)), rng.normal(size=(n, 6))
    x[np.abs(x) < 0.05] += 0.1  # no kink within reach of the central difference
    numeric = numeric_gradient(lambda v: float(np.sum(np.maximum(0, v) * dout)), x)
    return LayerCase("relu_backward", (dout, x), ("dx",), (numeric,), ((
        Mistake("relu-mask-from-dout", np.where(dout > 0, dout, 0.0),
                "the mask comes from the relu's INPUT x: dout * (x > 0); the sign of dout does not matter"),
        Mistake("missing-upstream-gradient", (x > 0).astype(float),
                "chain rule: multiply the mask by dout, the gradient flowing in from above"),
    ),), f"relu_backward(dout, x), x {x.shape}")


def sigmoid_case(rng: np.random.Generator, n: int) -> LayerCase:
    x, dout = rng.normal(scale=2.0, size=(n, 6)), rng.normal(size=(n, 6))
    out = sigmoid(x)
    numeric = numeric_gradient(lambda v: float(np.sum(sigmoid(v) * dout)), x)
    return LayerCase("sigmoid_backward", (dout, out), ("dx",), (numeric,), ((
        Mistake("sigmoid-derivative-of-output", dout * slope(sigmoid(out)), HINTS["sigmoid-derivative-of-output"]),
        Mistake("missing-upstream-gradient", slope(out), "chain rule: multiply out·(1 − out) by dout"),
    ),), f"sigmoid_backward(dout, out) with out = sigmoid(x), x {x.shape}")


def softmax_ce_case(rng: np.random.Generator, n: int) -> LayerCase:
    scores, t = rng.normal(scale=2.0, size=(n, 4)), rng.integers(0, 4, size=n)

    def loss(s: np.ndarray) -> float:  # mean cross-entropy, log-softmax with the row max subtracted
        shifted = s - s.max(axis=1, keepdims=True)
        return float(-np.mean(shifted[np.arange(n), t] - np.log(np.exp(shifted).sum(axis=1))))

    numeric = numeric_gradient(loss, scores)
    return LayerCase("softmax_cross_entropy_backward", (scores, t), ("dscores",), (numeric,), ((
        Mistake("softmax-ce-not-divided-by-n", n * numeric,
                "the loss is the MEAN over the batch: divide (softmax(scores) − T) by N"),
        Mistake("gradient-sign", -numeric, "∂L/∂scores = (softmax(scores) − T) / N: probabilities minus one-hot"),
        Mistake("softmax-ce-uses-scores", (scores - np.eye(4)[t]) / n,
                "subtract the one-hot from softmax(scores), the probabilities, not from the raw scores"),
    ),), f"softmax_cross_entropy_backward(scores, t), scores {scores.shape}, t integer labels")


LAYERS = {"affine": affine_case, "relu": relu_case, "sigmoid": sigmoid_case, "softmax_ce": softmax_ce_case}


def not_divided_by_n(want: np.ndarray) -> tuple[Mistake, ...]:
    """The softmax cross-entropy gradient of the summed loss: N times the mean's."""
    n = len(want) if np.ndim(want) == 2 else 1
    return (Mistake("softmax-ce-not-divided-by-n", n * want, "the loss is the MEAN over the batch: divide by N"),)


def check_layer(student: Any, expect: Checker, case: LayerCase, expected: tuple[Any, ...], against: str,
                **tolerance: float) -> None:
    got = student.call(case.function, *case.args).value
    values = parts(got, case.outputs, case.function) if len(case.outputs) > 1 else (got,)
    for name, value, want, mistakes in zip(case.outputs, values, expected, case.mistakes):
        expect_gradient(expect, value, want, what=f"{name} of {case.what}, against {against}", mistakes=mistakes,
                        **tolerance)


@pytest.mark.task("layer-backward")
@pytest.mark.parametrize("layer", list(LAYERS))
def test_layer_backward_matches_central_differences(student, expect, rng, layer):
    """Does each layer's backward pass agree with central differences of its forward pass on a random batch?"""
    case = LAYERS[layer](rng, 4)
    check_layer(student, expect, case, case.numeric, "central differences (h = 1e-5) of the forward pass")


# === hidden: random sizes and batches against the reference ======================================

SIZES = [(3, 4, 2), (4, 3, 3)]  # n_in, n_h, n_out: one non-square W_o, one square


def random_network(rng: np.random.Generator, sizes: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    n_in, n_h, n_out = sizes
    return (rng.normal(size=n_in), rng.uniform(0.05, 0.95, size=n_out),
            rng.normal(scale=0.8, size=(n_h, n_in)), rng.normal(scale=0.8, size=(n_out, n_h)))


def network_name(sizes: tuple[int, int, int]) -> str:
    return f"a random {'-'.join(map(str, sizes))} network"


def random_case(rng: np.random.Generator, sizes: tuple[int, int, int], reference: Any,
                lr: float = LR) -> tuple[tuple[np.ndarray, ...], dict[str, Any], list[Wrong]]:
    """(x, t, W_h, W_o), the reference's forward pass on them, and the known mistakes' values."""
    x, t, W_h, W_o = network = random_network(rng, sizes)
    forward = reference.mlp_forward(x, W_h, W_o)
    return network, forward, wrong_answers(x, t, W_h, W_o, forward["h"], forward["o"], lr)


@pytest.mark.task("random-sizes")
@pytest.mark.parametrize("sizes", SIZES, ids=network_name)
def test_forward_and_loss_on_random_sizes(student, expect, reference, rng, sizes):
    """Do mlp_forward and mse_loss work for any layer sizes?"""
    (x, t, W_h, W_o), want, wrong = random_case(rng, sizes, reference)
    got = student.mlp_forward(x, W_h, W_o)
    for key in FORWARD_KEYS:
        expect.close(entry(got, key, want[key].shape, "mlp_forward"), want[key], inputs=x,
                     what=f"mlp_forward(...)[{key!r}] for {network_name(sizes)}", mistakes=mistakes_at(wrong, key))
    expect.close(student.mse_loss(want["o"], t), reference.mse_loss(want["o"], t), inputs=(want["o"], t),
                 what=f"mse_loss(o, t) with {sizes[2]} outputs", mistakes=mistakes_at(wrong, "E_total"))


@pytest.mark.task("random-sizes")
@pytest.mark.parametrize("sizes", SIZES, ids=network_name)
def test_backward_on_random_sizes(student, expect, reference, rng, sizes):
    """Do the deltas match and dW_h, dW_o agree with central differences for any layer sizes?"""
    (x, t, W_h, W_o), _, wrong = random_case(rng, sizes, reference)
    want = reference.mlp_backward(x, t, W_h, W_o)
    numeric = {"dW_o": numeric_gradient(lambda V: network_loss(x, t, W_h, V), W_o),
               "dW_h": numeric_gradient(lambda V: network_loss(x, t, V, W_o), W_h)}
    got = student.mlp_backward(x, t, W_h, W_o)
    for key in BACKWARD_KEYS:
        expected, against = (numeric[key], "central differences") if key in numeric else (want[key], "the reference")
        expect_gradient(expect, entry(got, key, np.shape(expected), "mlp_backward"), expected,
                        what=f"mlp_backward(...)[{key!r}] for {network_name(sizes)}, against {against}",
                        mistakes=mistakes_at(wrong, key))


@pytest.mark.task("random-sizes")
@pytest.mark.parametrize("sizes", SIZES, ids=network_name)
def test_train_step_on_random_sizes(student, expect, reference, rng, sizes):
    """Does train_step (lr = 0.3) update every weight with the OLD output weights, for any layer sizes?"""
    (x, t, W_h, W_o), _, wrong = random_case(rng, sizes, reference, lr=0.3)
    got = parts(student.train_step(x, t, W_h, W_o, lr=0.3), ("W_h_new", "W_o_new", "loss"), "train_step")
    want = reference.train_step(x, t, W_h, W_o, lr=0.3)
    for index, key in ((1, "W_o_new"), (0, "W_h_new"), (2, "loss")):
        expect.close(got[index], want[index], what=f"{key} of train_step(..., lr=0.3) for {network_name(sizes)}",
                     mistakes=mistakes_at(wrong, key))


@pytest.mark.task("layer-batches")
@pytest.mark.parametrize("layer", list(LAYERS))
def test_layer_backward_matches_reference(student, expect, reference, rng, layer):
    """Does each layer's backward pass agree with the reference on a larger random batch?"""
    case = LAYERS[layer](rng, 9)
    want = getattr(reference, case.function)(*case.args)
    check_layer(student, expect, case, want if len(case.outputs) > 1 else (want,), "the reference",
                rtol=expect.rtol, atol=expect.atol)


@pytest.mark.task("layer-batches")
def test_relu_backward_is_zero_at_zero(student, expect):
    """Is relu_backward's gradient 0 where the input is exactly 0?"""
    x = np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.5]])
    expect.close(student.relu_backward(np.ones_like(x), x), (x > 0).astype(float), inputs=x,
                 what="relu_backward(dout = 1, x) with x = 0 at two places", mistakes=(
        Mistake("relu-grad-at-zero", (x >= 0).astype(float), "the gradient at x = 0 is taken as 0: use x > 0"),
        Mistake("relu-mask-from-dout", np.ones_like(x), "the mask comes from the relu's INPUT x: dout * (x > 0)"),
    ))


@pytest.mark.task("layer-batches")
@pytest.mark.parametrize("form", ["one-hot", "single-sample"])
def test_softmax_ce_backward_label_forms(student, expect, reference, rng, form):
    """Does softmax_cross_entropy_backward accept one-hot labels and a single 1-D sample?"""
    scores, t = rng.normal(size=(6, 5)), rng.integers(0, 5, size=6)
    args = (scores, np.eye(5)[t]) if form == "one-hot" else (scores[0], int(t[0]))
    want = reference.softmax_cross_entropy_backward(*args)
    expect.close(student.softmax_cross_entropy_backward(*args), want, mistakes=not_divided_by_n(want), inputs=args[1],
                 what=f"softmax_cross_entropy_backward with {form} labels, scores {args[0].shape}",
                 hint="turn integer labels into one-hot rows (np.eye(C)[t]); a 1-D scores vector is one sample, N = 1")


@pytest.mark.task("layer-batches")
def test_softmax_ce_backward_large_scores(student, expect, reference):
    """Does softmax_cross_entropy_backward stay finite and warning-free for scores near ±1000?"""
    scores, t = np.array([[1000.0, 990.0, -1000.0], [-1000.0, 0.0, 1000.0]]), np.array([0, 1])
    reply = student.call("softmax_cross_entropy_backward", scores, t)
    hint = "subtract each row's max from the scores before np.exp: softmax(a) = softmax(a − max(a))"
    expect.no_warnings(reply.warnings, what="softmax_cross_entropy_backward at scores ±1000", code="softmax-overflow",
                       hint=hint)
    want = reference.softmax_cross_entropy_backward(scores, t)
    expect.close(reply.value, want, inputs=scores, mistakes=not_divided_by_n(want),
                 what="softmax_cross_entropy_backward at scores ±1000", nonfinite_code="softmax-overflow",
                 nonfinite_hint=hint)
