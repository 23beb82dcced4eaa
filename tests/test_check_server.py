"""The warm check server (autograder/cli/server.py, cli/fastpath.py): a served check prints the same bytes and
exits with the same code as a check in its own process; a stale, busy or stopped server is never used; the
server leaves when idle; nothing starts one under CI or NNGRADE_SERVER=0; and no student code reaches it."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, alive, make_kit, wait_for

from autograder.cli import fastpath

SOLUTION = (ROOT / "solutions" / "gates.py").read_text(encoding="utf-8")


class Kit:
    """A student's kit with the server turned on, its sockets in a runtime folder of its own."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.course = make_kit(root / "kit", solutions=True).resolve()
        self.runtime = root / "run"
        self.runtime.mkdir(mode=0o700)
        self.progress = root / "progress"
        env = {k: v for k, v in os.environ.items() if k not in ("CI", "NNGRADE_COURSE", "COLUMNS")}
        self.env = {**env, "NNGRADE_SERVER": "1", "XDG_RUNTIME_DIR": str(self.runtime), "NNGRADE_LANG": "en",
                    "NNGRADE_PROGRESS_HOME": str(self.progress), "PYTHONDONTWRITEBYTECODE": "1"}

    def nngrade(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=self.course.parent, text=True,
                              capture_output=True, env={**self.env, **env}, timeout=300)

    def status(self) -> dict | None:
        saved = os.environ.get("XDG_RUNTIME_DIR")
        os.environ["XDG_RUNTIME_DIR"] = str(self.runtime)
        try:
            return fastpath.connect(self.course, {"status": True})
        finally:
            if saved is None:
                os.environ.pop("XDG_RUNTIME_DIR")
            else:
                os.environ["XDG_RUNTIME_DIR"] = saved

    def running(self, timeout: float = 60) -> dict:
        return wait_for(lambda: self.status(), timeout, "the check server to answer")

    def stop(self) -> None:
        reply = self.status()
        self.nngrade("server", "stop")
        if reply is not None:
            try:
                os.kill(int(reply["pid"]), signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def kit(tmp_path):
    served = Kit(tmp_path)
    yield served
    served.stop()


def history(kit: Kit) -> list[dict]:
    path = kit.progress / ".nngrade" / "history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


def test_a_served_check_prints_and_exits_as_a_check_in_its_own_process(kit):
    """After the first check starts the server, are the stubs' failing check (with --exit-code) and the
    solutions' check served, each with the bytes, exit code and one history entry a check here gives?"""
    cold = kit.nngrade("check", "gates", "--exit-code", NNGRADE_SERVER="0")
    assert cold.returncode == 1 and "Total: 0" in cold.stdout
    assert kit.nngrade("check", "gates").returncode == 0  # starts the server afterwards
    first = kit.running()
    attempts = len(history(kit))
    warm = kit.nngrade("check", "gates", "--exit-code")
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert len(history(kit)) == attempts + 1
    solved = kit.nngrade("check", "--solutions", "gates", "softmax")
    alone = kit.nngrade("check", "--solutions", "gates", "softmax", NNGRADE_SERVER="0")
    assert (solved.returncode, solved.stdout, solved.stderr) == (alone.returncode, alone.stdout, alone.stderr)
    assert "(100.0%)" in solved.stdout
    assert kit.status()["served"] == first["served"] + 2 and kit.status()["pid"] == first["pid"]


@pytest.mark.slow
@pytest.mark.parametrize("lang,columns", [("ko", "80"), ("en", "60")])
def test_language_and_width_are_the_clients(kit, lang, columns):
    kit.nngrade("check", "gates")
    kit.running()
    warm = kit.nngrade("check", "gates", NNGRADE_LANG=lang, COLUMNS=columns)
    cold = kit.nngrade("check", "gates", NNGRADE_LANG=lang, COLUMNS=columns, NNGRADE_SERVER="0")
    assert warm.stdout == cold.stdout and warm.returncode == cold.returncode
    assert max(len(line) for line in warm.stdout.splitlines()) <= int(columns)
    assert kit.status()["served"] == 1


@pytest.mark.slow
def test_a_changed_course_or_grader_file_is_never_served_stale(kit):
    """After course.toml changes, is the check run in its own process with the new course, the old server
    gone and a new one started?"""
    kit.nngrade("check", "gates")
    old = kit.running()
    text = kit.course.read_text(encoding="utf-8")
    kit.course.write_text(text.replace('title = "Logic gates with perceptrons"', 'title = "Gates, renamed"'),
                          encoding="utf-8")
    after = kit.nngrade("check", "gates")
    assert after.returncode == 0 and "Gates, renamed" in after.stdout
    new = wait_for(lambda: (s := kit.status()) and s["pid"] != old["pid"] and s, 60, "a new server")
    assert new["served"] == 0
    wait_for(lambda: not alive(old["pid"]), 30, "the stale server to leave")


@pytest.mark.slow
def test_an_idle_server_leaves_and_stop_stops_it(kit):
    kit.env["NNGRADE_SERVER_IDLE"] = "1"
    kit.nngrade("check", "gates")
    pid = kit.running()["pid"]
    wait_for(lambda: kit.status() is None, 30, "the idle server to leave")
    assert not list(kit.runtime.rglob("*.sock"))  # its socket went with it
    wait_for(lambda: not alive(pid), 30, "the idle server's process to end")
    del kit.env["NNGRADE_SERVER_IDLE"]
    kit.nngrade("check", "gates")
    kit.running()
    stopped = kit.nngrade("server", "stop")
    assert "Stopped the check server" in stopped.stdout
    assert kit.status() is None and "No check server" in kit.nngrade("server", "status").stdout


@pytest.mark.parametrize("env", [{"NNGRADE_SERVER": "0"}, {"CI": "true"}])
def test_no_server_is_ever_started_when_turned_off_or_under_ci(kit, env):
    done = kit.nngrade("check", "gates", **env)
    assert done.returncode == 0
    time.sleep(1.5)  # a server would be up by now
    assert kit.status() is None and not list(kit.runtime.rglob("*.sock"))


@pytest.mark.slow
def test_a_busy_server_means_a_check_in_its_own_process(kit):
    """While a client holds the server (connected, its request not yet sent), is a check answered anyway,
    correctly, without waiting for the server?"""
    kit.nngrade("check", "gates")
    first = kit.running()
    holder = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    holder.connect(str(fastpath.socket_path(kit.course, kit.runtime / "nngrade")))
    try:
        done = kit.nngrade("check", "--solutions", "gates")
        assert done.returncode == 0 and "(100.0%)" in done.stdout
    finally:
        holder.close()
    assert kit.running()["served"] == first["served"]


@pytest.mark.slow
def test_student_code_cannot_reach_the_server(kit):
    """A submission that tries, while it is graded, to stop the server through its socket, to signal it, and to
    read the socket's folder: does every attempt fail, the server serve on, and the grade stay the honest one?"""
    kit.nngrade("check", "gates")
    pid = kit.running()["pid"]
    folder = kit.runtime / "nngrade"
    sock = fastpath.socket_path(kit.course, folder)
    hostile = SOLUTION + f'''

def _attack():
    import json, os, signal, socket
    won = []
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect({str(sock)!r})
        s.sendall(json.dumps({{"stop": True}}).encode() + b"\\n")
        won.append("socket")
    except BaseException:
        pass
    try:
        os.kill({pid}, signal.SIGKILL)
        won.append("kill")
    except BaseException:
        pass
    try:
        won.append(str(os.listdir({str(folder)!r})))
    except BaseException:
        pass
    return won


_WON = _attack()


def NAND(x1, x2):
    assert not _WON, _WON
    return 1 - AND(x1, x2)
'''
    (kit.course.parent / "exercises" / "gates.py").write_text(hostile, encoding="utf-8")
    graded = kit.nngrade("check", "gates")
    assert graded.returncode == 0 and "(100.0%)" in graded.stdout, graded.stdout
    after = kit.status()
    assert after is not None and after["pid"] == pid and after["served"] == 1


def test_the_socket_folder_must_be_private(tmp_path, monkeypatch):
    """A runtime folder another user could enter (or a link to one) is never used for a socket."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    (tmp_path / "nngrade").mkdir(mode=0o700)
    assert fastpath.runtime_dir() == tmp_path / "nngrade"
    os.chmod(tmp_path / "nngrade", 0o777)
    assert fastpath.runtime_dir() is None
    (tmp_path / "nngrade").rmdir()
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (tmp_path / "nngrade").symlink_to(tmp_path / "elsewhere")
    assert fastpath.runtime_dir() is None


def test_a_peer_of_another_user_is_not_served(monkeypatch, tmp_path):
    """Is a connection whose peer credentials name another uid closed unanswered (SO_PEERCRED)?"""
    from autograder.cli.server import CheckServer

    server = CheckServer(make_kit(tmp_path / "kit").resolve(), tmp_path / "s.sock")

    def asked(uid: int) -> bytes:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        theirs.sendall(json.dumps({"status": True}).encode() + b"\n")
        monkeypatch.setattr(os, "getuid", lambda: uid)
        assert server.answer(ours) is True
        monkeypatch.undo()
        ours.close()
        try:
            return theirs.recv(1000)
        except ConnectionResetError:  # closed with the request unread
            return b""

    assert b'"pid"' in asked(os.getuid())  # the server's own user is answered
    assert asked(os.getuid() + 1) == b""


def test_only_plain_checks_are_sent_to_a_server(monkeypatch, tmp_path):
    """Is every command but `check`, and `check --isolation ...`, run in its own process without a connection?"""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("NNGRADE_SERVER", "1")
    monkeypatch.delenv("CI", raising=False)
    connects: list[object] = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: connects.append(address))
    for argv in (["grade", "x"], ["--lang", "ko", "check"], ["check", "--isolation", "strict"], []):
        assert fastpath.served(argv) is None
    assert connects == []
