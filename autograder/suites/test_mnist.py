"""MNIST inference (worked examples §6, course note 001): IDX files, load_mnist, the network, accuracy.

Public tests read small IDX files the grader writes (so their content is known)
and apply course note 001's network, sigmoid, sigmoid, softmax, to seeded inputs;
hidden tests compare with the reference on seeded random files and inputs. The
real-data tests run only where the MNIST folder is available: they check the
real files and the accuracy the kit's own trained weights reach.
Known mistakes come from autograder/mistakes/mnist.toml and every text a student
reads from autograder/messages/mnist.toml, looked up inside the tests so the
language can change between runs.
"""
from __future__ import annotations

import functools
import gzip
import json
import shutil
import struct
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.data.mnist import ENV_VAR, DataMissing, require
from autograder.grading import catalog, recorded, seeded
from autograder.grading.compare import Feedback, Mismatch, Mistake, Step, show
from autograder.grading.plugin import Call
from autograder.grading.recorded import oracle
from autograder.i18n import t
from autograder.sandbox import shared
from autograder.sandbox.process import StudentFault

CATALOG = catalog.load("mnist")
WEIGHTS = Path(__file__).resolve().parent.parent / "weights"
KIT = WEIGHTS / "mnist_784_50_100_10.npz"
NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")
SIZES = (784, 50, 100, 10)
IDX_CODES = {("u", 1): 0x08, ("i", 1): 0x09, ("i", 2): 0x0B, ("i", 4): 0x0C, ("f", 4): 0x0D, ("f", 8): 0x0E}

LABELS = np.array([5, 0, 4, 1, 9, 2, 1, 3, 1, 4], dtype=np.uint8)  # the first ten MNIST training labels


def digits(n: int) -> np.ndarray:
    """n made-up 28×28 uint8 images that use every grey level 0..255."""
    return ((np.arange(n * 784) * 7 + n) % 256).astype(np.uint8).reshape(n, 28, 28)


KNOWN = {"labels": (LABELS, 2049), "images": (digits(3), 2051)}


def hint(code: str) -> str:
    """The catalogued fix of mistake `code`, for the checks that find it without comparing values."""
    return CATALOG[code].hint_text()


# --- files the grader writes ------------------------------------------------------

def idx_bytes(array: np.ndarray, magic: bytes | None = None) -> bytes:
    """An IDX file holding `array` (big-endian), optionally with another magic number."""
    array = np.asarray(array)
    header = magic or bytes([0, 0, IDX_CODES[array.dtype.kind, array.dtype.itemsize], array.ndim])
    sizes = b"".join(struct.pack(">I", n) for n in array.shape)
    return header + sizes + array.astype(array.dtype.newbyteorder(">")).tobytes()


def read_idx(path: str) -> np.ndarray:
    """The grader's own IDX reader: the load_idx the catalogued wrong load_mnist functions call."""
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    ndim = data[3]
    kind, size = next(key for key, code in IDX_CODES.items() if code == data[2])
    dtype = np.dtype(f">{kind}{size}")
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype, offset=4 + 4 * ndim).reshape(shape).astype(dtype.newbyteorder("="))


@functools.lru_cache(maxsize=64)
def gzipped(data: bytes) -> bytes:
    """The same files are written for every submission: compress each once per judge process."""
    return gzip.compress(data, mtime=0)


def write(folder: Path, name: str, data: bytes, packed: bool) -> str:
    path = folder / (name + (".gz" if packed else ""))
    path.write_bytes(gzipped(data) if packed else data)
    return str(path)


FAKE = {"train": (digits(7), LABELS[:7]), "test": (digits(3), np.array([7, 2, 1], dtype=np.uint8))}
STANDARD = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
            "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def fake_mnist(scratch: Path) -> str:
    """A folder of the four standard gzip'd files, with FAKE's images and labels.

    Written beside the test's own scratch folder by the first test that asks, once for as long as the scratch
    space lasts (a submission, or all a grade-all judge grades): the worker may read it but never write it,
    so the eight load-mnist tests share one copy (writing it for each cost 32 file creations a submission).
    """
    folder = scratch.parent / "fake-mnist"
    if not folder.is_dir():
        staging = scratch / "fake-mnist"
        staging.mkdir()
        for split, (images, labels) in FAKE.items():
            for name, array in zip(STANDARD[split], (images, labels)):
                write(staging, name, idx_bytes(array), packed=True)
        staging.rename(folder)  # whole or not at all
    return str(folder)


@oracle
def kit_network() -> dict[str, np.ndarray]:
    with np.load(KIT, allow_pickle=False) as npz:
        return {name: npz[name] for name in NAMES}


def kit_record() -> dict[str, Any]:
    return json.loads(KIT.with_suffix(".json").read_text())


# --- checks the core helper does not have --------------------------------------------

def fail(code: str, message: str, what: str, expected: Any = "", got: Any = "", hint: str | None = None,
         details: tuple[str, ...] = ()) -> Mismatch:
    return Mismatch(Feedback(code=code, message=f"{what}: {message}", what=what, expected=str(expected),
                             got=str(got), details=details, hint=hint))


def expect_dtype(got: Any, dtype: Any, *, what: str, code: str = "dtype-mismatch", hint: str | None = None) -> None:
    """The kind and size of the dtype must match; the byte order may be either."""
    have, want = np.asarray(got).dtype, np.dtype(dtype)
    if (have.kind, have.itemsize) != (want.kind, want.itemsize):
        raise fail(code, t("mnist.dtype-differs", got=have, expected=want), what, want, have, hint)


def expect_value_error(student: Any, function: str, *args: Any, what: str, code: str,
                       returned: dict[str, str] | None = None) -> None:
    """The call must raise ValueError, else mistake `code`; `returned` maps other fault kinds to mistake codes."""
    try:
        value = student.call(function, *args).value
    except StudentFault as error:
        fault = error.fault
        if fault.kind in (returned or {}):
            other = (returned or {})[fault.kind]
            raise fail(other, t("mnist.no-value-error", fault=fault.message), what, "ValueError(...)",
                       fault.message, hint(other)) from None
        if fault.kind != "exception":
            raise
        if fault.raised("ValueError"):
            return
        raise fail("wrong-exception", t("mnist.wrong-exception", fault=fault.message), what, "ValueError(...)",
                   fault.message, hint(code), tuple(fault.trace.splitlines()[-4:])) from None
    raise fail(code, t("mnist.returned-instead-of-raising"), what, "ValueError(...)", show(value), hint(code))


def is_pairs(got: Any) -> bool:
    return isinstance(got, (tuple, list)) and len(got) == 2 and all(
        isinstance(p, (tuple, list)) and len(p) == 2 for p in got)


def parts(got: Any, what: str) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """((x_train, t_train), (x_test, t_test)), or the catalogued wrong-structure failure."""
    if not is_pairs(got):
        raise fail("wrong-structure", t("mnist.expected-pairs"), what,
                   "((x_train, t_train), (x_test, t_test))", show(got), hint("wrong-structure"))
    (x_train, t_train), (x_test, t_test) = got
    return (x_train, t_train), (x_test, t_test)


# --- the seed's network, as formulas -----------------------------------------------

def sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def softmax_rows(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@oracle
def network_formula(network: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """y = softmax(sigmoid(sigmoid(x W1 + b1) W2 + b2) W3 + b3)."""
    h = np.asarray(x, dtype=np.float64)
    for i in (1, 2):
        h = sigmoid(h @ network[f"W{i}"] + network[f"b{i}"])
    return softmax_rows(h @ network["W3"] + network["b3"])


def random_network(rng: np.random.Generator, scale: float = 1.0) -> dict[str, np.ndarray]:
    """A 784-50-100-10 network with spread-out scores (so the argmax varies between images)."""
    return seeded.drawn(rng, _random_network, scale)  # the same for every submission: a judge draws it once


def _random_network(rng: np.random.Generator, scale: float) -> dict[str, np.ndarray]:
    network = {}
    for i, (n_in, n_out) in enumerate(zip(SIZES, SIZES[1:]), start=1):
        network[f"W{i}"] = scale * rng.normal(0.0, 3.0 / np.sqrt(n_in), size=(n_in, n_out))
        network[f"b{i}"] = scale * rng.normal(0.0, 0.5, size=n_out)
    return network


def images(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random 'images' of 784 pixels in [0, 1], float32 like load_mnist's."""
    return seeded.drawn(rng, _images, n)


def _images(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.uniform(0.0, 1.0, size=(n, 784)).astype(np.float32)


def random_labels(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 10, size=n)


# ===================================================================================
# load-idx
# ===================================================================================

@pytest.mark.task("load-idx")
@pytest.mark.parametrize("packed", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("kind", list(KNOWN))
def test_load_idx_reads_labels_and_images(student, expect, scratch, kind, packed):
    """Does load_idx read a label file (magic 2049, 1-D) and an image file (magic 2051, 3-D), raw and gzip'd?"""
    array, magic = KNOWN[kind]
    path = write(scratch, f"{kind}-idx{array.ndim}-ubyte", idx_bytes(array), packed)
    what = t("mnist.load-idx-known", file=t(f"mnist.{'gzip' if packed else 'raw'}-{kind}-file"), magic=magic,
             shape=array.shape)
    got = student.load_idx(path)
    expect.close(got, array, what=what, hint=t("mnist.header-hint"),
                 mistakes=CATALOG.on("load_idx", path, key=(kind, packed)))
    expect_dtype(got, np.uint8, what=what, hint=t("mnist.uint8-hint"))


# Bad files: their bytes, whether gzip'd, and the message that describes them.
BAD = {
    "unknown-type-code": (idx_bytes(LABELS, magic=bytes([0, 0, 0x0A, 1])), False, "mnist.bad-type-code"),
    "nonzero-first-bytes": (idx_bytes(LABELS, magic=bytes([0x12, 0x34, 0x08, 1])), False, "mnist.bad-first-bytes"),
    "truncated-raw": (idx_bytes(digits(5))[:16 + 3 * 784], False, "mnist.truncated-raw"),
    "truncated-gzip": (idx_bytes(digits(5))[:16 + 3 * 784], True, "mnist.truncated-gzip"),
}


@pytest.mark.task("load-idx")
@pytest.mark.parametrize("case", list(BAD))
def test_load_idx_rejects_bad_files(student, scratch, case):
    """Does load_idx raise ValueError for a bad magic number and for a file shorter than its header says?"""
    data, packed, about = BAD[case]
    path = write(scratch, case, data, packed)
    expect_value_error(student, "load_idx", path, what=t("mnist.load-idx-of", file=t(about)),
                       code="truncated-file-accepted" if case.startswith("truncated") else "bad-magic-accepted")


# ===================================================================================
# load-mnist
# ===================================================================================

def load_mnist_mistakes(folder: str, normalize: bool, flatten: bool,
                        one_hot: bool) -> dict[str, tuple[Sequence[Mistake], Sequence[Mistake]]]:
    """Every catalogued wrong load_mnist on the same folder and options, cut into x and t of each split.

    Lazy: the wrong loaders run (once, shared by the four arrays) only if one of the arrays is wrong.
    """
    runs = CATALOG.on("load_mnist", folder, normalize, flatten, one_hot, namespace={"load_idx": read_idx},
                      key=(normalize, flatten, one_hot))  # the folder is always FAKE's files

    def cut(split: int, item: int) -> Sequence[Mistake]:
        # wrong-structure gives no (x, t) pairs: parts() names it before any value is compared
        return catalog.lazy(lambda: [CATALOG.mistake(m.code, m.value[split][item]) for m in runs
                                     if is_pairs(m.value)])

    return {name: (cut(i, 0), cut(i, 1)) for i, name in enumerate(FAKE)}


@oracle
def expected_images(pixels: np.ndarray, normalize: bool, flatten: bool) -> np.ndarray:
    n = len(pixels)
    shape = (n, 784) if flatten else (n, 1, 28, 28)
    scaled = pixels / 255.0 if normalize else pixels
    return scaled.reshape(shape)


@oracle
def one_hot_labels(labels: np.ndarray) -> np.ndarray:
    return np.eye(10)[labels]


def check_images(expect, got: Any, pixels: np.ndarray, what: str, normalize: bool, flatten: bool,
                 mistakes: Sequence[Mistake]) -> None:
    expect.close(got, expected_images(pixels, normalize, flatten), what=what, mistakes=mistakes,
                 hint=t("mnist.images-hint"))
    if normalize:
        expect_dtype(got, np.float32, what=what, code="not-float32", hint=hint("not-float32"))
    else:
        expect_dtype(got, np.uint8, what=what, hint=t("mnist.uint8-pixels-hint"))


def check_labels(expect, got: Any, labels: np.ndarray, what: str, one_hot: bool,
                 mistakes: Sequence[Mistake]) -> None:
    if one_hot:
        expect.close(got, one_hot_labels(labels), what=what, mistakes=mistakes)
        return
    expect.close(got, labels, what=what, mistakes=mistakes)
    expect.integer(got, what=what, expected=labels, hint=t("mnist.integer-labels-hint"))


@pytest.mark.task("load-mnist")
@pytest.mark.parametrize("one_hot", [False, True], ids=["labels", "one-hot"])
@pytest.mark.parametrize("flatten", [True, False], ids=["flat", "image"])
@pytest.mark.parametrize("normalize", [True, False], ids=["float", "uint8"])
def test_load_mnist_options(student, expect, scratch, normalize, flatten, one_hot):
    """Does load_mnist give the right shapes, dtypes and values for every combination of its three options?"""
    call = f"load_mnist(dir, normalize={normalize}, flatten={flatten}, one_hot_label={one_hot})"
    folder = fake_mnist(scratch)
    got = student.load_mnist(folder, normalize=normalize, flatten=flatten, one_hot_label=one_hot)
    mistakes = load_mnist_mistakes(folder, normalize, flatten, one_hot)
    for split, (x, labels) in zip(FAKE, parts(got, t("mnist.on-fake-folder", call=call))):
        pixels, want = FAKE[split]
        x_mistakes, t_mistakes = mistakes[split]
        check_images(expect, x, pixels, t("mnist.array-on-fake-folder", name=f"x_{split}", call=call),
                     normalize, flatten, x_mistakes)
        check_labels(expect, labels, want, t("mnist.array-on-fake-folder", name=f"t_{split}", call=call),
                     one_hot, t_mistakes)


# ===================================================================================
# network: load_weights and predict
# ===================================================================================

@pytest.mark.task("network")
def test_load_weights_reads_the_kits_file(student, expect, scratch):
    """Does load_weights return a dict of the six arrays stored in the kit's .npz file?"""
    path = scratch / KIT.name
    shutil.copyfile(KIT, path)
    got = student.load_weights(str(path))
    what = t("mnist.load-weights-kit", call=f"load_weights('{KIT.name}')")
    if not isinstance(got, dict) or set(NAMES) - set(got):
        raise fail("missing-weights", t("mnist.expected-weights-dict"), what, list(NAMES), show(got),
                   t("mnist.weights-dict-hint"))
    for name, array in kit_network().items():
        expect.close(got[name], array, what=t("mnist.array-of", name=name, what=what), atol=0, rtol=0)


def npz_without(name: str, folder: Path, *, pickled: bool = False) -> str:
    arrays: dict[str, Any] = dict(kit_network())
    if pickled:
        arrays[name] = np.array([0.5, 1.5], dtype=object)  # np.savez pickles object arrays
    else:
        del arrays[name]
    path = folder / f"{'pickled' if pickled else 'no'}-{name}.npz"
    np.savez(path, **arrays)
    return str(path)


@pytest.mark.task("network")
def test_load_weights_requires_all_six_arrays(student, scratch):
    """Does load_weights raise ValueError when one of the six arrays (here b3) is missing?"""
    expect_value_error(student, "load_weights", npz_without("b3", scratch), what=t("mnist.npz-without-b3"),
                       code="missing-array-accepted")


@pytest.mark.task("network")
def test_load_weights_never_unpickles(student, scratch):
    """Does load_weights refuse an .npz whose W1 is a pickled object array (allow_pickle=False)?"""
    # An unpickled object array may also come back as a value the worker cannot send: the same mistake.
    expect_value_error(student, "load_weights", npz_without("W1", scratch, pickled=True),
                       what=t("mnist.npz-pickled-w1"), code="pickle-allowed",
                       returned={"bad-return": "pickle-allowed"})


@pytest.mark.task("network")
def test_predict_on_a_batch(student, expect, rng):
    """Does predict give sigmoid, sigmoid, softmax for a batch (N, 784) -> (N, 10), each row summing to 1?"""
    network, x = random_network(rng), images(rng, 8)
    expect.close(student.predict(network, x), seeded.answered(network_formula, network, x), inputs=x,
                 what=t("mnist.predict-batch", formula="softmax(sigmoid(sigmoid(x W1 + b1) W2 + b2) W3 + b3)"),
                 mistakes=CATALOG.on("predict", network, x))


@pytest.mark.task("network")
def test_predict_on_one_image(student, expect, rng):
    """Does predict take one image (784,) and give its 10 class probabilities (10,)?"""
    network, x = random_network(rng), images(rng, 1)[0]
    # Course note 001's whole-array softmax is right for one image: only a wrong value can match a mistake.
    expect.close(student.predict(network, x), seeded.answered(network_formula, network, x), inputs=x,
                 mistakes=CATALOG.on("predict", network, x), what=t("mnist.predict-one"),
                 hint=t("mnist.one-image-hint"))


def overflow_code(value: Any, naive_softmax: Sequence[Mistake]) -> str:
    """softmax-overflow when the output has exactly the NaNs of a softmax without max subtraction, else exp-overflow.

    Both overflow in np.exp; only the naive softmax also spoils the value (inf / inf), so the value tells them apart.
    """
    try:
        got = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return "exp-overflow"
    for mistake in naive_softmax:
        naive = np.asarray(mistake.value, dtype=np.float64)
        if (got.shape == naive.shape and not np.isfinite(naive).all()
                and np.allclose(got, naive, rtol=1e-5, atol=1e-8, equal_nan=True)):
            return mistake.code
    return "exp-overflow"


@pytest.mark.task("network")
def test_predict_is_stable_for_large_scores(student, expect, rng):
    """Does predict stay finite and warning-free when the weighted sums reach thousands?"""
    network, x = random_network(rng, scale=300.0), images(rng, 6)
    reply = student.call("predict", network, x)
    what = t("mnist.predict-large")
    naive_softmax = CATALOG.on("predict", network, x, codes=("softmax-overflow",))  # run only if needed
    if reply.warnings:
        code = overflow_code(reply.value, naive_softmax)
        expect.no_warnings(reply.warnings, what=what, code=code, hint=hint(code))
    expect.close(reply.value, seeded.answered(network_formula, network, x), what=what, inputs=x,
                 nonfinite_hint=hint("exp-overflow"), mistakes=CATALOG.on("predict", network, x),
                 hint=hint("exp-overflow"))


# ===================================================================================
# accuracy
# ===================================================================================

N = 30
CORRECT = np.array([1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1,
                    0, 1, 1, 0, 1, 0, 1, 1, 1, 1], dtype=bool)  # which of the 30 images get their right label
BATCHES = [1, 7, 10, 30, 100]


def labelled_batch(student, expect, rng) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """A network, 30 images, their scores by the student's own predict, and labels right exactly where CORRECT."""
    network, x = random_network(rng), images(rng, N)
    scores = expect.shape(student.predict(network, x), (N, 10), what=t("mnist.predict-for-accuracy"))
    guess = scores.argmax(axis=1)
    labels = np.where(CORRECT, guess, (guess + rng.integers(1, 10, size=N)) % 10)
    return network, x, labels, scores


def accuracy_mistakes(network: dict[str, np.ndarray], scores: np.ndarray, labels: np.ndarray,
                      batch_size: int = 100) -> Sequence[Mistake]:
    """The catalogued wrong accuracy functions, judged on the student's own predictions.

    They get the row numbers as x and a predict that returns the student's scores of those rows, so
    an accuracy mistake is recognised even when predict is wrong too.
    """
    mistakes = CATALOG.on("accuracy", network, np.arange(N), labels, batch_size,
                          namespace={"predict": lambda _network, rows: scores[rows]},
                          key=(network, labels, batch_size, scores), derived=True)
    kept = N // batch_size * batch_size
    if 0 < kept < N:  # the same mistake, dividing by the images it did look at instead of len(x)
        mistakes += (CATALOG.mistake("partial-batch-dropped", CORRECT[:kept].mean()),)
    return mistakes


@pytest.mark.task("accuracy")
@pytest.mark.parametrize("batch_size", BATCHES)
def test_accuracy_in_batches(student, expect, rng, batch_size):
    """Is accuracy the fraction of right argmax predictions for any batch size, the last partial batch included?"""
    network, x, labels, scores = labelled_batch(student, expect, rng)
    got = student.accuracy(network, x, labels, batch_size=batch_size)
    expect.close(got, CORRECT.mean(), inputs=labels, mistakes=accuracy_mistakes(network, scores, labels, batch_size),
                 what=t("mnist.accuracy-batches", call=f"accuracy(network, x, t, batch_size={batch_size})",
                        correct=CORRECT.sum()))


@pytest.mark.task("accuracy")
def test_accuracy_with_one_hot_labels(student, expect, rng):
    """Does accuracy accept one-hot labels (N, 10) and give the same fraction as integer labels?"""
    network, x, labels, scores = labelled_batch(student, expect, rng)
    one_hot = np.eye(10)[labels]
    expect.close(student.accuracy(network, x, one_hot), CORRECT.mean(), inputs=one_hot,
                 mistakes=accuracy_mistakes(network, scores, one_hot),
                 what=t("mnist.accuracy-one-hot", call="accuracy(network, x, t)", correct=CORRECT.sum()),
                 hint=t("mnist.one-hot-hint"))


# ===================================================================================
# random-inputs (hidden): against the reference
# ===================================================================================

def random_array(rng: np.random.Generator, dtype: np.dtype[Any]) -> np.ndarray:
    """Random values of `dtype` in a random shape of rank 1 to 4."""
    shape = tuple(int(n) for n in rng.integers(1, 6, size=int(rng.integers(1, 5))))
    if dtype.kind == "f":
        return rng.normal(scale=100.0, size=shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
def test_load_idx_matches_reference(student, expect, reference, rng, scratch, dtype):
    """Does load_idx read every IDX type code at any rank, gzip'd or raw, like the reference?"""
    array = random_array(rng, np.dtype(dtype))
    packed = bool(rng.integers(0, 2))
    path = write(scratch, "random", idx_bytes(array), packed)
    want = reference.load_idx(path)
    code = IDX_CODES[array.dtype.kind, array.dtype.itemsize]
    what = t("mnist.load-idx-random", file=t(f"mnist.{'gzip' if packed else 'raw'}-file"), code=f"0x{code:02X}",
             shape=array.shape)
    got = student.load_idx(path)
    expect.close(got, want, what=what, rtol=0, atol=0, hint=t("mnist.header-hint"),
                 mistakes=CATALOG.on("load_idx", path))
    expect_dtype(got, want.dtype, what=what, hint=t("mnist.type-codes-hint"))


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("n", [1, 17])
def test_predict_matches_reference(student, expect, reference, rng, n):
    """Does predict agree with the reference on a random network and random images?"""
    network, x = random_network(rng), images(rng, n)
    expect.close(student.predict(network, x), seeded.answered(reference.predict, network, x), inputs=x,
                 what=t("mnist.predict-random", shape=x.shape), mistakes=CATALOG.on("predict", network, x),
                 hint=t("mnist.predict-formula-hint",
                        formula="y = softmax(sigmoid(sigmoid(x @ W1 + b1) @ W2 + b2) @ W3 + b3)"))


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("batch_size", [1, 3, 64, 100, 1000])
def test_accuracy_matches_reference(student, expect, reference, rng, batch_size):
    """Does accuracy agree with the reference for random labels, integer and one-hot, at any batch size?"""
    # 257 images: no batch size divides it, and 1000 exceeds it. Batches of 1 and 3 need fewer to end on
    # a partial batch: 37 keeps them from costing 257 predict calls each in both processes.
    count = 37 if batch_size < 10 else 257
    network, x = random_network(rng), images(rng, count)
    labels = seeded.drawn(rng, random_labels, count)
    targets = ((labels, "mnist.integer-labels"), (np.eye(10)[labels], "mnist.one-hot-labels"))
    want = None
    replies = student.each("accuracy", [Call(network, x, target, batch_size=batch_size) for target, _ in targets])
    for (_, kind), reply in zip(targets, replies):
        if want is None:  # only once the student's code has answered: a stub never pays for the reference
            want = seeded.answered(reference.accuracy, network, x, labels, batch_size=batch_size)
        expect.close(reply.value, want,
                     what=t("mnist.accuracy-random", call=f"accuracy(network, x, t, batch_size={batch_size})",
                            labels=t(kind)),
                     hint=t("mnist.accuracy-reference-hint"))


# ===================================================================================
# real-data: the real MNIST files (not run where the data is absent)
# ===================================================================================

REAL_PIXEL_SUMS = {"test": 264923200}


@pytest.fixture
def mnist_dir(data_dir: Path) -> Path:
    """The data folder, when all four MNIST files are in it."""
    try:
        folder = require(data_dir)
    except DataMissing as missing:
        pytest.skip(t("mnist.data-missing", folder=missing.folder, files=", ".join(missing.missing), env=ENV_VAR))
    if recorded.edition() and not recorded.recorded("mnist", "real_labels"):
        pytest.skip(t("mnist.released-without-data"))  # nothing to compare with here; grading runs it
    return folder


@functools.lru_cache(maxsize=2)
def real_test_set(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 test images as float32 in [0, 1] and their labels, read by the grader.

    The images come from sandbox/shared.py: a worker forked from a fork server that loaded them too is sent
    a token for them, not 31 MB through the pipe (grade-all's judges and the check server have such servers).
    """
    with gzip.open(folder / f"{STANDARD['test'][1]}.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return shared.load(shared.MNIST_TEST_IMAGES, str(folder)), labels


@pytest.mark.task("real-data")
def test_load_idx_on_the_real_files(student, expect, mnist_dir):
    """Does load_idx read the real files: 10,000 test images and their labels, 60,000 training labels (first 5)?

    load_mnist itself is graded on judge-written files in the same layout (task load-mnist). Here the real
    headers and archives are read, but not the 47 MB of training images: unpacking them took a third of the
    time grading a whole course took, for every submission of a class, and proved nothing the test images don't.
    """
    what = t("mnist.real-load", call="load_idx(path)")
    images_name, labels_name = STANDARD["test"]
    for name in (STANDARD["train"][1], labels_name):  # labels: small enough to compare whole, mistakes named
        path = str(mnist_dir / f"{name}.gz")
        labels = expect.integer(student.load_idx(path), what=t("mnist.array-of", name=f"load_idx('{name}.gz')",
                                                                 what=what))
        expect.close(labels, real_labels(path), what=t("mnist.array-of", name=f"load_idx('{name}.gz')", what=what),
                     rtol=0, atol=0, mistakes=CATALOG.on("load_idx", path, key=name), hint=t("mnist.header-hint"))
    # 7.8 MB of images: their shape, dtype and the sum of all pixels tell a right reading from a wrong one.
    images_what = t("mnist.array-of", name=f"load_idx('{images_name}.gz')", what=what)
    x_test = expect.shape(student.load_idx(str(mnist_dir / f"{images_name}.gz")), (10000, 28, 28),
                          what=images_what, hint=t("mnist.header-hint"))
    expect_dtype(x_test, np.uint8, what=images_what, hint=t("mnist.uint8-pixels-hint"))
    expect.steps([Step(t("mnist.step-pixel-sum", formula="x_test.sum()"), x_test.sum(dtype=np.int64),
                       REAL_PIXEL_SUMS["test"])], what=images_what, atol=0, rtol=0, hint=t("mnist.header-hint"))


@functools.lru_cache(maxsize=4)
@oracle(key=lambda path: Path(path).read_bytes())
def real_labels(path: str) -> np.ndarray:
    """A real label file as the grader reads it (60,000 bytes at most), once per judge process."""
    return read_idx(path)


def batched_accuracy(predict: Callable[..., Any], network: dict[str, np.ndarray], x: np.ndarray,
                     labels: np.ndarray, batch_size: int = 100) -> float:
    """The right accuracy computed with `predict`, in accuracy's default batches of 100."""
    hits = sum(int(np.sum(np.argmax(predict(network, x[i:i + batch_size]), axis=-1) == labels[i:i + batch_size]))
               for i in range(0, len(x), batch_size))
    return hits / len(x)


@oracle
def through_predict(network: dict[str, np.ndarray], x: np.ndarray, labels: np.ndarray) -> Sequence[Mistake]:
    """The accuracy each catalogued wrong predict gives (8 predicts of 10,000 images: only once a value is wrong)."""
    with np.errstate(all="ignore"):
        return tuple(CATALOG.mistake(m.code, batched_accuracy(m.implementation(), network, x, labels))
                     for m in CATALOG.mistakes.values() if m.function == "predict")


@pytest.mark.task("real-data")
def test_accuracy_of_the_kits_weights(student, expect, mnist_dir):
    """Does accuracy, with the kit's trained weights, classify exactly as many test images right as the reference?"""
    x, labels = real_test_set(mnist_dir)
    network, record = kit_network(), kit_record()
    what = t("mnist.real-accuracy", call="accuracy(kit network, x_test, t_test)", correct=record["test_correct"],
             accuracy=record["accuracy"])
    # A wrong predict shows here only through the images its argmax gets right, batch by batch as accuracy
    # calls it (a softmax over axis 0 depends on the batch); a wrong accuracy shows by itself.
    mistakes = (CATALOG.on("accuracy", network, x, labels, namespace={"predict": network_formula})
                + catalog.lazy(lambda: through_predict(network, x, labels)))
    expect.close(student.accuracy(network, x, labels), record["accuracy"], what=what, rtol=0, atol=0.5 / len(labels),
                 mistakes=mistakes, hint=t("mnist.real-accuracy-hint"))


@pytest.mark.task("random-inputs")
def test_predict_and_accuracy_of_plain_python_lists(student, expect, reference, rng):
    """Do predict and accuracy take images and labels as plain Python lists, as np.asarray does?"""
    network, x = random_network(rng), images(rng, 5)
    samples = (x, x[0])
    for sample, reply in zip(samples, student.each("predict", [(network, sample.tolist()) for sample in samples])):
        expect.close(reply.value, reference.predict(network, sample),
                     what=t("core.plain-list-args", call="predict(network, x)", names=f"x {sample.shape}"),
                     inputs=sample)
    labels = rng.integers(0, 10, size=5)
    targets = (labels, np.eye(10)[labels])
    replies = student.each("accuracy", [Call(network, x.tolist(), target.tolist(), batch_size=2) for target in targets])
    for target, reply in zip(targets, replies):
        expect.close(reply.value, reference.accuracy(network, x, target, batch_size=2),
                     what=t("core.plain-list-args", call="accuracy(network, x, t, batch_size=2)", names="x, t"),
                     inputs=target.tolist())
