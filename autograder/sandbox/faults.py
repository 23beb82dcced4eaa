"""Why a call into student code produced no value: the fault kinds and the Fault the worker and judge share.

The kinds' values are the stable kebab-case codes students and tools see (feedback
codes, JSON `code`, i18n keys `core.fault-<kind>`): they must never change.
Imported by the worker too, so it holds nothing but the standard library.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class FaultKind(str, Enum):
    """What went wrong in (or around) the student's code."""

    # raised by the student's code, seen by the worker
    EXCEPTION = "exception"
    NOT_IMPLEMENTED = "not-implemented"
    SANDBOX_REFUSED = "sandbox-refused"
    MEMORY_LIMIT = "memory-limit"
    RECURSION_LIMIT = "recursion-limit"
    EXIT_CALLED = "exit-called"
    # loading the student's module, seen by the worker
    MISSING_MODULE = "missing-module"
    MISSING_FUNCTION = "missing-function"
    SYNTAX_ERROR = "syntax-error"
    IMPORT_ERROR = "import-error"
    BINARY_SOURCE = "binary-source"
    NOT_UTF8 = "not-utf8"
    BAD_RETURN = "bad-return"
    """The value returned cannot cross the pipe (not plain data, too large)."""
    # seen by the judge: the worker went quiet, died or spoke nonsense
    TIMEOUT = "timeout"
    IMPORT_TIMEOUT = "import-timeout"
    CPU_LIMIT = "cpu-limit"
    WORKER_CRASHED = "worker-crashed"
    PROTOCOL = "protocol"
    WORKER_START_FAILED = "worker-start-failed"
    """The worker died before any student code ran: the grader's fault, never the student's."""

    def __str__(self) -> str:
        return self.value  # f-strings and i18n keys read the code, not `FaultKind.TIMEOUT`

    @staticmethod
    def parse(value: object) -> FaultKind:
        """The kind named by a reply; an unknown or missing one is a protocol fault (a confused worker)."""
        try:
            return FaultKind(value)
        except ValueError:
            return FaultKind.PROTOCOL


@dataclass(frozen=True)
class Spot:
    """Where in a student's file a module failed to load: what a report shows as the line and a caret under it."""

    file: str
    """The file's name inside the submission ("gates.py")."""
    line: int
    """1-based; 0 when not known (an error at the end of the file)."""
    column: int = 0
    """1-based column (characters) the caret starts at; 0 for none."""
    end_column: int = 0
    """1-based column the caret ends before; 0 for one caret."""
    text: str = ""
    """The source line, without its newline (undecodable bytes as U+FFFD)."""
    problem: str = ""
    """Python's own words for a syntax error ("expected ':'"), for the grader to explain in the student's language."""
    byte: int = -1
    """The byte that is not UTF-8 (not-utf8 only); -1 otherwise."""


@dataclass(frozen=True)
class Fault:
    """Why a call into student code produced no value."""

    kind: FaultKind
    message: str
    """One line a student can read."""
    exc_type: str = ""
    """The student's exception class name, if any."""
    trace: str = ""
    """Traceback through the student's own files only."""
    exc_types: tuple[str, ...] = ()
    """Names of the exception's classes, most derived first (for `isinstance`-like checks)."""
    spot: Spot | None = None
    """Where loading the module failed (syntax-error, import-error, not-utf8), when the worker could tell."""

    def raised(self, name: str) -> bool:
        """True when the student's exception is a `name` or a subclass of it."""
        return name in self.exc_types or name == self.exc_type

