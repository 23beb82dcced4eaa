"""Does every result say what protected its grade, and does --isolation strict refuse to grade without a kernel wall?"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

from autograder.errors import ExitCode
from autograder.sandbox import isolation, process

FULL = "namespaces+landlock+seccomp"
walled = pytest.mark.skipif(not isolation.available(), reason="no namespaces here: bwrap missing or refused")


@pytest.fixture(autouse=True)
def fresh_mode(monkeypatch):
    """--isolation sets the mode for the whole process: each test starts from the environment's."""
    monkeypatch.setattr(isolation, "_mode", None)
    monkeypatch.delenv(isolation.MODE_ENV, raising=False)


def nngrade(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autograder", "--lang", "en", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300, env={**os.environ, **(env or {})})


@walled
def test_grade_records_the_isolation_in_json_and_gradescope_and_says_it_once():
    """Is the level in the JSON scorecard and in Gradescope's extra_data, and printed once on stderr?"""
    done = nngrade("grade", "solutions", "-e", "gates", "-f", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["isolation"] == FULL
    assert done.stderr.count("isolation:") == 1 and FULL in done.stderr
    gradescope = nngrade("grade", "solutions", "-e", "gates", "-f", "gradescope")
    assert json.loads(gradescope.stdout)["extra_data"]["isolation"] == FULL


@walled
def test_without_namespaces_the_other_kernel_layer_is_named():
    """Where namespaces are refused (Docker, Gradescope), is the grade marked landlock+seccomp, and strict satisfied?"""
    done = nngrade("grade", "solutions", "-e", "gates", "-f", "json", "--isolation", "strict",
                   env={isolation.ENV: "0"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["isolation"] == "landlock+seccomp"


def test_the_audit_hook_alone_is_named_and_explained():
    """With no kernel layer at all, does the grade say audit-hook, and stderr say what that means?"""
    done = nngrade("grade", "solutions", "-e", "gates", "-f", "json", env={isolation.MODE_ENV: "audit-hook"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["isolation"] == "audit-hook"
    assert "no kernel isolation" in done.stderr


def test_the_judge_can_turn_the_audit_hook_off_for_tests():
    """Does NNGRADE_AUDIT_HOOK=0 reach the worker (nothing at all then stands there, and the grade says so)?"""
    done = nngrade("grade", "solutions", "-e", "gates", "-f", "json",
                   env={isolation.MODE_ENV: "audit-hook", isolation.AUDIT_HOOK_ENV: "0"})
    assert json.loads(done.stdout)["isolation"] == "none"


@walled
def test_strict_grades_behind_the_wall():
    done = nngrade("grade", "solutions", "-e", "gates", "-f", "json", "--isolation", "strict")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["score"] == 10


def test_strict_refuses_a_worker_without_a_kernel_wall(cli, monkeypatch):
    """A machine where the worker gets only the audit hook: exit 9, the explanation, and no grade at all."""
    monkeypatch.setattr(process.Sandbox, "isolation", property(lambda self: "audit-hook"))
    result = cli("grade", str(ROOT / "solutions"), "-e", "gates", "-f", "json", "--isolation", "strict")
    assert result.exit_code == ExitCode.ISOLATION_UNAVAILABLE
    assert result.stdout == ""
    assert "--isolation strict" in result.stderr and "Landlock" in result.stderr and "Traceback" not in result.stderr


def test_strict_grade_all_refuses_before_grading_anyone(cli, monkeypatch, tmp_path):
    """grade-all under strict asks a real worker first; without a kernel wall nothing is graded or written."""
    monkeypatch.setattr(process, "probe_isolation", lambda: "audit-hook")
    (tmp_path / "class" / "alice").mkdir(parents=True)
    (tmp_path / "class" / "alice" / "gates.py").write_text((ROOT / "solutions" / "gates.py").read_text())
    result = cli("grade-all", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "-e", "gates",
                 "--isolation", "strict")
    assert result.exit_code == ExitCode.ISOLATION_UNAVAILABLE
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@walled
def test_grade_all_records_the_isolation_per_result_and_in_the_summary(tmp_path):
    """Does every grade-all result file name its isolation, and the summary say it once for the class?"""
    for name in ("alice", "bob"):
        (tmp_path / "class" / name).mkdir(parents=True)
        (tmp_path / "class" / name / "gates.py").write_text((ROOT / "solutions" / "gates.py").read_text())
    done = nngrade("grade-all", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "-e", "gates",
                   "--jobs", "1")
    assert done.returncode == 0, done.stderr
    for name in ("alice", "bob"):
        assert json.loads((tmp_path / "out" / f"{name}.json").read_text())["isolation"] == FULL
    assert f"{FULL} (2 graded)" in done.stdout + done.stderr


def test_isolation_modes_and_levels_are_read_as_documented(monkeypatch):
    monkeypatch.setenv(isolation.MODE_ENV, "strict")
    assert isolation.mode() is isolation.Mode.STRICT
    monkeypatch.setenv(isolation.MODE_ENV, "nonsense")
    assert isolation.mode() is isolation.Mode.AUTO
    isolation.set_mode("audit-hook")
    assert isolation.mode() is isolation.Mode.AUDIT_HOOK and not isolation.requested()
    assert isolation.kernel_walled(FULL) and isolation.kernel_walled("landlock+seccomp")
    assert isolation.kernel_walled("namespaces")
    assert not isolation.kernel_walled("landlock") and not isolation.kernel_walled("audit-hook")
    assert not isolation.kernel_walled("none")
