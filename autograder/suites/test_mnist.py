"""MNIST inference (WORKED_EXAMPLES §6, seed 001): IDX files, load_mnist, the network, accuracy.

Public tests read small IDX files the grader writes (so their content is known)
and apply the seed's formula, sigmoid, sigmoid, softmax, to seeded inputs;
hidden tests compare with the reference on seeded random files and inputs. The
real-data tests run only where the MNIST folder is available: they check the
real files and the accuracy the kit's own trained weights reach.
"""
from __future__ import annotations

import functools
import gzip
import json
import shutil
import struct
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from autograder.compare import Feedback, Mismatch, Mistake, Step, show
from autograder.mnist_data import DataMissing, require
from autograder.sandbox import StudentFault

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
HEADER_HINT = ("After the 4-byte magic number come ndim sizes, each a big-endian uint32; the data start at byte "
               "4 + 4·ndim (8 for labels, 16 for images) and have exactly those sizes.")
HEADER_OFFSET = Mistake("idx-header-offset", LABELS[8:],
                        "the first 8 labels are missing: a label file has ndim = 1, so its data start at byte 8, "
                        "not 16 (offset = 4 + 4·ndim)")


# --- files the grader writes ------------------------------------------------------

def idx_bytes(array: np.ndarray, magic: bytes | None = None) -> bytes:
    """An IDX file holding `array` (big-endian), optionally with another magic number."""
    array = np.asarray(array)
    header = magic or bytes([0, 0, IDX_CODES[array.dtype.kind, array.dtype.itemsize], array.ndim])
    sizes = b"".join(struct.pack(">I", n) for n in array.shape)
    return header + sizes + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(folder: Path, name: str, data: bytes, packed: bool) -> str:
    path = folder / (name + (".gz" if packed else ""))
    path.write_bytes(gzip.compress(data, mtime=0) if packed else data)
    return str(path)


FAKE = {"train": (digits(7), LABELS[:7]), "test": (digits(3), np.array([7, 2, 1], dtype=np.uint8))}
STANDARD = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
            "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
FOLDER = "a folder of 7 training and 3 test images the grader wrote under the four standard names"


def fake_mnist(folder: Path) -> str:
    """The four standard gzip'd files, with FAKE's images and labels."""
    for split, (images, labels) in FAKE.items():
        for name, array in zip(STANDARD[split], (images, labels)):
            write(folder, name, idx_bytes(array), packed=True)
    return str(folder)


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
        raise fail(code, f"dtype {have}, expected {want}", what, want, have, hint)


def expect_value_error(student: Any, function: str, *args: Any, what: str, code: str, hint: str,
                       returned: dict[str, tuple[str, str]] | None = None) -> None:
    """The call must raise ValueError; `returned` maps other fault kinds to (code, hint)."""
    try:
        value = student.call(function, *args).value
    except StudentFault as error:
        fault = error.fault
        if fault.kind in (returned or {}):
            other_code, other_hint = (returned or {})[fault.kind]
            raise fail(other_code, f"did not raise ValueError ({fault.message})", what, "ValueError(...)",
                       fault.message, other_hint) from None
        if fault.kind != "exception":
            raise
        if fault.raised("ValueError"):
            return
        raise fail("wrong-exception", f"raised {fault.message}, expected a ValueError", what, "ValueError(...)",
                   fault.message, hint, tuple(fault.trace.splitlines()[-4:])) from None
    raise fail(code, "returned a value instead of raising ValueError", what, "ValueError(...)", show(value), hint)


def parts(got: Any, what: str) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """((x_train, t_train), (x_test, t_test)), or a wrong-structure failure."""
    pairs = isinstance(got, (tuple, list)) and len(got) == 2 and all(
        isinstance(p, (tuple, list)) and len(p) == 2 for p in got)
    if not pairs:
        raise fail("wrong-structure", "expected ((x_train, t_train), (x_test, t_test))", what,
                   "((x_train, t_train), (x_test, t_test))", show(got),
                   "return two pairs: return (x_train, t_train), (x_test, t_test)")
    (x_train, t_train), (x_test, t_test) = got
    return (x_train, t_train), (x_test, t_test)


# --- the seed's network, as formulas -----------------------------------------------

def sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def softmax_rows(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_whole(a: np.ndarray) -> np.ndarray:
    """Seed 001's softmax: one max and one sum over the whole array (right for one sample only)."""
    e = np.exp(a - np.max(a))
    return e / np.sum(e)


def softmax_columns(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def network_formula(network: dict[str, np.ndarray], x: np.ndarray,
                    hidden: Callable[[np.ndarray], np.ndarray] = sigmoid,
                    output: Callable[[np.ndarray], np.ndarray] = softmax_rows) -> np.ndarray:
    """y = output(hidden(hidden(x W1 + b1) W2 + b2) W3 + b3)."""
    h = np.asarray(x, dtype=np.float64)
    for i in (1, 2):
        h = hidden(h @ network[f"W{i}"] + network[f"b{i}"])
    return output(h @ network["W3"] + network["b3"])


def random_network(rng: np.random.Generator, scale: float = 1.0) -> dict[str, np.ndarray]:
    """A 784-50-100-10 network with spread-out scores (so the argmax varies between images)."""
    network = {}
    for i, (n_in, n_out) in enumerate(zip(SIZES, SIZES[1:]), start=1):
        network[f"W{i}"] = scale * rng.normal(0.0, 3.0 / np.sqrt(n_in), size=(n_in, n_out))
        network[f"b{i}"] = scale * rng.normal(0.0, 0.5, size=n_out)
    return network


def images(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random 'images' of 784 pixels in [0, 1], float32 like load_mnist's."""
    return rng.uniform(0.0, 1.0, size=(n, 784)).astype(np.float32)


PREDICT_MISTAKES: dict[str, tuple[dict[str, Any], str]] = {
    "relu-in-predict": ({"hidden": lambda z: np.maximum(0, z)},
                        "the MNIST network of seed 001 uses sigmoid in both hidden layers, not relu"),
    "softmax-missing": ({"output": lambda a: a}, "apply softmax to the last layer's scores (a3 = z2 W3 + b3)"),
    "sigmoid-output": ({"output": sigmoid}, "the output layer is softmax, not sigmoid: its 10 values sum to 1"),
    "softmax-whole-batch": ({"output": softmax_whole},
                            "seed 001's softmax takes np.max and np.sum over the whole array, which mixes the "
                            "images of a batch: subtract and sum per row (axis=-1, keepdims=True). The argmax "
                            "does not change, which is why accuracy still came out right"),
    "softmax-wrong-axis": ({"output": softmax_columns},
                           "softmax runs over the 10 classes of each image (the last axis), not over the batch"),
}


def predict_mistakes(network: dict[str, np.ndarray], x: np.ndarray) -> tuple[Mistake, ...]:
    return tuple(Mistake(code, network_formula(network, x, **change), hint)
                 for code, (change, hint) in PREDICT_MISTAKES.items())


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
    what = f"load_idx of a {'gzip' if packed else 'raw'} {kind} file (magic {magic}, shape {array.shape}, uint8)"
    got = student.load_idx(path)
    expect.close(got, array, what=what, hint=HEADER_HINT, mistakes=(HEADER_OFFSET,) if kind == "labels" else ())
    expect_dtype(got, np.uint8, what=what, hint="type code 0x08 means unsigned bytes: np.uint8")


BAD = {
    "unknown-type-code": (idx_bytes(LABELS, magic=bytes([0, 0, 0x0A, 1])), False,
                          "magic number 0x00000A01: type code 0x0A is not an IDX type"),
    "nonzero-first-bytes": (idx_bytes(LABELS, magic=bytes([0x12, 0x34, 0x08, 1])), False,
                            "magic number 0x12340801: an IDX file starts with two zero bytes"),
    "truncated-raw": (idx_bytes(digits(5))[:16 + 3 * 784], False,
                      "a raw image file whose header promises 5 images but holds 3"),
    "truncated-gzip": (idx_bytes(digits(5))[:16 + 3 * 784], True,
                       "a gzip'd image file whose header promises 5 images but holds 3"),
}


@pytest.mark.task("load-idx")
@pytest.mark.parametrize("case", list(BAD))
def test_load_idx_rejects_bad_files(student, scratch, case):
    """Does load_idx raise ValueError for a bad magic number and for a file shorter than its header says?"""
    data, packed, about = BAD[case]
    path = write(scratch, case, data, packed)
    truncated = case.startswith("truncated")
    expect_value_error(
        student, "load_idx", path, what=f"load_idx of {about}",
        code="truncated-file-accepted" if truncated else "bad-magic-accepted",
        hint=("compare the number of data bytes with the product of the sizes times the item size, and "
              "raise ValueError(...) when they are fewer" if truncated else
              "check the magic number: bytes 0 and 1 are zero, byte 2 is a known type code (0x08 for MNIST); "
              "otherwise raise ValueError(f\"{path}: bad magic number ...\")"))


# ===================================================================================
# load-mnist
# ===================================================================================

def check_images(expect, got: Any, pixels: np.ndarray, what: str, normalize: bool, flatten: bool) -> None:
    n = len(pixels)
    shape = (n, 784) if flatten else (n, 1, 28, 28)
    scaled = pixels / 255.0 if normalize else pixels
    mistakes = [Mistake("missing-channel-axis", scaled.reshape(n, 28, 28),
                        "flatten=False gives (N, 1, 28, 28): one channel axis before the 28×28 pixels")]
    if normalize:
        mistakes += [Mistake("divide-by-256", (pixels / 256.0).reshape(shape),
                             "the largest pixel is 255: divide by 255.0 so that it becomes exactly 1.0"),
                     Mistake("not-normalized", pixels.reshape(shape), "normalize=True divides the pixels by 255.0")]
    else:
        mistakes += [Mistake("normalize-ignored", (pixels / 255.0).reshape(shape),
                             "normalize=False keeps the raw uint8 pixels 0..255")]
    expect.close(got, scaled.reshape(shape), what=what, mistakes=tuple(mistakes),
                 hint="x holds the images in file order: flatten=True gives (N, 784), flatten=False gives "
                      "(N, 1, 28, 28); normalize=True divides the pixels by 255.0")
    if normalize:
        expect_dtype(got, np.float32, what=what, code="not-float32",
                     hint="convert before dividing: x.astype(np.float32) / 255.0 (float64 would take twice the "
                          "memory: 60,000 × 784 × 8 bytes = 376 MB)")
    else:
        expect_dtype(got, np.uint8, what=what, hint="normalize=False keeps the uint8 pixels as read")


def check_labels(expect, got: Any, labels: np.ndarray, what: str, one_hot: bool) -> None:
    rows = np.eye(10)[labels]
    if one_hot:
        expect.close(got, rows, what=what, mistakes=(
            Mistake("one-hot-ignored", labels, "one_hot_label=True turns each label into a row of 10 with a single "
                                               "1 at the label's position: np.eye(10)[t]"),))
        return
    expect.close(got, labels, what=what, mistakes=(
        Mistake("one-hot-always", rows, "one_hot_label=False keeps the labels as integers 0..9"),))
    expect.integer(got, what=what, expected=labels, hint="labels stay integers (uint8, as read) without one-hot")


@pytest.mark.task("load-mnist")
@pytest.mark.parametrize("one_hot", [False, True], ids=["labels", "one-hot"])
@pytest.mark.parametrize("flatten", [True, False], ids=["flat", "image"])
@pytest.mark.parametrize("normalize", [True, False], ids=["float", "uint8"])
def test_load_mnist_options(student, expect, scratch, normalize, flatten, one_hot):
    """Does load_mnist give the right shapes, dtypes and values for every combination of its three options?"""
    call = f"load_mnist(dir, normalize={normalize}, flatten={flatten}, one_hot_label={one_hot})"
    got = student.load_mnist(fake_mnist(scratch), normalize=normalize, flatten=flatten, one_hot_label=one_hot)
    for split, (x, t) in zip(FAKE, parts(got, f"{call} on {FOLDER}")):
        pixels, labels = FAKE[split]
        check_images(expect, x, pixels, f"x_{split} of {call} on {FOLDER}", normalize, flatten)
        check_labels(expect, t, labels, f"t_{split} of {call} on {FOLDER}", one_hot)


# ===================================================================================
# network: load_weights and predict
# ===================================================================================

@pytest.mark.task("network")
def test_load_weights_reads_the_kits_file(student, expect, scratch):
    """Does load_weights return a dict of the six arrays stored in the kit's .npz file?"""
    path = scratch / KIT.name
    shutil.copyfile(KIT, path)
    got = student.load_weights(str(path))
    what = f"load_weights('{KIT.name}'), the kit's trained 784-50-100-10 network"
    if not isinstance(got, dict) or set(NAMES) - set(got):
        raise fail("missing-weights", "expected a dict with keys W1, b1, W2, b2, W3, b3", what, list(NAMES),
                   show(got), "return {name: npz[name] for name in ('W1', 'b1', 'W2', 'b2', 'W3', 'b3')}")
    for name, array in kit_network().items():
        expect.close(got[name], array, what=f"{name} of {what}", atol=0, rtol=0)


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
    expect_value_error(
        student, "load_weights", npz_without("b3", scratch), what="load_weights of an .npz without b3",
        code="missing-array-accepted",
        hint="check that W1, b1, W2, b2, W3 and b3 are all in npz.files; raise ValueError naming the missing ones")


@pytest.mark.task("network")
def test_load_weights_never_unpickles(student, scratch):
    """Does load_weights refuse an .npz whose W1 is a pickled object array (allow_pickle=False)?"""
    hint = "np.load(path, allow_pickle=False): a pickle can run any code, never unpickle files you did not write"
    expect_value_error(
        student, "load_weights", npz_without("W1", scratch, pickled=True),
        what="load_weights of an .npz whose W1 is a pickled object array", code="pickle-allowed", hint=hint,
        returned={"bad-return": ("pickle-allowed", hint)})


@pytest.mark.task("network")
def test_predict_on_a_batch(student, expect, rng):
    """Does predict give sigmoid, sigmoid, softmax for a batch (N, 784) -> (N, 10), each row summing to 1?"""
    network, x = random_network(rng), images(rng, 8)
    expect.close(student.predict(network, x), network_formula(network, x), inputs=x,
                 what="predict(network, x) for x of shape (8, 784): "
                      "softmax(sigmoid(sigmoid(x W1 + b1) W2 + b2) W3 + b3)",
                 mistakes=predict_mistakes(network, x))


@pytest.mark.task("network")
def test_predict_on_one_image(student, expect, rng):
    """Does predict take one image (784,) and give its 10 class probabilities (10,)?"""
    network, x = random_network(rng), images(rng, 1)[0]
    mistakes = tuple(m for m in predict_mistakes(network, x) if m.code != "softmax-whole-batch")
    expect.close(student.predict(network, x), network_formula(network, x), inputs=x, mistakes=mistakes,
                 what="predict(network, x) for one image x of shape (784,)",
                 hint="use axis=-1 in softmax, so that the same code works for (784,) and (N, 784)")


@pytest.mark.task("network")
def test_predict_is_stable_for_large_scores(student, expect, rng):
    """Does predict stay finite and warning-free when the weighted sums reach thousands?"""
    network, x = random_network(rng, scale=300.0), images(rng, 6)
    reply = student.call("predict", network, x)
    what = "predict(network, x) with weights 300× larger (weighted sums in the thousands)"
    hint = ("a naive sigmoid overflows in np.exp(-z) for z << 0 and a softmax without max-subtraction overflows in "
            "np.exp(a): use sigmoid with e = np.exp(-np.abs(z)) and softmax of a - a.max(axis=-1, keepdims=True)")
    expect.no_warnings(reply.warnings, what=what, code="exp-overflow", hint=hint)
    expect.close(reply.value, network_formula(network, x), what=what, inputs=x, nonfinite_hint=hint,
                 mistakes=predict_mistakes(network, x), hint=hint)


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
    scores = expect.shape(student.predict(network, x), (N, 10),
                          what="predict(network, x) for x of shape (30, 784), which accuracy relies on")
    guess = scores.argmax(axis=1)
    labels = np.where(CORRECT, guess, (guess + rng.integers(1, 10, size=N)) % 10)
    return network, x, labels, scores


def argmax_axis0(scores: np.ndarray, labels: np.ndarray, batch_size: int) -> float | None:
    """What accuracy returns with argmax(axis=0) in each batch, where numpy can broadcast it."""
    total = 0
    for i in range(0, N, batch_size):
        try:
            total += int(np.sum(scores[i:i + batch_size].argmax(axis=0) == labels[i:i + batch_size]))
        except ValueError:
            return None
    return total / N


def accuracy_mistakes(scores: np.ndarray, labels: np.ndarray, batch_size: int) -> tuple[Mistake, ...]:
    kept = N // batch_size * batch_size
    mistakes = [Mistake("count-not-fraction", CORRECT.sum(), "return the fraction of correct images "
                        "(correct / len(x)), a float in [0, 1], not the count")]
    if kept < N:
        hint = (f"with batch_size={batch_size} the last batch holds {N - kept} images: "
                "range(0, len(x), batch_size) visits it, range(len(x) // batch_size) does not")
        mistakes += [Mistake("partial-batch-dropped", CORRECT[:kept].sum() / N, hint)]
        if kept:
            mistakes += [Mistake("partial-batch-dropped", CORRECT[:kept].mean(), hint)]
    wrong_axis = argmax_axis0(scores, labels, batch_size)
    if wrong_axis is not None:
        mistakes += [Mistake("argmax-wrong-axis", wrong_axis, "the predicted class of each image is the argmax "
                             "over its 10 scores: y.argmax(axis=1), not axis=0 (that runs over the batch)")]
    return tuple(mistakes)


@pytest.mark.task("accuracy")
@pytest.mark.parametrize("batch_size", BATCHES)
def test_accuracy_in_batches(student, expect, rng, batch_size):
    """Is accuracy the fraction of right argmax predictions for any batch size, the last partial batch included?"""
    network, x, labels, scores = labelled_batch(student, expect, rng)
    got = student.accuracy(network, x, labels, batch_size=batch_size)
    expect.close(got, CORRECT.mean(), inputs=labels, mistakes=accuracy_mistakes(scores, labels, batch_size),
                 what=f"accuracy(network, x, t, batch_size={batch_size}) on 30 images of which "
                      f"{CORRECT.sum()} have the label your predict's argmax gives")


@pytest.mark.task("accuracy")
def test_accuracy_with_one_hot_labels(student, expect, rng):
    """Does accuracy accept one-hot labels (N, 10) and give the same fraction as integer labels?"""
    network, x, labels, scores = labelled_batch(student, expect, rng)
    one_hot = np.eye(10)[labels]
    expect.close(student.accuracy(network, x, one_hot), CORRECT.mean(), inputs=one_hot,
                 mistakes=accuracy_mistakes(scores, labels, 100),
                 what=f"accuracy(network, x, t) with t one-hot (30, 10); {CORRECT.sum()} of 30 are right",
                 hint="for one-hot rows compare with t.argmax(axis=1); integer labels are used as they are")


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
    what = (f"load_idx of a {'gzip' if packed else 'raw'} IDX file: type code 0x{code:02X}, "
            f"shape {array.shape}")
    got = student.load_idx(path)
    expect.close(got, want, what=what, rtol=0, atol=0, hint=HEADER_HINT)
    expect_dtype(got, want.dtype, what=what, hint="map each type code to its dtype: 0x08 uint8, 0x09 int8, "
                 "0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64 (all big-endian)")


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("n", [1, 17])
def test_predict_matches_reference(student, expect, reference, rng, n):
    """Does predict agree with the reference on a random network and random images?"""
    network, x = random_network(rng), images(rng, n)
    expect.close(student.predict(network, x), reference.predict(network, x), inputs=x,
                 what=f"predict(network, x), random network, x of shape {x.shape}",
                 mistakes=predict_mistakes(network, x),
                 hint="y = softmax(sigmoid(sigmoid(x @ W1 + b1) @ W2 + b2) @ W3 + b3), softmax over the last axis")


@pytest.mark.task("random-inputs")
@pytest.mark.parametrize("batch_size", [1, 3, 64, 100, 1000])
def test_accuracy_matches_reference(student, expect, reference, rng, batch_size):
    """Does accuracy agree with the reference for random labels, integer and one-hot, at any batch size?"""
    network, x = random_network(rng), images(rng, 257)
    labels = rng.integers(0, 10, size=257)
    want = reference.accuracy(network, x, labels, batch_size=batch_size)
    for t, kind in ((labels, "integer labels"), (np.eye(10)[labels], "one-hot labels")):
        expect.close(student.accuracy(network, x, t, batch_size=batch_size), want,
                     what=f"accuracy(network, x, t, batch_size={batch_size}) on 257 random images with {kind}",
                     hint="accuracy relies on predict (fix its tests first), then: predict every slice "
                          "x[i:i + batch_size], the last one too, compare argmax(axis=1) with the labels "
                          "(t.argmax(axis=1) for one-hot) and divide the count by len(x)")


# ===================================================================================
# real-data: the real MNIST files (not run where the data is absent)
# ===================================================================================

REAL_COUNTS = {
    "train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
}
REAL_PIXEL_SUMS = {"train": 1567298545, "test": 264923200}


@pytest.fixture
def mnist_dir(data_dir: Path) -> Path:
    """The data folder, when all four MNIST files are in it."""
    try:
        return require(data_dir)
    except DataMissing as missing:
        pytest.skip(str(missing))


@functools.lru_cache(maxsize=2)
def real_test_set(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 test images as float32 in [0, 1] and their labels, read by the grader."""
    def read(name: str, offset: int) -> np.ndarray:
        with gzip.open(folder / f"{name}.gz") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)

    x = read(STANDARD["test"][0], 16).reshape(-1, 784).astype(np.float32) / 255.0
    return x, read(STANDARD["test"][1], 8)


def summary(x: Any, t: Any, split: str, n: int) -> list[Step]:
    def attempt(f: Callable[[], Any]) -> Any:
        try:
            return f()
        except Exception as exc:  # a wrong shape or dtype: shown as the step's value
            return f"cannot compute ({type(exc).__name__})"

    x, t = np.asarray(x), np.asarray(t)
    return [
        Step(f"x_{split}.shape", x.shape, (n, 784)),
        Step(f"t_{split}.shape", t.shape, (n,)),
        Step(f"np.bincount(t_{split}), the images of each digit", attempt(lambda: np.bincount(t, minlength=10)),
             REAL_COUNTS[split]),
        Step(f"x_{split}.sum(), all pixels added up", attempt(lambda: x.sum(dtype=np.int64)), REAL_PIXEL_SUMS[split]),
    ]


@pytest.mark.task("real-data")
def test_load_mnist_on_the_real_files(student, expect, mnist_dir):
    """Does load_mnist(normalize=False) read 60,000 + 10,000 real images, the first training label being 5?"""
    what = "load_mnist(data_dir, normalize=False) on the real MNIST files (WORKED_EXAMPLES §6)"
    (x_train, t_train), (x_test, t_test) = parts(student.load_mnist(str(mnist_dir), normalize=False), what)
    first = np.asarray(t_train).reshape(-1)[:1]
    expect.steps([Step("t_train[0], the first training label", first, [5]),
                  *summary(x_train, t_train, "train", 60000), *summary(x_test, t_test, "test", 10000)],
                 what=what, atol=0, rtol=0, hint=HEADER_HINT)
    expect_dtype(x_train, np.uint8, what=f"x_train of {what}", hint="normalize=False keeps the uint8 pixels as read")


@pytest.mark.task("real-data")
def test_accuracy_of_the_kits_weights(student, expect, mnist_dir):
    """Does accuracy, with the kit's trained weights, classify exactly as many test images right as the reference?"""
    x, t = real_test_set(mnist_dir)
    network, record = kit_network(), kit_record()
    what = (f"accuracy(kit network, x_test, t_test) on the 10,000 real test images: the reference gets "
            f"{record['test_correct']} right ({record['accuracy']})")
    relu = network_formula(network, x, hidden=lambda z: np.maximum(0, z)).argmax(axis=1)
    expect.close(student.accuracy(network, x, t), record["accuracy"], what=what, rtol=0, atol=0.5 / len(t),
                 mistakes=(Mistake("relu-in-predict", np.mean(relu == t), PREDICT_MISTAKES["relu-in-predict"][1]),
                           Mistake("count-not-fraction", record["test_correct"],
                                   "return the fraction correct / len(x), not the count")),
                 hint="every image counts once: predict in batches of batch_size, compare argmax(axis=1) with t")
