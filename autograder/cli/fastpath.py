"""`nngrade`'s first step: hand `nngrade check ...` to the kit's warm check server, else run the command here.

A check in a fresh process pays for Python, numpy, pytest, rich and collecting the suites before the first
test runs (~0.5 s of a 0.8 s check of the whole course on 2 cores: benchmarks/bench_speed.py). The check
server (cli/server.py) has paid that once: it keeps them imported, the suites collected and a sandboxed fork
server ready, and answers a check with the exact bytes and exit code this process would have produced.
This module is the client, and imports nothing heavier than the standard library, so that a served check
costs this process ~30 ms.

Only `nngrade check ...` with no option before `check` is served. Anything else, or a server that is absent,
busy, stale (the kit's code, course.toml, solutions, data or Python changed since it started) or broken, runs
here as before; after a check run here, a server is started for the next one. Never with NNGRADE_SERVER=0,
nor when CI is set (nothing may outlive a CI job's command).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

SERVER_ENV = "NNGRADE_SERVER"
IDLE_ENV = "NNGRADE_SERVER_IDLE"
PER_REQUEST_ENV = ("NNGRADE_LANG", "NNGRADE_PROGRESS_HOME", SERVER_ENV, IDLE_ENV, "LANG", "LANGUAGE", "LC_ALL",
                   "LC_MESSAGES", "LC_CTYPE", "COLUMNS", "LINES", "TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR")
"""What a check may read from its environment that does not change how the server was built: sent with each
request and set in the server for that request alone. Every other NNGRADE_* variable is in the fingerprint."""
ACCEPT_TIMEOUT = 0.25
"""Seconds the client waits for a server to take its request: a busy server means a check here instead."""
MAX_REQUEST = 1 << 20


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(SERVER_ENV, "1").strip() != "0" and not environ.get("CI")


def course_file(environ: Mapping[str, str] = os.environ, cwd: Path | None = None) -> Path:
    """The course.toml a check here would use (cli.main's --course/NNGRADE_COURSE, course.find_course)."""
    explicit = environ.get("NNGRADE_COURSE")
    if explicit:
        return Path(explicit).resolve()
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "course.toml").is_file():
            return folder / "course.toml"
    return Path(__file__).resolve().parent.parent.parent / "course.toml"


def _stats(folder: Path) -> list[str]:
    """name, size and mtime of every file under `folder`, bytecode aside (it follows the sources)."""
    found = []
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            try:
                info = os.stat(os.path.join(top, name))
            except OSError:
                continue
            found.append(f"{os.path.relpath(os.path.join(top, name), folder)}:{info.st_size}:{info.st_mtime_ns}")
    return found


def fingerprint(course: Path, environ: Mapping[str, str] = os.environ) -> str:
    """What a served check's result depends on besides the student's files: the grader's code and messages,
    course.toml, the solutions, the MNIST folder, this Python, and the NNGRADE_* settings. A server serves
    only requests whose fingerprint is its own."""
    package = Path(__file__).resolve().parent.parent
    parts = [sys.executable, sys.version, str(course), *_stats(package)]
    for path in (course, course.parent / "solutions"):
        parts += [str(path), *(_stats(path) if path.is_dir() else [_file_stat(path)])]
    from autograder.data.datadir import existing_data_dir  # stdlib only: NNGRADE_DATA, else the user's cache

    data = existing_data_dir()
    parts += [str(data), *(_stats(data) if data is not None else [])]
    parts += sorted(f"{k}={v}" for k, v in environ.items() if k.startswith("NNGRADE_") and k not in PER_REQUEST_ENV)
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _file_stat(path: Path) -> str:
    try:
        info = path.stat()
    except OSError:
        return f"{path}:absent"
    return f"{path}:{info.st_size}:{info.st_mtime_ns}"


def runtime_dir() -> Path | None:
    """A folder only this user can enter, for the servers' sockets and locks: $XDG_RUNTIME_DIR/nngrade, else
    <tmp>/nngrade-<uid>. None when it cannot be made private (owned by another user, a link, open to others)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(base) / "nngrade" if base and Path(base).is_dir() else \
        Path(os.environ.get("TMPDIR") or "/tmp") / f"nngrade-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return None
    private = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077
    return folder if private else None


def socket_path(course: Path, folder: Path) -> Path:
    """One server per course.toml (and Python): its socket's name is a hash of both, short enough for AF_UNIX."""
    key = hashlib.sha256(f"{course}\0{sys.executable}".encode("utf-8", "surrogateescape")).hexdigest()[:20]
    return folder / f"check-{key}.sock"


def request(argv: list[str], course: Path) -> dict[str, object]:
    """What the server needs to run `nngrade ARGV` as this process would."""
    environ = {k: v for k, v in os.environ.items() if k in PER_REQUEST_ENV}
    tty = sys.stdout.isatty()
    if tty and "COLUMNS" not in environ:  # rich asks the terminal; the server has none, so tell it
        try:
            size = os.get_terminal_size(sys.stdout.fileno())
            environ["COLUMNS"], environ["LINES"] = str(size.columns), str(size.lines)
        except OSError:
            pass
    return {"argv": argv, "cwd": os.getcwd(), "env": environ, "tty": tty, "err_tty": sys.stderr.isatty(),
            "fingerprint": fingerprint(course)}


def served(argv: list[str]) -> int | None:
    """The exit code of `nngrade ARGV` as the kit's check server ran it, its output written here; None when it
    must run here (not a check, no server, busy, stale, broken)."""
    if not argv or argv[0] != "check" or not enabled() or any(a.startswith("--isolation") for a in argv):
        return None  # --isolation strict must see this machine's walls refuse or hold, as a check here does
    folder = runtime_dir()
    if folder is None:
        return None
    course = course_file()
    try:
        with _channel(course, folder, ACCEPT_TIMEOUT) as (channel, stream):
            send(stream, request(argv, course))
            if receive(stream).get("taken") is not True:
                return None  # busy with another check, or stale: run here
            channel.settimeout(None)
            reply = receive(stream)
    except (OSError, ValueError):
        return None
    if not isinstance(reply.get("code"), int) or not isinstance(reply.get("output"), list):
        return None
    for name, text in reply["output"]:  # in the order the command wrote them, stdout and stderr interleaved
        target = sys.stdout if name == "out" else sys.stderr
        target.write(text)
        target.flush()
    return int(reply["code"])


def start_server(argv: list[str]) -> None:
    """After a check ran here: start the kit's server in the background for the next one (never twice: the
    server takes a lock), unless serving is off or this was not a check."""
    if not argv or argv[0] != "check" or not enabled() or runtime_dir() is None:
        return
    try:
        subprocess.Popen([sys.executable, "-m", "autograder.cli.server", str(course_file())],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)
    except OSError:
        pass


def connect(course_file: Path, message: dict[str, Any], timeout: float = 2.0) -> dict[str, Any] | None:
    """Send `message` to the server of `course_file`; its reply, or None when none answers."""
    folder = runtime_dir()
    if folder is None:
        return None
    try:
        with _channel(course_file, folder, timeout) as (_, stream):
            send(stream, message)
            return receive(stream) or None
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _channel(course: Path, folder: Path, timeout: float) -> Iterator[tuple[socket.socket, Any]]:
    """A connection to `course`'s server (OSError when there is none) and a file over it for JSON lines."""
    channel = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        channel.settimeout(timeout)
        channel.connect(str(socket_path(course, folder)))
        yield channel, channel.makefile("rwb")
    finally:
        channel.close()


def send(stream: Any, message: dict[str, Any]) -> None:
    """One JSON line, each way of the client/server exchange (cli/server.py uses it too)."""
    stream.write(json.dumps(message).encode("utf-8", "surrogateescape") + b"\n")
    stream.flush()


def receive(stream: Any) -> dict[str, Any]:
    """The next JSON line as a dict; {} at the end of the stream or for anything but an object."""
    message = json.loads(stream.readline() or b"{}")
    return message if isinstance(message, dict) else {}
