"""Several calls of one function in one pipe message (Sandbox.calls, StudentModule.each): each call is
answered, timed, checked and charged exactly as if the test had made it alone."""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from autograder.course import CoursePaths, load_course
from autograder.grading.compare import Mismatch
from autograder.grading.plugin import Call, StudentModule
from autograder.sandbox.faults import FaultKind
from autograder.sandbox.process import Reply, StudentFault, open_sandbox, start_forkserver

GATES = '''
import os
import numpy as np


def AND(x1, x2):
    if x1 == 7:
        raise ValueError("seven")
    if x1 == 8:
        while True:
            pass
    if x1 == 9:
        os._exit(3)
    return int(x1 and x2)


def NAND(x, y=0):
    x += 1  # changes an array argument in place
    return y


def OR(x1, x2, scale=1):
    return (x1 or x2) * scale
'''


@pytest.fixture(scope="module")
def course():
    return load_course(ROOT / "course.toml").select(["gates"])


@pytest.fixture(scope="module")
def forkserver():
    server = start_forkserver()
    yield server
    server.close()


@pytest.fixture(params=["spawned", "forked"])
def sandbox(request, course, forkserver, tmp_path: Path):
    (tmp_path / "gates.py").write_text(textwrap.dedent(GATES))
    paths = CoursePaths(exercises=tmp_path, solutions=ROOT / "solutions")
    box = open_sandbox(course, tmp_path, None, paths, forkserver=forkserver if request.param == "forked" else None)
    yield box
    box.close()


def values(outcomes):
    return [o.value if isinstance(o, Reply) else o.kind for o in outcomes]


def test_each_call_of_a_batch_gets_its_own_reply_in_order(sandbox):
    """Is every call answered in order, a raising call answered by its fault without stopping the rest?"""
    outcomes = sandbox.calls("gates", "AND", [((1, 1), {}), ((7, 1), {}), ((0, 1), {}), ((1, 1), {})])
    assert values(outcomes) == [1, FaultKind.EXCEPTION, 0, 1]
    assert "seven" in outcomes[1].fault.message
    assert sandbox.call("gates", "OR", (0, 1)).value == 1  # the pipe holds nothing more: the next call is in turn


def test_keyword_arguments_cross_with_their_call(sandbox):
    outcomes = sandbox.calls("gates", "OR", [((1, 0), {"scale": 5}), ((0, 0), {}), ((0, 1), {"scale": 2})])
    assert values(outcomes) == [5, 0, 2]


def test_a_stuck_call_is_stopped_by_its_own_deadline_and_ends_the_batch(sandbox):
    """Is a call that never returns stopped after one call's timeout, and the calls after it not run?"""
    outcomes = sandbox.calls("gates", "AND", [((1, 1), {}), ((8, 1), {}), ((1, 1), {})], timeout=0.5)
    assert values(outcomes) == [1, FaultKind.TIMEOUT]
    assert "0.5 s" in outcomes[1].fault.message
    assert sandbox.restarts == 1
    assert sandbox.call("gates", "AND", (1, 1)).value == 1  # a new worker answers the next call


def test_a_call_that_kills_the_worker_ends_the_batch(sandbox):
    outcomes = sandbox.calls("gates", "AND", [((1, 1), {}), ((9, 1), {}), ((1, 1), {})])
    assert values(outcomes) == [1, FaultKind.WORKER_CRASHED]
    assert sandbox.call("gates", "AND", (0, 0)).value == 0


def test_a_module_that_does_not_load_fails_the_batch_as_it_fails_a_call(course, tmp_path: Path):
    (tmp_path / "gates.py").write_text("def AND(:\n")
    paths = CoursePaths(exercises=tmp_path, solutions=ROOT / "solutions")
    with open_sandbox(course, tmp_path, None, paths) as box:
        with pytest.raises(StudentFault) as raised:
            box.calls("gates", "AND", [((1, 1), {})])
    assert raised.value.kind is FaultKind.SYNTAX_ERROR


def test_each_checks_the_replies_in_turn_as_separate_calls_would(sandbox):
    """Does `each` give the replies one by one, raise a call's fault only when the loop reaches it, and charge a
    changed argument once per function, as calling inside the loop does?"""
    student = StudentModule(sandbox, "gates", timeout=5.0)
    replies = student.each("AND", [(1, 1), (7, 1), (0, 1)])
    assert next(replies).value == 1
    with pytest.raises(StudentFault):
        next(replies)

    student = StudentModule(sandbox, "gates", timeout=5.0)
    changed = student.each("NAND", [Call(np.zeros(2), y=4), Call(np.zeros(2), y=5)])
    with pytest.raises(Mismatch) as raised:
        next(changed)
    assert raised.value.feedback.code == "argument-mutated"
    assert [r.value for r in student.each("NAND", [Call(np.zeros(2), y=6)])] == [6]  # charged once only


def test_a_batch_grades_the_course_as_calls_one_by_one(monkeypatch, course, tmp_path: Path):
    """Does every test of the real suites that batches its calls give the same scorecard when each batch is
    sent call by call instead (the golden cases: the solutions, and a submission whose every gate is wrong)?"""
    from autograder.grading.runner import run
    from autograder.grading.scoring import score
    from autograder.sandbox import process

    def one_by_one(self, module, function, calls, timeout=5.0):
        outcomes = []
        for args, kwargs in calls:
            try:
                outcomes.append(self.call(module, function, args, kwargs, timeout=timeout))
            except StudentFault as fault:
                outcomes.append(fault)
        return outcomes

    full = load_course(ROOT / "course.toml").select(["gates", "activations", "softmax", "forward"])
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "gates.py").write_text((ROOT / "solutions" / "gates.py").read_text().replace("> 0", ">= 0"))
    cards = {}
    for mode in ("batched", "one-by-one"):
        if mode == "one-by-one":
            monkeypatch.setattr(process.Sandbox, "calls", one_by_one)
        for name, folder in (("solutions", ROOT / "solutions"), ("wrong", wrong)):
            paths = CoursePaths(exercises=folder, solutions=ROOT / "solutions")
            card = score(run(full, folder, include_hidden=True, paths=paths), full)
            cards[mode, name] = [(t.name, t.status, t.code, t.message) for t in card.tests]
    assert cards["batched", "solutions"] == cards["one-by-one", "solutions"]
    assert cards["batched", "wrong"] == cards["one-by-one", "wrong"]
    assert any(code == "perceptron-boundary" for _, _, code, _ in cards["batched", "wrong"])
