"""The worker's reply to the judge, and its one encoding to and from a protocol message.

Both ends use `WorkerReply`: the worker builds one per request and sends
`to_message()`; the judge reads `WorkerReply.from_message()`, which trusts
nothing in the message (a confused worker's reply is a protocol fault, not a crash).
Standard library only: the worker imports this.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autograder.sandbox.faults import Fault, FaultKind

READY_ID = 0
"""The id of the reply a worker sends once it is ready, before any request."""


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
        if self.fault is not None:
            f = self.fault
            message["fault"] = {"kind": f.kind.value, "type": f.exc_type, "types": list(f.exc_types),
                                "message": f.message, "trace": f.trace}
        if self.pid is not None:
            message["pid"] = self.pid
        if self.isolation:
            message["isolation"] = self.isolation
        return message

    @staticmethod
    def from_message(message: dict[str, Any]) -> WorkerReply:
        """The reply a message holds; missing or malformed parts become defaults, never exceptions."""
        ok = message.get("ok") is True
        raw_id = message.get("id")
        pid = message.get("pid")
        isolation = message.get("isolation")
        fault = None
        if not ok:
            raw = message.get("fault")
            raw = raw if isinstance(raw, dict) else {}
            types = raw.get("types")
            fault = Fault(
                kind=FaultKind.parse(raw.get("kind", FaultKind.PROTOCOL.value)),
                message=str(raw.get("message", "")), exc_type=str(raw.get("type", "")),
                trace=str(raw.get("trace", "")),
                exc_types=tuple(t for t in types if isinstance(t, str)) if isinstance(types, (list, tuple)) else (),
            )
        warnings = message.get("warnings")
        return WorkerReply(
            ok=ok, value=message.get("value"), fault=fault,
            warnings=tuple((str(w[0]), str(w[1])) for w in warnings if isinstance(w, (list, tuple)) and len(w) == 2)
            if isinstance(warnings, (list, tuple)) else (),
            id=raw_id if type(raw_id) is int else -1,
            pid=pid if type(pid) is int else None,
            isolation=isolation[:200] if isinstance(isolation, str) else "",
        )
