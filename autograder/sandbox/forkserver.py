"""A fork server for sandbox workers: Python and numpy are started once, each worker is a fork.

A fresh worker (`python -I -S -B`, then `import numpy`) costs about 0.2 CPU-seconds,
a quarter of all the CPU grade-all spends on a submission. A grade-all judge
therefore starts this server once: a separate, clean process that imports numpy
and the worker code and then does nothing but fork. Each fork becomes one
submission's worker exactly as a spawned one would (its own session, limits,
audit hook, working folder, HOME, the two pipes and nothing else), so student
code sees the same sandbox either way.

The server never sees the judge's memory: it is its own interpreter, started
with the worker's clean environment, and it never imports the suites, the
course or the solutions, so a fork has nothing in it a student could dig out.

Judge and server talk over a Unix stream socket. The judge sends a worker's
config as a length-prefixed JSON frame carrying four descriptors (request pipe,
reply pipe, stdout file, stderr file); the server forks and answers
`{"pid": N}`. When a worker ends, the server reaps it and sends
`{"exit": N, "status": S}` (S as Popen.returncode: negative for a signal). When
the judge's end closes -- the judge finished or was killed -- the server kills
its workers and leaves.
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from typing import IO, Any, NoReturn

_FRAME = struct.Struct(">I")
STARTUP_TIMEOUT = 60.0
_BOOT = (
    "import sys, json; sys.path[:0] = [sys.argv[2], *json.loads(sys.argv[1])]; "
    "from autograder.sandbox.forkserver import serve; serve(int(sys.argv[3]))"
)


class ForkServerError(OSError):
    """The fork server is gone or cannot be started; the caller spawns a worker instead."""


# --- the server process -----------------------------------------------------------------------------

def serve(socket_fd: int) -> None:
    """Main of the server process: fork a worker for each request until the judge's end closes."""
    import numpy  # noqa: F401  (the reason the server exists: every fork starts with numpy imported)

    from autograder.sandbox import worker  # noqa: F401  (and the worker, guard and protocol)

    channel = socket.socket(fileno=socket_fd)
    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake select through the wakeup fd
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to grade-all, which stops the judges itself
    signal.signal(signal.SIGTERM, _leave)  # a judge stopped with its process group: take the workers along
    children: set[int] = set()
    _send(channel, {"ready": os.getpid()})
    buffer = bytearray()
    received: list[int] = []
    try:
        while True:
            readable, _, _ = select.select([socket_fd, wake_read], [], [])
            if wake_read in readable:
                while _drain(wake_read):
                    pass
                _reap(channel, children)
            if socket_fd not in readable:
                continue
            data, fds, _, _ = socket.recv_fds(channel, 1 << 16, 8)
            if not data:
                return  # the judge is gone
            buffer += data
            received += fds
            while len(buffer) >= _FRAME.size and len(buffer) >= _FRAME.size + _FRAME.unpack_from(buffer)[0]:
                size = _FRAME.unpack_from(buffer)[0]
                config = json.loads(bytes(buffer[_FRAME.size:_FRAME.size + size]))
                del buffer[:_FRAME.size + size]
                descriptors, received = received[:4], received[4:]
                pid = _fork_worker(config, descriptors)
                children.add(pid)
                _send(channel, {"pid": pid})
    finally:
        for pid in children:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass


def _leave(*_: object) -> None:
    raise SystemExit(0)  # unwinds through serve's `finally`, which kills the workers


def _drain(fd: int) -> bool:
    try:
        return bool(os.read(fd, 512))
    except BlockingIOError:
        return False


def _reap(channel: socket.socket, children: set[int]) -> None:
    """Collect every ended worker and tell the judge how it ended."""
    for pid in list(children):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 0
        if done:
            children.discard(pid)
            _send(channel, {"exit": pid, "status": _returncode(status)})


def _returncode(status: int) -> int:
    """A wait status as Popen.returncode has it: the exit code, or minus the signal."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else status


def _send(channel: socket.socket, message: dict[str, Any]) -> None:
    try:
        channel.sendall(json.dumps(message).encode() + b"\n")
    except OSError:
        pass  # the judge is gone; the next receive ends the loop


def _fork_worker(config: dict[str, Any], descriptors: list[int]) -> int:
    """Fork one worker: in the child, become exactly what `python -I -S -B -c <worker>` would have been."""
    request_fd, reply_fd, stdout_fd, stderr_fd = descriptors
    pid = os.fork()
    if pid:
        for fd in descriptors:
            os.close(fd)
        return pid
    status = 1
    try:
        os.setsid()  # its own process group, so the judge can kill it and whatever it starts
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        # Nothing of the server may stay reachable from student code: not its socket (it could ask for
        # workers without limits), not its wakeup pipe. Only stdin, stdout, stderr and the two pipes stay open.
        signal.set_wakeup_fd(-1)
        keep = {0, 1, 2, request_fd, reply_fd}
        for low, high in zip(sorted(keep), sorted(keep)[1:]):
            os.closerange(low + 1, high)
        os.closerange(max(keep) + 1, _max_fd())
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(config["submission"])
        os.environ["HOME"] = config["submission"]
        import numpy as np

        np.random.seed()  # a fork would otherwise share the server's global random state with every other fork
        from autograder.sandbox import worker

        worker.main(json.dumps({**config, "request_fd": request_fd, "reply_fd": reply_fd}))
        status = 0
    except BaseException:  # noqa: BLE001 - the worker's own start failed: the judge reads stderr and reports it
        try:
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001, S110 - stderr itself is broken: nothing left to tell
            pass
    finally:
        os._exit(status)


def _max_fd() -> int:
    try:
        return min(os.sysconf("SC_OPEN_MAX"), 1 << 16)
    except (ValueError, OSError):
        return 1024


# --- the judge's side ------------------------------------------------------------------------------

class ForkedWorker:
    """A worker forked by the server: the `pid` and `wait` a sandbox needs, as Popen has them."""

    def __init__(self, server: ForkServer, pid: int) -> None:
        self.server = server
        self.pid = pid
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit status; raises subprocess.TimeoutExpired as Popen does. None if the server died first."""
        if self.returncode is None:
            self.returncode = self.server.wait_exit(self.pid, timeout)
        return self.returncode

    def ended(self) -> bool:
        """True once the server reported it gone (its pid may already belong to someone else)."""
        return self.returncode is not None or self.pid in self.server.exits


class ForkServer:
    """The judge's handle on one fork server process, started with `start()` and stopped with `close()`."""

    def __init__(self, env: dict[str, str], sys_path: list[str], kit_parent: str) -> None:
        self.env = env
        self.sys_path = sys_path
        self.kit_parent = kit_parent
        self.exits: dict[int, int] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: socket.socket | None = None
        self._buffer = bytearray()
        self._ready = False
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        """Start the server process (it imports numpy while the caller goes on)."""
        if self._process is not None:
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._log = open(os.devnull, "wb")
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-B", "-c", _BOOT, json.dumps(self.sys_path), self.kit_parent,
                 str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                # In the temp folder, like the workers' own folders: whoever looks for the grader's processes
                # under TMPDIR finds the server too.
                cwd=tempfile.gettempdir(), env=self.env,
            )
        except OSError as exc:
            ours.close()
            raise ForkServerError(f"cannot start the fork server: {exc}") from None
        finally:
            theirs.close()
        self._channel = ours
        self._buffer.clear()
        self._ready = False

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def launch(self, config: dict[str, Any], descriptors: tuple[int, int, int, int]) -> ForkedWorker:
        """Fork a worker with `config` and (request pipe, reply pipe, stdout, stderr); raises ForkServerError."""
        self.start()
        assert self._channel is not None
        if not self._ready:
            self._next_message(time.monotonic() + STARTUP_TIMEOUT, "ready")
            self._ready = True
        payload = json.dumps(config).encode()
        try:
            socket.send_fds(self._channel, [_FRAME.pack(len(payload)) + payload], list(descriptors))
        except OSError as exc:
            self._broken(f"cannot reach it: {exc}")
        reply = self._next_message(time.monotonic() + STARTUP_TIMEOUT, "pid")
        return ForkedWorker(self, int(reply["pid"]))

    def wait_exit(self, pid: int, timeout: float | None) -> int | None:
        """The status the server reported for `pid`, waiting up to `timeout` (None: as long as it takes)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while pid not in self.exits:
            try:
                self._next_message(deadline, "exit")
            except ForkServerError:
                return None  # the server died: its workers went with it, their statuses with them
        return self.exits.pop(pid)

    def _next_message(self, deadline: float | None, kind: str) -> dict[str, Any]:
        """Read until a message of `kind` arrives; exit notices on the way are recorded."""
        if self._channel is None:
            raise ForkServerError("the fork server was closed")
        while True:
            while b"\n" in self._buffer:
                line, _, rest = bytes(self._buffer).partition(b"\n")
                self._buffer = bytearray(rest)
                message = json.loads(line)
                if "exit" in message:
                    self.exits[int(message["exit"])] = int(message["status"])
                if kind in message:
                    return message
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                if kind == "exit":
                    raise subprocess.TimeoutExpired("fork server", timeout=0)
                self._broken(f"no answer within {STARTUP_TIMEOUT:g} s")
            readable, _, _ = select.select([self._channel], [], [], remaining)
            if not readable:
                continue
            chunk = self._channel.recv(1 << 16)
            if not chunk:
                self._broken("it exited")
            self._buffer += chunk

    def _broken(self, why: str) -> NoReturn:
        self.close()
        raise ForkServerError(f"the fork server is not usable: {why}")

    def close(self) -> None:
        """Stop the server; its live workers are killed with it."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process is not None:
            try:
                self._process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> ForkServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
