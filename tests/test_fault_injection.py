"""Faults around grading: a full disk or an unwritable folder never loses earlier results."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest
from conftest import ROOT, wait_for

from autograder.errors import ExitCode

pytestmark = pytest.mark.slow  # every test grades in a new process, most with injected faults


def gates_only(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "gates.py").write_bytes((ROOT / "solutions" / "gates.py").read_bytes())  # ~1.3 KB
    return folder


def grade_into(target, *, file_size_limit: int | None = None, submission=ROOT / "solutions",
               ) -> subprocess.CompletedProcess[str]:
    def limit() -> None:  # runs in the child: writes past this many bytes fail with EFBIG, as on a full disk
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.run(
        [sys.executable, "-m", "autograder", "--course", str(ROOT / "course.toml"), "grade", str(submission),
         "-e", "gates", "-f", "json", "-o", str(target)],
        capture_output=True, text=True, preexec_fn=limit, timeout=300,
    )


def test_full_disk_keeps_the_previous_result_intact(tmp_path):
    """When the disk fills while writing, is the old result file untouched, no temp file left, exit 6 with a message?"""
    target = tmp_path / "result.json"
    target.write_text('{"previous": true}\n')
    # the gates scorecard is ~6 KB; the one module copied into the workspace is ~1.3 KB
    done = grade_into(target, file_size_limit=4096, submission=gates_only(tmp_path))
    assert done.returncode == ExitCode.OUTPUT_FAILED, done.stderr
    assert "Cannot write the results" in done.stderr and "Traceback" not in done.stderr
    assert json.loads(target.read_text()) == {"previous": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json", "submission"]


def test_full_disk_before_grading_is_a_workspace_error(tmp_path):
    """When not even the submission can be copied into the workspace, is it exit 7 with advice, not a traceback?"""
    done = grade_into(tmp_path / "result.json", file_size_limit=256, submission=gates_only(tmp_path))
    assert done.returncode == ExitCode.WORKSPACE, done.stderr
    assert "workspace" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "result.json").exists()


def test_unwritable_folder_keeps_the_previous_result_intact(tmp_path):
    """With the output folder read-only, is the old result kept and the error explained (exit 6)?"""
    if os.geteuid() == 0:
        # root ignores permission bits; make the folder a file's child instead, which fails for everyone
        target = tmp_path / "not-a-folder" / "result.json"
        (tmp_path / "not-a-folder").write_text("a file, not a folder")
    else:
        folder = tmp_path / "locked"
        folder.mkdir()
        target = folder / "result.json"
        target.write_text('{"previous": true}\n')
        folder.chmod(0o500)
    done = grade_into(target)
    assert done.returncode == ExitCode.OUTPUT_FAILED, done.stderr
    assert "Cannot write the results" in done.stderr
    if os.geteuid() != 0:
        assert json.loads(target.read_text()) == {"previous": True}


def test_a_successful_write_replaces_the_result_whole(tmp_path):
    """After a good run, is the result complete JSON with the full score and no temp file beside it?"""
    target = tmp_path / "result.json"
    target.write_text('{"previous": true}\n')
    done = grade_into(target)
    assert done.returncode == 0, done.stderr
    assert json.loads(target.read_text())["score"] == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]


def test_ctrl_c_during_grading_writes_no_score(tmp_path):
    """Does an interrupt in the middle of grading exit non-zero and leave no (inflated) result behind?"""
    import signal

    submission = tmp_path / "submission"
    submission.mkdir()
    source = (ROOT / "solutions" / "gates.py").read_text()
    spin = '    open(__file__ + ".spinning", "w").close()\n    while True:\n        pass\n'  # says when it spins
    (submission / "gates.py").write_text(source.replace('    """AND(NAND, OR)', spin + '    """AND(NAND, OR)'))
    target = tmp_path / "result.json"
    scratch = tmp_path / "tmp"  # the sandbox's copy of the submission is made in here
    scratch.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder", "--course", str(ROOT / "course.toml"), "grade", str(submission),
         "-e", "gates", "-f", "json", "-o", str(target)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # without namespaces: inside bwrap the worker writes its .spinning file in its own tmpfs, unseen here
        env={**os.environ, "TMPDIR": str(scratch), "NNGRADE_NAMESPACES": "0"})
    # interrupt once an XOR test is spinning against its 5-second deadline
    wait_for(lambda: any(scratch.rglob("gates.py.spinning")) or process.poll() is not None, 120,
             "the submission's XOR to start spinning")
    assert process.poll() is None, "grading ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert not target.exists(), "an interrupted run wrote a score"
    assert "Traceback" not in stderr
