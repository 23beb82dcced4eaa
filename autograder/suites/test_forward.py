"""The forward pass: dense layers x @ W + b, each followed by an activation (WORKED_EXAMPLES §3; seeds 000, 003, 004).

Public tests use the worked example's constants, the seed-004 weights rebuilt by the
formula init_params is specified with (np.random.seed once, then randn(n_in, n_out)
layer by layer) and small formulas applied to them; hidden tests compare with the
reference solution on seeded random networks.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np
import pytest

from autograder.compare import Feedback, Mismatch, Mistake, Step, show
from autograder.sandbox import StudentFault

X004 = np.array([3.0, 1.0, 5.5])
Z004 = np.array([0.65920113, 0.24814855, 0.4678542, 1.45698267])  # hidden pre-activation of seed 004
Y004 = {
    "sigmoid": np.array([0.19235057, -0.05512534]),
    "leaky_relu": np.array([0.17669663, -0.11773777]),
    "swish": np.array([0.1192278, -0.09689423]),
}
TEXTBOOK = [
    (np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]), np.array([0.1, 0.2, 0.3])),
    (np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]), np.array([0.1, 0.2])),
    (np.array([[0.1, 0.3], [0.2, 0.4]]), np.array([0.1, 0.2])),
]
X_TEXTBOOK = np.array([1.0, 0.5])
Y_TEXTBOOK = np.array([0.31682708, 0.69627909])
SEED_004 = "the seed-004 network (init_params([3, 4, 2], seed=0), x = [3, 1, 5.5]; WORKED_EXAMPLES §3)"
CLASSIC = "the classic 3-layer network (x = [1.0, 0.5], sigmoid, sigmoid, identity; WORKED_EXAMPLES §3)"


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def whole_batch_softmax(scores):
    """Seed 001's one-sample softmax applied to a whole batch (a known mistake)."""
    e = np.exp(scores - np.max(scores))
    return e / np.sum(e)


ACTIVATION = {  # formulas of WORKED_EXAMPLES §2 and §4, for expected values and known mistakes
    "step": lambda z: (z > 0).astype(float),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(0, z),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "swish": lambda z: z * _sigmoid(z),
    "identity": lambda z: z,
    "softmax": _softmax,
}


def specified_params(sizes, seed=0, scale=0.10, reseed=False, transposed=False):
    """The weights init_params is specified to return: np.random.seed(seed) ONCE, then W = scale·randn(n_in, n_out).

    `reseed` and `transposed` give the two classic wrong variants (seed per layer; randn(n_out, n_in)).
    """
    draw = np.random.RandomState(seed)  # the same stream as np.random.seed(seed) + np.random.randn
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        if reseed:
            draw = np.random.RandomState(seed)
        W = scale * (draw.randn(n_out, n_in) if transposed else draw.randn(n_in, n_out))
        params.append((W, np.zeros((1, n_out))))
    return params


def network(x, params, hidden, output):
    """Every layer's (z, a) by the formula: z = a_prev @ W + b (b flattened), a = activation(z)."""
    a, trace = np.asarray(x, dtype=float), []
    for i, (W, b) in enumerate(params):
        z = a @ W + np.ravel(b)
        a = (output if i == len(params) - 1 else hidden)(z)
        trace.append((z, a))
    return trace


def row_shape_mistake(value) -> Mistake:
    return Mistake("single-sample-shape", np.asarray(value)[None],
                   "one sample x of shape (n_in,) must give shape (n_out,), not (1, n_out): with b of shape "
                   "(1, n_out), x @ W + b becomes 2-D (seed 004 prints [[...]]); add np.ravel(b) instead")


TRANSPOSED_HINT = ("W has shape (n_in, n_out) and a sample is a row (seed 004): compute x @ W + b, "
                   "not W @ x or x @ W.T")
ON_OUTPUT_HINT = "the last layer applies `output`, not the hidden activation: use `hidden` for every layer but the last"
MISSING_HIDDEN_HINT = "every layer but the last must apply the hidden activation to x @ W + b before the next layer"
IGNORES_OUTPUT_HINT = "the last layer must apply the `output` activation that forward() was given"
WHOLE_BATCH_HINT = "softmax normalises each row (sample): max and sum with axis=-1, keepdims=True, not over the whole batch"


def miswired(x, params, hidden: str, output: str) -> tuple[Mistake, ...]:
    """What forward gives with the activations wired wrongly, by the formula on the same input."""
    h, o, none = ACTIVATION[hidden], ACTIVATION[output], ACTIVATION["identity"]
    mistakes = (  # (applies only when the two activations differ, so that the mistake changes something)
        (hidden not in (output, "identity"), "activation-on-output", h, h, ON_OUTPUT_HINT),
        (hidden != "identity", "hidden-activation-missing", none, o, MISSING_HIDDEN_HINT),
        (output != "identity", "output-activation-ignored", h, none, IGNORES_OUTPUT_HINT),
    )
    found = tuple(Mistake(code, network(x, params, first, last)[-1][1], hint)
                  for applies, code, first, last, hint in mistakes if applies)
    if output == "softmax" and np.ndim(x) == 2:
        found += (Mistake("softmax-wrong-axis", whole_batch_softmax(network(x, params, h, none)[-1][1]), WHOLE_BATCH_HINT),)
    return found


@contextmanager
def shapes_clash_means_transposed(what: str) -> Iterator[None]:
    """dense on correctly shaped x, W and b can only hit a matmul shape error if W is used the other way round."""
    try:
        yield
    except StudentFault as fault:
        if not any(text in fault.fault.message for text in ("core dimension", "not aligned")):
            raise
        raise Mismatch(Feedback(code="dense-transposed", message=f"{what}: {fault.fault.message}", what=what,
                                hint=TRANSPOSED_HINT)) from None


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
    """For layer i: W as re-seeding per layer, drawing randn(n_out, n_in), or ignoring seed or scale would give it."""
    reseeded = specified_params(sizes, seed, scale, reseed=True)
    transposed = specified_params(sizes, seed, scale, transposed=True)
    variants = [
        ("init-params-reseeded", reseeded,
         "call np.random.seed(seed) once before the loop, not once per layer: each layer would restart the stream"),
        ("init-params-transposed", transposed,
         "draw randn(n_in, n_out) (rows = inputs, seed 004): randn(n_out, n_in) gives other numbers"),
        ("init-params-transposed", [(W.T, b) for W, b in transposed],
         "draw randn(n_in, n_out) directly: randn(n_out, n_in).T has the right shape but other numbers"),
        ("init-params-ignores-scale", specified_params(sizes, seed, 0.10),
         f"multiply by the `scale` argument (here {scale}), not a constant 0.10"),
        ("init-params-ignores-seed", specified_params(sizes, 0, scale),
         f"seed with the `seed` argument (here {seed}), not a constant 0"),
    ]
    return lambda i: tuple(Mistake(code, params[i][0], hint) for code, params, hint in variants)


def check_init(student, sizes, seed, scale):
    """The student's init_params(...) after checking it is a list of (W, b) pairs, one per layer."""
    got = student.init_params(sizes, seed=seed, scale=scale)
    what = f"init_params({list(sizes)}, seed={seed}, scale={scale})"
    layers = len(sizes) - 1
    assert isinstance(got, (list, tuple)) and len(got) == layers, (
        f"{what} must return a list of {layers} (W, b) pairs, one per layer; got {show(got)}")
    for i, pair in enumerate(got, start=1):
        assert isinstance(pair, (list, tuple)) and len(pair) == 2, f"{what}: layer {i} must be a pair (W, b)"
    return got, what


@pytest.mark.task("init-params")
def test_init_params_reproduces_seed_004(student, expect):
    """Does init_params([3, 4, 2], seed=0) draw seed 004's weights, so x @ W1 gives its hidden pre-activation?"""
    got, what = check_init(student, [3, 4, 2], 0, 0.10)
    steps = pair_steps(got, specified_params([3, 4, 2]), init_mistakes([3, 4, 2]))
    if np.shape(got[0][0]) == (3, 4):
        steps.append(Step("x @ W1 for x = [3, 1, 5.5] (seed 004's hidden pre-activation)", X004 @ np.asarray(got[0][0]),
                          Z004))
    expect.steps(steps, what=f"{what}: the weights of {SEED_004}")


@pytest.mark.task("init-params")
@pytest.mark.parametrize("sizes,seed,scale", [([3, 5, 4, 2], 3, 0.10), ([2, 3], 7, 0.5)])
def test_init_params_seed_scale_and_depth(student, expect, sizes, seed, scale):
    """Are the seed and scale arguments honoured, and is each deeper layer drawn in order from ONE seeded stream?"""
    got, what = check_init(student, sizes, seed, scale)
    expect.steps(pair_steps(got, specified_params(sizes, seed, scale), init_mistakes(sizes, seed, scale)),
                 what=f"{what}: np.random.seed({seed}) once, then W = {scale}·randn(n_in, n_out) layer by layer")


# --- dense -------------------------------------------------------------------------------------

@pytest.mark.task("dense")
@pytest.mark.parametrize("bias_shape", [(1, 4), (4,)])
def test_dense_gives_seed_004_hidden_pre_activation(student, expect, bias_shape):
    """Does dense([3, 1, 5.5], W1, b1) give seed 004's hidden pre-activation, of shape (4,), for b (1, 4) and (4,)?"""
    (W, _), _ = specified_params([3, 4, 2])
    what = f"dense(x, W1, b1 of shape {bias_shape}) = x @ W1 + b1 in {SEED_004}"
    with shapes_clash_means_transposed(what):
        got = student.dense(X004, W, np.zeros(bias_shape))
    expect.close(got, Z004, what=what, inputs=X004, mistakes=(row_shape_mistake(Z004),), hint=TRANSPOSED_HINT)


@pytest.mark.task("dense")
@pytest.mark.parametrize("layer", [0, 2])
def test_dense_on_the_classic_weights(student, expect, layer):
    """Does dense(x, W, b) compute x @ W + b (not W @ x) for the classic network's (2, 3) and square (2, 2) layers?"""
    W, b = TEXTBOOK[layer]
    what = f"dense(x, W{layer + 1}, b{layer + 1}) = x @ W{layer + 1} + b{layer + 1} with the classic weights, x = [1.0, 0.5]"
    with shapes_clash_means_transposed(what):
        got = student.dense(X_TEXTBOOK, W, b)
    mistakes = [row_shape_mistake(X_TEXTBOOK @ W + b)]
    if W.shape[0] == W.shape[1]:
        mistakes.append(Mistake("dense-transposed", W @ X_TEXTBOOK + b, TRANSPOSED_HINT))
    expect.close(got, X_TEXTBOOK @ W + b, what=what, inputs=X_TEXTBOOK, mistakes=tuple(mistakes), hint=TRANSPOSED_HINT)


@pytest.mark.task("dense")
def test_dense_on_a_batch(student, expect):
    """Does dense map a batch (N, n_in) to (N, n_out), one row per sample?"""
    (W, b), _ = specified_params([3, 4, 2])
    x = np.array([X004, -X004, [0.0, 0.0, 0.0], [1.0, -2.0, 0.5], [10.0, 0.1, -3.0]])
    what = "dense(x, W1, b1) on a batch x of shape (5, 3) with the seed-004 weights"
    with shapes_clash_means_transposed(what):
        got = student.dense(x, W, b)
    expect.shape(got, (5, 4), what=what, inputs=x, hint="x @ W + b works for a batch as it is; do not flatten it")
    expect.close(got, x @ W + b, what=what, inputs=x, hint=TRANSPOSED_HINT)


# --- forward-pass ------------------------------------------------------------------------------

def forward_steps(student, x, params, hidden: str, output: str, final) -> list[Step]:
    """Each layer's z and activation as the student's forward computes them, by running the first k layers."""
    trace = network(x, params, ACTIVATION[hidden], ACTIVATION[output])
    steps, k = [], len(params)
    for i, (z, a) in enumerate(trace[:-1], start=1):
        for label, last, want in ((f"z{i} = a{i - 1} @ W{i} + b{i}", "identity", z), (f"a{i} = {hidden}(z{i})", hidden, a)):
            got = student.forward(x, params[:i], hidden=hidden, output=last)
            steps.append(Step(label.replace("a0 @", "x @"), got, want,
                              (row_shape_mistake(want), *miswired(x, params[:i], hidden, last))))
    label = f"y = {output}(a{k - 1} @ W{k} + b{k})" if output != "identity" else f"y = a{k - 1} @ W{k} + b{k}"
    steps.append(Step(label, student.forward(x, params, hidden=hidden, output=output), final,
                      (row_shape_mistake(final), *miswired(x, params, hidden, output))))
    return steps


@pytest.mark.task("forward-pass")
@pytest.mark.parametrize("hidden", list(Y004))
def test_seed_004_outputs(student, expect, hidden):
    """Does forward reproduce seed 004's output for a sigmoid, leaky relu and swish hidden layer?"""
    params = specified_params([3, 4, 2])
    steps = forward_steps(student, X004, params, hidden, "identity", Y004[hidden])
    expect.steps(steps, what=f"forward(x, params, hidden={hidden!r}) in {SEED_004}", inputs=X004)


@pytest.mark.task("forward-pass")
def test_classic_three_layer_network(student, expect):
    """Does forward give y = [0.31682708, 0.69627909] for the classic network, every layer right on the way?"""
    steps = forward_steps(student, X_TEXTBOOK, TEXTBOOK, "sigmoid", "identity", Y_TEXTBOOK)
    expect.steps(steps, what=f"forward(x, textbook weights) in {CLASSIC}", inputs=X_TEXTBOOK)


@pytest.mark.task("forward-pass")
def test_softmax_output_layer(student, expect):
    """Does forward(..., output="softmax") turn the classic network's output into probabilities?"""
    got = student.forward(X_TEXTBOOK, TEXTBOOK, hidden="sigmoid", output="softmax")
    expect.close(got, _softmax(Y_TEXTBOOK), inputs=X_TEXTBOOK,
                 what=f"forward(x, textbook weights, output='softmax') = softmax([0.31682708, 0.69627909]) in {CLASSIC}",
                 mistakes=(row_shape_mistake(_softmax(Y_TEXTBOOK)), *miswired(X_TEXTBOOK, TEXTBOOK, "sigmoid", "softmax")),
                 hint="support the name 'softmax': exp(z - max) / sum(exp(z - max)) along the last axis")


@pytest.mark.task("forward-pass")
def test_textbook_network_weights(student, expect):
    """Does textbook_network() return the classic W1, b1, W2, b2, W3, b3 in order?"""
    got = student.textbook_network()
    assert isinstance(got, (list, tuple)) and len(got) == 3, "textbook_network() must return [(W1, b1), (W2, b2), (W3, b3)]"
    steps = []
    for i, ((W, b), (W_ok, b_ok)) in enumerate(zip(got, TEXTBOOK), start=1):
        steps.append(Step(f"W{i}", W, W_ok, (Mistake("textbook-weights-transposed", W_ok.T,
                                                      "copy W as printed: W1 has 2 rows (inputs) and 3 columns"),)))
        steps.append(Step(f"b{i}", np.ravel(b), b_ok))
    expect.steps(steps, what="the classic network's weights and biases (WORKED_EXAMPLES §3)")


# --- batches -----------------------------------------------------------------------------------

def one_at_a_time(student, expect, x, params, hidden, output, n_out):
    """The student's forward on each row alone, each checked to be one (n_out,) row."""
    rows = []
    for row in x:
        got = student.forward(row, params, hidden=hidden, output=output)
        rows.append(expect.shape(got, (n_out,), what=f"forward(x) for one sample x = {row.tolist()}",
                                 hint="one sample (n_in,) gives (n_out,): flatten b in dense"))
    return np.array(rows, dtype=float)


@pytest.mark.task("batches")
def test_batch_rows_equal_single_samples_seed_004(student, expect):
    """Does forward on a batch (5, 3) give, row by row, what it gives for each sample alone?"""
    params = specified_params([3, 4, 2])
    x = np.array([X004, -X004, [0.0, 0.0, 0.0], [1.0, -2.0, 0.5], [10.0, 0.1, -3.0]])
    alone = one_at_a_time(student, expect, x, params, "leaky_relu", "identity", 2)
    got = student.forward(x, params, hidden="leaky_relu", output="identity")
    expect.close(got, alone, what=f"forward(x of shape (5, 3), hidden='leaky_relu') in {SEED_004}", inputs=x,
                 hint="row n of forward(x) must equal forward(x[n]): keep the samples on axis 0 all the way through")


@pytest.mark.task("batches")
def test_batch_rows_equal_single_samples_with_softmax(student, expect):
    """Does a softmax output layer normalise each sample's row, not the whole batch?"""
    x = np.array([X_TEXTBOOK, [0.0, 0.0], [-3.0, 2.0], [5.0, 5.0]])
    alone = one_at_a_time(student, expect, x, TEXTBOOK, "sigmoid", "softmax", 2)
    scores = np.asarray(student.forward(x, TEXTBOOK, hidden="sigmoid", output="identity"), dtype=float)
    got = student.forward(x, TEXTBOOK, hidden="sigmoid", output="softmax")
    mistakes = ()
    if scores.shape == alone.shape:
        e = np.exp(scores - scores.max(axis=0))
        mistakes = (Mistake("softmax-wrong-axis", whole_batch_softmax(scores), WHOLE_BATCH_HINT),
                    Mistake("softmax-wrong-axis", e / e.sum(axis=0), "softmax normalises each row (axis=-1), "
                            "not each column (axis=0)"))
    expect.close(got, alone, what=f"forward(x of shape (4, 2), output='softmax') in {CLASSIC}", inputs=x,
                 mistakes=mistakes, hint="row n of forward(x) must equal forward(x[n])")


# --- collapse-linear ---------------------------------------------------------------------------

COLLAPSE_HINT = "multiply the matrices in layer order: W1 @ W2 @ ... @ Wk (x @ W1 @ W2 = x @ (W1 @ W2))"


def collapse_mistakes(matrices):
    ordered = [np.asarray(W) for W in matrices]
    mistakes = []
    if all(W.shape == ordered[0].shape for W in ordered):
        mistakes.append(Mistake("collapse-linear-order", np.linalg.multi_dot(ordered[::-1]) if len(ordered) > 1
                                else ordered[0], "the order matters: a row vector meets W1 first, so W1 @ W2 @ W3"))
        mistakes.append(Mistake("collapse-linear-elementwise", np.prod(ordered, axis=0),
                                "use the matrix product @ (np.matmul), not the elementwise *"))
    return tuple(mistakes)


@pytest.mark.task("collapse-linear")
@pytest.mark.parametrize("form", ["pairs", "matrices"])
def test_collapse_seed_004_weights(student, expect, form):
    """Does collapse_linear turn seed 004's two layers, given as (W, b) pairs or as matrices, into W1 @ W2?"""
    params = specified_params([3, 4, 2])
    given = params if form == "pairs" else [W for W, _ in params]
    got = student.collapse_linear(given)
    expect.close(got, params[0][0] @ params[1][0], what=f"collapse_linear(seed-004 weights as {form}) = W1 @ W2",
                 hint=COLLAPSE_HINT)


@pytest.mark.task("collapse-linear")
def test_identity_network_is_one_matrix(student, expect):
    """Does x @ collapse_linear(Ws) equal a 3-layer network with identity activations (seed 003's point)?"""
    params = [(W, np.zeros_like(b)) for W, b in specified_params([3, 3, 3, 3], seed=3)]
    matrices = [W for W, _ in params]
    x = np.array([X004, -X004, [1.0, 2.0, 3.0]])
    stacked = network(x, params, ACTIVATION["identity"], ACTIVATION["identity"])[-1][1]
    got = expect.shape(student.collapse_linear(params), (3, 3), what="collapse_linear of three (3, 3) layers",
                       hint=COLLAPSE_HINT)
    mistakes = tuple(Mistake(m.code, x @ m.value, m.hint) for m in collapse_mistakes(matrices))
    expect.close(x @ got.astype(float), stacked, inputs=x, mistakes=mistakes, hint=COLLAPSE_HINT,
                 what="x @ collapse_linear(W1, W2, W3) against the layers one by one: x @ W1 @ W2 @ W3 "
                      "(identity activations, init_params([3, 3, 3, 3], seed=3))")


@pytest.mark.task("collapse-linear")
def test_scalar_layers_collapse_to_w_cubed(student, expect):
    """Does f(f(f(x))) with f(x) = w·x collapse to k·x, k = w³ (seed 000's argument, w = 2)?"""
    w = np.array([[2.0]])
    got = student.collapse_linear([w, w, w])
    expect.close(got, [[8.0]], what="collapse_linear([[[2]], [[2]], [[2]]]) = [[2³]] = [[8]] (seed 000)",
                 mistakes=(Mistake("collapse-linear-sum", [[6.0]], "compose the layers by multiplying, not adding"),),
                 hint=COLLAPSE_HINT)


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
    mistakes = miswired(x, params, hidden, output)
    if "leaky_relu" in (hidden, output):
        seed_000 = {**ACTIVATION, "leaky_relu": lambda z: np.where(z > 0, z, 0.1 * z)}
        mistakes += (Mistake("leaky-relu-alpha", network(x, params, seed_000[hidden], seed_000[output])[-1][1],
                             "leaky_relu uses alpha = 0.01 (seed 000's code uses 0.1)"),)
    expect.close(student.forward(x, params, hidden=hidden, output=output),
                 reference.forward(x, params, hidden=hidden, output=output), inputs=x, mistakes=mistakes,
                 what=f"forward(x of shape (9, 5), a random 5-7-6-4 network, hidden={hidden!r}, output={output!r})")


@pytest.mark.task("random-networks")
def test_dense_random_batch(student, expect, reference, rng):
    """Does dense agree with the reference on a random batch and 1-D bias?"""
    x, W, b = rng.normal(size=(8, 6)), rng.normal(size=(6, 3)), rng.normal(size=3)
    expect.close(student.dense(x, W, b), reference.dense(x, W, b), what="dense(x (8, 6), W (6, 3), b (3,))",
                 inputs=x, hint=TRANSPOSED_HINT)


@pytest.mark.task("random-networks")
def test_collapse_random_stack(student, expect, reference, rng):
    """Does collapse_linear agree with the reference on a random stack of four layers of mixed sizes?"""
    sizes = [4, 6, 3, 5, 2]
    matrices = [rng.normal(size=(n_in, n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    expect.close(student.collapse_linear(matrices), reference.collapse_linear(matrices),
                 what="collapse_linear of four random matrices (4, 6), (6, 3), (3, 5), (5, 2)", hint=COLLAPSE_HINT)
