"""What a run produces: one TestResult per test, before any scoring."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from autograder.grading.compare import Feedback


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    NOT_IMPLEMENTED = "not-implemented"
    MISSING = "missing"
    NOT_RUN = "not-run"
    """Could not run here (e.g. the MNIST data is absent); neither won nor lost."""


@dataclass(frozen=True)
class TestResult:
    """The outcome of one suite test against one submission."""

    __test__ = False  # not a pytest test class

    exercise: str
    """Exercise id (from the suite file name)."""
    task: str
    """Task id within the exercise (from the test's task marker)."""
    name: str
    """Test name, with parameters: test_values[sigmoid]."""
    status: Status
    code: str | None
    """Stable kebab-case feedback code, None when passed."""
    message: str
    """One line for the student."""
    feedback: Feedback | None = None
    """Structured detail of a failed check (expected, got, errors, ...)."""
    function: str | None = None
    """The student function the fault came from, when one did."""
    trace: str = ""
    """The student's own traceback, for errors."""
    internal: bool = False
    """True when the grader itself failed: never counted as the student's fault."""


@dataclass(frozen=True)
class RunResult:
    """Every test result of one submission, plus what was not run."""

    tests: tuple[TestResult, ...]
    hidden_not_run: int
    """Hidden tests that exist but were deselected (nngrade check)."""
    student_output: str = ""
    """What the student's code printed, truncated."""
    restarts: int = 0
    """How many times the worker was restarted (crashes, timeouts)."""
