"""The Gradescope autograder zip: what it holds, and run_autograder in a folder laid out like Gradescope's."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CASES, ROOT, case_source

from autograder.cli.main import main

EXERCISES = ("gates", "softmax")


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("build") / "autograder.zip"
    chosen = [arg for e in EXERCISES for arg in ("-e", e)]
    result = CliRunner().invoke(main, ["--course", str(ROOT / "course.toml"), "gradescope", "build", str(target),
                                       *chosen], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture
def gradescope_root(autograder_zip, tmp_path) -> Path:
    """A temporary /autograder: the zip unpacked into source/, run_autograder beside it, as Gradescope does."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # extractall drops the permission bits
            os.chmod(root / "source" / info.filename, info.external_attr >> 16)
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    os.chmod(root / "run_autograder", 0o755)
    (root / "submission").mkdir()
    return root


def run_autograder(root: Path) -> subprocess.CompletedProcess[str]:
    """Run it as Gradescope would, with this test's Python instead of setup.sh's (no network here)."""
    env = {**os.environ, "NNGRADE_GRADESCOPE_ROOT": str(root), "NNGRADE_PYTHON": sys.executable}
    env.pop("NNGRADE_COURSE", None)
    return subprocess.run([str(root / "run_autograder")], capture_output=True, text=True, env=env, cwd=root,
                          timeout=300)


def test_the_zip_holds_the_scripts_and_the_kit_but_never_the_tests(autograder_zip):
    """Does the zip hold executable setup.sh and run_autograder, pinned requirements, the autograder package,
    course.toml and the solutions -- and no tests/ folder, no bytecode?"""
    with zipfile.ZipFile(autograder_zip) as archive:
        names = archive.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        requirements = archive.read("requirements.txt").decode()
        setup = archive.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt", "kit/course.toml", "kit/autograder/cli/main.py",
            "kit/autograder/suites/test_gates.py", "kit/solutions/gates.py"} <= set(names)
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert not [n for n in names if n.startswith(("tests/", "kit/tests/")) or "__pycache__" in n or n.endswith(".pyc")]
    assert all("==" in line for line in requirements.splitlines() if not line.startswith("tomli"))
    assert "pip install -r requirements.txt" in setup and "pip install --no-deps ./kit" in setup


def test_the_scripts_are_valid_bash(autograder_zip, tmp_path):
    """Do setup.sh and run_autograder parse as bash?"""
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        done = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


def check_results(path: Path) -> dict:
    """results.json as Gradescope reads it; returns it after checking its shape."""
    results = json.loads(path.read_text())
    assert {"score", "tests", "output", "visibility", "stdout_visibility"} <= set(results)
    for test in results["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility", "output_format"} <= set(test)
        assert test["status"] in ("passed", "failed") and 0 <= test["score"] <= test["max_score"]
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]), abs=1e-3)
    return results


def test_run_autograder_grades_a_correct_and_a_buggy_submission(gradescope_root):
    """Does run_autograder write results.json with full marks for the solutions and fewer for a buggy gates,
    using the kit from the zip?"""
    submission = gradescope_root / "submission"
    for name in ("gates.py", "softmax.py"):
        shutil.copyfile(ROOT / "solutions" / name, submission / name)
    done = run_autograder(gradescope_root)
    assert done.returncode == 0, done.stderr
    correct = check_results(gradescope_root / "results" / "results.json")
    assert correct["score"] == 30 and all(t["status"] == "passed" for t in correct["tests"])
    assert {t["visibility"] for t in correct["tests"]} == {"visible", "after_published"}

    (submission / "gates.py").write_text(case_source(CASES / "gates" / "xor_is_or", "gates"), encoding="utf-8")
    done = run_autograder(gradescope_root)
    assert done.returncode == 0, done.stderr
    buggy = check_results(gradescope_root / "results" / "results.json")
    assert 20 < buggy["score"] < 30
    failed = [t for t in buggy["tests"] if t["status"] == "failed"]
    assert failed and all("xor" in t["name"].lower() or "gates" in t["name"] for t in failed)

    env = {**os.environ, "PYTHONPATH": str(gradescope_root / "source" / "kit")}
    where = subprocess.run([sys.executable, "-c", "import autograder; print(autograder.__file__)"],
                           capture_output=True, text=True, env=env, cwd=gradescope_root)
    assert Path(where.stdout.strip()).is_relative_to(gradescope_root / "source" / "kit")


def test_a_submission_that_cannot_be_graded_gets_zero_and_the_reason(gradescope_root):
    """Does an upload without the course's modules get a results.json with 0 points and an explanation?"""
    (gradescope_root / "submission" / "notes.txt").write_text("my answers are in my head")
    done = run_autograder(gradescope_root)
    assert done.returncode == 0, done.stderr
    results = check_results(gradescope_root / "results" / "results.json")
    assert results["score"] == 0 and results["tests"] == []
    assert "could not be graded" in results["output"] and "gates.py" in results["output"]


@pytest.mark.slow
def test_a_repository_upload_is_graded(gradescope_root):
    """Is a GitHub upload (the student's repository, modules in exercises/) graded like the modules themselves?"""
    shutil.copytree(ROOT / "solutions", gradescope_root / "submission" / "exercises")
    done = run_autograder(gradescope_root)
    assert done.returncode == 0, done.stderr
    assert check_results(gradescope_root / "results" / "results.json")["score"] == 30
