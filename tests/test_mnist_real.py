"""The MNIST exercise against the real data: the kit's weights, the classic weights, the whole suite.

Tests that need the data are skipped, saying why, unless NNGRADE_DATA names a
folder with the four MNIST files. The classic pretrained weights ("Deep
Learning from Scratch", sample_weight.pkl) are looked for in
NNGRADE_CLASSIC_WEIGHTS, else in ../classic/sample_weight.pkl beside the data
folder; they are a pickle, so they are read with an Unpickler that allows only
the three numpy globals such a file needs.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import runpy
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pytest
from conftest import ROOT

from autograder.data.mnist import MNIST_FILES

KIT = ROOT / "autograder" / "weights" / "mnist_784_50_100_10.npz"
RECORD = KIT.with_suffix(".json")
CLASSIC_SHA256 = "b7f55a27988ba34c3777b0f1bbd464817c8a4db855723e6ff26f703501917a13"
SHAPES = {"W1": (784, 50), "b1": (50,), "W2": (50, 100), "b2": (100,), "W3": (100, 10), "b3": (10,)}


def real_data() -> Path | None:
    value = os.environ.get("NNGRADE_DATA")
    folder = Path(value) if value else None
    return folder if folder and all((folder / f.name).is_file() for f in MNIST_FILES) else None


def classic_weights() -> Path | None:
    value = os.environ.get("NNGRADE_CLASSIC_WEIGHTS")
    data = os.environ.get("NNGRADE_DATA")
    path = Path(value) if value else (Path(data).parent / "classic" / "sample_weight.pkl" if data else None)
    return path if path and path.is_file() else None


needs_data = pytest.mark.skipif(
    real_data() is None, reason="needs NNGRADE_DATA pointing at a folder with the four MNIST .gz files")
needs_classic = pytest.mark.skipif(
    real_data() is None or classic_weights() is None,
    reason="needs NNGRADE_DATA (the four MNIST files) and the classic sample_weight.pkl "
           "(NNGRADE_CLASSIC_WEIGHTS, or ../classic/sample_weight.pkl beside the data folder)")


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles plain numpy arrays and nothing else (numpy.core.* is numpy._core.* on NumPy 2)."""

    ALLOWED: ClassVar[set[tuple[str, str]]] = {("numpy.core.multiarray", "_reconstruct"), ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights pickle")
        if module.startswith("numpy.core") and int(np.__version__.split(".")[0]) >= 2:
            module = "numpy._core" + module.removeprefix("numpy.core")
        return super().find_class(module, name)


def reference() -> SimpleNamespace:
    """solutions/mnist.py's functions (solutions/ is not a package)."""
    return SimpleNamespace(**runpy.run_path(str(ROOT / "solutions" / "mnist.py")))


@pytest.fixture(scope="module")
def test_set() -> tuple[np.ndarray, np.ndarray]:
    folder = real_data()
    assert folder is not None
    _, (x, t) = reference().load_mnist(folder)
    return x, t


# --- the kit's own weights (no data needed) -----------------------------------------------


def test_kit_weights_match_their_record():
    """Is the shipped .npz the one its JSON describes (sha256), a pickle-free 784-50-100-10 network?"""
    record = json.loads(RECORD.read_text())
    assert hashlib.sha256(KIT.read_bytes()).hexdigest() == record["sha256"]
    with np.load(KIT, allow_pickle=False) as npz:
        assert {name: npz[name].shape for name in npz.files} == SHAPES
        assert all(npz[name].dtype == np.float64 for name in npz.files)
    assert record["accuracy"] >= 0.95
    assert record["test_correct"] == round(record["accuracy"] * record["test_images"])
    assert {"seed", "epochs", "lr", "batch_size"} <= set(record)


def test_restricted_unpickler_refuses_other_globals():
    """Does the classic-weights Unpickler refuse a pickle that names anything but numpy's array globals?"""
    with pytest.raises(pickle.UnpicklingError, match="os.system"):
        NumpyOnlyUnpickler(io.BytesIO(b"cos\nsystem\n(S'true'\ntR.")).load()


# --- on the real data -----------------------------------------------------------------------


@needs_data
@pytest.mark.slow
def test_reference_reaches_the_recorded_accuracy_with_the_kits_weights(test_set):
    """Does the reference classify exactly the recorded number of test images right with the kit's weights?"""
    x, t = test_set
    record = json.loads(RECORD.read_text())
    mnist = reference()
    network = mnist.load_weights(KIT)
    assert mnist.accuracy(network, x, t) == record["accuracy"]
    assert mnist.accuracy(network, x, t, batch_size=1) == record["accuracy"]


CLASSIC_ACCURACY = 0.9352  # the textbook's pretrained weights on the 10,000 test images (worked examples §6)


@needs_classic
@pytest.mark.slow
def test_classic_weights_score_0_9352(test_set):
    """With the classic pretrained weights, does the reference score 0.9352 on the test set (worked examples §6)?"""
    path = classic_weights()
    assert path is not None
    assert hashlib.sha256(path.read_bytes()).hexdigest() == CLASSIC_SHA256
    with open(path, "rb") as f:
        network = NumpyOnlyUnpickler(f).load()
    x, t = test_set
    mnist = reference()
    assert mnist.accuracy(network, x, t) == CLASSIC_ACCURACY
    assert round(mnist.accuracy(network, x, t) * len(t)) == round(CLASSIC_ACCURACY * 10_000)


@needs_data
def test_solutions_get_full_marks_on_real_data(grade):
    """Does the reference get every mnist point, real-data tasks included?"""
    card = grade(ROOT / "solutions", "mnist", data_dir=real_data())
    assert not card.internal_errors, card.internal_errors
    assert card.not_run == 0
    assert card.score == card.max_score, [(t.name, t.code, t.message) for t in card.tests if t.status != "passed"]
