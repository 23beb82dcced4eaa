"""Hints on the right function, measured on the mistakes students really make.

Each entry of CORPUS is one wrong function written the way students write it (the
seeds' code as printed, first-lesson scalar code, old MNIST loaders, ...), patched
into the reference solution so the file makes that one mistake. Graded, it must

- get, on at least one failing test, a message naming the actual problem (the code
  listed with it: a catalogued mistake or a specific warning code, never a bare
  `exception` or `value-mismatch`), for at least 9 in 10 of the entries; and
- never show, on any failing test, a catalogued code that is a mistake of another
  function than the one it broke (or a function using it).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

from autograder.grading import catalog, scope
from autograder.grading.catalog import patched_source


@dataclass(frozen=True)
class Wrong:
    exercise: str
    function: str
    names: tuple[str, ...]
    """The codes that name this mistake (any one of them, on any failing test, is a hit)."""
    source: str


CORPUS = [
    # --- the raw-exception cases of issue item 5 ---------------------------------------------
    Wrong("activations", "step", ("step-scalar-if",), '''
def step(x):
    if x > 0:
        return 1
    else:
        return 0
'''),
    Wrong("activations", "relu", ("relu-scalar-if",), '''
def relu(x):
    if x > 0:
        return x
    else:
        return 0.0
'''),
    Wrong("activations", "relu_grad", ("zeros-of-array",), '''
def relu_grad(x):
    grad = np.zeros(x)
    grad[x >= 0] = 1
    return grad
'''),
    Wrong("backprop", "relu_backward", ("zeros-of-array",), '''
def relu_backward(dout, x):
    dx = np.zeros(x)
    mask = x > 0
    dx[mask] = dout[mask]
    return dx
'''),
    Wrong("mnist", "load_idx", ("fromstring-removed",), '''
import gzip, struct

def load_idx(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\\x1f\\x8b":
        data = gzip.decompress(data)
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.fromstring(data[4 + 4 * ndim:], dtype=np.uint8).reshape(shape)
'''),
    Wrong("mnist", "load_idx", ("idx-always-gunzip",), '''
import gzip

def load_idx(path):
    with gzip.open(path, "rb") as f:
        magic = int.from_bytes(f.read(4), "big")
        ndim = magic & 0xFF
        shape = tuple(int.from_bytes(f.read(4), "big") for _ in range(ndim))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(shape)
'''),
    Wrong("mnist", "load_idx", ("idx-gzip-read-as-raw",), '''
import struct

def load_idx(path):
    with open(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        if magic == 2049:
            n = struct.unpack(">I", f.read(4))[0]
            return np.frombuffer(f.read(), dtype=np.uint8, count=n)
        if magic == 2051:
            n, rows, cols = struct.unpack(">III", f.read(12))
            return np.frombuffer(f.read(), dtype=np.uint8).reshape(n, rows, cols)
        raise ValueError(f"bad magic number: {magic}")
'''),
    Wrong("softmax", "cross_entropy_error", ("cross-entropy-int-label",), '''
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
'''),
    Wrong("softmax", "softmax", ("softmax-whole-batch",), '''
def softmax(a):
    c = np.max(a)
    exp_a = np.exp(a - c)
    sum_exp_a = np.sum(exp_a)
    return exp_a / sum_exp_a
'''),
    Wrong("softmax", "softmax", ("softmax-batch-axis-on-one-sample",), '''
def softmax(a):
    a = np.asarray(a)
    exp_a = np.exp(a - a.max(axis=1, keepdims=True))
    return exp_a / exp_a.sum(axis=1, keepdims=True)
'''),
    Wrong("backprop", "softmax_cross_entropy_backward", ("softmax-ce-one-sample",), '''
def softmax_cross_entropy_backward(scores, t):
    x = scores - np.max(scores, axis=-1, keepdims=True)
    y = np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)
    batch_size = t.shape[0]
    if t.size == y.size:
        dx = (y - t) / batch_size
    else:
        dx = y.copy()
        dx[np.arange(batch_size), t] -= 1
        dx = dx / batch_size
    return dx
'''),
    # --- warnings, named by what raised them ------------------------------------------------
    Wrong("activations", "sigmoid", ("sigmoid-overflow",), '''
def sigmoid(x):
    return 1 / (1 + np.exp(-x))
'''),
    Wrong("activations", "sigmoid", ("sigmoid-overflow",), '''
def sigmoid(x):
    return np.exp(x) / (1 + np.exp(x))
'''),
    Wrong("activations", "tanh", ("tanh-overflow",), '''
def tanh(x):
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
'''),
    Wrong("activations", "sigmoid_grad", ("divide-by-zero", "invalid-value", "overflow-in-exp"), '''
def sigmoid_grad(x):
    s = sigmoid(x)
    odds = s / (1 - s)          # e^x, read back from the sigmoid
    return odds / (1 + odds) ** 2
'''),
    Wrong("softmax", "softmax", ("softmax-overflow",), '''
def softmax(a):
    exp_a = np.exp(a)
    return exp_a / np.sum(exp_a, axis=-1, keepdims=True)
'''),
    Wrong("softmax", "log_softmax", ("log-of-softmax",), '''
def log_softmax(a):
    return np.log(softmax(a))
'''),
    Wrong("softmax", "cross_entropy_error", ("cross-entropy-missing-epsilon", "divide-by-zero-in-log"), '''
def cross_entropy_error(y, t):
    y, t = np.asarray(y), np.asarray(t)
    if y.ndim == 1:
        y, t = y[None], t.reshape(1, -1) if t.shape == y.shape else t.reshape(1)
    if t.shape == y.shape:
        t = t.argmax(axis=1)
    return -np.sum(np.log(y[np.arange(len(y)), t])) / len(y)
'''),
    Wrong("mnist", "predict", ("exp-overflow",), '''
def predict(network, x):
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))
    W1, W2, W3 = network["W1"], network["W2"], network["W3"]
    b1, b2, b3 = network["b1"], network["b2"], network["b3"]
    a = sigmoid(np.dot(x, W1) + b1)
    a = sigmoid(np.dot(a, W2) + b2)
    return _softmax(np.dot(a, W3) + b3)
'''),
    # --- common value mistakes, per exercise ------------------------------------------------
    Wrong("activations", "step", ("bool-not-int",), '''
def step(x):
    return np.asarray(x) > 0
'''),
    Wrong("activations", "step", ("numpy-alias-removed",), '''
def step(x):
    y = x > 0
    return y.astype(np.int)
'''),
    Wrong("activations", "leaky_relu", ("leaky-relu-alpha-ignored",), '''
def leaky_relu(x, alpha=0.01):
    return np.where(x > 0, x, 0.01 * x)
'''),
    Wrong("activations", "sigmoid_grad", ("sigmoid-grad-of-x",), '''
def sigmoid_grad(x):
    return x * (1 - x)
'''),
    Wrong("activations", "tanh_grad", ("tanh-grad-missing-square",), '''
def tanh_grad(x):
    return 1 - np.tanh(x)
'''),
    Wrong("activations", "relu_grad", ("relu-grad-at-zero",), '''
def relu_grad(x):
    return np.where(x >= 0, 1.0, 0.0)
'''),
    Wrong("softmax", "cross_entropy_error", ("cross-entropy-no-batch-mean",), '''
def cross_entropy_error(y, t):
    y, t = np.asarray(y), np.asarray(t)
    if t.shape != y.shape:
        t = np.eye(y.shape[-1])[t]
    return -np.sum(t * np.log(y + 1e-7))
'''),
    Wrong("softmax", "mean_squared_error", ("mse-missing-half",), '''
def mean_squared_error(y, t):
    y, t = np.asarray(y), np.asarray(t)
    n = y.shape[0] if y.ndim == 2 else 1
    return np.sum((y - t) ** 2) / n
'''),
    Wrong("backprop", "relu_backward", ("relu-mask-from-dout",), '''
def relu_backward(dout, x):
    return dout * (dout > 0)
'''),
    Wrong("backprop", "affine_backward", ("affine-db-not-summed",), '''
def affine_backward(dout, x, W):
    dx = np.dot(dout, W.T)
    dW = np.dot(x.T, dout)
    db = dout
    return dx, dW, db
'''),
    Wrong("backprop", "mse_loss", ("loss-missing-half",), '''
def mse_loss(o, t):
    return float(np.sum((np.asarray(t) - np.asarray(o)) ** 2))
'''),
    Wrong("backprop", "train_step", ("update-sign",), '''
def train_step(x, t, W_h, W_o, lr=0.5):
    loss = mse_loss(mlp_forward(x, W_h, W_o)["o"], t)
    g = mlp_backward(x, t, W_h, W_o)
    return np.asarray(W_h) + lr * g["dW_h"], np.asarray(W_o) + lr * g["dW_o"], loss
'''),
    Wrong("mnist", "load_idx", ("idx-header-little-endian",), '''
import gzip

def load_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\\x1f\\x8b":
        data = gzip.decompress(data)
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "little") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)
'''),
    Wrong("forward", "dense", ("dense-transposed",), '''
def dense(x, W, b):
    return np.dot(W, x) + b
'''),
    Wrong("forward", "dense", ("dense-missing-bias",), '''
def dense(x, W, b):
    return np.dot(x, W)
'''),
    Wrong("gates", "perceptron", ("perceptron-boundary",), '''
def perceptron(x, w, b):
    y = (np.asarray(x) @ np.asarray(w) + b >= 0).astype(np.int64)
    return int(y) if y.ndim == 0 else y
'''),
    Wrong("gates", "XOR", ("xor-is-or",), '''
def XOR(x1, x2):
    return OR(x1, x2)
'''),
]

def _owners() -> dict[str, set[str]]:
    """Every catalogued code, and the functions it is a mistake of (over every exercise)."""
    owners: dict[str, set[str]] = {}
    for exercise in catalog.exercises():
        for mistake in catalog.load(exercise).mistakes.values():
            owners.setdefault(mistake.code, set()).update(mistake.functions)
    return owners


def test_the_corpus_is_large_enough_and_names_only_catalogued_or_specific_codes():
    assert len(CORPUS) >= 30
    owners = _owners()
    for wrong in CORPUS:
        assert set(wrong.names) <= set(owners) | {"divide-by-zero", "invalid-value", "overflow-in-exp",
                                                  "divide-by-zero-in-log"}, wrong.names


ISSUE_EXAMPLES = CORPUS[:11]
"""The raw-exception cases the issue names: graded in the fast loop too."""


def grade_corpus(entries: list[Wrong], grade, course, tmp_path: Path) -> tuple[int, list[str], list[str]]:
    """How many entries get a failure naming their problem, the ones that do not, and foreign codes shown."""
    owners = _owners()
    named, misses, foreign = 0, [], []
    for i, wrong in enumerate(entries):
        exercise = course.exercise(wrong.exercise)
        folder = tmp_path / f"{i:02d}-{wrong.function}"
        folder.mkdir()
        source = (ROOT / "solutions" / f"{exercise.module}.py").read_text(encoding="utf-8")
        (folder / f"{exercise.module}.py").write_text(patched_source(source, wrong.source), encoding="utf-8")
        card = grade(folder, exercise.id)
        assert not card.internal_errors, card.internal_errors
        failing = [x for x in card.tests if x.status not in ("passed", "not-run")]
        assert failing, f"{wrong.function} ({wrong.names[0]}): no test failed"
        codes = {x.code for x in failing}
        if codes & set(wrong.names):
            named += 1
        else:
            misses.append(f"{wrong.exercise}.{wrong.function} ({wrong.names[0]}): got {sorted(codes)}")
        uses = catalog.load(wrong.exercise).uses
        related = scope.closure({wrong.function}, uses) | {f for f, calls in uses.items() if wrong.function in calls}
        for x in failing:
            if x.code in owners and not owners[x.code] & related:
                foreign.append(f"{wrong.function} broken, {x.name} shows {x.code} (a mistake of "
                               f"{', '.join(sorted(owners[x.code]))})")
    return named, misses, foreign


@pytest.mark.slow  # eleven gradings; the raises mechanism itself has fast unit tests in test_catalog
def test_the_issues_raw_exception_cases_are_named(grade, course, tmp_path: Path):
    """Is every raw-exception case of the issue named by its catalogued mistake, on its own function only?"""
    named, misses, foreign = grade_corpus(ISSUE_EXAMPLES, grade, course, tmp_path)
    assert not foreign, "\n".join(foreign)
    assert named == len(ISSUE_EXAMPLES), "\n".join(misses)


@pytest.mark.slow
def test_failing_functions_get_hints_about_themselves(grade, course, tmp_path: Path, capsys):
    """>= 9 in 10 wrong functions get a message naming their problem; none a catalogued code of another function."""
    named, misses, foreign = grade_corpus(CORPUS, grade, course, tmp_path)
    ratio = named / len(CORPUS)
    with capsys.disabled():
        print(f"\nhint coverage: {named}/{len(CORPUS)} failing functions named ({ratio:.0%})")
        for miss in misses:
            print(f"  not named: {miss}")
    assert not foreign, "\n".join(foreign)
    assert ratio >= 0.9, "\n".join(misses)


@pytest.mark.parametrize("message,code", [
    ("overflow encountered in exp", "overflow-in-exp"),
    ("divide by zero encountered in log", "divide-by-zero-in-log"),
    ("divide by zero encountered in divide", "divide-by-zero"),
    ("invalid value encountered in divide", "invalid-value"),
    ("overflow encountered in multiply", "overflow"),
    ("something else", "runtime-warning"),
])
def test_a_warning_is_named_by_what_raised_it(message, code):
    from autograder.grading.compare import warning_code
    assert warning_code(message) == code
