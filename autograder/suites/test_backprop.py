"""Backprop: the chain rule by hand on the 2-2-2 network, then layer backward passes.

Worked examples §5, course note 002.

Public tests use the worked example's constants, the chain-rule formulas of course note 002
applied to them, and central differences of the judge's own small loss formulas on the
inputs the test hands to the student. Hidden tests compare with the reference on seeded
random sizes and batches.

Step tables: a test's own values decide its verdict; on a failure the student's values
from the earlier functions (mlp_forward, mse_loss, mlp_backward) are shown above them,
so the report marks the FIRST step of the worked example that differs.

Known mistakes come from autograder/mistakes/backprop.toml: the catalog's wrong
implementations run on each test's own input, and a failing value equal to one of
theirs is named, with the catalog's hint. Texts are in autograder/messages/backprop.toml.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest

from autograder.grading import catalog
from autograder.grading.compare import Checker, Feedback, Mismatch, Mistake, Step, expect_shape, plain, show
from autograder.grading.recorded import oracle
from autograder.i18n import t
from autograder.sandbox.process import StudentFault

CATALOG = catalog.load("backprop")

# --- worked examples §5: W_h = [[W1, W2], [W3, W4]], W_o = [[W5, W6], [W7, W8]], lr = 0.5 ---
X, T, LR = np.array([0.1, 0.2]), np.array([0.4, 0.6]), 0.5
W_H, W_O = np.array([[0.3, 0.25], [0.4, 0.35]]), np.array([[0.45, 0.4], [0.7, 0.6]])
EXAMPLE = {"x": X.tolist(), "t": T.tolist(), "W_h": W_H.tolist(), "W_o": W_O.tolist()}
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
STEP_KEYS = ("W_h_new", "W_o_new", "loss")  # what train_step returns, in order


def where() -> str:
    return t("backprop.worked-example")


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def slope(s: np.ndarray) -> np.ndarray:
    """The sigmoid's derivative from its output s: s(1 - s)."""
    return s * (1 - s)


def network_loss(x: np.ndarray, target: np.ndarray, W_h: np.ndarray, W_o: np.ndarray) -> float:
    """The judge's own formula: E = ½ Σ (t − sigmoid(W_o sigmoid(W_h x)))², t the target."""
    return float(0.5 * np.sum((target - sigmoid(W_o @ sigmoid(W_h @ x))) ** 2))


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


@oracle
def network_gradients(x: np.ndarray, target: np.ndarray, W_h: np.ndarray, W_o: np.ndarray) -> dict[str, np.ndarray]:
    """dW_o and dW_h by central differences of E = ½ Σ (t − o)²."""
    return {"dW_o": numeric_gradient(lambda V: network_loss(x, target, W_h, V), W_o),
            "dW_h": numeric_gradient(lambda V: network_loss(x, target, V, W_o), W_h)}


@oracle
def gradient_step(W: np.ndarray, dW: np.ndarray, lr: float) -> np.ndarray:
    """W − lr·∂E/∂W."""
    return W - lr * dW


# --- the judge's own network: what a catalogued wrong function calls in place of the student's others ---

def judge_forward(x: Any, W_h: Any, W_o: Any) -> dict[str, np.ndarray]:
    z_h = np.asarray(W_h) @ np.asarray(x)
    h = sigmoid(z_h)
    z_o = np.asarray(W_o) @ h
    return {"z_h": z_h, "h": h, "z_o": z_o, "o": sigmoid(z_o)}


def judge_loss(o: Any, target: Any) -> float:
    return float(0.5 * np.sum((np.asarray(target) - np.asarray(o)) ** 2))


def judge_backward(x: Any, target: Any, W_h: Any, W_o: Any,
                   sigmoid_backward: Callable[[Any, Any], Any] | None = None) -> dict[str, np.ndarray]:
    """Course note 002's chain rule, each δ = upstream gradient · the sigmoid's slope, taken by `sigmoid_backward`."""
    local = sigmoid_backward or (lambda dout, out: dout * slope(out))
    x, target, W_o = np.asarray(x), np.asarray(target), np.asarray(W_o)
    f = judge_forward(x, W_h, W_o)
    delta_o = local(f["o"] - target, f["o"])
    delta_h = local(W_o.T @ delta_o, f["h"])
    return {"delta_o": delta_o, "delta_h": delta_h, "dW_o": np.outer(delta_o, f["h"]), "dW_h": np.outer(delta_h, x)}


HELPERS = {"mlp_forward": judge_forward, "mse_loss": judge_loss, "mlp_backward": judge_backward}


# --- known mistakes of the network, as the values they give on the test's own input -------------

Known = dict[str, list[Mistake]]
"""Per result key (z_h ... o, E_o, E_total, loss, delta_o ... dW_h, W_o_new, W_h_new): the catalogued
mistakes' whole value of it; a step table cuts out one element."""


def _updated(W: np.ndarray, dW: Any, lr: float) -> np.ndarray | None:
    """W − lr·dW, or None for a gradient that cannot update W (a transposed dW of a non-square W)."""
    return W - lr * dW if np.shape(dW) == np.shape(W) else None


def known_mistakes(x: np.ndarray, target: np.ndarray, W_h: np.ndarray, W_o: np.ndarray, lr: float) -> Known:
    """Every catalogued mistake of mlp_forward, mse_loss, mlp_backward and train_step, run on this network.

    A mistake in an earlier function also shows in the later ones that use it: wrong gradients
    give wrong updated weights, a wrong mse_loss a wrong loss of train_step.
    """
    return defaultdict(list, known_values(x, target, W_h, W_o, lr))


@oracle
def known_values(x: np.ndarray, target: np.ndarray, W_h: np.ndarray, W_o: np.ndarray, lr: float) -> Known:
    """known_mistakes as a plain dict."""
    known: Known = defaultdict(list)
    _known_mistakes(known, x, target, W_h, W_o, lr)
    return dict(known)


def _known_mistakes(known: Known, x: np.ndarray, target: np.ndarray, W_h: np.ndarray, W_o: np.ndarray,
                    lr: float) -> None:

    def add(mistakes: Any, values: Callable[[Any], dict[str, Any]]) -> None:
        for mistake in mistakes:
            for key, value in values(mistake.value).items():
                if value is not None:
                    known[key].append(replace(mistake, value=value))

    # train_step's own mistakes first: a flipped δo gives the same W⁺ as update-sign, and it is named
    # earlier, at ∂E/∂W, in a step table
    add(CATALOG.on("train_step", x, target, W_h, W_o, lr, namespace=HELPERS), lambda v: dict(zip(STEP_KEYS, v)))
    # the update without any rate: W − ∂E/∂W
    right = judge_backward(x, target, W_h, W_o)
    if lr != 1.0:
        add([CATALOG.mistake("learning-rate-ignored", (W_h - right["dW_h"], W_o - right["dW_o"]))],
            lambda v: dict(zip(STEP_KEYS, v)))

    # wrong gradients: mlp_backward's own mistakes, and a student's wrong sigmoid_backward used inside it
    gradients = [*CATALOG.on("mlp_backward", x, target, W_h, W_o, namespace=HELPERS),
                 *(CATALOG.mistake(item.code, judge_backward(x, target, W_h, W_o, item.implementation()))
                   for item in CATALOG.mistakes.values() if item.function == "sigmoid_backward")]
    add(gradients, lambda g: {key: g[key] for key in BACKWARD_KEYS})
    add(gradients, lambda g: {"W_o_new": _updated(W_o, g["dW_o"], lr), "W_h_new": _updated(W_h, g["dW_h"], lr)})

    o = judge_forward(x, W_h, W_o)["o"]
    add(CATALOG.on("mse_loss", o, target), lambda v: {"E_total": v, "loss": v})
    per_output: dict[str, list[Any]] = defaultdict(list)  # E_o: mse_loss of each output alone
    for k in range(len(o)):
        for mistake in CATALOG.on("mse_loss", o[k:k + 1], target[k:k + 1]):
            per_output[mistake.code].append(mistake.value)
    known["E_o"] += [CATALOG.mistake(code, np.array(values)) for code, values in per_output.items()
                     if len(values) == len(o)]

    add(CATALOG.on("mlp_forward", x, W_h, W_o, namespace=HELPERS), lambda f: {k: f[k] for k in FORWARD_KEYS})
    # the sigmoid left out of the output layer only: o = z_o with the right h
    known["o"].append(CATALOG.mistake("activation-missing", judge_forward(x, W_h, W_o)["z_o"]))


_EXAMPLE_MISTAKES: dict[float, Known] = {}


def example_mistakes(lr: float = LR) -> Known:
    """known_mistakes of the worked example, computed once per learning rate."""
    if lr not in _EXAMPLE_MISTAKES:
        _EXAMPLE_MISTAKES[lr] = known_mistakes(X, T, W_H, W_O, lr)
    return _EXAMPLE_MISTAKES[lr]


def element(mistakes: list[Mistake], index: tuple[int, ...], shape: tuple[int, ...]) -> Sequence[Mistake]:
    """The mistakes' values at `index`, for those with the expected shape."""
    return tuple(replace(m, value=np.asarray(m.value)[index]) for m in mistakes if np.shape(m.value) == shape)


@oracle
def deltas() -> dict[str, np.ndarray]:
    """δo and δh of the worked example, from the table by course note 002's formulas."""
    delta_o = (TABLE["o"] - T) * slope(TABLE["o"])  # the seed's 0.20944600 × 0.23802157
    return {"delta_o": delta_o, "delta_h": (W_O.T @ delta_o) * slope(TABLE["h"])}


def table(key: str) -> Any:
    """The worked example's value of `key`."""
    return deltas()[key] if key in ("delta_o", "delta_h") else TABLE[key]


# --- reading the student's results ----------------------------------------------------------

def entry(result: Any, key: str, shape: tuple[int, ...], function: str) -> np.ndarray:
    """result[key] of a function that returns a dict, checked to be numbers of this shape."""
    what = f"{function}(...)[{key!r}]"
    if not isinstance(result, dict) or key not in result:
        keys = ", ".join(f"{k!r}: ..." for k in (FORWARD_KEYS if function == "mlp_forward" else BACKWARD_KEYS))
        raise Mismatch(Feedback(
            code="missing-key", message=t("backprop.missing-key", function=function, key=repr(key)), what=what,
            expected=t("backprop.a-dict", keys=keys),
            got=t("backprop.a-dict-with-keys", keys=sorted(result)) if isinstance(result, dict) else show(result),
            hint=t("backprop.missing-key-hint", function=function, keys=keys),
        ))
    return expect_shape(result[key], shape, what=what, hint=t("backprop.entry-shape-hint"))


def parts(result: Any, names: tuple[str, ...], function: str) -> tuple[Any, ...]:
    """The values of a function that returns a tuple (train_step, graph_example, affine_backward)."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        listed = ", ".join(names)
        raise Mismatch(Feedback(
            code="wrong-return", message=t("backprop.wrong-return", function=function, count=len(names), names=listed),
            what=t("backprop.what-it-returns", function=function), expected=t("backprop.a-tuple", names=listed),
            got=show(result), hint=t("backprop.wrong-return-hint", names=listed),
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
    "loss": lambda: t("backprop.label-loss"),  # looked up when the table is built, in the student's language
    "delta_o": lambda k: f"δo{k + 1} = (o{k + 1} − t{k + 1})·o{k + 1}(1 − o{k + 1})",
    "delta_h": lambda k: f"δh{k + 1} = (W{k + 5}·δo1 + W{k + 7}·δo2)·h{k + 1}(1 − h{k + 1})",
    "dW_o": lambda i, j: f"∂E/∂{weight(5, i, j)} = δo{i + 1}·h{j + 1}",
    "dW_h": lambda i, j: f"∂E/∂{weight(1, i, j)} = δh{i + 1}·x{j + 1}",
    "W_o_new": updated(5),
    "W_h_new": updated(1),
}


def rows(got: dict[str, Any], keys: tuple[str, ...], known: Known | None = None) -> list[Step]:
    """One Step per element of each key, labelled in the worked example's words, with its known mistakes."""
    known = example_mistakes() if known is None else known
    return [Step(LABELS[key](*index), np.asarray(got[key])[index], table(key)[index],
                 element(known.get(key, []), index, np.shape(table(key))))
            for key in keys for index in np.ndindex(np.shape(table(key)))]


def forward_steps(student: Any) -> list[Step]:
    result = student.mlp_forward(X, W_H, W_O)
    return rows({key: entry(result, key, (2,), "mlp_forward") for key in FORWARD_KEYS}, FORWARD_KEYS)


def total_loss_step(student: Any) -> list[Step]:
    return rows({"E_total": student.mse_loss(TABLE["o"], T)}, ("E_total",))


def backward_steps(student: Any, keys: tuple[str, ...] = ("delta_o", "dW_o", "delta_h", "dW_h")) -> list[Step]:
    result = student.mlp_backward(X, T, W_H, W_O)
    return rows({key: entry(result, key, np.shape(table(key)), "mlp_backward") for key in keys}, keys)


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


def expect_gradient(expect: Checker, got: Any, expected: Any, *, what: str, mistakes: Sequence[Mistake] = (),
                    **tolerance: float) -> None:
    """expect.close, and on failure the max relative error the way CS231n's gradient check reports it."""
    try:
        expect.close(got, expected, what=what, mistakes=mistakes, **(tolerance or GRADIENT_TOLERANCE))
    except Mismatch as mismatch:
        fb = mismatch.feedback
        if fb.code not in ("wrong-type", "returned-none") and _same_shape(got, expected):
            line = t("backprop.relative-error", error=f"{relative_error(got, expected):.2e}")
            fb = replace(fb, details=(*fb.details, line))
        raise Mismatch(fb) from None


# === public: the worked example ===================================================================

@pytest.mark.task("forward-pass")
def test_forward_pass_step_by_step(student, expect):
    """Does mlp_forward give z1, z2, h1, h2, z3, z4, o1, o2 of the worked example?"""
    expect.steps(forward_steps(student), what=t("backprop.what-forward", where=where()), inputs=EXAMPLE)


@pytest.mark.task("forward-pass")
def test_loss_per_output_and_total(student, expect):
    """Does mse_loss give E_o1, E_o2 (one output each) and E_total = ½ Σ (t − o)² as a float?"""
    o = TABLE["o"]
    singles = [student.mse_loss(o[k:k + 1], T[k:k + 1]) for k in range(2)]
    total = expect_shape(student.mse_loss(o, T), (), what="mse_loss(o, t)", hint=t("backprop.loss-float-hint"))
    got = {"E_o": [expect_shape(e, (), what=t("backprop.what-loss-one-output")) for e in singles], "E_total": total}
    expect.steps(rows(got, ("E_o", "E_total")), what=t("backprop.what-loss", o=o.tolist(), t=T.tolist()),
                 inputs=EXAMPLE)


@pytest.mark.task("gradients")
def test_backward_pass_step_by_step(student, expect):
    """Does mlp_backward give δo, ∂E/∂W5..W8, δh and ∂E/∂W1..W4 (worked examples §5), first difference marked?"""
    expect_walkthrough(expect, backward_steps(student), lambda: forward_steps(student),
                       what=t("backprop.what-backward", where=where()))


@pytest.mark.task("gradients")
def test_backward_matches_central_differences(student, expect):
    """Do dW_h and dW_o agree with central differences of E = ½ Σ (t − o)² on the worked example?"""
    result = student.mlp_backward(X, T, W_H, W_O)
    numeric = network_gradients(X, T, W_H, W_O)
    for key, W in (("dW_o", W_O), ("dW_h", W_H)):
        expect_gradient(expect, entry(result, key, W.shape, "mlp_backward"), numeric[key],
                        what=t("backprop.what-backward-numeric", key=repr(key), where=where()),
                        mistakes=tuple(example_mistakes()[key]))


@pytest.mark.task("train-step")
def test_train_step_walks_the_worked_example(student, expect):
    """Does one train_step (lr = 0.5) give W5⁺..W8⁺, W1⁺..W4⁺ and the loss before the step?"""
    W_h_new, W_o_new, loss = parts(student.train_step(X, T, W_H, W_O, 0.5), STEP_KEYS, "train_step")
    got = {"W_o_new": expect_shape(W_o_new, (2, 2), what="W_o_new"),
           "W_h_new": expect_shape(W_h_new, (2, 2), what="W_h_new"), "loss": expect_shape(loss, (), what="loss")}
    expect_walkthrough(expect, rows(got, ("W_o_new", "W_h_new", "loss")), lambda: forward_steps(student),
                       lambda: total_loss_step(student), lambda: backward_steps(student, ("dW_o", "dW_h")),
                       what=t("backprop.what-train-step", where=where()))


@pytest.mark.task("train-step")
def test_train_step_uses_the_learning_rate(student, expect):
    """Does train_step with lr = 0.1 move every weight by 0.1·∂E/∂W (the worked example's gradients)?"""
    got = parts(student.train_step(X, T, W_H, W_O, lr=0.1), STEP_KEYS, "train_step")
    known = example_mistakes(0.1)
    for value, W, key in ((got[1], W_O, "dW_o"), (got[0], W_H, "dW_h")):
        expect.close(value, gradient_step(W, TABLE[key], 0.1), inputs=EXAMPLE,
                     what=t("backprop.what-lr", layer=key[-1], where=where()),
                     mistakes=tuple(known[f"W_{key[-1]}_new"]))
    # the loss before the step does not depend on lr: the worked example's
    expect.close(got[2], TABLE["loss"], what="loss_before = train_step(x, t, W_h, W_o, lr=0.1)[2]", inputs=EXAMPLE,
                 mistakes=tuple(known.get("loss", ())))


# === public: the computational graph and the layer passes ========================================

@pytest.mark.task("layer-backward")
def test_graph_example(student, expect):
    """Does graph_example(-2, 5, -4) multiply local gradients backwards to (-12, -4, -4, 3)?"""
    got = parts(student.graph_example(-2, 5, -4), ("f", "df_dx", "df_dy", "df_dz"), "graph_example")
    expect.close(got, (-12, -4, -4, 3), what=t("backprop.what-graph"), inputs=(-2, 5, -4),
                 mistakes=CATALOG.on("graph_example", -2, 5, -4))


@dataclass(frozen=True)
class LayerCase:
    """A layer's backward pass on a seeded random batch, with the judge's numeric gradients."""

    function: str
    args: tuple[Any, ...]
    outputs: tuple[str, ...]
    numeric: tuple[np.ndarray, ...]
    """Central differences of the judge's loss, one per output."""
    mistakes: tuple[Sequence[Mistake], ...]
    """The catalogued mistakes' values of each output, on these args."""
    what: str


@oracle
def affine_numeric(dout: np.ndarray, x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    def loss(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> float:  # L = Σ out·dout, so ∂L/∂out = dout
        return float(np.sum((x @ W + b) * dout))

    return (numeric_gradient(lambda v: loss(v, W, b), x), numeric_gradient(lambda v: loss(x, v, b), W),
            numeric_gradient(lambda v: loss(x, W, v), b))


def affine_case(rng: np.random.Generator, n: int) -> LayerCase:
    x, W, b, dout = (rng.normal(size=s) for s in ((n, 3), (3, 5), (5,), (n, 5)))
    return LayerCase("affine_backward", (dout, x, W), ("dx", "dW", "db"), affine_numeric(dout, x, W, b),
                     tuple(CATALOG.on("affine_backward", dout, x, W, part=i) for i in range(3)),
                     t("backprop.what-affine", x=x.shape, W=W.shape))


@oracle
def relu_numeric(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    return numeric_gradient(lambda v: float(np.sum(np.maximum(0, v) * dout)), x)


@oracle
def sigmoid_numeric(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    return numeric_gradient(lambda v: float(np.sum(sigmoid(v) * dout)), x)


@oracle
def sigmoid_output(x: np.ndarray) -> np.ndarray:
    return sigmoid(x)


@oracle
def sigmoid_backward_mistakes(dout: np.ndarray, out: np.ndarray) -> tuple[Mistake, ...]:
    # the catalog's missing-upstream-gradient is written for relu_backward; for the sigmoid it is out·(1 − out)
    return (*CATALOG.on("sigmoid_backward", dout, out), CATALOG.mistake("missing-upstream-gradient", slope(out)))


def relu_case(rng: np.random.Generator, n: int) -> LayerCase:
    x, dout = rng.normal(size=(n, 6)), rng.normal(size=(n, 6))
    x[np.abs(x) < 0.05] += 0.1  # no kink within reach of the central difference
    return LayerCase("relu_backward", (dout, x), ("dx",), (relu_numeric(dout, x),),
                     (CATALOG.on("relu_backward", dout, x),), f"relu_backward(dout, x), x {x.shape}")


def sigmoid_case(rng: np.random.Generator, n: int) -> LayerCase:
    x, dout = rng.normal(scale=2.0, size=(n, 6)), rng.normal(size=(n, 6))
    out = sigmoid_output(x)
    return LayerCase("sigmoid_backward", (dout, out), ("dx",), (sigmoid_numeric(dout, x),),
                     (sigmoid_backward_mistakes(dout, out),),
                     t("backprop.what-sigmoid", x=x.shape))


@oracle
def softmax_ce_numeric(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    n = len(scores)

    def loss(s: np.ndarray) -> float:  # mean cross-entropy, log-softmax with the row max subtracted
        shifted = s - s.max(axis=1, keepdims=True)
        return float(-np.mean(shifted[np.arange(n), labels] - np.log(np.exp(shifted).sum(axis=1))))

    return numeric_gradient(loss, scores)


def softmax_ce_case(rng: np.random.Generator, n: int) -> LayerCase:
    scores, labels = rng.normal(scale=2.0, size=(n, 4)), rng.integers(0, 4, size=n)
    return LayerCase("softmax_cross_entropy_backward", (scores, labels), ("dscores",),
                     (softmax_ce_numeric(scores, labels),),
                     (CATALOG.on("softmax_cross_entropy_backward", scores, labels),),
                     t("backprop.what-softmax-ce", scores=scores.shape))


LAYERS = {"affine": affine_case, "relu": relu_case, "sigmoid": sigmoid_case, "softmax_ce": softmax_ce_case}


def check_layer(student: Any, expect: Checker, case: LayerCase, expected: tuple[Any, ...], against: str,
                **tolerance: float) -> None:
    got = student.call(case.function, *case.args).value
    values = parts(got, case.outputs, case.function) if len(case.outputs) > 1 else (got,)
    for name, value, want, mistakes in zip(case.outputs, values, expected, case.mistakes):
        expect_gradient(expect, value, want, what=t("backprop.what-layer", name=name, case=case.what, against=against),
                        mistakes=mistakes, **tolerance)


@pytest.mark.task("layer-backward")
@pytest.mark.parametrize("layer", list(LAYERS))
def test_layer_backward_matches_central_differences(student, expect, rng, layer):
    """Does each layer's backward pass agree with central differences of its forward pass on a random batch?"""
    case = LAYERS[layer](rng, 4)
    check_layer(student, expect, case, case.numeric, t("backprop.against-numeric-forward"))


# === hidden: random sizes and batches against the reference ======================================

SIZES = [(3, 4, 2), (4, 3, 3)]  # n_in, n_h, n_out: one non-square W_o, one square


def random_network(rng: np.random.Generator, sizes: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    n_in, n_h, n_out = sizes
    return (rng.normal(size=n_in), rng.uniform(0.05, 0.95, size=n_out),
            rng.normal(scale=0.8, size=(n_h, n_in)), rng.normal(scale=0.8, size=(n_out, n_h)))


def network_id(sizes: tuple[int, int, int]) -> str:
    """The test id: part of the test's name, so fixed English (ids are made at import time)."""
    return f"a random {'-'.join(map(str, sizes))} network"


def network_name(sizes: tuple[int, int, int]) -> str:
    return t("backprop.random-network", sizes="-".join(map(str, sizes)))


def random_case(rng: np.random.Generator, sizes: tuple[int, int, int], reference: Any,
                lr: float = LR) -> tuple[tuple[np.ndarray, ...], dict[str, Any], Known]:
    """(x, t, W_h, W_o), the reference's forward pass on them, and the known mistakes' values."""
    x, target, W_h, W_o = network = random_network(rng, sizes)
    forward = reference.mlp_forward(x, W_h, W_o)
    return network, forward, known_mistakes(x, target, W_h, W_o, lr)


@pytest.mark.task("random-sizes")
@pytest.mark.parametrize("sizes", SIZES, ids=network_id)
def test_forward_and_loss_on_random_sizes(student, expect, reference, rng, sizes):
    """Do mlp_forward and mse_loss work for any layer sizes?"""
    (x, target, W_h, W_o), want, known = random_case(rng, sizes, reference)
    got = student.mlp_forward(x, W_h, W_o)
    for key in FORWARD_KEYS:
        expect.close(entry(got, key, want[key].shape, "mlp_forward"), want[key], inputs=x,
                     what=t("backprop.what-forward-random", key=repr(key), network=network_name(sizes)),
                     mistakes=tuple(known[key]))
    expect.close(student.mse_loss(want["o"], target), reference.mse_loss(want["o"], target),
                 inputs=(want["o"], target),
                 what=t("backprop.what-loss-random", n=sizes[2]), mistakes=tuple(known["E_total"]))


@pytest.mark.task("random-sizes")
@pytest.mark.parametrize("sizes", SIZES, ids=network_id)
def test_backward_on_random_sizes(student, expect, reference, rng, sizes):
    """Do the deltas match and dW_h, dW_o agree with central differences for any layer sizes?"""
    (x, target, W_h, W_o), _, known = random_case(rng, sizes, reference)
    want = reference.mlp_backward(x, target, W_h, W_o)
    numeric = {"dW_o": numeric_gradient(lambda V: network_loss(x, target, W_h, V), W_o),
               "dW_h": numeric_gradient(lambda V: network_loss(x, target, V, W_o), W_h)}
    got = student.mlp_backward(x, target, W_h, W_o)
    for key in BACKWARD_KEYS:
        expected, against = ((numeric[key], t("backprop.against-numeric")) if key in numeric
                             else (want[key], t("backprop.against-reference")))
        expect_gradient(expect, entry(got, key, np.shape(expected), "mlp_backward"), expected,
                        what=t("backprop.what-backward-random", key=repr(key), network=network_name(sizes),
                               against=against),
                        mistakes=tuple(known[key]))


@pytest.mark.task("random-sizes")
@pytest.mark.parametrize("sizes", SIZES, ids=network_id)
def test_train_step_on_random_sizes(student, expect, reference, rng, sizes):
    """Does train_step (lr = 0.3) update every weight with the OLD output weights, for any layer sizes?"""
    (x, target, W_h, W_o), _, known = random_case(rng, sizes, reference, lr=0.3)
    got = parts(student.train_step(x, target, W_h, W_o, lr=0.3), STEP_KEYS, "train_step")
    want = reference.train_step(x, target, W_h, W_o, lr=0.3)
    for index, key in ((1, "W_o_new"), (0, "W_h_new"), (2, "loss")):
        expect.close(got[index], want[index], what=t("backprop.what-train-step-random", key=key,
                                                     network=network_name(sizes)),
                     mistakes=tuple(known[key]))


@pytest.mark.task("layer-batches")
@pytest.mark.parametrize("layer", list(LAYERS))
def test_layer_backward_matches_reference(student, expect, reference, rng, layer):
    """Does each layer's backward pass agree with the reference on a larger random batch?"""
    case = LAYERS[layer](rng, 9)
    want = getattr(reference, case.function)(*case.args)
    check_layer(student, expect, case, want if len(case.outputs) > 1 else (want,), t("backprop.against-reference"),
                rtol=expect.rtol, atol=expect.atol)


@pytest.mark.task("layer-batches")
def test_relu_backward_is_zero_at_zero(student, expect):
    """Is relu_backward's gradient 0 where the input is exactly 0?"""
    x = np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.5]])
    dout = np.ones_like(x)
    expect.close(student.relu_backward(dout, x), (x > 0).astype(float), inputs=x,
                 what=t("backprop.what-relu-zero"), mistakes=CATALOG.on("relu_backward", dout, x))


def label_form(form: str) -> str:
    return t("backprop.label-form-one-hot") if form == "one-hot" else t("backprop.label-form-single-sample")


@pytest.mark.task("layer-batches")
@pytest.mark.parametrize("form", ["one-hot", "single-sample"])
def test_softmax_ce_backward_label_forms(student, expect, reference, rng, form):
    """Does softmax_cross_entropy_backward accept one-hot labels and a single 1-D sample?"""
    scores, labels = rng.normal(size=(6, 5)), rng.integers(0, 5, size=6)
    args = (scores, np.eye(5)[labels]) if form == "one-hot" else (scores[0], int(labels[0]))
    want = reference.softmax_cross_entropy_backward(*args)
    expect.close(student.softmax_cross_entropy_backward(*args), want, inputs=args[1],
                 mistakes=CATALOG.on("softmax_cross_entropy_backward", *args),
                 what=t("backprop.what-label-form", form=label_form(form), scores=args[0].shape),
                 hint=t("backprop.label-form-hint"))


@pytest.mark.task("layer-batches")
def test_softmax_ce_backward_large_scores(student, expect, reference):
    """Does softmax_cross_entropy_backward stay finite and warning-free for scores near ±1000?"""
    scores, labels = np.array([[1000.0, 990.0, -1000.0], [-1000.0, 0.0, 1000.0]]), np.array([0, 1])
    reply = student.call("softmax_cross_entropy_backward", scores, labels)
    hint = CATALOG["softmax-overflow"].hint_text()
    what = t("backprop.what-large-scores")
    expect.no_warnings(reply.warnings, what=what, code="softmax-overflow", hint=hint)
    want = reference.softmax_cross_entropy_backward(scores, labels)
    expect.close(reply.value, want, inputs=scores,
                 mistakes=CATALOG.on("softmax_cross_entropy_backward", scores, labels),
                 what=what, nonfinite_code="softmax-overflow", nonfinite_hint=hint)


@pytest.mark.task("random-sizes")
def test_plain_python_lists(student, expect, reference):
    """Do mlp_forward, mse_loss, mlp_backward and train_step take the worked example as plain Python lists?"""
    args = plain((X, T, W_H, W_O))
    got = student.mlp_forward(args[0], args[2], args[3])
    want = reference.mlp_forward(X, W_H, W_O)
    for key in FORWARD_KEYS:
        expect.close(entry(got, key, want[key].shape, "mlp_forward"), want[key], inputs=EXAMPLE,
                     what=t("core.all-plain-lists", call=f"mlp_forward(x, W_h, W_o)[{key!r}]"))
    expect.close(student.mse_loss(plain(want["o"]), args[1]), reference.mse_loss(want["o"], T), inputs=EXAMPLE,
                 what=t("core.all-plain-lists", call="mse_loss(o, t)"))
    got = student.mlp_backward(*args)
    want = reference.mlp_backward(X, T, W_H, W_O)
    for key in BACKWARD_KEYS:
        expect.close(entry(got, key, want[key].shape, "mlp_backward"), want[key], inputs=EXAMPLE,
                     what=t("core.all-plain-lists", call=f"mlp_backward(x, t, W_h, W_o)[{key!r}]"))
    got = parts(student.train_step(*args, lr=0.5), STEP_KEYS, "train_step")
    for index, value in enumerate(reference.train_step(X, T, W_H, W_O, lr=0.5)):
        expect.close(got[index], value, inputs=EXAMPLE,
                     what=t("core.all-plain-lists", call=f"train_step(x, t, W_h, W_o)[{index}]"))


@pytest.mark.task("layer-batches")
@pytest.mark.parametrize("layer", list(LAYERS))
def test_layer_backward_of_plain_python_lists(student, expect, reference, rng, layer):
    """Does each layer's backward pass take plain Python lists (labels too), as np.asarray does?"""
    case = LAYERS[layer](rng, 3)
    want = getattr(reference, case.function)(*case.args)
    want = want if len(case.outputs) > 1 else (want,)
    got = student.call(case.function, *plain(case.args)).value
    got = parts(got, case.outputs, case.function) if len(case.outputs) > 1 else (got,)
    for name, value, expected in zip(case.outputs, got, want):
        expect.close(value, expected, what=t("core.all-plain-lists", call=f"{case.function}(...)[{name!r}]"),
                     inputs=plain(case.args[0]))
