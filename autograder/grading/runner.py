"""Run the suites of a course against a submission: pytest.main(..., plugins=[GradingPlugin]) -> RunResult.

`run` grades one submission with a pytest session of its own; a `SuiteSession`
collects once and grades many (grade-all's judges).
"""
from __future__ import annotations

import contextlib
import io
import os
import queue
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder.course import Course, CoursePaths
from autograder.grading.direct import direct_call, run_direct
from autograder.grading.plugin import GradingPlugin, PlainFailureReports, SuiteError
from autograder.grading.preload import preload
from autograder.grading.results import RunResult
from autograder.sandbox.process import Sandbox, open_sandbox

_UNUSED_PLUGINS = ("unraisableexception", "threadexception", "faulthandler", "logging", "junitxml",
                   "doctest", "pastebin", "nose", "legacypath", "tmpdir", "monkeypatch", "recwarn", "setuponly",
                   "setupplan", "debugging", "subtests",
                   # Each wraps every test's setup, call and teardown (or its whole protocol) for nothing here:
                   # the suites never print, nor are they unittest classes. ~4% of a grade-all judge's CPU
                   # (benchmarks/bench_speed.py).
                   "capture", "unittest",
                   # Reads every test's skip/skipif/xfail markers at setup and wraps its report: the suites have
                   # none (--strict-markers refuses them); pytest.skip() itself needs no plugin.
                   "skipping",
                   # Wraps every test to route `assert` explanations through a hook: the suites' asserts are
                   # plain (the grader explains failures itself), so its --assert=plain goes with it.
                   "assertion")


class InternalError(Exception):
    """The grader itself failed (suites, course and code disagree); never the student's fault."""


def _forget_other_suites(suite_files: list[Path]) -> None:
    """Drop cached suite modules of the same name from another folder (importlib mode names them by file name)."""
    for path in suite_files:
        cached = sys.modules.get(path.stem)
        if cached is not None and Path(getattr(cached, "__file__", "") or "").resolve() != path.resolve():
            del sys.modules[path.stem]


def _pytest_args(suite_files: list[Path], paths: CoursePaths) -> list[str]:
    return [
        *map(str, suite_files), "--noconftest", "--strict-markers", "-c", os.devnull,
        "--rootdir", str(paths.suites), "-p", "no:cacheprovider", "-p", "no:terminal",
        "-p", "no:stepwise", "-p", "no:warnings", "--import-mode=importlib",
        # Builtin plugins grading does not use; unraisableexception alone runs gc.collect() 5 times (~0.1 s).
        *[arg for name in _UNUSED_PLUGINS for arg in ("-p", f"no:{name}")],
    ]


def _suite_files(course: Course, paths: CoursePaths) -> list[Path]:
    suite_files = [paths.suites / f"test_{e.id}.py" for e in course.exercises]
    missing = [str(f) for f in suite_files if not f.is_file()]
    if missing:
        raise InternalError(f"no suite for exercise(s): {', '.join(missing)}")
    _forget_other_suites(suite_files)
    return suite_files


@contextlib.contextmanager
def _without_plugin_autoload() -> Iterator[None]:
    """Third-party pytest plugins installed beside the kit must not change grading."""
    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous


def run_items(session: pytest.Session, items: list[pytest.Item], plugin: GradingPlugin) -> None:
    """Run `items` in order, their results into the plugin's: most by calling them directly (grading/direct.py),
    the others through pytest's protocol, each told which test pytest runs next, so that pytest tears down
    exactly what that one does not share."""
    plans = [direct_call(item, plugin) for item in items]
    through_pytest = [item for item, plan in zip(items, plans) if plan is None]
    following = dict(zip(through_pytest, [*through_pytest[1:], None]))
    for item, plan in zip(items, plans):
        if plan is not None:
            run_direct(item, plan, plugin)
            continue
        item.config.hook.pytest_runtest_protocol(item=item, nextitem=following[item])
        if session.shouldstop or session.shouldfail:
            raise InternalError(f"pytest stopped the run: {session.shouldstop or session.shouldfail}")


class _RunLoop:
    """`run`'s test loop: run_items over the tests collected (and selected) for this one submission."""

    def __init__(self, plugin: GradingPlugin) -> None:
        self.plugin = plugin

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if not self.plugin.collection_errors:
            run_items(session, list(session.items), self.plugin)
        return True


def run(course: Course, submission: Path, *, include_hidden: bool, data_dir: Path | None = None,
        paths: CoursePaths | None = None, sandbox: Sandbox | None = None,
        session: SuiteSession | None = None) -> RunResult:
    """Grade one submission folder; student faults are results, our faults raise InternalError.

    `sandbox` may be one already opened with `open_sandbox` (the CLI starts it before importing pytest).
    `session`: run the tests of a SuiteSession that already collected them (grade-all's judges) instead of a
    pytest session of its own; it must have been made for the same suites, hidden tests and data.
    """
    paths = paths or CoursePaths.of(course)
    with sandbox or open_sandbox(course, submission, data_dir, paths) as sandbox:
        preload()  # while the worker boots; before the first call into student code
        if session is not None:
            if (session.include_hidden, session.data_dir, session.paths) != (include_hidden, data_dir, paths):
                raise InternalError("the suite session was made for other settings (hidden tests, data, paths)")
            return session.run(course, sandbox)
        plugin = GradingPlugin(course, sandbox, include_hidden=include_hidden, solutions=paths.solutions,
                               data_dir=data_dir)
        args = _pytest_args(_suite_files(course, paths), paths)
        out = io.StringIO()  # pytest's own chatter; shown only if it fails
        with _without_plugin_autoload(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = pytest.main(args, plugins=[plugin, PlainFailureReports(), _RunLoop(plugin)])
        if code == pytest.ExitCode.INTERRUPTED:
            # Ctrl-C: pytest stops and returns; a partial run must never become a score.
            raise KeyboardInterrupt
        if plugin.collection_errors or code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
            detail = "; ".join(plugin.collection_errors) or out.getvalue().strip()[-2000:]
            raise InternalError(f"the suites could not be collected (pytest exit {int(code)}): {detail}")
        return RunResult(tuple(plugin.results), plugin.hidden_not_run, sandbox.captured_output(), sandbox.restarts,
                         sandbox.isolation)


@dataclass
class _Run:
    """One submission handed to a SuiteSession's pytest thread, and what came back."""

    course: Course
    sandbox: Sandbox
    done: threading.Event = field(default_factory=threading.Event)
    result: RunResult | None = None
    error: BaseException | None = None


class SuiteSession:
    """One pytest session that collects the suites once, then runs them for submission after submission.

    A grade-all judge grades hundreds of submissions with the same suites: a pytest session of their own
    for each paid ~50 ms of configuring and collecting 208 tests every time, a tenth of grading one. pytest
    runs in a thread of its own: its run-test loop (`pytest_runtestloop`, a public hook) waits for the next
    submission and runs the collected tests against its sandbox, re-running each test as
    pytest-rerunfailures does. A run that fails inside the grader breaks the session: `run` raises
    InternalError, and the judge starts a new session for the next submission.
    """

    def __init__(self, course: Course, *, include_hidden: bool, data_dir: Path | None = None,
                 paths: CoursePaths | None = None) -> None:
        self.course = course
        self.paths = paths or CoursePaths.of(course)
        self.include_hidden = include_hidden
        self.data_dir = data_dir
        self._plugin = GradingPlugin(course, None, include_hidden=include_hidden, solutions=self.paths.solutions,
                                     data_dir=data_dir, select_at_collection=False)
        self._runs: queue.SimpleQueue[_Run | None] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._failure: str | None = None
        self._thread = threading.Thread(target=self._main, name="nngrade-suites", daemon=True)

    def start(self) -> SuiteSession:
        """Configure pytest and collect the suites; InternalError if they cannot be collected."""
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            raise InternalError(self._failure)
        return self

    @property
    def usable(self) -> bool:
        return self._ready.is_set() and self._failure is None and self._thread.is_alive()

    def run(self, course: Course, sandbox: Sandbox) -> RunResult:
        """Run the tests of `course` (this session's course or a part of it) against `sandbox`."""
        if not self.usable:
            raise InternalError(f"the suite session is not running: {self._failure or 'it was closed'}")
        if not {e.id for e in course.exercises} <= {e.id for e in self.course.exercises}:
            raise InternalError("the submission's exercises are not all in the suite session's course")
        job = _Run(course, sandbox)
        self._runs.put(job)
        job.done.wait()
        if job.error is not None:
            self._failure = f"{type(job.error).__name__}: {job.error}"
            self.close()
            if isinstance(job.error, InternalError):
                raise job.error
            raise InternalError(f"the suites failed while grading: {self._failure}")
        assert job.result is not None
        return job.result

    def close(self) -> None:
        """End the pytest session (its thread finishes the run-test loop and tears down)."""
        if self._thread.is_alive():
            self._runs.put(None)
            self._thread.join()

    def __enter__(self) -> SuiteSession:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the pytest thread ----------------------------------------------------
    def _main(self) -> None:
        try:
            args = _pytest_args(_suite_files(self.course, self.paths), self.paths)
            with _without_plugin_autoload():
                code = pytest.main(args, plugins=[self._plugin, PlainFailureReports(), self])
            if not self._ready.is_set():
                detail = "; ".join(self._plugin.collection_errors) or "pytest ended before running any test"
                self._failure = f"the suites could not be collected (pytest exit {int(code)}): {detail}"
        except BaseException as exc:  # noqa: BLE001 - our bug; reported to whoever waits
            self._failure = self._failure or f"{type(exc).__name__}: {exc}"
        finally:
            self._ready.set()
            self._fail_waiting_runs()

    def _fail_waiting_runs(self) -> None:
        while True:
            try:
                job = self._runs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                job.error = InternalError(f"the suite session ended: {self._failure or 'closed'}")
                job.done.set()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if self._plugin.collection_errors:
            return True  # _main reports them
        items = list(session.items)
        self._ready.set()
        while (job := self._runs.get()) is not None:
            try:
                job.result = self._run_items(session, items, job)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller, which raises it
                job.error = exc
                job.done.set()
                return True  # the setup state may be half torn down: this session is done
            job.done.set()
        return True

    def _run_items(self, session: pytest.Session, items: list[pytest.Item], job: _Run) -> RunResult:
        plugin = self._plugin
        plugin.begin(job.course, job.sandbox)
        try:
            selected, hidden_not_run = plugin.select(items, job.course)
        except SuiteError as exc:
            raise InternalError(str(exc)) from None
        run_items(session, selected, plugin)
        return RunResult(tuple(plugin.results), hidden_not_run, job.sandbox.captured_output(), job.sandbox.restarts,
                         job.sandbox.isolation)
