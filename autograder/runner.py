"""Run the suites of a course against one submission: pytest.main(..., plugins=[GradingPlugin]) -> RunResult."""
from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

import pytest

from autograder.course import Course, CoursePaths
from autograder.plugin import GradingPlugin, PlainFailureReports
from autograder.results import RunResult
from autograder.sandbox import Sandbox, SubmissionError, open_sandbox


_UNUSED_PLUGINS = ("unraisableexception", "threadexception", "faulthandler", "logging", "junitxml",
                   "doctest", "pastebin", "nose", "legacypath", "tmpdir", "monkeypatch", "recwarn", "setuponly",
                   "setupplan", "debugging", "subtests")


class InternalError(Exception):
    """The grader itself failed (suites, course and code disagree); never the student's fault."""


def _forget_other_suites(suite_files: list[Path]) -> None:
    """Drop cached suite modules of the same name from another folder (importlib mode names them by file name)."""
    for path in suite_files:
        cached = sys.modules.get(path.stem)
        if cached is not None and Path(getattr(cached, "__file__", "") or "").resolve() != path.resolve():
            del sys.modules[path.stem]


def run(course: Course, submission: Path, *, include_hidden: bool, data_dir: Path | None = None,
        paths: CoursePaths | None = None, sandbox: Sandbox | None = None) -> RunResult:
    """Grade one submission folder; student faults are results, our faults raise InternalError.

    `sandbox` may be one already opened with `open_sandbox` (the CLI starts it before importing pytest).
    """
    paths = paths or CoursePaths.of(course)
    with sandbox or open_sandbox(course, submission, data_dir, paths) as sandbox:
        suite_files = [paths.suites / f"test_{e.id}.py" for e in course.exercises]
        missing = [str(f) for f in suite_files if not f.is_file()]
        if missing:
            raise InternalError(f"no suite for exercise(s): {', '.join(missing)}")
        plugin = GradingPlugin(course, sandbox, include_hidden=include_hidden, solutions=paths.solutions,
                               data_dir=data_dir)
        args = [
            *map(str, suite_files), "--noconftest", "--strict-markers", "-c", os.devnull,
            "--rootdir", str(paths.suites), "-p", "no:cacheprovider", "-p", "no:terminal",
            "-p", "no:stepwise", "-p", "no:warnings", "--import-mode=importlib", "--assert=plain",
            "--capture=no",  # suites never print; per-test capture costs ~0.1 ms a phase
            # Builtin plugins grading does not use; unraisableexception alone runs gc.collect() 5 times (~0.1 s).
            *[arg for name in _UNUSED_PLUGINS for arg in ("-p", f"no:{name}")],
        ]
        _forget_other_suites(suite_files)
        previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # third-party plugins must not change grading
        try:
            out = io.StringIO()  # pytest's own chatter; shown only if it fails
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                code = pytest.main(args, plugins=[plugin, PlainFailureReports()])
        finally:
            if previous is None:
                os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
            else:
                os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous
        if code == pytest.ExitCode.INTERRUPTED:
            # Ctrl-C: pytest stops and returns; a partial run must never become a score.
            raise KeyboardInterrupt
        if plugin.collection_errors or code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
            detail = "; ".join(plugin.collection_errors) or out.getvalue().strip()[-2000:]
            raise InternalError(f"the suites could not be collected (pytest exit {int(code)}): {detail}")
        return RunResult(tuple(plugin.results), plugin.hidden_not_run, sandbox.captured_output(), sandbox.restarts)
