"""A pool of judge processes (`python -m autograder.batch.judge`) that grade submissions one at a time each.

Each judge pays for Python, numpy, pytest and the suites once and then grades
many submissions, each with its own fresh sandbox worker. The pool gives a
judge one submission at a time, so a hostile or slow submission holds one judge
and nobody else: past `deadline` seconds the judge is killed (with its worker)
and replaced, and the submission is reported as timed out. A judge that dies
on its own is replaced too, and the submission tried once more before it is
reported as an internal error.
"""
from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from autograder.batch.messages import JudgeConfig, JudgeReady, JudgeReply, JudgeRequest, decode_judge_line
from autograder.course import kit_root
from autograder.grading.results import SubmissionStatus as Status

MAX_ATTEMPTS = 2
"""A submission whose judge died this many times is reported as an internal error."""
MAX_START_FAILURES = 3
"""Judges that die before they are ready, in a row, before the pool gives up (a broken installation)."""
KILL_GRACE = 2.0


class PoolBroken(Exception):
    """Judges cannot start at all: the environment is broken, not any submission."""


@dataclass(frozen=True)
class Job:
    """One submission to grade."""

    name: str
    path: Path


@dataclass
class _Judge:
    process: subprocess.Popen[bytes]
    log: Any
    ready: bool = False
    job: Job | None = None
    started: float = 0.0
    buffer: bytearray = field(default_factory=bytearray)
    killed_for_time: bool = False

    def send(self, request_id: int, job: Job) -> None:
        assert self.process.stdin is not None
        self.job, self.started = job, time.monotonic()
        line = JudgeRequest(request_id, job.name, job.path).to_line()
        try:
            self.process.stdin.write(line)
            self.process.stdin.flush()
        except OSError:
            pass  # it died just now: its end of file comes next, and the job is tried again elsewhere

    def stderr_tail(self) -> str:
        try:
            self.log.flush()
            self.log.seek(0)
            return self.log.read()[-1500:].decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    def stop(self) -> None:
        """Close its stdin (it leaves at once, killing its worker), then TERM, then KILL."""
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=KILL_GRACE)
        except subprocess.TimeoutExpired:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                _kill_group(self.process, sig)
                try:
                    self.process.wait(timeout=KILL_GRACE)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.log.close()


def _kill_group(process: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _environment() -> dict[str, str]:
    # The judges import the same autograder package as this process, installed or not.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(kit_root()), *filter(None, [env.get("PYTHONPATH")])])
    # One judge per core already fills the machine: a multi-threaded BLAS in each judge (the suites' reference
    # and catalogued-mistake matrix products) would oversubscribe the cores, and OpenBLAS threads spin while
    # they wait -- measured at 2.5x slower grade-all on 2 cores.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    return env


class Pool:
    """`jobs` judges; `grade(jobs)` yields one reply per job, in completion order."""

    def __init__(self, config: JudgeConfig, size: int, deadline: float) -> None:
        self.config = config
        self.size = max(1, size)
        self.deadline = deadline
        self._judges: list[_Judge] = []
        self._selector = selectors.DefaultSelector()
        self._next_id = 1
        self._start_failures = 0

    # --- processes --------------------------------------------------------
    def _spawn(self) -> _Judge:
        try:
            log: Any = tempfile.TemporaryFile(prefix="nngrade-judge-")
        except OSError:  # a full temp folder: the judge runs without a log
            log = open(os.devnull, "w+b")
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "autograder.batch.judge", self.config.to_json()],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=_environment(),
                start_new_session=True,  # Ctrl-C is ours to handle; we stop the judges ourselves
            )
        except OSError as exc:
            log.close()
            raise PoolBroken(f"cannot start a judge process: {exc.strerror or exc}") from None
        judge = _Judge(process, log)
        assert process.stdout is not None
        os.set_blocking(process.stdout.fileno(), False)
        self._selector.register(process.stdout, selectors.EVENT_READ, judge)
        self._judges.append(judge)
        return judge

    def _retire(self, judge: _Judge) -> None:
        assert judge.process.stdout is not None
        self._selector.unregister(judge.process.stdout)
        self._judges.remove(judge)
        judge.stop()
        judge.process.stdout.close()

    def close(self) -> None:
        """Stop every judge (and so every sandbox worker); safe to call twice."""
        for judge in self._judges:  # all at once: each leaves as soon as its stdin closes
            try:
                if judge.process.stdin is not None:
                    judge.process.stdin.close()
            except OSError:
                pass
        for judge in list(self._judges):
            self._retire(judge)
        self._selector.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the loop -----------------------------------------------------------
    def grade(self, jobs: list[Job], refresh: Callable[[], None] = lambda: None) -> Iterator[JudgeReply]:
        """Grade every job; yields the judges' replies (`name` added), timeouts and crashes as replies too."""
        todo = deque(jobs)
        attempts: dict[str, int] = {}
        while todo or any(j.job is not None for j in self._judges):
            while len(self._judges) < min(self.size, len(todo) + sum(j.job is not None for j in self._judges)):
                self._spawn()
            for judge in self._judges:
                if judge.ready and judge.job is None and todo:
                    judge.send(self._next_id, todo.popleft())
                    self._next_id += 1
            busy = [j for j in self._judges if j.job is not None]
            wait = min([1.0, *(j.started + self.deadline - time.monotonic() for j in busy)])
            for key, _ in self._selector.select(max(0.0, wait)):
                yield from self._read(key.data, todo, attempts)
            for judge in list(self._judges):
                if judge.job is not None and time.monotonic() - judge.started > self.deadline:
                    judge.killed_for_time = True
                    _kill_group(judge.process, signal.SIGTERM)  # its SIGTERM handler kills the worker too
                    try:
                        judge.process.wait(timeout=KILL_GRACE)
                    except subprocess.TimeoutExpired:
                        _kill_group(judge.process, signal.SIGKILL)
                        judge.process.wait()
                    yield from self._read(judge, todo, attempts)
            refresh()

    def _read(self, judge: _Judge, todo: deque[Job], attempts: dict[str, int]) -> Iterator[JudgeReply]:
        assert judge.process.stdout is not None
        if judge not in self._judges:
            return
        try:
            chunk = os.read(judge.process.stdout.fileno(), 1 << 20)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        judge.buffer += chunk
        while b"\n" in judge.buffer:
            line, _, rest = bytes(judge.buffer).partition(b"\n")
            judge.buffer = bytearray(rest)
            message = decode_judge_line(line)
            if isinstance(message, JudgeReady):
                judge.ready = True
                self._start_failures = 0
                continue
            job, judge.job = judge.job, None
            assert job is not None
            yield replace(message, name=job.name)
        if chunk:
            return
        # End of file: the judge is gone.
        job = judge.job
        status = judge.process.wait()
        tail = judge.stderr_tail()
        was_ready = judge.ready
        self._retire(judge)
        if not was_ready:
            self._start_failures += 1
            if self._start_failures >= MAX_START_FAILURES:
                raise PoolBroken(f"the judge process could not start (exit status {status}): {tail}")
        if job is None:
            return
        if judge.killed_for_time:
            yield JudgeReply(Status.TIMEOUT,
                             f"grading did not finish within {self.deadline:g} s; the judge was stopped",
                             seconds=round(self.deadline, 1), name=job.name)
            return
        attempts[job.name] = attempts.get(job.name, 0) + 1
        if attempts[job.name] < MAX_ATTEMPTS:
            todo.appendleft(job)
            return
        yield JudgeReply(Status.INTERNAL_ERROR, f"the judge process died while grading this submission "
                                                f"(exit status {status}): {tail[-500:] or 'no message'}",
                         seconds=0.0, name=job.name)
