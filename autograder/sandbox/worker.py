"""The worker: the only process that runs student code.

Started by the judge (`autograder.sandbox.process`) as `python -I -c ... autograder.sandbox.worker`,
it sets its own resource limits, installs the audit hook, then answers
requests on a dedicated pipe: `load` a student module, `call` a function.
It imports nothing but numpy and the protocol, so it starts fast.
"""
from __future__ import annotations

import errno
import importlib.util
import json
import os
import sys
import traceback
import types
import warnings
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from autograder.sandbox import confine, guard, protocol, shared
from autograder.sandbox.faults import Fault, FaultKind, Spot
from autograder.sandbox.replies import READY_ID, WorkerReply

kernel_layers: tuple[str, ...] = ()
"""The kernel layers confining this worker (namespaces, landlock, seccomp), as the READY reply reports them."""


def _set_limits(memory_mb: int, cpu_seconds: int) -> None:
    import resource

    # (soft, hard). Student code cannot raise a soft limit past its hard one (and the audit hook refuses
    # setrlimit anyway). CPU time: at the soft limit the kernel sends SIGXCPU, which the judge names
    # cpu-limit; with soft == hard it would send SIGKILL straight away, which says nothing. The second
    # more stops a student who catches SIGXCPU.
    limits = {
        resource.RLIMIT_AS: (memory_mb * 1024 * 1024,) * 2,
        resource.RLIMIT_CPU: (cpu_seconds, cpu_seconds + 1),
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_FSIZE: (64 * 1024 * 1024,) * 2,
    }
    for which, value in limits.items():
        try:
            resource.setrlimit(which, value)
        except (ValueError, OSError):  # a limit already lower than ours stays
            pass


def _kernel_refusal(exc: BaseException) -> bool:
    """True for the errors Landlock (EACCES) and the seccomp filter (EPERM) answer with."""
    return isinstance(exc, PermissionError) and exc.errno in (errno.EPERM, errno.EACCES) and bool(kernel_layers)


class Worker:
    """Loads student modules from the submission copy and answers calls."""

    def __init__(self, submission: str) -> None:
        self.submission = submission
        self.modules: dict[str, types.ModuleType] = {}

    # --- faults -----------------------------------------------------------
    def _student_frames(self, exc: BaseException) -> traceback.StackSummary:
        """The frames of the traceback that are in the student's own files, with their source lines.

        Chosen before any line is looked up: a stub raises in every test, and looking up (and stat-ing) the
        worker's and numpy's files for frames that are then dropped was most of what a fault cost.
        """
        prefix = self.submission + os.sep
        return traceback.StackSummary.extract(
            (frame, line) for frame, line in traceback.walk_tb(exc.__traceback__)
            if frame.f_code.co_filename.startswith(prefix))

    def _student_trace(self, exc: BaseException) -> str:
        """The traceback restricted to frames in the student's own files."""
        lines = [
            f'  {os.path.relpath(f.filename, self.submission)}, line {f.lineno}, in {f.name}'
            + (f"\n    {f.line}" if f.line else "")
            for f in self._student_frames(exc)
        ]
        return "\n".join(lines)

    def fault(self, kind: FaultKind, exc: BaseException | None = None, message: str = "") -> Fault:
        if exc is not None:
            try:
                text = str(exc)
            except BaseException:  # noqa: BLE001 - a student exception whose __str__ raises
                text = "<unprintable>"
            message = message or (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
            if kind is FaultKind.SANDBOX_REFUSED and _kernel_refusal(exc):
                message = f"the grader's sandbox does not allow {self._operation(exc)} ({message})"
        return Fault(
            kind, message[:2000],
            exc_type=type(exc).__name__ if exc is not None else "",
            trace=self._student_trace(exc)[:4000] if exc is not None else "",
            # the whole hierarchy, so a student's `class IdxError(ValueError)` still counts as a ValueError
            exc_types=tuple(c.__name__ for c in type(exc).__mro__) if exc is not None else (),
        )

    def _operation(self, exc: BaseException) -> str:
        """What the student's code was doing when the kernel refused: its innermost line, else the file named."""
        frames = self._student_frames(exc)
        if frames and frames[-1].line:
            return f"`{frames[-1].line.strip()[:200]}`"
        filename = getattr(exc, "filename", None)
        return f"this on {filename}" if filename else "this operation"

    def classify(self, exc: BaseException) -> FaultKind:
        if isinstance(exc, NotImplementedError):
            return FaultKind.NOT_IMPLEMENTED
        if isinstance(exc, guard.SandboxRefusal) or _kernel_refusal(exc):
            return FaultKind.SANDBOX_REFUSED
        if isinstance(exc, MemoryError):
            return FaultKind.MEMORY_LIMIT
        if isinstance(exc, RecursionError):
            return FaultKind.RECURSION_LIMIT
        if isinstance(exc, (SystemExit, KeyboardInterrupt, GeneratorExit)):
            return FaultKind.EXIT_CALLED
        return FaultKind.EXCEPTION

    # --- requests -----------------------------------------------------------
    def load(self, name: str) -> Fault | None:
        """Import a student module once; None when loaded, else a fault."""
        if name in self.modules:
            return None
        path = os.path.join(self.submission, name + ".py")
        if not os.path.isfile(path):
            return self.fault(FaultKind.MISSING_MODULE, message=f"{name}.py was not found in the submission")
        unreadable = self._unreadable_source(name, path)
        if unreadable is not None:
            return unreadable
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        except SyntaxError as exc:
            sys.modules.pop(name, None)
            where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
            file = self._relative(exc.filename) or f"{name}.py"
            fault = self.fault(FaultKind.SYNTAX_ERROR, exc, f"{file}, {where}: {exc.msg}")
            return replace(fault, spot=_syntax_spot(exc, file))
        except BaseException as exc:  # noqa: BLE001 - the student's import ran code that failed
            sys.modules.pop(name, None)
            kind = self.classify(exc)
            fault = self.fault(FaultKind.IMPORT_ERROR if kind is FaultKind.EXCEPTION else kind, exc)
            return replace(fault, spot=self._raise_spot(exc))
        self.modules[name] = module
        return None

    def _unreadable_source(self, name: str, path: str) -> Fault | None:
        """A fault for a file that is not Python source text at all (binary, wrong encoding)."""
        import io
        import tokenize

        with open(path, "rb") as handle:
            data = handle.read()
        if b"\0" in data:
            return self.fault(FaultKind.BINARY_SOURCE, message=f"{name}.py is a binary file (it contains NUL bytes), "
                                                      "not Python source: save your code as plain text")
        encoding = "utf-8"
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            data.decode(encoding)
        except (SyntaxError, LookupError) as exc:
            # detect_encoding also fails on a non-UTF-8 byte in line 1 or 2 with no declaration: name the byte.
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as bad:
                return self._undecodable(name, data, bad.start, "utf-8")
            return self.fault(FaultKind.NOT_UTF8, message=f"{name}.py declares an unknown encoding: {exc}")
        except UnicodeDecodeError as exc:
            return self._undecodable(name, data, exc.start, encoding)
        return None

    def _undecodable(self, name: str, data: bytes, start: int, encoding: str) -> Fault:
        """The not-utf8 fault of the byte at `start`: its value, line and column, and the line around it."""
        line = data[:start].count(b"\n") + 1
        line_start = data.rfind(b"\n", 0, start) + 1
        line_end = data.find(b"\n", start)
        raw = data[line_start:line_end if line_end >= 0 else len(data)].rstrip(b"\r")
        before = data[line_start:start].decode(encoding, "replace")
        fault = self.fault(FaultKind.NOT_UTF8, message=(
            f"{name}.py is not valid {encoding} text: byte 0x{data[start]:02x} on line {line} "
            "cannot be decoded; save the file as UTF-8"))
        return replace(fault, spot=Spot(f"{name}.py", line, len(before) + 1, 0,
                                        raw.decode(encoding, "replace")[:500], byte=data[start]))

    def _relative(self, filename: str | None) -> str:
        """A file of the submission by its name inside it; "" for any other file."""
        if not filename or not filename.startswith(self.submission + os.sep):
            return ""
        return os.path.relpath(filename, self.submission)

    def _raise_spot(self, exc: BaseException) -> Spot | None:
        """The line of the student's own file where an import raised (the innermost such frame), if any."""
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if self._relative(f.filename)]
        if not frames:
            return None
        frame = frames[-1]
        import linecache

        text = linecache.getline(frame.filename, frame.lineno or 0).rstrip("\r\n")
        column = end = 0
        colno, end_colno = getattr(frame, "colno", None), getattr(frame, "end_colno", None)
        if colno is not None and frame.lineno == getattr(frame, "end_lineno", frame.lineno):
            encoded = text.encode("utf-8")  # frame columns count UTF-8 bytes; a caret counts characters
            column = len(encoded[:colno].decode("utf-8", "replace")) + 1
            end = len(encoded[:end_colno].decode("utf-8", "replace")) + 1 if end_colno is not None else 0
        return Spot(self._relative(frame.filename), frame.lineno or 0, column, end, text[:500])

    def call(self, request: dict[str, Any]) -> WorkerReply:
        module_name, function = request["module"], request["function"]
        problem = self.load(module_name)
        if problem is not None:
            return WorkerReply(ok=False, fault=problem)
        target = getattr(self.modules[module_name], function, None)
        if not callable(target):
            return WorkerReply(ok=False, fault=self.fault(
                FaultKind.MISSING_FUNCTION, message=f"{module_name}.py defines no function {function}()"))
        # numpy's default error handling, whatever the student's import set: overflow warns.
        np.seterr(over="warn", divide="warn", invalid="warn", under="ignore")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            args, kwargs = tuple(request.get("args", ())), dict(request.get("kwargs", {}))
            before = _snapshots(args, kwargs)
            try:
                value = target(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - whatever student code raises is a fault to report
                return WorkerReply(ok=False, fault=self.fault(self.classify(exc), exc))
        seen = tuple(
            (w.category.__name__, str(w.message)[:500])
            for w in caught[:20]
            if isinstance(w.category, type) and issubclass(w.category, Warning)
        )
        return WorkerReply(ok=True, value=value, warnings=seen, mutated=_mutated(target, before, args, kwargs))

    def handle(self, request: dict[str, Any]) -> WorkerReply:
        op = request.get("op")
        if op == "load":
            problem = self.load(request["module"])
            return WorkerReply(ok=problem is None, fault=problem)
        if op == "call":
            return self.call(request)
        return WorkerReply(ok=False, fault=Fault(FaultKind.PROTOCOL, f"unknown op {op!r}"))

    def replies(self, request: dict[str, Any]) -> Iterator[tuple[int, WorkerReply]]:
        """(id, reply) for each call a request asks for: one, or a batch ("calls": one reply each, in order).

        A batch is one message for several calls of one function (a test's inputs known in advance): the
        judge reads the replies one by one with a deadline each, so a stuck call is timed as if alone.
        """
        first = int(request.get("id", 0))
        if request.get("op") != "calls":
            yield first, self.handle(request)
            return
        calls = request.get("calls")
        if not isinstance(calls, list):
            yield first, WorkerReply(ok=False, fault=Fault(FaultKind.PROTOCOL, "a batch without its calls"))
            return
        for index, (args, kwargs) in enumerate(calls):
            yield first + index, self.call({"module": request.get("module"), "function": request.get("function"),
                                            "args": args, "kwargs": kwargs})


def _syntax_spot(exc: SyntaxError, file: str) -> Spot:
    """Where a SyntaxError (IndentationError, TabError) points, in Python's own words."""
    text = (exc.text or "").rstrip("\r\n")
    line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else 0
    column = exc.offset if isinstance(exc.offset, int) and exc.offset > 0 else 0
    end = getattr(exc, "end_offset", None)
    end = end if isinstance(end, int) and end > column and getattr(exc, "end_lineno", line) == line else 0
    return Spot(file, line, column, end, text[:500], problem=str(exc.msg)[:500])


# --- arguments changed in place --------------------------------------------------
COPY_LIMIT = 16 * 1024 * 1024
"""Bytes of one array argument copied to compare after the call; a larger one is compared by checksum."""
COPY_BUDGET = 64 * 1024 * 1024
"""Bytes copied for all the arguments of one call; arrays past it are compared by checksum too."""
LIST_LIMIT = 100_000
"""Items of the list arguments of one call kept to compare after the call; longer lists are not compared."""
_UNTRACKED = object()


class _Digest:
    """A large array's shape, dtype and checksum: compared instead of a copy."""

    def __init__(self, array: np.ndarray) -> None:
        self.shape, self.dtype = array.shape, array.dtype
        known = shared.pristine_checksum(array)  # a fork server's input: summed once, before any fork
        self.crc = known if known is not None else shared.checksum(array)


def _snapshot(value: Any, budget: list[int]) -> Any:
    """What `value` is before the call, to find out whether the call changed it (_UNTRACKED: not compared).

    Arrays are copied (checksummed when large); lists are copied item by item, numbers kept as they are.
    """
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            return _UNTRACKED
        if value.nbytes <= min(COPY_LIMIT, budget[1]):
            budget[1] -= value.nbytes
            return value.copy()
        try:
            return _Digest(value)
        except (TypeError, ValueError, BufferError):
            return _UNTRACKED
    if isinstance(value, list):
        budget[0] -= len(value)
        if budget[0] < 0:
            return _UNTRACKED
        if protocol.plain_scalars(value):
            return list(value)  # a row of numbers (a plain-list test's image): copied in C
        return [_snapshot(item, budget) if isinstance(item, (list, np.ndarray)) else item for item in value]
    return _UNTRACKED


def _same_number(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b) or (a != a and b != b)  # NaN equals NaN here
    except Exception:  # noqa: BLE001 - a value whose comparison fails is not known to have changed
        return True


def _changed(before: Any, after: Any) -> bool:
    """True when the call changed `after` (the argument object itself) from its snapshot `before`."""
    if before is _UNTRACKED:
        return False
    if isinstance(before, _Digest):
        if not isinstance(after, np.ndarray) or (after.shape, after.dtype) != (before.shape, before.dtype):
            return True
        return shared.checksum(after) != before.crc
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or (after.shape, after.dtype) != (before.shape, before.dtype):
            return True
        try:
            return not np.array_equal(before, after, equal_nan=before.dtype.kind in "fc")
        except (TypeError, ValueError):
            return False
    if isinstance(before, list):
        if not isinstance(after, list) or len(after) != len(before):
            return True
        if protocol.plain_scalars(before) and protocol.plain_scalars(after) and before == after:
            return False  # compared in C; only a difference (NaN for NaN included) needs the item-by-item look
        return any(_changed(b, a) if isinstance(b, (list, np.ndarray, _Digest)) or b is _UNTRACKED
                   else not _same_number(b, a) for b, a in zip(before, after))
    return False


def _snapshots(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[tuple[int | str, Any]]:
    """Snapshots of the arguments a call could change: (position or keyword, snapshot)."""
    budget = [LIST_LIMIT, COPY_BUDGET]  # list items, bytes copied
    taken: list[tuple[int | str, Any]] = []
    keyed: list[tuple[int | str, Any]] = [*enumerate(args), *kwargs.items()]
    try:
        for key, value in keyed:
            if isinstance(value, (np.ndarray, list)):
                snap = _snapshot(value, budget)
                if snap is not _UNTRACKED:
                    taken.append((key, snap))
    except (MemoryError, RecursionError):  # the arguments fill the worker's memory: compare what was taken
        pass
    return taken


def _mutated(target: Any, before: list[tuple[int | str, Any]], args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> tuple[str, ...]:
    """The names of the arguments the call changed in place ("#2" for a position with no name)."""
    changed = []
    for key, snap in before:
        try:
            if _changed(snap, args[key] if isinstance(key, int) else kwargs[key]):
                changed.append(key)
        except Exception:  # noqa: BLE001, S112 - student-made objects: not known to have changed
            continue
    if not changed:
        return ()
    names: list[str] = []
    try:
        import inspect

        names = [p.name for p in inspect.signature(target).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        pass
    return tuple((names[k] if k < len(names) else f"#{k + 1}") if isinstance(k, int) else k
                 for k in changed)[:8]


def _respond(fd: int, request_id: int, reply: WorkerReply) -> None:
    try:
        parts = protocol.encode_parts({**reply.to_message(), "id": request_id})
    except (protocol.CodecError, RecursionError, MemoryError) as exc:
        # Only the value can fail to encode (not plain data, too large): the call "returned" a fault.
        bad = Fault(FaultKind.BAD_RETURN, str(exc), exc_type=type(exc).__name__)
        parts = protocol.encode_parts(WorkerReply(ok=False, fault=bad, id=request_id).to_message())
    for part in parts:
        protocol.write_all(fd, part)


def _library_paths(entries: list[str], prefixes: list[str]) -> list[str]:
    """The import path entries that hold installed packages (site-packages, zips, anything under a prefix).

    Not the others: the judge's own folder or working directory lands on its sys.path too, and there it
    may be the folder of every student's submission.
    """
    def installed(entry: str) -> bool:
        name = os.path.basename(entry.rstrip("/"))
        return (name in ("site-packages", "dist-packages") or entry.endswith((".zip", ".egg"))
                or any(entry == p or entry.startswith(p.rstrip("/") + "/") for p in prefixes))

    return [e for e in entries if installed(e)]


def _private_temp(submission: str) -> str:
    """The worker's temp folder: TMPDIR when the judge set one, else a fresh one beside the submission copy.

    Never the shared /tmp: it holds the judge's files and the other submissions' copies.
    """
    import tempfile

    if os.environ.get("TMPDIR"):
        return tempfile.gettempdir()
    temp = os.path.join(os.path.dirname(submission), "tmp")
    os.makedirs(temp, mode=0o700, exist_ok=True)
    os.environ["TMPDIR"] = tempfile.tempdir = temp
    return temp


def _copy_in(source: str, workdir: str) -> str:
    """Make this worker's writable folder in the sandbox's tmpfs and copy the submission's modules into it.

    The judge's copy (`source`) is read-only in the sandbox; student code works on this one, which vanishes
    with the tmpfs (or is removed by the fork server) when the worker ends.
    """
    own = os.path.join(workdir, str(os.getpid()))
    os.mkdir(own, 0o700)
    for name in sorted(os.listdir(source)):
        path = os.path.join(source, name)
        if not name.endswith(".py") or os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, "rb") as reader, open(os.path.join(own, name), "wb") as writer:
            writer.write(reader.read())
    os.chdir(own)
    os.environ["HOME"] = own
    os.environ.pop("PWD", None)  # bwrap's --chdir sets it; a worker's environment is the judge's choice alone
    return own


def _namespaces(host: dict[str, str]) -> tuple[str, ...]:
    """("namespaces",) when this process is seen to be walled in: uid 65534, PID and network namespaces other
    than the judge's, and no network interface but lo; () otherwise."""
    try:
        own = {kind: os.readlink(f"/proc/self/ns/{kind}") for kind in ("pid", "net")}
        with open("/proc/net/dev") as handle:
            interfaces = {line.split(":")[0].strip() for line in handle.readlines()[2:]}
    except OSError:
        return ()
    apart = all(kind in host and own[kind] != host[kind] for kind in ("pid", "net"))
    return ("namespaces",) if os.getuid() == 65534 and apart and interfaces <= {"lo"} else ()


def main(config_json: str) -> None:
    config = json.loads(config_json)
    request_fd, reply_fd = config["request_fd"], config["reply_fd"]
    _set_limits(config["memory_mb"], config["cpu_seconds"])
    submission = os.path.realpath(config["submission"])
    layers: tuple[str, ...] = ()  # the kernel layers that hold, in the order namespaces, landlock, seccomp
    if config.get("workdir"):  # inside bwrap: work on a copy in the tmpfs, never in the judge's folder
        try:
            os.setsid()  # bwrap's --new-session made its init the session leader; lead our own, as forks do
        except OSError:
            pass  # already a session leader (a fork of the server)
        submission = _copy_in(submission, config["workdir"])
        layers = _namespaces(config.get("namespaces", {}))
    # The kit is needed only to start; student imports must not find its solutions.
    sys.path[:] = [submission] + [p for p in config["sys_path"] if p and os.path.realpath(p) != config["kit_parent"]]
    readable = [sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path[1:], *config["readable"]]
    # Kernel walls, for good, before any student code: Landlock grants only, so the denied paths are carved out.
    # The submission is granted as writable only: the same rights as the temp folder, so files move between them.
    # Inside bwrap, /tmp is the sandbox's own tmpfs; outside, a private folder (never the shared /tmp).
    temp = "/tmp" if config.get("workdir") else _private_temp(submission)
    prefixes = [sys.prefix, sys.base_prefix, sys.exec_prefix]
    if config.get("confine", True):
        layers = (*layers, *confine.apply(
            confine.allowed_roots([*prefixes, *_library_paths(sys.path[1:], prefixes), *config["readable"],
                                   *confine.SYSTEM_READABLE, "/dev/urandom", "/proc/self"], config["denied"]),
            [submission, temp, "/dev/null"],
        ))
    global kernel_layers
    kernel_layers = layers
    if config.get("audit_hook", True):
        guard.install(submission, readable, config["denied"])
    isolation = "+".join(layers) or ("audit-hook" if config.get("audit_hook", True) else "none")
    worker = Worker(submission)
    read_exact = protocol.fd_reader(request_fd)
    _respond(reply_fd, READY_ID, WorkerReply(ok=True, pid=os.getpid(), isolation=isolation))
    while True:
        try:
            request = protocol.read_message(read_exact, held=shared.held)  # inputs inherited from a fork server
        except EOFError:
            return
        for request_id, reply in worker.replies(request):
            # Student prints go to files the judge reads; flush so nothing is lost on a crash later.
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except BaseException:  # noqa: BLE001, S110 - the student closed or broke the stream: nothing to flush
                    pass
            _respond(reply_fd, request_id, reply)


if __name__ == "__main__":
    main(sys.argv[1])
