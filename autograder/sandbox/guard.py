"""The worker's audit hook: which files student code may open, and which events it may not raise.

Installed before any student code loads. It is not a kernel sandbox (see
SECURITY notes in the README); it makes the easy ways to win points without the
work fail loudly: reading the kit's solutions, suites or course.toml, spawning
processes, opening sockets, ctypes, signalling other processes, or inspecting
the interpreter to switch the hook off.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

REFUSED_EVENTS = (
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
    "os.forkpty", "pty.spawn", "os.kill", "os.killpg", "signal.pthread_kill", "os.symlink",
    "os.link", "os.chroot", "resource.setrlimit", "resource.prlimit", "socket.__new__",
    "socket.connect", "socket.bind", "socket.getaddrinfo", "socket.sendto", "urllib.Request",
    "webbrowser.open", "sqlite3.connect", "gc.get_objects", "gc.get_referrers",
    "gc.get_referents", "sys._current_frames", "sys.setprofile", "sys.settrace",
    "_posixsubprocess.fork_exec",
)
"""Audit events refused outright (any ctypes.* event is refused too)."""

_PATH_EVENTS_WRITE = {
    "os.remove": 0, "os.rename": 0, "os.rmdir": 0, "os.mkdir": 0, "os.truncate": 0,
    "os.chmod": 0, "os.chown": 0, "os.utime": 0, "shutil.rmtree": 0, "shutil.copyfile": 1,
    "shutil.move": 1, "os.replace": 0,
}
"""Events that change the file system: the path (argument index) must be in the submission copy."""
_PATH_EVENTS_READ = {"os.listdir": 0, "os.scandir": 0, "os.chdir": 0, "glob.glob": 0}


class SandboxRefusal(PermissionError):
    """Raised inside the worker when student code does something the sandbox forbids."""


def _normalise(path: str, cwd: str) -> str:
    """Absolute, '..'-free form of a path using string operations only (nothing to monkeypatch)."""
    if not path.startswith("/"):
        path = cwd + "/" + path
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
        else:
            parts.append(part)
    return "/" + "/".join(parts)


def _inside(path: str, roots: Sequence[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def install(submission: str, readable: Sequence[str], denied: Sequence[str]) -> None:
    """Install the audit hook. `submission` is the only writable tree; `denied` wins over `readable`."""
    # Everything the hook uses is bound now, so student code that monkeypatches
    # os, os.path or builtins later cannot change what the hook sees.
    getcwd: Callable[[], str] = os.getcwd
    realpath: Callable[[str], str] = os.path.realpath
    fsdecode: Callable[[Any], str] = os.fsdecode
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    cwd = getcwd()

    def both_forms(paths: Sequence[str]) -> tuple[str, ...]:
        # A path is checked as written and as resolved, so each root is listed both ways too:
        # a data folder reached through a symlink must stay readable, a denied one denied.
        return tuple(sorted({form for p in paths for form in (_normalise(p, cwd), realpath(p))}))

    submission_root = both_forms([submission])
    readable_roots = both_forms(readable) + submission_root + ("/dev/null", "/dev/urandom")
    denied_roots = both_forms(denied)
    refused = frozenset(REFUSED_EVENTS)

    def verdict(raw: Any, write: bool) -> str | None:
        if isinstance(raw, int):
            return None  # an already-open descriptor
        path = fsdecode(raw)
        for candidate in {_normalise(path, getcwd()), realpath(path)}:
            if _inside(candidate, denied_roots):
                return f"reading {path} is not allowed: it belongs to the grader"
            roots = submission_root + ("/dev/null",) if write else readable_roots
            if not _inside(candidate, roots):
                action = "writing" if write else "reading"
                return f"{action} {path} is not allowed: only the submission folder is"
        return None

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in refused or event.startswith("ctypes."):
            raise SandboxRefusal(f"the grader's sandbox does not allow {event}")
        if event == "object.__setattr__" and len(args) >= 2 and args[1] in ("__code__", "__closure__"):
            raise SandboxRefusal("the grader's sandbox does not allow replacing function code")
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None))[:3]
            write = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and bool(flags & write_flags)
            )
            problem = verdict(path, write)
        elif event in _PATH_EVENTS_WRITE:
            problem = verdict(args[_PATH_EVENTS_WRITE[event]], True) if args else None
        elif event in _PATH_EVENTS_READ:
            target = args[_PATH_EVENTS_READ[event]] if args else "."
            problem = verdict(target if target is not None else ".", False)
        else:
            return
        if problem:
            raise SandboxRefusal(problem)

    sys.addaudithook(hook)
