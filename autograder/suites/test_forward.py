"""The forward pass: dense layers x @ W + b, each followed by an activation.

Worked examples §3; course notes 000, 003, 004.

Public tests use the worked example's constants, the note-004 weights rebuilt by the
formula init_params is specified with (np.random.seed once, then randn(n_in, n_out)
layer by layer) and small formulas applied to them; hidden tests compare with the
reference solution on seeded random networks.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from autograder.grading import catalog
from autograder.grading.compare import Feedback, Mismatch, Mistake, Step, plain, show
from autograder.grading.plugin import Call
from autograder.grading.recorded import oracle
from autograder.i18n import t
from autograder.sandbox.process import StudentFault

CATALOG = catalog.load("forward")

X004 = np.array([3.0, 1.0, 5.5])
Z004 = np.array([0.65920113, 0.24814855, 0.4678542, 1.45698267])  # hidden pre-activation of course note 004
Y004 = {
    "sigmoid": np.array([0.19235057, -0.05512534]),
    "leaky_relu": np.array([0.17669663, -0.11773777]),
    "swish": np.array([0.1192278, -0.09689423]),
}
X_TEXTBOOK = np.array([1.0, 0.5])
Y_TEXTBOOK = np.array([0.31682708, 0.69627909])


# Named networks in the student's language; functions, not constants, because the language is chosen per run.
def note_004() -> str:
    return t("forward.note-004")


def classic() -> str:
    return t("forward.classic")


@oracle
def classic_network():
    """The classic network's (W, b) of each layer: what textbook_network() must return."""
    return [
        (np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]), np.array([0.1, 0.2, 0.3])),
        (np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]), np.array([0.1, 0.2])),
        (np.array([[0.1, 0.3], [0.2, 0.4]]), np.array([0.1, 0.2])),
    ]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


ACTIVATION = {  # formulas of worked examples §2 and §4, for expected values and known mistakes
    "step": lambda z: (z > 0).astype(float),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(0, z),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "swish": lambda z: z * _sigmoid(z),
    "identity": lambda z: z,
    "softmax": _softmax,
}


@oracle
def specified_params(sizes, seed=0, scale=0.10):
    """The weights init_params is specified to return: np.random.seed(seed) ONCE, then W = scale·randn(n_in, n_out)."""
    draw = np.random.RandomState(seed)  # the same stream as np.random.seed(seed) + np.random.randn
    return [(scale * draw.randn(n_in, n_out), np.zeros((1, n_out))) for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def dense(x, W, b):
    """x @ W + b with b flattened, so that one sample (n_in,) gives (n_out,)."""
    return np.matmul(x, W) + np.ravel(b)


@oracle
def dense_value(x, W, b):
    """x @ W + b, what dense must give."""
    return x @ W + b


@oracle
def softmax_value(y):
    return _softmax(y)


@oracle
def product(matrices):
    """W1 @ W2 @ ..., what collapse_linear must give."""
    return functools.reduce(np.matmul, matrices)


# What the catalog's wrong forward() implementations call, under the reference module's names.
FORWARD_NAMESPACE = {"dense": dense, "_ACTIVATIONS": ACTIVATION}


@oracle
def network(x, params, hidden: str, output: str):
    """Every layer's (z, a) by the formula: z = dense(a_prev, W, b), a = activation(z), activations by name."""
    return trace_layers(x, params, ACTIVATION[hidden], ACTIVATION[output])


def trace_layers(x, params, hidden, output, dense=dense):
    """Every layer's (z, a) with these activation functions and this dense."""
    a, trace = np.asarray(x, dtype=float), []
    for i, (W, b) in enumerate(params):
        z = dense(a, W, b)
        a = (output if i == len(params) - 1 else hidden)(z)
        trace.append((z, a))
    return trace


def row_shape_mistake(value) -> Mistake:
    """What a dense that keeps b's (1, n_out) shape gives for one sample, whatever shape the test's b has."""
    return CATALOG.mistake("single-sample-shape", np.asarray(value)[None])


@oracle
def forward_mistakes(x, params, hidden: str, output: str) -> tuple[Mistake, ...]:
    """What forward gives on this input with each catalogued mistake: wrong forwards, and wrong denses in a right one.

    A wrong implementation that cannot run on this input (a shape clash) offers no match.
    """
    found = list(CATALOG.on("forward", x, params, hidden, output, namespace=FORWARD_NAMESPACE))
    for item in CATALOG.mistakes.values():
        if item.function != "dense":
            continue
        try:
            with np.errstate(all="ignore"):
                wrong_dense = item.implementation()
                value = trace_layers(x, params, ACTIVATION[hidden], ACTIVATION[output], dense=wrong_dense)[-1][1]
        except Exception:  # noqa: BLE001, S112 - e.g. W @ x on a batch: this mistake cannot explain this output
            continue
        found.append(CATALOG.mistake(item.code, value))
    return tuple(found)


@contextmanager
def shapes_clash_means_transposed(what: str) -> Iterator[None]:
    """dense on correctly shaped x, W and b can only hit a matmul shape error if W is used the other way round."""
    try:
        yield
    except StudentFault as fault:
        if not any(text in fault.fault.message for text in ("core dimension", "not aligned")):
            raise
        mistake = CATALOG["dense-transposed"]
        raise Mismatch(Feedback(code=mistake.code, what=what, hint=mistake.hint_text(),
                                message=t("forward.shapes-clash", what=what, mistake=mistake.title_text(),
                                          error=fault.fault.message))) from None


# --- init-params ------------------------------------------------------------------------------

def pair_steps(got, want, mistakes_for_layer) -> list[Step]:
    """W and b of each layer as steps, in order (biases may be (1, n_out) or (n_out,), as dense accepts both)."""
    steps = []
    for i, ((W, b), (W_ok, b_ok)) in enumerate(zip(got, want), start=1):
        steps.append(Step(f"W{i} = scale·randn{W_ok.shape}", W, W_ok, mistakes_for_layer(i - 1)))
        b_shape = np.shape(b) if np.shape(b) in ((b_ok.size,), b_ok.shape) else b_ok.shape
        steps.append(Step(f"b{i} = zeros{b_ok.shape}", b, np.zeros(b_shape)))
    return steps


def init_mistakes(sizes, seed=0, scale=0.10):
    """For layer i: the W each catalogued wrong init_params draws with these arguments."""
    wrong = CATALOG.on("init_params", sizes, seed, scale)
    return lambda i: tuple(CATALOG.mistake(m.code, m.value[i][0]) for m in wrong)


def check_init(student, sizes, seed, scale):
    """The student's init_params(...) after checking it is a list of (W, b) pairs, one per layer."""
    got = student.init_params(sizes, seed=seed, scale=scale)
    what = f"init_params({list(sizes)}, seed={seed}, scale={scale})"
    layers = len(sizes) - 1
    assert isinstance(got, (list, tuple)) and len(got) == layers, t(
        "forward.init-not-pairs", what=what, layers=layers, got=show(got))
    for i, pair in enumerate(got, start=1):
        assert isinstance(pair, (list, tuple)) and len(pair) == 2, t("forward.init-layer-not-pair", what=what, i=i)
    return got, what


@pytest.mark.task("init-params")
def test_init_params_reproduces_note_004(student, expect):
    """Does init_params([3, 4, 2], seed=0) draw course note 004's weights, so x @ W1 gives its hidden pre-activation?"""
    got, what = check_init(student, [3, 4, 2], 0, 0.10)
    steps = pair_steps(got, specified_params([3, 4, 2]), init_mistakes([3, 4, 2]))
    if np.shape(got[0][0]) == (3, 4):
        steps.append(Step(t("forward.step-note-004-pre-activation"), X004 @ np.asarray(got[0][0]), Z004))
    expect.steps(steps, what=t("forward.init-note-004", what=what, network=note_004()))


@pytest.mark.task("init-params")
@pytest.mark.parametrize("sizes,seed,scale", [([3, 5, 4, 2], 3, 0.10), ([2, 3], 7, 0.5)])
def test_init_params_seed_scale_and_depth(student, expect, sizes, seed, scale):
    """Are the seed and scale arguments honoured, and is each deeper layer drawn in order from ONE seeded stream?"""
    got, what = check_init(student, sizes, seed, scale)
    expect.steps(pair_steps(got, specified_params(sizes, seed, scale), init_mistakes(sizes, seed, scale)),
                 what=t("forward.init-seed-scale", what=what, seed=seed, scale=scale))


# --- dense -------------------------------------------------------------------------------------

def dense_hint() -> str:
    return t("forward.dense-hint")


@pytest.mark.task("dense")
@pytest.mark.parametrize("bias_shape", [(1, 4), (4,)])
def test_dense_gives_note_004_hidden_pre_activation(student, expect, bias_shape):
    """Does dense([3, 1, 5.5], W1, b1) give course note 004's hidden pre-activation, of shape (4,), for b (1, 4)
    and (4,)?"""
    (W, _), _ = specified_params([3, 4, 2])
    b = np.zeros(bias_shape)
    what = t("forward.dense-note-004", shape=bias_shape, network=note_004())
    with shapes_clash_means_transposed(what):
        got = student.dense(X004, W, b)
    expect.close(got, Z004, what=what, inputs=X004, hint=dense_hint(),
                 mistakes=(row_shape_mistake(Z004), *CATALOG.on("dense", X004, W, b)))


@pytest.mark.task("dense")
@pytest.mark.parametrize("layer", [0, 2])
def test_dense_on_the_classic_weights(student, expect, layer):
    """Does dense(x, W, b) compute x @ W + b (not W @ x) for the classic network's (2, 3) and square (2, 2) layers?"""
    W, b = classic_network()[layer]
    what = t("forward.dense-classic", n=layer + 1)
    with shapes_clash_means_transposed(what):
        got = student.dense(X_TEXTBOOK, W, b)
    # W @ x (dense-transposed) runs only on the square layer, and is caught there by its value
    want = dense_value(X_TEXTBOOK, W, b)
    expect.close(got, want, what=what, inputs=X_TEXTBOOK, hint=dense_hint(),
                 mistakes=(row_shape_mistake(want), *CATALOG.on("dense", X_TEXTBOOK, W, b)))


@pytest.mark.task("dense")
def test_dense_on_a_batch(student, expect):
    """Does dense map a batch (N, n_in) to (N, n_out), one row per sample?"""
    (W, b), _ = specified_params([3, 4, 2])
    x = np.array([X004, -X004, [0.0, 0.0, 0.0], [1.0, -2.0, 0.5], [10.0, 0.1, -3.0]])
    what = t("forward.dense-batch")
    with shapes_clash_means_transposed(what):
        got = student.dense(x, W, b)
    expect.shape(got, (5, 4), what=what, inputs=x, hint=t("forward.dense-batch-hint"))
    expect.close(got, dense_value(x, W, b), what=what, inputs=x, hint=dense_hint(),
                 mistakes=CATALOG.on("dense", x, W, b))


# --- forward-pass ------------------------------------------------------------------------------

def forward_steps(student, x, params, hidden: str, output: str, final) -> list[Step]:
    """Each layer's z and activation as the student's forward computes them, by running the first k layers."""
    trace = network(x, params, hidden, output)
    k = len(params)
    layers = []  # (label, layers run, last activation, the value it must give)
    for i, (z, a) in enumerate(trace[:-1], start=1):
        layers += [(f"z{i} = a{i - 1} @ W{i} + b{i}".replace("a0 @", "x @"), i, "identity", z),
                   (f"a{i} = {hidden}(z{i})", i, hidden, a)]
    label = f"y = {output}(a{k - 1} @ W{k} + b{k})" if output != "identity" else f"y = a{k - 1} @ W{k} + b{k}"
    layers.append((label, k, output, final))
    calls = [Call(x, params[:i], hidden=hidden, output=last) for _, i, last, _ in layers]
    return [Step(label, reply.value, want, (row_shape_mistake(want), *forward_mistakes(x, params[:i], hidden, last)))
            for (label, i, last, want), reply in zip(layers, student.each("forward", calls))]


@pytest.mark.task("forward-pass")
@pytest.mark.parametrize("hidden", list(Y004))
def test_note_004_outputs(student, expect, hidden):
    """Does forward reproduce course note 004's output for a sigmoid, leaky relu and swish hidden layer?"""
    params = specified_params([3, 4, 2])
    steps = forward_steps(student, X004, params, hidden, "identity", Y004[hidden])
    expect.steps(steps, what=t("forward.forward-note-004", hidden=repr(hidden), network=note_004()), inputs=X004)


@pytest.mark.task("forward-pass")
def test_classic_three_layer_network(student, expect):
    """Does forward give y = [0.31682708, 0.69627909] for the classic network, every layer right on the way?"""
    steps = forward_steps(student, X_TEXTBOOK, classic_network(), "sigmoid", "identity", Y_TEXTBOOK)
    expect.steps(steps, what=t("forward.forward-classic", network=classic()), inputs=X_TEXTBOOK)


@pytest.mark.task("forward-pass")
def test_softmax_output_layer(student, expect):
    """Does forward(..., output="softmax") turn the classic network's output into probabilities?"""
    got = student.forward(X_TEXTBOOK, classic_network(), hidden="sigmoid", output="softmax")
    want = softmax_value(Y_TEXTBOOK)
    expect.close(got, want, inputs=X_TEXTBOOK,
                 what=t("forward.forward-softmax", network=classic()),
                 mistakes=(row_shape_mistake(want),
                           *forward_mistakes(X_TEXTBOOK, classic_network(), "sigmoid", "softmax")),
                 hint=t("forward.softmax-hint"))


@pytest.mark.task("forward-pass")
def test_textbook_network_weights(student, expect):
    """Does textbook_network() return the classic W1, b1, W2, b2, W3, b3 in order?"""
    got = student.textbook_network()
    assert isinstance(got, (list, tuple)) and len(got) == 3, t("forward.textbook-not-three-pairs")
    wrong = CATALOG.on("textbook_network")
    steps = []
    for i, ((W, b), (W_ok, b_ok)) in enumerate(zip(got, classic_network()), start=1):
        steps.append(Step(f"W{i}", W, W_ok, tuple(CATALOG.mistake(m.code, m.value[i - 1][0]) for m in wrong)))
        steps.append(Step(f"b{i}", np.ravel(b), b_ok))
    expect.steps(steps, what=t("forward.textbook-weights"))


# --- batches -----------------------------------------------------------------------------------

def one_at_a_time(student, expect, x, params, hidden, output, n_out):
    """The student's forward on each row alone, each checked to be one (n_out,) row."""
    rows = []
    for row, reply in zip(x, student.each("forward", [Call(row, params, hidden=hidden, output=output) for row in x])):
        rows.append(expect.shape(reply.value, (n_out,), what=t("forward.one-sample", row=row.tolist()),
                                 hint=t("forward.one-sample-hint")))
    return np.array(rows, dtype=float)


@pytest.mark.task("batches")
def test_batch_rows_equal_single_samples_note_004(student, expect):
    """Does forward on a batch (5, 3) give, row by row, what it gives for each sample alone?"""
    params = specified_params([3, 4, 2])
    x = np.array([X004, -X004, [0.0, 0.0, 0.0], [1.0, -2.0, 0.5], [10.0, 0.1, -3.0]])
    alone = one_at_a_time(student, expect, x, params, "leaky_relu", "identity", 2)
    got = student.forward(x, params, hidden="leaky_relu", output="identity")
    expect.close(got, alone, what=t("forward.batch-note-004", network=note_004()), inputs=x,
                 hint=t("forward.batch-rows-hint"))
    want = network(x, params, "leaky_relu", "identity")[-1][1]
    expect.close(got, want, what=t("forward.batch-note-004", network=note_004()), inputs=x,
                 mistakes=forward_mistakes(x, params, "leaky_relu", "identity"))


@pytest.mark.task("batches")
def test_batch_rows_equal_single_samples_with_softmax(student, expect):
    """Does a softmax output layer normalise each sample's row, not the whole batch?"""
    x = np.array([X_TEXTBOOK, [0.0, 0.0], [-3.0, 2.0], [5.0, 5.0]])
    alone = one_at_a_time(student, expect, x, classic_network(), "sigmoid", "softmax", 2)
    scores = np.asarray(student.forward(x, classic_network(), hidden="sigmoid", output="identity"), dtype=float)
    got = student.forward(x, classic_network(), hidden="sigmoid", output="softmax")
    mistakes = ()
    if scores.shape == alone.shape:
        # the catalogued wrong softmaxes on the student's own scores: the output layer of a wrong forward
        # whose one layer passes the scores through unchanged
        passthrough = [(np.eye(scores.shape[1]), np.zeros(scores.shape[1]))]
        mistakes = CATALOG.on("forward", scores, passthrough, "identity", "softmax", namespace=FORWARD_NAMESPACE,
                              codes=("softmax-wrong-axis", "softmax-axis-0"), derived=True)
    expect.close(got, alone, what=t("forward.batch-softmax", network=classic()), inputs=x,
                 mistakes=mistakes, hint=t("forward.batch-softmax-hint"))
    want = network(x, classic_network(), "sigmoid", "softmax")[-1][1]
    expect.close(got, want, what=t("forward.batch-softmax", network=classic()), inputs=x,
                 mistakes=forward_mistakes(x, classic_network(), "sigmoid", "softmax"))


# --- collapse-linear ---------------------------------------------------------------------------

def collapse_hint() -> str:
    return t("forward.collapse-hint")


@pytest.mark.task("collapse-linear")
@pytest.mark.parametrize("form", ["pairs", "matrices"])
def test_collapse_note_004_weights(student, expect, form):
    """Does collapse_linear turn course note 004's two layers, given as (W, b) pairs or as matrices, into W1 @ W2?"""
    params = specified_params([3, 4, 2])
    given = params if form == "pairs" else [W for W, _ in params]
    got = student.collapse_linear(given)
    what = t("forward.collapse-note-004-pairs" if form == "pairs" else "forward.collapse-note-004-matrices")
    expect.close(got, product([W for W, _ in params]), what=what, hint=collapse_hint(),
                 mistakes=CATALOG.on("collapse_linear", given))


@pytest.mark.task("collapse-linear")
def test_identity_network_is_one_matrix(student, expect):
    """Does x @ collapse_linear(Ws) equal a 3-layer network with identity activations (course note 003's point)?"""
    params = [(W, np.zeros_like(b)) for W, b in specified_params([3, 3, 3, 3], seed=3)]
    x = np.array([X004, -X004, [1.0, 2.0, 3.0]])
    stacked = network(x, params, "identity", "identity")[-1][1]
    got = expect.shape(student.collapse_linear(params), (3, 3), what=t("forward.collapse-three-layers"),
                       hint=collapse_hint())
    mistakes = tuple(CATALOG.mistake(m.code, x @ np.asarray(m.value))
                     for m in CATALOG.on("collapse_linear", params) if np.shape(m.value) == (3, 3))
    expect.close(x @ got.astype(float), stacked, inputs=x, mistakes=mistakes, hint=collapse_hint(),
                 what=t("forward.collapse-identity-network"))


@pytest.mark.task("collapse-linear")
def test_scalar_layers_collapse_to_w_cubed(student, expect):
    """Does f(f(f(x))) with f(x) = w·x collapse to k·x, k = w³ (course note 000's argument, w = 2)?"""
    w = np.array([[2.0]])
    got = student.collapse_linear([w, w, w])
    expect.close(got, [[8.0]], what=t("forward.collapse-scalar"), hint=collapse_hint(),
                 mistakes=CATALOG.on("collapse_linear", [w, w, w]))


# --- random-networks (hidden) ------------------------------------------------------------------

@pytest.mark.task("random-networks")
@pytest.mark.parametrize("sizes,seed,scale", [([6, 8, 5, 3], 11, 0.3), ([4, 1, 4], 123, 2.0)])
def test_init_params_matches_reference(student, expect, reference, sizes, seed, scale):
    """Does init_params agree with the reference for other sizes, seeds and scales?"""
    got, what = check_init(student, sizes, seed, scale)
    want = reference.init_params(sizes, seed=seed, scale=scale)
    expect.steps(pair_steps(got, want, init_mistakes(sizes, seed, scale)), what=what)


NAMES = [("step", "identity"), ("sigmoid", "softmax"), ("tanh", "sigmoid"), ("relu", "identity"),
         ("leaky_relu", "identity"), ("swish", "tanh"), ("identity", "relu"), ("softmax", "leaky_relu")]


@pytest.mark.task("random-networks")
@pytest.mark.parametrize("hidden,output", NAMES)
def test_random_network_every_activation(student, expect, reference, rng, hidden, output):
    """Does forward agree with the reference on a random 3-layer network, for every activation name?"""
    params = [(rng.normal(size=(n_in, n_out)), rng.normal(size=n_out))
              for n_in, n_out in [(5, 7), (7, 6), (6, 4)]]
    x = rng.normal(scale=2.0, size=(9, 5))
    expect.close(student.forward(x, params, hidden=hidden, output=output),
                 reference.forward(x, params, hidden=hidden, output=output), inputs=x,
                 mistakes=forward_mistakes(x, params, hidden, output),
                 what=t("forward.random-network", hidden=repr(hidden), output=repr(output)))


@pytest.mark.task("random-networks")
def test_dense_random_batch(student, expect, reference, rng):
    """Does dense agree with the reference on a random batch and 1-D bias?"""
    x, W, b = rng.normal(size=(8, 6)), rng.normal(size=(6, 3)), rng.normal(size=3)
    expect.close(student.dense(x, W, b), reference.dense(x, W, b), what=t("forward.dense-random"),
                 inputs=x, hint=dense_hint(), mistakes=CATALOG.on("dense", x, W, b))


@pytest.mark.task("random-networks")
def test_collapse_random_stack(student, expect, reference, rng):
    """Does collapse_linear agree with the reference on a random stack of four layers of mixed sizes?"""
    sizes = [4, 6, 3, 5, 2]
    matrices = [rng.normal(size=(n_in, n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    expect.close(student.collapse_linear(matrices), reference.collapse_linear(matrices),
                 what=t("forward.collapse-random"), hint=collapse_hint(),
                 mistakes=CATALOG.on("collapse_linear", matrices))


@pytest.mark.task("random-networks")
def test_plain_python_lists(student, expect, reference, rng):
    """Do dense, forward and collapse_linear take plain Python lists for x, W and b, as np.asarray does?"""
    x, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    # batches only: the shape of one sample is the dense and forward-pass tasks' business
    expect.close(student.dense(*plain((x, W, b))), reference.dense(x, W, b), inputs=plain(x),
                 what=f"dense{plain((x, W, b))!r}", hint=dense_hint())
    params = [(rng.normal(size=(3, 4)), rng.normal(size=4)), (rng.normal(size=(4, 2)), rng.normal(size=2))]
    for hidden, output in (("sigmoid", "identity"), ("relu", "softmax")):
        expect.close(student.forward(plain(x), plain(params), hidden=hidden, output=output),
                     reference.forward(x, params, hidden=hidden, output=output), inputs=plain(x),
                     what=t("core.all-plain-lists", call=f"forward(x, params, hidden={hidden!r}, output={output!r})"))
    matrices = [W_ for W_, _ in params]
    expect.close(student.collapse_linear(plain(matrices)), reference.collapse_linear(matrices),
                 what=f"collapse_linear({plain(matrices)!r})", hint=collapse_hint())
