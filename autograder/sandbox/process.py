"""Judge side of the sandbox: starts the worker, sends calls, enforces deadlines, restarts.

Student code never runs in the judge. A call either returns plain data or
raises `StudentFault`, whose `kind` becomes the test's status and feedback code.
A dead or stuck worker is killed and restarted on the next call, so only the
tests that touched it fail.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from autograder.course import Course, CoursePaths, kit_root
from autograder.sandbox import isolation, shared
from autograder.sandbox.faults import Fault, FaultKind
from autograder.sandbox.files import TooLarge, UnsafeFile, read_regular
from autograder.sandbox.replies import READY_ID, WorkerReply

if TYPE_CHECKING:
    from autograder.sandbox.forkserver import ForkServer

# autograder.sandbox.protocol (and with it numpy) is imported on first use, not here: the CLI
# starts the worker before the judge pays for numpy and pytest, so their imports overlap.

MAX_SOURCE_BYTES = 2 * 1024 * 1024
CAPTURE_LIMIT = 4000
STARTUP_TIMEOUT = 60.0
LARGE_FRAME = 1 << 20
"""Reply frames above this size (big arrays) are read straight into the buffer that becomes the array."""
# -S skips site.py (faster start); the judge's sys.path is handed over instead, kit first.
_BOOT = (
    "import sys, json; sys.path[:0] = [sys.argv[2], *json.loads(sys.argv[1])['sys_path']]; "
    "from autograder.sandbox.worker import main; main(sys.argv[1])"
)


KIT_PARENT = str(kit_root())


def worker_environment(home: str) -> dict[str, str]:
    """The whole environment of a worker: nothing of the judge's, one BLAS thread (one worker per judge)."""
    return {
        "PATH": os.defpath, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": home,
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }


def worker_sys_path() -> list[str]:
    """The judge's import path, absolute entries only, handed to the worker (which runs with -I -S)."""
    return [p for p in sys.path if p and os.path.isabs(p)]


def kit_denied(paths: Iterable[Path] = ()) -> list[str]:
    """What student code may never read: the kit's solutions, tests and course.toml, and `paths`."""
    kit = Path(KIT_PARENT)
    return sorted({str(p) for p in (*paths, kit / "solutions", kit / "tests", kit / "course.toml")})


def start_forkserver(readable: Sequence[str] = (), namespaces: bool = True, preload: str | None = None,
                     share_inputs: bool = False) -> ForkServer:
    """A started fork server whose forks are workers like spawned ones (same environment, same import path).

    With `namespaces` (and bwrap working here) the server runs inside the sandbox, seeing `readable` (the data
    folder) and its own workspace, where every Sandbox that uses it keeps its folders. With `preload` (the
    data folder) it loads the shared inputs of sandbox/shared.py before it forks, and its workers hold them.

    `share_inputs` (the check server, where memory counts): the judge and the server map one file of those
    inputs instead of holding a copy each. Not for grade-all's judges, where CPU counts: a fork does not copy
    the page tables of a file mapping, so each worker would fault the 31 MB of images in again (~7,700
    faults, ~10 ms; benchmarks/bench_speed.py).
    """
    from autograder.sandbox.forkserver import ForkServer

    server = ForkServer(worker_environment("/"), worker_sys_path(), KIT_PARENT,
                        isolated=namespaces and isolation.available(), readable=list(readable), denied=kit_denied(),
                        preload=preload, share_inputs=share_inputs)
    server.start()
    return server


class WorkerProcess(Protocol):
    """A running worker: a spawned `subprocess.Popen`, or a `forkserver.ForkedWorker`."""

    pid: int

    def wait(self, timeout: float | None = None) -> int | None: ...


class StudentFault(Exception):
    """A call into student code failed; carries the Fault and what was called."""

    def __init__(self, fault: Fault, module: str, function: str) -> None:
        super().__init__(fault.message)
        self.fault = fault
        self.module = module
        self.function = function

    @property
    def kind(self) -> FaultKind:
        """The fault's kind: becomes the test's status and feedback code."""
        return self.fault.kind


class SubmissionError(Exception):
    """The submission folder cannot be graded at all (missing, unreadable, no modules)."""


class IsolationRefused(Exception):
    """--isolation strict, and no kernel wall holds here: nothing is graded (exit code 9)."""


class WorkspaceError(Exception):
    """The grader cannot set up its temporary workspace (disk full, temp folder not writable)."""


@dataclass(frozen=True)
class Reply:
    """A successful call: the value and the warnings it raised."""

    value: Any
    warnings: tuple[tuple[str, str], ...] = ()
    mutated: tuple[str, ...] = ()
    """The arguments the call changed in place (names, or "#n" for positions)."""


@dataclass
class SandboxConfig:
    """Limits and file-system rules for one submission's worker."""

    memory_mb: int = 1024
    cpu_seconds: int = 120
    readable: list[str] = field(default_factory=list)
    """Extra folders student code may read (the data directory)."""
    denied: list[str] = field(default_factory=list)
    """Folders and files student code may never read (solutions, suites, course.toml)."""
    namespaces: bool = True
    """Run the worker inside bwrap's namespaces when they work here (NNGRADE_NAMESPACES=0 turns them off)."""
    audit_hook: bool = True
    kernel_confinement: bool = True
    """Landlock and seccomp in the worker where the kernel has them; tests turn them off to prove the namespaces
    hold by themselves (each layer is shown to be a wall on its own)."""
    """Install the audit hook in the worker (tests turn it off to prove the kernel alone holds the wall)."""


def copy_submission(source: Path, destination: Path) -> list[str]:
    """Copy the top-level .py files of a submission; returns the module names copied.

    Symlinks, folders and files over MAX_SOURCE_BYTES are left out (a link could point at the solutions);
    a .py that is a hard link, FIFO, device or socket is SubmissionError naming it (a hard link may be a
    classmate's file; opening a FIFO would block the judge).
    """
    if not source.is_dir():
        raise SubmissionError(f"{source} is not a folder")
    names: list[str] = []
    for path in sorted(source.glob("*.py")):
        if path.is_symlink() or path.is_dir():
            continue
        try:
            source_bytes = read_regular(path, MAX_SOURCE_BYTES)
        except TooLarge:
            continue
        except UnsafeFile as exc:
            raise SubmissionError(str(exc)) from None
        except OSError as exc:
            raise SubmissionError(f"{path} cannot be read ({exc.strerror or exc})") from None
        try:
            (destination / path.name).write_bytes(source_bytes)
        except OSError as exc:
            raise WorkspaceError(f"cannot copy {path.name} into the grading workspace {destination.parent}: "
                                 f"{exc.strerror or exc}") from None
        names.append(path.stem)
    return names


def _describe_exit(code: int | None) -> tuple[FaultKind, str]:
    if code is not None and code < 0:
        sig = -code
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig == signal.SIGXCPU:
            return FaultKind.CPU_LIMIT, "the code used up its CPU-time limit and was stopped"
        return FaultKind.WORKER_CRASHED, f"the Python process running the code was killed by {name}"
    return FaultKind.WORKER_CRASHED, (f"the Python process running the code exited (status {code}) "
                                      "in the middle of a call")


class Sandbox:
    """One submission's worker process, restarted as needed."""

    def __init__(self, submission: Path, config: SandboxConfig | None = None,
                 forkserver: ForkServer | None = None) -> None:
        # A fork server inside the sandbox sees only its own workspace: the folders of its sandboxes live there.
        workspace = forkserver.workspace if forkserver is not None else None
        try:
            self.root = Path(tempfile.mkdtemp(prefix="nngrade-", dir=workspace))
        except OSError as exc:
            raise WorkspaceError(f"cannot create a grading workspace in {tempfile.gettempdir()}: "
                                 f"{exc.strerror or exc}; set TMPDIR to a writable folder with free space") from None
        self.copy = self.root / "submission"
        # A fork server's sandboxes (a grade-all judge's submissions, one after another) share one: what the
        # judge writes there is its own constants and seeded values, the same for every submission, and no
        # worker may write it. Made afresh for each, it cost ~25 folders and files created and removed a
        # submission (~15 ms of the judge's CPU on ext4; benchmarks/bench_speed.py).
        self.scratch = Path(workspace) / "scratch" if workspace is not None else self.root / "scratch"
        """Where the judge writes files for student code to read (the worker may read, not write, here)."""
        config = config or SandboxConfig()
        self.config = replace(config, readable=[*config.readable, str(self.scratch)])
        try:
            self.copy.mkdir()
            self.scratch.mkdir(exist_ok=True)
            self.modules = copy_submission(submission, self.copy)
            self._stdout = open(self.root / "stdout.txt", "w+b")
            self._stderr = open(self.root / "stderr.txt", "w+b")
        except (SubmissionError, WorkspaceError):
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        except OSError as exc:
            shutil.rmtree(self.root, ignore_errors=True)
            raise WorkspaceError(f"cannot prepare the grading workspace {self.root}: {exc.strerror or exc}") from None
        self.forkserver = forkserver
        """Where workers are forked from (grade-all's judges); None: each worker is a new interpreter."""
        self._holds: set[str] = set()
        """The shared inputs the current worker inherited from its fork server (sandbox/shared.py)."""
        self._handed: set[str] = set()
        """Those of them already handed to it by token: later uses cross the pipe."""
        self._process: WorkerProcess | None = None
        self._request_fd = -1
        self._reply_fd = -1
        self._loaded: set[str] = set()
        self._load_faults: dict[str, Fault] = {}
        self._next_id = 1
        self.restarts = 0
        self._wrapped = False
        """The running worker was spawned inside bwrap (its exit status is bwrap's)."""
        self._unproven_wall = False
        """The running worker was started inside bwrap before this process probed that bwrap works here."""
        self._start_failure: WorkerReply | None = None
        self._levels: list[str] = []
        """The isolation each worker of this sandbox reported in its READY reply."""

    # --- lifecycle ----------------------------------------------------------
    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the worker now (it imports numpy while the judge collects tests)."""
        if self._process is not None:
            return
        request_read, self._request_fd = os.pipe()
        self._reply_fd, reply_write = os.pipe()
        from autograder.sandbox.protocol import widen_pipe

        widen_pipe(self._request_fd)
        widen_pipe(self._reply_fd)
        config: dict[str, Any] = {
            "request_fd": request_read, "reply_fd": reply_write, "submission": str(self.copy),
            "memory_mb": self.config.memory_mb, "cpu_seconds": self.config.cpu_seconds,
            "readable": self.config.readable, "denied": self.config.denied,
            "sys_path": worker_sys_path(), "kit_parent": KIT_PARENT, "audit_hook": self.config.audit_hook,
            "confine": self.config.kernel_confinement,
        }
        # presumed(), not available(): no probe on the way to the first worker (its READY proves the same; see _ready).
        walled = self.config.namespaces and isolation.presumed()
        self._unproven_wall = walled and not isolation.probed()
        if walled:
            # The worker sees the worker kit, not the kit, and copies the submission into its own tmpfs folder.
            config.update(sys_path=isolation.import_trees(worker_sys_path(), KIT_PARENT),
                          kit_parent=isolation.KIT_MOUNT, workdir=isolation.WORK_MOUNT,
                          namespaces=isolation.host_namespaces())
        self._holds = set()
        try:
            self._process = self._launch(config)
        finally:
            os.close(request_read)
            os.close(reply_write)
        self._buffer = bytearray()
        self._poller = select.poll()
        self._poller.register(self._reply_fd, select.POLLIN)
        self._loaded.clear()
        self._handed = set()
        self._pending_ready = True

    def _launch(self, config: dict[str, Any]) -> WorkerProcess:
        """A forked worker when a fork server was given and works, else a freshly spawned interpreter."""
        isolated = "workdir" in config
        server = self.forkserver
        # A server forks only workers it can show everything to: same wall, this sandbox's folders in its view.
        if server is not None and server.isolated == isolated and server.shows([str(self.root), *self.config.readable]):
            from autograder.sandbox.forkserver import ForkServerError

            try:
                self._wrapped = False
                forked = server.launch(config, (config["request_fd"], config["reply_fd"],
                                                self._stdout.fileno(), self._stderr.fileno()))
                self._holds = set(server.preloaded)
                return forked
            except ForkServerError:
                self.forkserver = None  # this submission goes on with spawned workers; the judge starts a new server
        command = [sys.executable, "-I", "-S", "-B", "-c", _BOOT, json.dumps(config),
                   isolation.KIT_MOUNT if isolated else KIT_PARENT]
        if isolated:
            command = isolation.wrap(command, readable=[*self.config.readable, str(self.copy)],
                                     denied=self.config.denied, chdir=str(self.copy), sys_path=worker_sys_path(),
                                     kit_parent=KIT_PARENT, kit=True)
        self._wrapped = isolated
        return subprocess.Popen(
            command, pass_fds=(config["request_fd"], config["reply_fd"]), stdin=subprocess.DEVNULL,
            stdout=self._stdout, stderr=self._stderr, cwd=self.copy, env=worker_environment(str(self.copy)),
            start_new_session=True,
        )

    @property
    def isolation(self) -> str:
        """What protected this submission: the weakest level any of its workers reported ("namespaces+...",
        "audit-hook", or "none"); starts the worker if none has reported yet."""
        if not self._levels:
            self.start()
            self._start_failure = self._ready()  # the next call reports it, as if it had waited itself
        return min(self._levels, key=_strength) if self._levels else "none"

    def kill_worker(self) -> None:
        """SIGKILL the worker's process group, without waiting (safe from a signal handler or another thread)."""
        process = self._process
        if process is None or getattr(process, "ended", lambda: False)():  # a reaped fork's pid may be reused
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            # No such group yet: a worker closed right after its fork has not reached its setsid(). Then it has
            # run nothing and started nothing, and killing the process itself is enough (waiting for a group
            # that never dies hung the judge).
            try:
                os.kill(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        except PermissionError:
            pass

    def _kill(self) -> None:
        if self._process is None:
            return
        self.kill_worker()
        self._process.wait()
        for fd in (self._request_fd, self._reply_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self._process = None

    def close(self) -> None:
        self._kill()
        self._stdout.close()
        self._stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- I/O with deadlines -------------------------------------------------
    def _read_exact_until(self, deadline: float) -> Any:
        """A read_exact for the reply pipe that raises TimeoutError at `deadline`.

        Reads whatever the pipe holds into a buffer, so a reply usually costs one poll and one read.
        """
        fd, poller = self._reply_fd, self._poller

        def wait() -> None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                raise TimeoutError

        def read_exact(n: int) -> bytes | bytearray:
            if n > LARGE_FRAME and len(self._buffer) < n:
                # A big array: read it straight into its own buffer, which becomes the array (no copies).
                result = bytearray(n)
                view, done = memoryview(result), len(self._buffer)
                view[:done] = self._buffer
                self._buffer = bytearray()
                while done < n:
                    wait()
                    got = os.readv(fd, [view[done:]])
                    if not got:
                        raise EOFError
                    done += got
                return result
            while len(self._buffer) < n:
                wait()
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise EOFError
                self._buffer += chunk
            data = bytes(self._buffer[:n])
            del self._buffer[:n]
            return data

        return read_exact

    def _exchange(self, request: dict[str, Any], timeout: float) -> WorkerReply:
        """Send one request and wait for its reply; faults for timeouts and deaths."""
        sent = self._send(request, 1)
        return sent if isinstance(sent, WorkerReply) else self._receive(timeout, expect_id=sent)

    def _send(self, request: dict[str, Any], replies: int) -> int | WorkerReply:
        """Send a request that `replies` replies will answer: the id of the first, or the failure to send."""
        from autograder.sandbox import protocol

        self.start()
        assert self._process is not None
        failed, self._start_failure = self._ready() or self._start_failure, None
        if failed is not None:
            return failed
        request_id = self._next_id
        self._next_id += replies
        try:
            protocol.write_message(self._request_fd, {**request, "id": request_id}, shared=self._shared_token)
        except (BrokenPipeError, OSError):
            return self._died()
        return request_id

    def _shared_token(self, array: Any) -> str | None:
        """The token to send instead of `array`: one this worker inherited from its fork server, for the very
        array the judge loaded with shared.load, not yet handed to this worker (a call may change it in place:
        later uses send the bytes)."""
        token = shared.token_of(array)
        if token is None or token not in self._holds or token in self._handed:
            return None
        self._handed.add(token)
        return token

    def _ready(self) -> WorkerReply | None:
        """Wait for a new worker's READY reply and note its isolation; a failure reply if it never came."""
        if not self._pending_ready:
            return None
        self._pending_ready = False
        restarts = self.restarts
        ready = self._receive(STARTUP_TIMEOUT, expect_id=READY_ID)
        if not ready.ok and self._unproven_wall and not isolation.available():
            # Started inside bwrap on a presumption the probe now refutes (namespaces fail here): start it again
            # as `available()` would have had it from the start. Nothing of the failed try is the student's.
            self._kill()
            self.restarts = restarts
            self._stderr.seek(0)
            self._stderr.truncate()
            self.start()
            self._pending_ready = False
            ready = self._receive(STARTUP_TIMEOUT, expect_id=READY_ID)
        if not ready.ok:
            return self._start_failed(ready)
        self._levels.append(ready.isolation or "none")
        return None

    def _receive(self, timeout: float, expect_id: int) -> WorkerReply:
        from autograder.sandbox import protocol

        try:
            reply = WorkerReply.from_message(protocol.read_message(self._read_exact_until(time.monotonic() + timeout)))
        except TimeoutError:
            self._kill()
            self.restarts += 1
            return WorkerReply.failed(FaultKind.TIMEOUT, f"did not return within {timeout:g} s (infinite loop?)")
        except (EOFError, OSError):
            return self._died()
        except protocol.CodecError as exc:
            self._kill()
            self.restarts += 1
            return WorkerReply.failed(FaultKind.PROTOCOL, f"garbled reply from the worker: {exc}")
        if reply.id != expect_id:
            self._kill()
            self.restarts += 1
            return WorkerReply.failed(FaultKind.PROTOCOL, "the worker answered out of turn")
        return reply

    def _start_failed(self, reply: WorkerReply) -> WorkerReply:
        """The worker died before any student code ran: our environment's fault, never the student's."""
        self._stderr.flush()
        self._stderr.seek(0)
        tail = self._stderr.read()[-1500:].decode("utf-8", "replace").strip()
        detail = reply.fault.message if reply.fault is not None else ""
        return WorkerReply.failed(FaultKind.WORKER_START_FAILED,
                                  f"the sandbox worker could not start ({detail}): {tail}")

    def _died(self) -> WorkerReply:
        if self._process is None:
            return WorkerReply.failed(FaultKind.WORKER_CRASHED, "the worker is gone")
        try:
            code = self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None and self._wrapped:
            code = isolation.exit_status(code)
        kind, message = _describe_exit(code)
        self._kill()
        self.restarts += 1
        return WorkerReply.failed(kind, message)

    # --- the API the suites use ---------------------------------------------
    def _load(self, module: str, function: str, timeout: float) -> None:
        """Import `module` in the worker once; raises StudentFault (the same one for every later call)."""
        if module in self._load_faults:
            raise StudentFault(self._load_faults[module], module, function)
        if module not in self._loaded:
            reply = self._exchange({"op": "load", "module": module}, timeout)
            if not reply.ok:
                fault = _fault(reply)
                if fault.kind is FaultKind.TIMEOUT:
                    fault = Fault(FaultKind.IMPORT_TIMEOUT,
                                  f"importing {module}.py did not finish within {timeout:g} s")
                self._load_faults[module] = fault
                raise StudentFault(fault, module, function)
            self._loaded.add(module)

    def call(self, module: str, function: str, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None,
             timeout: float = 5.0) -> Reply:
        """Call `module.function(*args, **kwargs)` in the worker; raises StudentFault."""
        self._load(module, function, timeout)
        reply = self._exchange(
            {"op": "call", "module": module, "function": function, "args": tuple(args), "kwargs": kwargs or {}},
            timeout,
        )
        if not reply.ok:
            raise StudentFault(_fault(reply), module, function)
        return Reply(reply.value, reply.warnings, reply.mutated)

    def calls(self, module: str, function: str, calls: Sequence[tuple[tuple[Any, ...], dict[str, Any]]],
              timeout: float = 5.0) -> list[Reply | StudentFault]:
        """`call` for each (args, kwargs) of `calls`, sent as one message: each call's Reply or StudentFault.

        One pipe round trip per call cost both processes ~0.1 ms of CPU (encoding, a write, a poll, a read,
        decoding, two context switches; benchmarks/bench_speed.py): a test that knows its inputs in advance
        sends them together. Every reply is read here, each within `timeout` of the one before (a stuck call
        is stopped as if it ran alone), so the pipe holds nothing when this returns. A call that kills or
        stops the worker ends the list: the calls after it did not run.
        """
        self._load(module, function, timeout)
        if not calls:
            return []
        request = {"op": "calls", "module": module, "function": function,
                   "calls": [[tuple(args), kwargs] for args, kwargs in calls]}
        sent = self._send(request, len(calls))
        if isinstance(sent, WorkerReply):
            return [StudentFault(_fault(sent), module, function)]
        outcomes: list[Reply | StudentFault] = []
        for index in range(len(calls)):
            reply = self._receive(timeout, expect_id=sent + index)
            if reply.ok:
                outcomes.append(Reply(reply.value, reply.warnings, reply.mutated))
                continue
            outcomes.append(StudentFault(_fault(reply), module, function))
            if self._process is None:  # killed (timeout, crash, garbled reply): nothing more will answer
                break
        return outcomes

    def captured_output(self) -> str:
        """What student code printed (stdout then stderr), truncated."""
        parts = []
        for stream in (self._stdout, self._stderr):
            stream.flush()
            stream.seek(0)
            data = stream.read(CAPTURE_LIMIT + 1)
            text = data[:CAPTURE_LIMIT].decode("utf-8", "replace")
            if len(data) > CAPTURE_LIMIT:
                text += "\n... (output truncated)"
            parts.append(text)
        return "".join(parts).strip()


def _strength(level: str) -> int:
    """How much a reported isolation level holds: none < audit-hook < one kernel layer < two < three."""
    if level in ("none", ""):
        return 0
    return 1 if level == "audit-hook" else 1 + len(level.split("+"))


def _fault(reply: WorkerReply) -> Fault:
    # A reply that is not ok always carries a fault once decoded; this guards a worker that sent none.
    return reply.fault or Fault(FaultKind.PROTOCOL, "")


def probe_isolation() -> str:
    """The isolation a worker gets on this machine now, asked of a real worker on an empty submission."""
    kernel = isolation.mode() is not isolation.Mode.AUDIT_HOOK
    folder = Path(tempfile.mkdtemp(prefix="nngrade-probe-"))
    try:
        (folder / "probe.py").write_text("", encoding="utf-8")
        config = SandboxConfig(namespaces=kernel, kernel_confinement=kernel,
                               audit_hook=isolation.audit_hook_requested(), denied=kit_denied([]))
        with Sandbox(folder, config) as sandbox:
            return sandbox.isolation
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def open_sandbox(course: Course, submission: Path, data_dir: Path | None = None,
                 paths: CoursePaths | None = None, forkserver: ForkServer | None = None) -> Sandbox:
    """A started sandbox for one submission, with course.toml's limits and the kit's files off limits.

    With a `forkserver`, its workers are forked from it rather than started afresh (grade-all's judges).
    """
    paths = paths or CoursePaths.of(course)
    if not submission.is_dir():
        raise SubmissionError(f"{submission} is not a folder")
    kernel = isolation.mode() is not isolation.Mode.AUDIT_HOOK
    config = SandboxConfig(
        memory_mb=course.limits.memory_mb,
        readable=[str(data_dir)] if data_dir else [],
        denied=kit_denied([paths.solutions, paths.suites, course.path]),
        namespaces=kernel, kernel_confinement=kernel, audit_hook=isolation.audit_hook_requested(),
    )
    sandbox = Sandbox(submission, config, forkserver)
    expected = {e.module for e in course.exercises}
    if not expected & set(sandbox.modules):
        sandbox.close()
        names = ", ".join(sorted(m + ".py" for m in expected))
        raise SubmissionError(f"{submission} holds none of the course's modules ({names})")
    sandbox.start()  # the worker boots (imports numpy) while the judge imports pytest and collects
    if isolation.mode() is isolation.Mode.STRICT and not isolation.kernel_walled(sandbox.isolation):
        # Asked at READY, before the worker has imported any student module.
        level = sandbox.isolation
        sandbox.close()
        raise IsolationRefused(level)
    return sandbox
