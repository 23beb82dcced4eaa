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
import stat
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
    "from autograder.sandbox.forkserver import serve; serve(int(sys.argv[3]), sys.argv[4:])"
)
_WORK_MOUNT = "/nngrade-work"
"""isolation.WORK_MOUNT (not imported: the server imports nothing of the judge)."""


class ForkServerError(OSError):
    """The fork server is gone or cannot be started; the caller spawns a worker instead."""


# --- the server process -----------------------------------------------------------------------------

def serve(socket_fd: int, flags: list[str] | None = None) -> None:
    """Main of the server process: fork a worker for each request until the judge's end closes.

    `flags` holds "isolated" when the server runs inside bwrap: it then owns its PID namespace and tmpfs
    mounts, and clears them between workers (see `_sweep`).
    """
    isolated = "isolated" in (flags or ())
    if isolated:
        _set_dumpable(False)  # its forks share its uid: they must not ptrace it or read its memory
    import numpy  # noqa: F401  (the reason the server exists: every fork starts with numpy imported)

    from autograder.sandbox import shared, worker  # noqa: F401  (and the worker, guard and protocol)

    # The large inputs every worker would otherwise be sent (sandbox/shared.py), loaded before the first fork.
    mapped = next((flag.removeprefix("mapped=") for flag in flags or () if flag.startswith("mapped=")), None)
    held = [token for flag in (flags or ()) if flag.startswith("preload=")
            for token in shared.preload(flag.removeprefix("preload="), mapped)]

    channel = socket.socket(fileno=socket_fd)
    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake select through the wakeup fd
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to grade-all, which stops the judges itself
    signal.signal(signal.SIGTERM, _leave)  # a judge stopped with its process group: take the workers along
    children: set[int] = set()
    _send(channel, {"ready": os.getpid(), "preloaded": held})
    buffer = bytearray()
    received: list[int] = []
    try:
        while True:
            readable, _, _ = select.select([socket_fd, wake_read], [], [])
            if wake_read in readable:
                while _drain(wake_read):
                    pass
                _reap(channel, children, isolated)
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
                if isolated:
                    _reap(channel, children, isolated)
                    if not children:
                        _sweep()
                pid = _fork_worker(config, descriptors)
                children.add(pid)
                _send(channel, {"pid": pid})
    finally:
        for pid in children:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass


def _set_dumpable(on: bool) -> None:
    """prctl(PR_SET_DUMPABLE): off, no process of the same uid may ptrace this one or open its /proc memory."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, int(on), 0, 0, 0)  # 4: PR_SET_DUMPABLE
    except (OSError, AttributeError):
        pass  # not Linux's libc: the server then relies on the audit hook and the worker's own confinement


def _leave(*_: object) -> None:
    raise SystemExit(0)  # unwinds through serve's `finally`, which kills the workers


def _drain(fd: int) -> bool:
    try:
        return bool(os.read(fd, 512))
    except BlockingIOError:
        return False


def _reap(channel: socket.socket, children: set[int], isolated: bool = False) -> None:
    """Collect every ended worker and tell the judge how it ended (and, isolated, remove its working folder)."""
    for pid in list(children):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 0
        if done:
            children.discard(pid)
            if isolated:
                _remove(os.path.join(_WORK_MOUNT, str(pid)))
            _send(channel, {"exit": pid, "status": _returncode(status)})


def _sweep() -> None:
    """Before a worker starts with no other alive: nothing a previous submission left may reach it.

    Inside the sandbox this server owns its PID namespace, so every other process in it but init is a leftover
    of an earlier worker (a daemon that could rewrite the next student's files): all are killed. /tmp and the
    working tmpfs are emptied, so no file passes from one submission to the next.
    """
    try:
        os.kill(-1, signal.SIGKILL)  # every process this one may signal, except itself and the namespace's init
    except OSError:
        pass
    for mount in ("/tmp", _WORK_MOUNT):
        try:
            device = os.lstat(mount).st_dev
            entries = os.listdir(mount)
        except OSError:
            continue
        for name in entries:
            _remove(os.path.join(mount, name), device)


def _remove(path: str, device: int | None = None) -> None:
    """Delete a file or folder tree on `device` (the tmpfs), whatever its permissions (student code may have
    chmod-ed it); the read-only mounts bwrap placed inside it (the judge's workspace under /tmp) are left alone."""
    try:
        info = os.lstat(path)
    except OSError:
        return
    if device is not None and info.st_dev != device:
        return  # a mount point: not ours to empty
    if not stat.S_ISDIR(info.st_mode):
        try:
            os.unlink(path)
        except OSError:
            pass
        return
    try:
        os.chmod(path, 0o700)
        names = os.listdir(path)
    except OSError:
        names = []
    for name in names:
        _remove(os.path.join(path, name), info.st_dev)
    try:
        os.rmdir(path)
    except OSError:
        pass  # it holds a mount point


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
        if config.get("workdir"):
            _set_dumpable(True)  # as a spawned worker is (the server made itself non-dumpable)
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


def _within(path: str, root: str) -> bool:
    return bool(root) and (path == root or path.startswith(root.rstrip("/") + "/"))


def _max_fd() -> int:
    try:
        return min(os.sysconf("SC_OPEN_MAX"), 1 << 16)
    except (ValueError, OSError):
        return 1024


# --- the judge's side ------------------------------------------------------------------------------

class ForkedWorker:
    """A worker forked by the server: the `pid` and `wait` a sandbox needs, as Popen has them."""

    def __init__(self, server: ForkServer, pid: int, inner: int | None = None) -> None:
        self.server = server
        self.pid = pid
        """The pid as the judge sees it (what it signals)."""
        self.inner = pid if inner is None else inner
        """The pid as the server sees it (different when the server has its own PID namespace)."""
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit status; raises subprocess.TimeoutExpired as Popen does. None if the server died first."""
        if self.returncode is None:
            self.returncode = self.server.wait_exit(self.inner, timeout)
        return self.returncode

    def ended(self) -> bool:
        """True once the server reported it gone (its pid may already belong to someone else)."""
        return self.returncode is not None or self.inner in self.server.exits


class ForkServer:
    """The judge's handle on one fork server process, started with `start()` and stopped with `close()`."""

    def __init__(self, env: dict[str, str], sys_path: list[str], kit_parent: str, isolated: bool = False,
                 readable: list[str] | None = None, denied: list[str] | None = None,
                 preload: str | None = None, share_inputs: bool = False) -> None:
        self.env = env
        self.sys_path = sys_path
        self.kit_parent = kit_parent
        self.isolated = isolated
        """The server (and so every fork) runs inside bwrap: see autograder.sandbox.isolation."""
        self.readable = list(readable or ())
        """The folders besides its workspace the server shows its workers (the data folder)."""
        self.denied = list(denied or ())
        self.preload = preload
        """The data folder whose shared inputs (sandbox/shared.py) the server loads before it forks."""
        self.share_inputs = share_inputs
        """Map the preloaded inputs from a file the judge maps too (sandbox/shared.py `materialize`)."""
        self.preloaded: tuple[str, ...] = ()
        """The tokens of the inputs the server loaded (known once it is ready): every fork holds them."""
        self.workspace: str | None = tempfile.mkdtemp(prefix="nngrade-judge-") if isolated else None
        """Isolated only: the folder every Sandbox using this server keeps its folders in (the server sees it
        read-only; nothing else of the judge's disk)."""
        if self.workspace is not None:
            import atexit
            import shutil

            atexit.register(shutil.rmtree, self.workspace, ignore_errors=True)
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
        if self.preload and self.share_inputs and self.workspace is not None:
            from autograder.sandbox import shared

            # The judge writes the shared inputs into the workspace once; the server and the judge both map
            # them, one copy of the pages for every process (sandbox/shared.py).
            shared.materialize(self.preload, self.workspace)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._log = open(os.devnull, "wb")
            self._process = subprocess.Popen(
                self._command(theirs.fileno()),
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

    def _command(self, socket_fd: int) -> list[str]:
        """The server's command line: a clean Python, inside bwrap when isolated."""
        flags = [f"preload={self.preload}"] if self.preload else []
        if self.preload and self.share_inputs and self.workspace is not None:
            flags.append(f"mapped={self.workspace}")  # what start() wrote there, if it could
        if not self.isolated:
            return [sys.executable, "-I", "-S", "-B", "-c", _BOOT, json.dumps(self.sys_path), self.kit_parent,
                    str(socket_fd), *flags]
        from autograder.sandbox import isolation

        assert self.workspace is not None
        trees = isolation.import_trees(self.sys_path, self.kit_parent)
        command = [sys.executable, "-I", "-S", "-B", "-c", _BOOT, json.dumps(trees), isolation.KIT_MOUNT,
                   str(socket_fd), "isolated", *flags]
        return isolation.wrap(command, readable=[*self.readable, self.workspace], denied=self.denied,
                              chdir=self.workspace, sys_path=self.sys_path, kit_parent=self.kit_parent,
                              kit=True)

    def shows(self, paths: list[str]) -> bool:
        """True when every one of `paths` is in the server's view (always, when it is not isolated)."""
        if not self.isolated:
            return True
        roots = [os.path.realpath(p) for p in (*self.readable, self.workspace or "")]
        return all(any(_within(os.path.realpath(p), root) for root in roots) for p in paths)

    def _outer_pid(self, inner: int) -> int | None:
        """The judge's pid for the server's child `inner`, found among the server process's descendants."""
        assert self._process is not None
        level = [self._process.pid]
        for _ in range(4):  # bwrap, its init, the server, the worker
            following: list[int] = []
            for pid in level:
                try:
                    with open(f"/proc/{pid}/task/{pid}/children") as handle:
                        following += [int(p) for p in handle.read().split()]
                except OSError:
                    continue
            for pid in following:
                try:
                    with open(f"/proc/{pid}/status") as handle:
                        spaces = next(line for line in handle if line.startswith("NSpid:")).split()[1:]
                except (OSError, StopIteration):
                    continue
                if len(spaces) > 1 and int(spaces[-1]) == inner and int(spaces[-2]) != inner:
                    return pid
            level = following
        return None

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def launch(self, config: dict[str, Any], descriptors: tuple[int, int, int, int]) -> ForkedWorker:
        """Fork a worker with `config` and (request pipe, reply pipe, stdout, stderr); raises ForkServerError."""
        self.start()
        assert self._channel is not None
        if not self._ready:
            ready = self._next_message(time.monotonic() + STARTUP_TIMEOUT, "ready")
            self.preloaded = tuple(str(token) for token in ready.get("preloaded") or ())
            self._ready = True
        payload = json.dumps(config).encode()
        try:
            socket.send_fds(self._channel, [_FRAME.pack(len(payload)) + payload], list(descriptors))
        except OSError as exc:
            self._broken(f"cannot reach it: {exc}")
        reply = self._next_message(time.monotonic() + STARTUP_TIMEOUT, "pid")
        inner = int(reply["pid"])
        if not self.isolated:
            return ForkedWorker(self, inner)
        outer = self._outer_pid(inner)
        if outer is None:  # the judge could not signal it: a spawned worker instead
            self._broken(f"its worker {inner} cannot be found in /proc")
        return ForkedWorker(self, outer, inner)

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
            try:
                chunk = self._channel.recv(1 << 16)
            except OSError:  # killed with data unread (a reset, not an end of file)
                chunk = b""
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

    def discard(self) -> None:
        """Close, and remove the workspace (only once no Sandbox uses it any more)."""
        self.close()
        if self.workspace is not None:
            import shutil

            shutil.rmtree(self.workspace, ignore_errors=True)

    def __enter__(self) -> ForkServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
