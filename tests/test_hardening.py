"""Grades that cannot be forged: the judge trusts nothing student code could have touched.

- the judge imports everything before the first call into student code;
- notebooks are read in bounded time and memory, with a clear error for what cannot be one;
- the judge's decoder survives any reply a worker can send (a student fault, never an internal error);
- grade-all skips symlinked entries, and the copy step refuses hard links and special files.
"""
from __future__ import annotations

import contextlib
import json
import os
import struct
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, ROOT

from autograder.batch.grade_all import Options, plan
from autograder.course import load_course
from autograder.grading.submission import prepare
from autograder.sandbox import protocol
from autograder.sandbox.faults import FaultKind
from autograder.sandbox.files import UnsafeFile, read_regular
from autograder.sandbox.process import Sandbox, StudentFault, SubmissionError, copy_submission
from autograder.sandbox.protocol import CodecError
from autograder.sandbox.replies import WorkerReply

# --- imports up front --------------------------------------------------------

_LATE_IMPORTS = textwrap.dedent("""
    import json, os, sys, tempfile
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from autograder.sandbox import process

    seen = {{}}
    exchange = process.Sandbox._exchange

    def first_call_noted(self, request, timeout):
        seen.setdefault("modules", set(sys.modules))
        return exchange(self, request, timeout)

    process.Sandbox._exchange = first_call_noted
    from conftest import case_folder
    from autograder.course import load_course
    from autograder.cli.common import grade_folder  # the commands' way in: it names their reporters to preload

    course = load_course(Path({course!r}))
    broken = Path(tempfile.mkdtemp())
    (broken / "gates.py").write_text("def perceptron(x, w, b):\\n    raise ValueError('no')\\n"
                                     "def AND(a, b):\\n    return object()\\n")
    (broken / "softmax.py").write_text("def softmax(:\\n")
    cards = [grade_folder(course, folder, include_hidden=True)
             for folder in (Path({stubs!r}), case_folder(Path({case!r})), broken)]
    # What the CLI and grade-all do with a scorecard once graded: every reporter.
    from autograder.reporters import console, csv_report, gradescope, json_report, junit, markdown
    from rich.console import Console
    import io
    for card in cards:
        json_report.render(card); junit.render(card); csv_report.render(card); markdown.render(card, title="t")
        gradescope.render(card, hidden_visibility="visible", hidden_feedback=course.hidden_feedback)
        console.render(card, Console(file=io.StringIO(), width=100))
    print(json.dumps(sorted(set(sys.modules) - seen["modules"])))
""")


def test_no_module_is_imported_into_the_judge_after_student_code_ran() -> None:
    """A module first imported after student code ran could be one the student replaced (stubs got 102/102)."""
    script = _LATE_IMPORTS.format(tests=str(ROOT / "tests"), course=str(ROOT / "course.toml"),
                                  stubs=str(ROOT / "exercises"), case=str(CASES / "forward" / "activation-on-output"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    late = json.loads(done.stdout.strip().splitlines()[-1])
    assert late == [], f"imported after the first call into student code: {late}"


# --- the decoder survives any reply ------------------------------------------

def _frame(data: bytes) -> bytes:
    return struct.pack(">Q", len(data)) + data


def _reply(body: str, *arrays: bytes, count: int | None = None) -> bytes:
    """A message as a worker would frame it, with a hand-written JSON body (id 1, the first request)."""
    header = f'{{"body": {body}, "arrays": {len(arrays) if count is None else count}}}'.encode()
    return _frame(header) + b"".join(_frame(a) for a in arrays)


def _npy(descr: str, shape: str, data: bytes) -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}".encode("latin1")
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


_ARRAY_REPLY = '{"id": 1, "ok": true, "value": {"t": "nd", "i": 0}}'
GARBAGE = {
    "nested 100k deep": _frame(b"[" * 100_000 + b"]" * 100_000),
    "nested 100k deep in the body": _reply('{"id": 1, "ok": true, "value": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    "a frame of 2**31 bytes": struct.pack(">Q", 2**31) + b"{}",
    "a frame of 2**64-1 bytes": b"\xff" * 8,
    "10M JSON items": _reply('{"id": 1, "ok": true, "value": [' + "0," * 10_000_000 + "0]}"),
    "an array of 2**80 elements": _reply(_ARRAY_REPLY, _npy("<f8", "(1099511627776, 1099511627776, 1)", b"")),
    "an array of 2**64 wrapping to 0": _reply(_ARRAY_REPLY, _npy("<f8", "(4294967296, 4294967296)", b"")),
    "an array of 40 dimensions": _reply(_ARRAY_REPLY, _npy("<f8", "(" + "1, " * 40 + ")", b"\0" * 8)),
    "an object array": _reply(_ARRAY_REPLY, _npy("|O", "(1,)", b"\0" * 8)),
    "an unknown dtype": _reply(_ARRAY_REPLY, _npy("<i3", "(1,)", b"\0" * 3)),
    "a zero-size dtype": _reply(_ARRAY_REPLY, _npy("<u0", "(1,)", b"")),
    "a truncated .npy blob": _reply(_ARRAY_REPLY, b"\x93NUMPY"),
    "a .npy header longer than its frame": _reply(_ARRAY_REPLY, b"\x93NUMPY\x01\x00\xff\xff{"),
    "an array index out of range": _reply('{"id": 1, "ok": true, "value": {"t": "nd", "i": -1}}', count=0),
    "a bool as array index": _reply('{"id": 1, "ok": true, "value": {"t": "nd", "i": true}}',
                                    _npy("<f8", "(1,)", b"\0" * 8)),
    "invalid UTF-8": _frame(b'{"body": {"id": 1, "ok": true, "value": "\xff\xfe"}, "arrays": 0}'),
    "NaN as a dict key": _reply('{"id": 1, "ok": true, "value": {"t": "dict", "v": [[NaN, 1]]}}'),
    "a list as a dict key": _reply('{"id": 1, "ok": true, "value": {"t": "dict", "v": [[[1], 1]]}}'),
    "infinitely many arrays": _reply('{"id": 1, "ok": true}', count=10**400),
    "Infinity arrays": _frame(b'{"body": {"id": 1, "ok": true}, "arrays": Infinity}'),
    "a 5000-digit id": _reply('{"id": ' + "9" * 5000 + ', "ok": true}'),
    "a body that is a list": _frame(b'{"body": [1, 2], "arrays": 0}'),
    "an unknown tag": _reply('{"id": 1, "ok": true, "value": {"t": {"x": 1}}}'),
    "a tuple without items": _reply('{"id": 1, "ok": true, "value": {"t": "tuple", "v": 3}}'),
}


def _decode_from_pipe(data: bytes) -> WorkerReply:
    """What the judge makes of `data` read from a real pipe (written by a thread, as a worker would)."""
    read_fd, write_fd = os.pipe()

    def write() -> None:
        with contextlib.suppress(BrokenPipeError):
            protocol.write_all(write_fd, data)
        os.close(write_fd)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        return WorkerReply.from_message(protocol.read_message(protocol.fd_reader(read_fd)))
    finally:
        os.close(read_fd)
        writer.join(timeout=30)


@pytest.mark.parametrize("name", list(GARBAGE))
def test_the_decoder_ends_any_reply_with_a_codec_error(name: str) -> None:
    """Does every malformed reply end as CodecError (the judge's protocol fault), never another error?"""
    with pytest.raises(CodecError):
        _decode_from_pipe(GARBAGE[name])


@pytest.mark.parametrize("kind", ["worker-start-failed", "timeout", "worker-crashed", "cpu-limit"])
def test_a_worker_cannot_claim_a_fault_only_the_judge_finds(kind: str) -> None:
    """A reply saying worker-start-failed would make the test an internal error, retried by every later run."""
    reply = _decode_from_pipe(protocol.encode_message({"id": 1, "ok": False, "fault": {"kind": kind, "message": "x"}}))
    assert reply.fault is not None and reply.fault.kind is FaultKind.PROTOCOL and not reply.ok


def test_student_text_in_a_fault_is_bounded() -> None:
    fault = {"kind": "exception", "message": "x" * 1_000_000, "types": [[1], "E"]}
    reply = _decode_from_pipe(protocol.encode_message({"id": 1, "ok": False, "fault": fault}))
    assert reply.fault is not None and len(reply.fault.message) <= 20_000 and reply.fault.exc_types == ("E",)


_FAKE_WORKER = textwrap.dedent("""
    import json, sys, time
    config = json.loads(sys.argv[1])
    sys.path[:0] = [sys.argv[2], *config["sys_path"]]
    from autograder.sandbox import protocol
    from autograder.sandbox.replies import WorkerReply
    protocol.write_message(config["reply_fd"], WorkerReply(ok=True, pid=0).to_message())
    protocol.read_message(protocol.fd_reader(config["request_fd"]))
    with open(sys.argv[3], "rb") as garbage:
        protocol.write_all(config["reply_fd"], garbage.read())
    time.sleep(60)
""")


class _FakeWorkerSandbox(Sandbox):
    """A real Sandbox whose worker answers its first request with the bytes of a file."""

    garbage: Path

    def _launch(self, config: dict[str, Any]) -> Any:
        return subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _FAKE_WORKER, json.dumps(config), str(ROOT), str(self.garbage)],
            pass_fds=(config["request_fd"], config["reply_fd"]), stdin=subprocess.DEVNULL,
            stdout=self._stdout, stderr=self._stderr, start_new_session=True)


@pytest.mark.parametrize("name", ["nested 100k deep", "a frame of 2**31 bytes", "an object array", "invalid UTF-8",
                                  "NaN as a dict key", "10M JSON items"])
def test_a_sandbox_turns_a_garbled_reply_into_a_protocol_fault(name: str, tmp_path: Path) -> None:
    """Driven by a fake worker, does a real Sandbox make the call a student fault (and not retry it forever)?"""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "gates.py").write_text("def AND(a, b):\n    return 1\n")
    garbage = tmp_path / "garbage"
    garbage.write_bytes(GARBAGE[name])
    sandbox = _FakeWorkerSandbox(tmp_path / "sub")
    sandbox.garbage = garbage
    with sandbox, pytest.raises(StudentFault) as raised:
        sandbox.call("gates", "AND", (1, 1), timeout=20)
    # A protocol fault, not a timeout: the garbage was refused as it arrived, not waited on.
    assert raised.value.kind is FaultKind.PROTOCOL, raised.value.fault
    assert sandbox.restarts == 1


# --- notebooks: bounded, with a clear error --------------------------------------

def _notebook_error(path: Path) -> str:
    """The SubmissionError `prepare` gives for the notebook at `path` (it must give one)."""
    with pytest.raises(SubmissionError) as raised, prepare(path, load_course(ROOT / "course.toml")):
        pass
    return str(raised.value)


def test_a_notebook_nested_100k_deep_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gates.ipynb"
    path.write_text('{"cells": [], "metadata": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert "nested more than 64 levels deep" in _notebook_error(path)


def test_a_50_mb_notebook_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "gates.ipynb"
    with open(path, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    assert "larger than 5 MiB" in _notebook_error(path) and "Clear its outputs" in _notebook_error(path)


def test_a_cell_of_a_huge_list_of_tiny_strings_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gates.ipynb"
    cell = {"cell_type": "code", "metadata": {}, "source": ["a"] * 600_000, "outputs": []}
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4}))
    assert "cell 1 of" in _notebook_error(path) and "more than a cell may have" in _notebook_error(path)


def test_a_non_utf8_notebook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gates.ipynb"
    path.write_bytes(b'{"cells": ["\xff\xfe"]}')
    assert "not UTF-8" in _notebook_error(path)


@pytest.mark.parametrize("text", ["[1, 2]", '{"cells": 3}', '{"cells": [{"cell_type": "code", "metadata": [1], '
                                  '"source": 5}], "metadata": "x"}'])
def test_json_that_is_not_a_notebook_is_refused_or_read_without_a_traceback(text: str, tmp_path: Path) -> None:
    path = tmp_path / "gates.ipynb"
    path.write_text(text)
    try:
        with prepare(path, load_course(ROOT / "course.toml")):
            pass
    except SubmissionError as exc:
        assert "gates.ipynb" in str(exc)


def test_nngrade_grade_says_why_a_deep_notebook_cannot_be_graded(tmp_path: Path) -> None:
    """Through the CLI: exit code 4 and the reason, never a traceback."""
    path = tmp_path / "gates.ipynb"
    path.write_text("[" * 100_000)
    done = _nngrade("grade", str(path), "-e", "gates")
    assert done.returncode == 4, done.stderr
    assert "nested more than" in done.stderr and "Traceback" not in done.stderr


# --- submission files: no links, FIFOs or devices --------------------------------

def _nngrade(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)


def test_a_fifo_in_a_submission_does_not_hang_the_judge(tmp_path: Path) -> None:
    """Opening a FIFO waits for a writer: the judge must refuse it, naming it, instead of waiting forever."""
    submission = tmp_path / "alice"
    submission.mkdir()
    (submission / "softmax.py").write_text("def softmax(x):\n    return x\n")
    os.mkfifo(submission / "gates.py")
    done = _nngrade("grade", str(submission))
    assert done.returncode == 4, done.stderr
    assert "gates.py is a FIFO" in done.stderr


def test_a_fifo_notebook_and_module_beside_notebooks_are_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "gates.ipynb")
    with pytest.raises(UnsafeFile, match="a FIFO"):
        read_regular(tmp_path / "gates.ipynb", 1000)


def test_a_hard_link_to_another_students_file_is_refused(tmp_path: Path) -> None:
    alice, mallory, copy = tmp_path / "alice", tmp_path / "mallory", tmp_path / "copy"
    for folder in (alice, mallory, copy):
        folder.mkdir()
    (alice / "gates.py").write_text("def AND(a, b):\n    return a and b\n")
    os.link(alice / "gates.py", mallory / "gates.py")
    with pytest.raises(SubmissionError, match=r"gates.py is a hard link"):
        copy_submission(mallory, copy)
    course = load_course(ROOT / "course.toml").select(["gates"])
    with pytest.raises(SubmissionError, match="hard link"), prepare(mallory / "gates.py", course):
        pass


def test_grade_all_skips_a_symlinked_entry_and_says_so(tmp_path: Path) -> None:
    """A symlink named like a submission could point at a classmate's folder: it is not graded as anyone's."""
    submissions = tmp_path / "submissions"
    (submissions / "alice").mkdir(parents=True)
    (submissions / "alice" / "gates.py").write_text("def AND(a, b):\n    return a and b\n")
    (submissions / "mallory").symlink_to(submissions / "alice")
    (submissions / "eve.py").symlink_to(ROOT / "solutions" / "gates.py")
    options = Options(submissions, tmp_path / "out", load_course(ROOT / "course.toml").select(["gates"]), ("gates",))
    the_plan = plan(options)
    assert [e.name for e in the_plan.entries] == ["alice"]
    assert the_plan.skipped_links == ["eve.py", "mallory"]
    assert [e.name for e in the_plan.to_grade] == ["alice"]  # alice's own result is graded as before


def test_grade_all_says_which_links_it_skipped(tmp_path: Path) -> None:
    """Does the instructor running grade-all read which entries were links and were not graded?"""
    submissions = tmp_path / "submissions"
    (submissions / "alice").mkdir(parents=True)
    (submissions / "alice" / "gates.py").write_text("def AND(a, b):\n    return a and b\n")
    (submissions / "mallory").symlink_to(submissions / "alice")
    done = subprocess.run([sys.executable, "-m", "autograder", "--lang", "en", "grade-all", str(submissions),
                           "--out", str(tmp_path / "out"), "-e", "gates", "--jobs", "1"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Skipped 1 symbolic link(s)" in done.stderr and "mallory" in done.stderr
    assert sorted(p.name for p in (tmp_path / "out").glob("*.json")) == ["alice.json"]
