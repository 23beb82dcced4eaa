"""grade-all's judges fork their sandbox workers from a fork server: the same sandbox, only cheaper to start.

(test_sandbox.py runs every containment test with both kinds of worker; these are about the forking itself.)
"""
from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from conftest import alive, slow_except, wait_for

from autograder.sandbox import isolation
from autograder.sandbox.faults import FaultKind
from autograder.sandbox.process import Sandbox, SandboxConfig, StudentFault, start_forkserver

PROBE = '''
import os, resource, signal, stat, sys, threading

def probe(root):
    work = os.getcwd()  # the judge's copy, or (inside bwrap) the worker's own folder in its tmpfs

    def mine(text):
        return str(text).replace(work, "<work>").replace(root, "<root>")

    fds = {}
    for fd in range(1024):
        try:
            fds[fd] = stat.S_IFMT(os.fstat(fd).st_mode)
        except OSError:
            continue
    judge_modules = sorted(m for m in sys.modules
                           if m.split(".")[0] in ("pytest", "_pytest", "pluggy", "click", "rich")
                           or m.startswith(("autograder.course", "autograder.grading.plugin", "autograder.suites",
                                            "autograder.batch.judge", "solutions", "test_", "_nngrade_reference")))
    return {
        "fds": sorted(fds.values()),  # their kinds; the numbers are whatever the judge's pipes got
        "cwd": mine(os.getcwd()),
        "work": work.replace(root, "<root>").rsplit("/", 1)[0],
        "environ": {k: mine(v) for k, v in os.environ.items()},
        "limits": [resource.getrlimit(r) for r in (resource.RLIMIT_AS, resource.RLIMIT_CPU,
                                                    resource.RLIMIT_CORE, resource.RLIMIT_FSIZE)],
        "own-session": os.getsid(0) == os.getpid() == os.getpgid(0),
        "path": [mine(p) for p in sys.path],
        "flags": [sys.flags.isolated, sys.flags.no_site, sys.flags.dont_write_bytecode],
        "signals": [str(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD)],
        "threads": threading.active_count(),
        "judge-modules": judge_modules,
    }

def spin():
    while True:
        pass

def draw():
    import numpy as np
    return float(np.random.random())
'''


@pytest.fixture(scope="module")
def forkserver():
    server = start_forkserver()
    yield server
    server.close()


def submission(tmp_path: Path) -> Path:
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    (folder / "gates.py").write_text(PROBE)
    return folder


def probe(tmp_path: Path, server=None) -> dict:
    with Sandbox(submission(tmp_path), SandboxConfig(memory_mb=900), server) as sandbox:
        return sandbox.call("gates", "probe", (str(sandbox.root),)).value


def test_student_code_cannot_tell_a_forked_worker_from_a_spawned_one(tmp_path, forkserver):
    """Does a forked worker show student code exactly what a spawned one does: the same open descriptors, folder,
    environment, limits, session, import path, flags, signal handlers, one thread, and nothing of the judge?"""
    spawned, forked = probe(tmp_path), probe(tmp_path, forkserver)
    assert forked == spawned
    assert len(forked["fds"]) == 5  # stdin, stdout, stderr and the two pipes: not the server's socket
    assert forked["own-session"] and forked["threads"] == 1
    assert forked["limits"][0] == (900 * 1024 * 1024,) * 2
    assert forked["cwd"] == "<work>" and forked["environ"]["HOME"] == "<work>"
    assert forked["work"] == ("/nngrade-work" if isolation.available() else "<root>")
    assert forked["judge-modules"] == []


def test_a_sandbox_closed_right_after_its_fork_ends_its_worker(tmp_path, forkserver):
    """Is a worker killed when its sandbox closes before the fork reached its first line (setsid), so the close
    returns? (Its process group did not exist yet, and closing waited for an exit that never came.)"""
    import threading

    def open_and_close() -> None:
        for _ in range(30):
            sandbox = Sandbox(submission(tmp_path), None, forkserver)
            sandbox.start()
            sandbox.close()

    closer = threading.Thread(target=open_and_close, daemon=True)
    closer.start()
    closer.join(120)  # a liveness bound, not a speed one: 30 forks take well under a second
    assert not closer.is_alive(), "closing a sandbox waited for a worker that was never killed"


def test_forked_workers_do_not_share_random_numbers(tmp_path, forkserver):
    """Do two workers forked from the same server draw different numbers from numpy's global generator?"""
    draws = []
    for _ in range(2):
        with Sandbox(submission(tmp_path), None, forkserver) as sandbox:
            draws.append(sandbox.call("gates", "draw").value)
    assert draws[0] != draws[1]


@pytest.mark.parametrize("kind", slow_except(["spawned", "forked"], ["forked"]))
def test_the_cpu_limit_stops_a_worker_and_is_named(tmp_path, forkserver, kind):
    """Is a worker that spins past its CPU-time limit stopped by the kernel and reported as cpu-limit, whichever
    way it was started (the fork server passes the signal that ended it on to the judge)?"""
    config = SandboxConfig(cpu_seconds=1)
    with Sandbox(submission(tmp_path), config, forkserver if kind == "forked" else None) as sandbox:
        with pytest.raises(StudentFault) as info:
            sandbox.call("gates", "spin", timeout=30)
    assert info.value.kind is FaultKind.CPU_LIMIT, info.value.fault


def test_a_killed_fork_server_is_replaced_and_grading_goes_on(tmp_path):
    """When the fork server dies, does the sandbox go on with a spawned worker, and the next one get a new server?"""
    server = start_forkserver()
    try:
        with Sandbox(submission(tmp_path), None, server) as sandbox:
            assert sandbox.call("gates", "draw").value >= 0
        first = server._process.pid
        os.kill(first, signal.SIGKILL)
        server._process.wait()
        with Sandbox(submission(tmp_path), None, server) as sandbox:
            assert sandbox.call("gates", "draw").value >= 0  # spawned: the server was found dead
            assert sandbox.forkserver is None
        with Sandbox(submission(tmp_path), None, server) as sandbox:
            assert sandbox.call("gates", "draw").value >= 0
            assert sandbox.forkserver is server
        assert server.alive() and server._process.pid != first
    finally:
        server.close()


def test_closing_the_server_ends_its_workers(tmp_path):
    """When the judge closes the fork server (or dies, which closes its socket), are the workers it forked gone?"""
    server = start_forkserver()
    sandbox = Sandbox(submission(tmp_path), None, server)
    try:
        sandbox.call("gates", "draw")
        worker = sandbox._process.pid
        assert alive(worker)
        server.close()
        wait_for(lambda: not alive(worker), 60, f"worker {worker} to end once its fork server closed")
    finally:
        sandbox.close()
        server.close()
