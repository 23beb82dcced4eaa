"""The shortcuts that make grading fast keep every wall: what benchmarks/bench_speed.py measures, shown to be safe.

The first worker of a process starts inside bwrap without the probe (isolation.presumed); where bwrap
cannot create namespaces, that worker never sends READY and the sandbox starts it as the probe says, with
nothing of the failed try shown to the student or counted against them.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from autograder.sandbox import isolation
from autograder.sandbox.process import Sandbox, SandboxConfig


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "gates.py").write_text("def answer():\n    return 42\n", encoding="utf-8")
    return folder


@pytest.fixture
def unprobed(monkeypatch):
    """A process that has not probed bwrap yet (and forgets what this test's probe found)."""
    monkeypatch.delenv(isolation.ENV, raising=False)
    monkeypatch.delenv(isolation.MODE_ENV, raising=False)
    isolation._probe.cache_clear()
    yield
    isolation._probe.cache_clear()


def test_no_probe_before_the_first_worker(submission, unprobed, monkeypatch):
    """Is the first worker started without running the probe first, and still walled where bwrap works?"""
    if isolation.bwrap_binary() is None or not os.sys.platform.startswith("linux"):
        pytest.skip("no bwrap here: nothing is presumed")
    assert isolation.presumed() and not isolation.probed()
    with Sandbox(submission) as sandbox:
        assert sandbox.call("gates", "answer").value == 42
        level = sandbox.isolation
    # The worker's own READY proved bwrap works; the probe, asked only now, must agree with it.
    assert ("namespaces" in level.split("+")) == isolation.available()


def test_a_refused_bwrap_falls_back_as_the_probe_would(submission, unprobed, monkeypatch, tmp_path):
    """Where bwrap cannot create namespaces, does the presumed-walled worker get restarted without them, with no
    trace of bwrap's error in the student's output and no restart counted?"""
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create a new namespace' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(isolation, "bwrap_binary", lambda: str(fake))
    monkeypatch.setattr(isolation.sys, "platform", "linux")
    assert isolation.presumed()
    with Sandbox(submission, SandboxConfig()) as sandbox:
        assert sandbox.call("gates", "answer").value == 42
        assert "namespaces" not in sandbox.isolation.split("+")
        assert sandbox.restarts == 0
        assert "bwrap" not in sandbox.captured_output()
    assert isolation.probed() and not isolation.available()
