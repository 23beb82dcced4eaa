"""The scratch space a fork server's sandboxes share (the files a grade-all judge writes for student code to read:
IDX files, .npz weights, a fake MNIST folder). One submission's code must not be able to change what the next
one reads there: the worker may read the space, never write it -- with the audit hook and without it."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, real_data

from autograder.course import load_course
from autograder.sandbox import isolation
from autograder.sandbox.process import open_sandbox, start_forkserver

POISON = '''
import os


def poison(path):
    """Try every way to change the judge's file at `path` and its folders; what each attempt met."""
    folder = os.path.dirname(path)
    attempts = {
        "overwrite": lambda: open(path, "wb").write(b"garbage"),
        "append": lambda: open(path, "ab").write(b"garbage"),
        "remove": lambda: os.remove(path),
        "rename": lambda: os.rename(path, path + ".moved"),
        "plant beside": lambda: open(os.path.join(folder, "planted"), "w").write("x"),
        "plant above": lambda: open(os.path.join(os.path.dirname(folder), "fake-mnist-planted"), "w").write("x"),
        "mkdir above": lambda: os.mkdir(os.path.join(os.path.dirname(folder), "fake-mnist")),
        "chmod": lambda: os.chmod(path, 0o666),
    }
    met = {}
    for name, attempt in attempts.items():
        try:
            attempt()
            met[name] = "done"
        except Exception as exc:
            met[name] = type(exc).__name__
    return met
'''


@pytest.fixture(scope="module")
def forkserver():
    if not isolation.available():
        pytest.skip("bwrap cannot create namespaces here: a fork server has no workspace of its own to share")
    server = start_forkserver()
    yield server
    server.close()


@pytest.mark.parametrize("audit_hook", ["1", "0"], ids=["hook", "no-hook"])
def test_no_worker_can_change_the_shared_scratch_space(forkserver, tmp_path, monkeypatch, audit_hook):
    """Do two submissions' sandboxes share the scratch space, and does every attempt by one worker to overwrite,
    remove, rename, chmod or add to the judge's files there fail, leaving them as the judge wrote them?"""
    monkeypatch.setenv("NNGRADE_AUDIT_HOOK", audit_hook)
    course = load_course(ROOT / "course.toml").select(["mnist"])
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "mnist.py").write_text(POISON)
    with open_sandbox(course, submission, forkserver=forkserver) as first:
        shared = first.scratch
        test_folder = shared / "a-test"
        test_folder.mkdir(exist_ok=True)
        target = test_folder / "labels-idx1-ubyte"
        target.write_bytes(b"the judge's own bytes")
        met = first.call("mnist", "poison", (str(target),)).value
    assert met and "done" not in met.values(), met
    assert target.read_bytes() == b"the judge's own bytes"
    assert sorted(p.name for p in test_folder.iterdir()) == ["labels-idx1-ubyte"]
    assert not any(p.name.startswith("fake-mnist") for p in shared.iterdir())
    with open_sandbox(course, submission, forkserver=forkserver) as second:
        assert second.scratch == shared  # the next submission reads the very same space


@pytest.mark.slow
def test_a_poisoning_submission_changes_nothing_the_next_one_is_graded_with(tmp_path):
    """Graded by one grade-all judge, a submission whose load_idx tries to overwrite every file the judge hands it
    (and plant a fake MNIST folder) before answering correctly: does the honest submission graded after it by
    the same judge still get full marks for the mnist exercise, as it does alone?"""
    data = real_data()
    if data is None:
        pytest.skip("grade-all grades the mnist exercise only with its data: set NNGRADE_DATA to the MNIST folder")
    solution = (ROOT / "solutions" / "mnist.py").read_text()
    hostile = solution + POISON + '''

_load_idx = load_idx


def load_idx(path):
    print("poison:", poison(str(path)))
    return _load_idx(path)
'''
    submissions = tmp_path / "class"
    for name, source in (("a-hostile", hostile), ("b-honest", solution)):
        (submissions / name).mkdir(parents=True)
        (submissions / name / "mnist.py").write_text(source)
    env = {**os.environ, "NNGRADE_DATA": str(data)}
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "--course", str(ROOT / "course.toml"), "grade-all", str(submissions),
         "--out", str(tmp_path / "results"), "-e", "mnist", "--jobs", "1"],
        capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    cards = {name: json.loads((tmp_path / "results" / f"{name}.json").read_text()) for name in ("a-hostile", "b-honest")}
    honest = cards["b-honest"]
    assert honest["score"] == honest["max_score"] > 0, [t["name"] for t in honest["tests"] if not t["score"]]
    assert cards["a-hostile"]["score"] == honest["score"]  # it answered correctly; its writes went nowhere
    tried = cards["a-hostile"].get("student_output", "")
    assert "poison: {'overwrite'" in tried and "'done'" not in tried, tried[-1500:]
