"""What a run produces: one TestResult per test, before any scoring."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Only a type here: batch's messages import this module, and a grade-all judge must not import numpy
    # (through compare) before it has started its fork server.
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


LOAD_CODES = frozenset({"syntax-error", "import-error", "not-utf8", "binary-source", "numpy-alias-removed",
                        "import-timeout", "exit-called", "sandbox-refused", "memory-limit", "recursion-limit"})
"""Codes of a student module that could not be loaded: one cause for every test of the module, so reports show
it once (such a result names no function)."""


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
    duration: float = 0.0
    """Seconds the test took to run (setup and call), as pytest measured it; JUnit's `time`."""


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
    isolation: str = "audit-hook"
    """What walled the student's code in: the weakest level any worker reported ("namespaces+landlock+seccomp",
    "landlock+seccomp", "audit-hook")."""


class SubmissionStatus(str, Enum):
    """What became of one submission as a whole (a CSV row's and a grade-all result's `status`)."""

    GRADED = "graded"
    INVALID = "invalid"
    """Not gradable: no modules, unreadable, not a submission at all (the student's to fix)."""
    TIMEOUT = "timeout"
    """Grading took longer than grade-all's deadline; the judge was stopped."""
    INTERNAL_ERROR = "internal-error"
    """The grader failed (never the student's fault); grade-all grades it again on the next run."""
    WORKSPACE_ERROR = "workspace-error"
    """The machine could not host the grading (disk full): grade-all stops, nothing is recorded."""

    def __str__(self) -> str:
        return self.value

    @property
    def final(self) -> bool:
        """True when a re-run of grade-all keeps the result (internal errors are graded again)."""
        return self in (SubmissionStatus.GRADED, SubmissionStatus.INVALID, SubmissionStatus.TIMEOUT)


@dataclass(frozen=True)
class SubmissionResult:
    """One submission's scores, or why it has none: what the CSV shows in one row.

    Here, below the reporters, because both `nngrade grade -f csv` (from a Scorecard) and grade-all (from its
    result files) produce it, and `reporters.csv_report` renders it.
    """

    submission: str
    status: SubmissionStatus = SubmissionStatus.GRADED
    scores: dict[str, float] = field(default_factory=dict)
    """Points per exercise id."""
    score: float | None = None
    max_score: float | None = None
    percent: float | None = None
    message: str = ""
    """Why not graded (or the internal errors)."""
