"""A program run in a real pseudo-terminal, 80 columns wide, read and typed into as a person would."""
from __future__ import annotations

import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Mapping
from fcntl import ioctl
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def words(text: str) -> str:
    """A pattern for `text` wherever the terminal wrapped it (any whitespace between its words)."""
    return r"\s+".join(re.escape(word) for word in text.split())


class Terminal:
    """`python -m autograder ARGS` on a terminal of 80 columns; `expect` waits for text, `type` types keys."""

    def __init__(self, args: list[str], cwd: Path, env: Mapping[str, str], columns: int = 80) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: a session of its own, the terminal its controlling one
            try:
                os.chdir(cwd)
                os.execve(sys.executable, [sys.executable, "-m", "autograder", *args],
                          {**env, "COLUMNS": str(columns), "LINES": "40", "TERM": "xterm-256color"})
            finally:
                os._exit(127)
        ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        self.raw = ""
        self.status: int | None = None

    @property
    def text(self) -> str:
        """What was shown, without colours and cursor moves."""
        return ANSI.sub("", self.raw)

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # the program ended and the terminal closed
            return False
        if not chunk:
            return False
        self.raw += chunk.decode("utf-8", errors="replace")
        return True

    def expect(self, pattern: str, timeout: float = 60, start: int = 0) -> int:
        """Wait until `pattern` (a regex) shows after `start` in the plain text; returns where it ended."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.text[start:])
            if found:
                return start + found.end()
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting for {pattern!r}; the screen so far:\n{self.text[-3000:]}")
            if not self._read(0.2):
                found = re.search(pattern, self.text[start:])
                if found:
                    return start + found.end()
                raise AssertionError(f"the program ended before {pattern!r}; it showed:\n{self.text[-3000:]}")

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode("utf-8"))

    def wait(self, timeout: float = 60) -> int:
        """The exit code (128 + n for a signal), reading the rest of the output meanwhile."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self._read(0.1):
                    if not select.select([self.fd], [], [], 0)[0]:
                        break
                self.status = os.waitstatus_to_exitcode(status)
                self.status = 128 - self.status if self.status < 0 else self.status
                return self.status
            self._read(0.1)
        self.close()
        raise AssertionError(f"still running after {timeout} s; it showed:\n{self.text[-3000:]}")

    def close(self) -> None:
        if self.status is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.status = -1
        try:
            os.close(self.fd)
        except OSError:
            pass
