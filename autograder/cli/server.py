"""The kit's check server: `nngrade check` answered by a process that already has everything loaded.

Started in the background by a check that ran in its own process (cli/fastpath.py), one per course.toml:

- it imports what a check needs, starts a sandboxed fork server and collects the public suites once
  (a grade-all judge's set-up: batch/judge.py), then waits on a Unix socket in a folder only this user can
  enter, and serves checks one at a time;
- each check runs the real command (cli.main.run) with the client's arguments, working folder, language,
  terminal width and colours, and its output is sent back in the order it was written. Student code runs
  as in any check: in a fresh sandboxed worker, forked here, behind the same walls; it never runs in this
  process;
- a request is served only when its fingerprint (the grader's files, course.toml, solutions, data, Python,
  NNGRADE_* settings) is the one this server started with; otherwise, and when the fork server or the suites
  broke, it says so and leaves, and the client checks in its own process (and starts a new server);
- it leaves after NNGRADE_SERVER_IDLE seconds without a check (600 by default), when its course.toml is gone,
  or on `nngrade server stop`. A peer of another user is refused (SO_PEERCRED).

Run as `python -m autograder.cli.server COURSE_TOML`.
"""
from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Any

from autograder.cli import fastpath

DEFAULT_IDLE = 600.0
REQUEST_TIMEOUT = 5.0
"""Seconds a connected client may take to send its request (it sends it at once)."""


class Capture(io.TextIOBase):
    """A stand-in for sys.stdout or sys.stderr that keeps what was written, in order with the other stream,
    and says it is a terminal when the client's is (rich and click decide colours and widths by that)."""

    def __init__(self, name: str, chunks: list[list[str]], tty: bool) -> None:
        super().__init__()
        self.name, self._chunks, self._tty = name, chunks, tty

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # as a real text stream does: click probes with b"" to tell text from binary
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if self._chunks and self._chunks[-1][0] == self.name:
            self._chunks[-1][1] += text
        else:
            self._chunks.append([self.name, text])
        return len(text)

    def isatty(self) -> bool:
        return self._tty

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


def lock_path(socket_file: Path) -> Path:
    return socket_file.with_suffix(".lock")


class CheckServer:
    """The warm state and the socket; `serve` until idle, stale or broken."""

    def __init__(self, course_file: Path, socket_file: Path) -> None:
        self.course_file = course_file
        self.socket_file = socket_file
        self.fingerprint = fastpath.fingerprint(course_file)
        self.idle = float(os.environ.get(fastpath.IDLE_ENV) or DEFAULT_IDLE)
        self.forkserver: Any = None
        self.session: Any = None
        self.served = 0
        self.last_check = time.monotonic()

    def warm_up(self) -> None:
        """What every check needs, done once: the grader imported, the fork server up, the suites collected."""
        from autograder.cli import common
        from autograder.cli import main as cli_main  # noqa: F401 - the commands, imported before any check
        from autograder.course import load_course
        from autograder.grading.preload import also_preload, preload
        from autograder.grading.runner import SuiteSession
        from autograder.sandbox.forkserver import ForkServerError
        from autograder.sandbox.process import start_forkserver

        data = common.data_dir()
        if sys.platform.startswith("linux"):
            try:  # inside bwrap where it works, as grade-all's judges do
                self.forkserver = start_forkserver(readable=[str(data)] if data else [],
                                                   preload=str(data) if data else None, share_inputs=True)
            except ForkServerError:
                self.forkserver = None
        preload()
        also_preload(*common.REPORTERS)
        course = load_course(self.course_file)
        self.session = SuiteSession(course, include_hidden=False, data_dir=data).start()
        common.keep_warm(common.Warm(self.course_file, data, self.forkserver, self.session))

    def usable(self) -> bool:
        alive = self.forkserver is None or self.forkserver.alive()
        return alive and self.session is not None and self.session.usable and self.course_file.is_file()

    def serve(self, listener: socket.socket) -> None:
        """Answer clients until NNGRADE_SERVER_IDLE seconds pass without a check (a status asked is no check)."""
        while self.usable():
            left = self.idle - (time.monotonic() - self.last_check)
            if left <= 0:
                return
            listener.settimeout(left)
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                if not self.answer(connection):
                    return

    def answer(self, connection: socket.socket) -> bool:
        """Serve one client; False when this server must leave (stale, broken or told to stop)."""
        peer = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        if struct.unpack("3i", peer)[1] != os.getuid():
            return True  # another user's process: not served, not answered
        connection.settimeout(REQUEST_TIMEOUT)
        stream = connection.makefile("rwb")
        try:
            line = stream.readline(fastpath.MAX_REQUEST + 1)
            request = json.loads(line)
            if request.get("stop") is True:
                fastpath.send(stream, {"stopped": True})
                return False
            if request.get("status") is True:
                fastpath.send(stream, {"pid": os.getpid(), "course": str(self.course_file), "idle": self.idle,
                              "served": self.served})
                return True
            fresh = request.get("fingerprint") == self.fingerprint and self.usable()
            fastpath.send(stream, {"taken": fresh})
            if not fresh:
                return False  # stale or broken: the client checks in its own process and starts a new server
            connection.settimeout(None)
            code, output = self.run(request)
            self.served += 1
            self.last_check = time.monotonic()
            fastpath.send(stream, {"code": code, "output": output})
        except (OSError, ValueError, TypeError, AttributeError):
            return True  # a client that went away or sent nonsense; the next one is served
        return self.usable()

    def run(self, request: dict[str, Any]) -> tuple[int, list[list[str]]]:
        """`nngrade ARGV` as the client would have run it: its environment, folder and terminal."""
        from autograder.cli import main as cli_main
        from autograder.i18n import forget_language

        argv = [str(a) for a in request["argv"]]
        saved_env, saved_cwd = dict(os.environ), os.getcwd()
        chunks: list[list[str]] = []
        try:
            for name in fastpath.PER_REQUEST_ENV:
                os.environ.pop(name, None)
            os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()
                               if k in fastpath.PER_REQUEST_ENV})
            os.chdir(str(request["cwd"]))
            forget_language()
            out = Capture("out", chunks, bool(request.get("tty")))
            err = Capture("err", chunks, bool(request.get("err_tty")))
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # type: ignore[type-var]
                code = cli_main.run(argv)
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
            forget_language()
        return code, chunks

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.socket_file.unlink()
        if self.session is not None:
            self.session.close()
        if self.forkserver is not None:
            self.forkserver.close()


def main(argv: list[str]) -> None:
    course_file = Path(argv[0]).resolve()
    folder = fastpath.runtime_dir()
    if folder is None or not course_file.is_file():
        return
    socket_file = fastpath.socket_path(course_file, folder)
    lock = open(lock_path(socket_file), "a")  # held (and locked) for the server's whole life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another server of this kit is starting or running
    server = CheckServer(course_file, socket_file)
    try:
        server.warm_up()
        with contextlib.suppress(FileNotFoundError):
            socket_file.unlink()  # a socket left by a server that died; ours is bound only under the lock
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(socket_file))
        os.chmod(socket_file, 0o600)
        listener.listen(8)
        server.serve(listener)
    finally:
        server.close()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
