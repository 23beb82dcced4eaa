"""A function that changes its arguments in place is named: argument-mutated, once per function."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest
from conftest import CASES, ROOT, case_folder

from autograder.course import load_course
from autograder.grading.plugin import mutation_feedback
from autograder.grading.results import Status
from autograder.i18n import t
from autograder.sandbox import worker
from autograder.sandbox.process import Sandbox
from autograder.sandbox.replies import MAX_ARGUMENT_NAME, MAX_MUTATED, WorkerReply

MODULE = textwrap.dedent('''
    import numpy as np

    def relu(x):
        x[x < 0] = 0
        return x

    def fine(x, y=None):
        return np.maximum(0, x)

    def second(x, y):
        y += 1
        return x

    def by_keyword(x, *, out):
        out.append(1)
        return x

    def nested(rows):
        rows[1][0] = 9
        return 0

    def nan_kept(x):
        x[:] = x  # writes the same values back, NaN included: not a change
        return x

    def grown(items):
        items.append(0)
        return len(items)

    def reshaped(x):
        x.shape = (x.size,)
        return x
''')


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submission")
    (folder / "m.py").write_text(MODULE)
    with Sandbox(folder) as box:
        yield box


@pytest.mark.parametrize(("function", "args", "kwargs", "mutated"), [
    ("relu", (np.array([-1.0, 2.0]),), {}, ("x",)),
    ("relu", (np.array([1.0, 2.0]),), {}, ()),  # nothing negative: nothing changed
    ("fine", (np.array([-1.0, 2.0]), [1, 2]), {}, ()),
    ("second", (np.zeros(2), np.zeros(2)), {}, ("y",)),
    ("by_keyword", (np.zeros(2),), {"out": []}, ("out",)),
    ("nested", ([[1, 2], [3, 4]],), {}, ("rows",)),
    ("nan_kept", (np.array([np.nan, 1.0]),), {}, ()),
    ("grown", ([1.5, float("nan")],), {}, ("items",)),
    ("reshaped", (np.zeros((2, 2)),), {}, ("x",)),
])
def test_worker_names_the_changed_arguments(sandbox, function, args, kwargs, mutated):
    """Does the worker report exactly the arguments the call changed, by name?"""
    reply = sandbox.call("m", function, args, kwargs)
    assert reply.mutated == mutated


def test_the_judges_arrays_are_untouched(sandbox):
    """The worker works on its own copy: the judge's array is never changed, whatever the student does."""
    x = np.array([-1.0, 2.0])
    sandbox.call("m", "relu", (x,))
    assert x.tolist() == [-1.0, 2.0]


def test_large_arrays_are_compared_by_checksum(monkeypatch):
    """Past the copy limit an array is checksummed: a change is still seen, an untouched array is not flagged."""
    monkeypatch.setattr(worker, "COPY_LIMIT", 8)
    x = np.arange(-5.0, 5.0)
    before = worker._snapshots((x,), {})
    assert isinstance(before[0][1], worker._Digest)
    assert worker._mutated(lambda x: x, before, (x,), {}) == ()
    x[x < 0] = 0
    assert worker._mutated(lambda x: x, before, (x,), {}) == ("x",)


def test_copies_of_one_call_are_bounded(monkeypatch):
    """Past the bytes budget of one call, further arrays are checksummed rather than copied."""
    monkeypatch.setattr(worker, "COPY_BUDGET", 100)
    first, second = np.zeros(10), np.zeros(10)  # 80 bytes each
    before = worker._snapshots((first, second), {})
    assert isinstance(before[0][1], np.ndarray) and isinstance(before[1][1], worker._Digest)
    second[3] = 1.0
    assert worker._mutated(lambda a, b: a, before, (first, second), {}) == ("b",)


def test_long_lists_and_object_arrays_are_not_compared():
    """Lists past the item budget and object arrays are left alone (never a false charge, bounded work)."""
    long = [0.0] * (worker.LIST_LIMIT + 1)
    objects = np.array([object(), object()])
    assert worker._snapshots((long, objects, 3.0, "text"), {}) == []


@pytest.mark.parametrize("garbage", [
    None, 3, "x", {"a": 1}, [1, None, {"x": 1}], ["a" * 10_000], [f"a{i}" for i in range(1000)], [""],
])
def test_the_judge_survives_garbage_in_mutated(garbage):
    """A mutated field that is not a short list of names becomes strings only, bounded in count and length."""
    reply = WorkerReply.from_message({"id": 3, "ok": True, "value": 1, "mutated": garbage})
    assert reply.ok and reply.value == 1
    assert isinstance(reply.mutated, tuple) and len(reply.mutated) <= MAX_MUTATED
    assert all(isinstance(n, str) and 0 < len(n) <= MAX_ARGUMENT_NAME for n in reply.mutated)


def test_mutated_round_trips_and_is_dropped_from_a_fault():
    """The field travels on a successful reply only."""
    ok = WorkerReply(ok=True, value=0, mutated=("x", "#2"))
    assert WorkerReply.from_message(ok.to_message()).mutated == ("x", "#2")
    assert "mutated" not in WorkerReply(ok=True, value=0).to_message()
    assert WorkerReply.from_message({"ok": False, "mutated": ["x"]}).mutated == ()


def test_the_feedback_names_function_and_argument():
    """The failed check says which function changed which argument, and how to work on a copy."""
    fb = mutation_feedback("relu", ("x",))
    assert fb.code == "argument-mutated"
    assert "relu" in fb.message and "x" in fb.message
    assert fb.hint and "x.copy()" in fb.hint and "np.maximum(0, x)" in fb.hint
    for lang in ("en", "ko"):
        hint = t("core.argument-mutated-hint", lang, function="relu", argument="x")
        assert "x.copy()" in hint and "np.maximum(0, x)" in hint and "{" not in hint


def test_relu_in_place_loses_exactly_one_test_once(grade):
    """The golden relu_in_place: one relu test fails with argument-mutated; every other test passes on values."""
    card = grade(case_folder(CASES / "activations" / "relu_in_place"), "activations")
    lost = [x for x in card.tests if x.status is not Status.PASSED]
    assert [(x.task, x.code) for x in lost] == [("values", "argument-mutated")], lost
    assert lost[0].hint and "np.maximum(0, x)" in lost[0].hint
    assert card.max_score - card.score == pytest.approx(lost[0].max_score)


@pytest.mark.slow
def test_solutions_change_no_argument(grade):
    """No reference solution changes its arguments: full marks, no argument-mutated anywhere."""
    course = load_course(ROOT / "course.toml")
    card = grade(ROOT / "solutions", *[e.id for e in course.exercises], data_dir=None)
    assert not [x for x in card.tests if x.code == "argument-mutated"]
    assert card.score == card.max_score
