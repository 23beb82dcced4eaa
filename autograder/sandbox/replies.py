"""The worker's reply to the judge, and its one encoding to and from a protocol message.

Both ends use `WorkerReply`: the worker builds one per request and sends
`to_message()`; the judge reads `WorkerReply.from_message()`, which trusts
nothing in the message (a confused worker's reply is a protocol fault, not a crash).
Standard library only: the worker imports this.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autograder.sandbox.faults import Fault, FaultKind, Spot

READY_ID = 0
"""The id of the reply a worker sends once it is ready, before any request."""

WORKER_KINDS = frozenset({
    FaultKind.EXCEPTION, FaultKind.NOT_IMPLEMENTED, FaultKind.SANDBOX_REFUSED, FaultKind.MEMORY_LIMIT,
    FaultKind.RECURSION_LIMIT, FaultKind.EXIT_CALLED, FaultKind.MISSING_MODULE, FaultKind.MISSING_FUNCTION,
    FaultKind.SYNTAX_ERROR, FaultKind.IMPORT_ERROR, FaultKind.BINARY_SOURCE, FaultKind.NOT_UTF8,
    FaultKind.BAD_RETURN, FaultKind.PROTOCOL,
})
"""The fault kinds a worker may report. The others are the judge's own findings: a reply claiming one
(`worker-start-failed` would make the test an internal error, retried by every later run) is a protocol fault."""
MAX_FAULT_TEXT = 20_000
"""Characters kept of a fault's message and trace: student-written text, bounded before it reaches a scorecard."""
MAX_WARNINGS = 100
"""Warnings kept of one reply (each a short category and message)."""
MAX_MUTATED = 8
"""Changed arguments named in one reply (a function has few; the first is the one a student is told about)."""
MAX_ARGUMENT_NAME = 100
"""Characters kept of a changed argument's name."""


@dataclass(frozen=True)
class WorkerReply:
    """What one request produced: a value and its warnings, or a Fault."""

    ok: bool
    value: Any = None
    warnings: tuple[tuple[str, str], ...] = ()
    """(category name, message) of each warning the call raised."""
    fault: Fault | None = None
    """Why not ok; None when ok."""
    id: int = READY_ID
    """The request answered (READY_ID: the worker's hello)."""
    pid: int | None = None
    """The worker's process id, in its hello only."""
    mutated: tuple[str, ...] = ()
    """The arguments the call changed in place: parameter names ("x"), else positions ("argument 1");
    at most MAX_MUTATED, in call order."""
    isolation: str = ""
    """In its hello only: the layers that hold the worker in, joined with "+" in the order namespaces,
    landlock, seccomp; "audit-hook" when no kernel layer holds, "none" when not even the hook is installed."""

    @staticmethod
    def failed(kind: FaultKind, message: str) -> WorkerReply:
        """A reply for a fault the judge itself saw (a timeout, a death, a garbled reply)."""
        return WorkerReply(ok=False, fault=Fault(kind, message))

    def to_message(self) -> dict[str, Any]:
        """The protocol message (plain data; `value` may hold arrays for the codec)."""
        message: dict[str, Any] = {"id": self.id, "ok": self.ok}
        if self.ok:
            message["value"] = self.value
            message["warnings"] = [list(w) for w in self.warnings]
            if self.mutated:
                message["mutated"] = list(self.mutated)
        if self.fault is not None:
            f = self.fault
            message["fault"] = {"kind": f.kind.value, "type": f.exc_type, "types": list(f.exc_types),
                                "message": f.message, "trace": f.trace}
            if f.spot is not None:
                s = f.spot
                message["fault"]["spot"] = {"file": s.file, "line": s.line, "column": s.column,
                                            "end_column": s.end_column, "text": s.text, "problem": s.problem,
                                            "byte": s.byte}
        if self.pid is not None:
            message["pid"] = self.pid
        if self.isolation:
            message["isolation"] = self.isolation
        return message

    @staticmethod
    def from_message(message: dict[str, Any]) -> WorkerReply:
        """The reply a message holds; missing or malformed parts become defaults, never exceptions.

        The message may come from student code writing into the pipe: nothing in it is trusted.
        """
        ok = message.get("ok") is True
        raw_id = message.get("id")
        pid = message.get("pid")
        isolation = message.get("isolation")
        return WorkerReply(
            ok=ok, value=message.get("value") if ok else None, fault=None if ok else _fault(message.get("fault")),
            warnings=_warnings(message.get("warnings")) if ok else (),
            mutated=_mutated(message.get("mutated")) if ok else (),
            id=raw_id if type(raw_id) is int else -1,
            pid=pid if type(pid) is int else None,
            isolation=isolation[:200] if isinstance(isolation, str) else "",
        )


def _text(value: Any) -> str:
    """Student-made text as one bounded string (only strings count: a list is not a message)."""
    return value[:MAX_FAULT_TEXT] if isinstance(value, str) else ""


def _fault(raw: Any) -> Fault:
    """The fault a reply describes; a kind the worker may not report becomes a protocol fault."""
    raw = raw if isinstance(raw, dict) else {}
    kind = FaultKind.parse(raw.get("kind")) if isinstance(raw.get("kind"), str) else FaultKind.PROTOCOL
    message = _text(raw.get("message"))
    if kind not in WORKER_KINDS:
        message = f"the worker reported a fault only the grader can find ({kind.value}): {message}"[:MAX_FAULT_TEXT]
        kind = FaultKind.PROTOCOL
    types = raw.get("types")
    return Fault(
        kind=kind, message=message, exc_type=_text(raw.get("type"))[:200], trace=_text(raw.get("trace")),
        exc_types=tuple(t[:200] for t in types[:50] if isinstance(t, str)) if isinstance(types, (list, tuple)) else (),
        spot=_spot(raw.get("spot")),
    )


MAX_SPOT_TEXT = 500
"""Characters kept of a spot's source line and Python's words: one line, shown in one panel."""


def _spot(raw: Any) -> Spot | None:
    """Where a module failed to load, as a reply says: bounded numbers and text, or None."""
    if not isinstance(raw, dict) or not isinstance(raw.get("file"), str) or not raw["file"]:
        return None

    def number(key: str, low: int) -> int:
        value = raw.get(key)
        return value if type(value) is int and low <= value < 10_000_000 else low

    return Spot(file=raw["file"][:200], line=number("line", 0), column=number("column", 0),
                end_column=number("end_column", 0), text=_text(raw.get("text"))[:MAX_SPOT_TEXT],
                problem=_text(raw.get("problem"))[:MAX_SPOT_TEXT],
                byte=raw["byte"] if type(raw.get("byte")) is int and 0 <= raw["byte"] < 256 else -1)


def _warnings(raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, (list, tuple)):
        return ()
    return tuple((_text(w[0]), _text(w[1])) for w in raw[:MAX_WARNINGS]
                 if isinstance(w, (list, tuple)) and len(w) == 2)


def _mutated(raw: Any) -> tuple[str, ...]:
    """The changed arguments a reply names: strings only, at most MAX_MUTATED, each bounded."""
    if not isinstance(raw, (list, tuple)):
        return ()
    return tuple(name[:MAX_ARGUMENT_NAME] for name in raw[:MAX_MUTATED] if isinstance(name, str) and name)
