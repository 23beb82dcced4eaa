"""Shared fixtures for the project's own tests: the repository's course and a one-call grader."""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from autograder.course import Course, load_course
from autograder.data.mnist import MNIST_FILES
from autograder.grading.runner import run
from autograder.grading.scoring import Scorecard, score

ROOT = Path(__file__).resolve().parent.parent

# No check server (autograder/cli/server.py) outlives a test: every `nngrade check` the tests run checks in its
# own process. tests/test_check_server.py turns it on for its own kits.
os.environ["NNGRADE_SERVER"] = "0"
CASES = Path(__file__).resolve().parent / "cases"

GradeFn = Callable[..., Scorecard]


def case_source(case: Path, module: str) -> str:
    """The module a golden case submits: its own file, or the reference solution with the case's changes.

    Most wrong cases are the solution with one function changed; they hold only that function, in
    <module>.changes.py, so a fix to the solution does not have to be copied into each of them.
    """
    own = case / f"{module}.py"
    if own.is_file():
        return own.read_text(encoding="utf-8")
    from autograder.grading.catalog import patched_source

    changes = (case / f"{module}.changes.py").read_text(encoding="utf-8")
    return patched_source((ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8"), changes)


_CASE_FOLDERS: dict[Path, Path] = {}


def case_folder(case: Path) -> Path:
    """A folder holding the golden case's modules as a student would submit them (built once per session)."""
    if case not in _CASE_FOLDERS:
        folder = Path(tempfile.mkdtemp(prefix=f"nngrade-case-{case.name}-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        for path in case.glob("*.py"):
            module = path.name.removesuffix(".changes.py").removesuffix(".py")
            (folder / f"{module}.py").write_text(case_source(case, module), encoding="utf-8")
        _CASE_FOLDERS[case] = folder
    return _CASE_FOLDERS[case]


def real_data() -> Path | None:
    """The MNIST folder NNGRADE_DATA names, if it holds the four files; else None (real-data tests not run)."""
    value = os.environ.get("NNGRADE_DATA")
    folder = Path(value) if value else None
    return folder if folder and all((folder / f.name).is_file() for f in MNIST_FILES) else None


def processes(holds: Callable[[Path], bool]) -> list[int]:
    """Pids of the other processes whose /proc/<pid> folder `holds` is true of (unreadable ones skipped)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        if int(entry.name) == os.getpid():
            continue
        try:
            if holds(entry):
                found.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return found


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be collected."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float, what: str) -> T:
    """Poll `condition` until it returns something truthy, and return that; fail naming `what` after `timeout` s.

    The timeout is a guard against a hang, generous on purpose, never a speed bound: a test waits on the event
    it needs (a file written, a process gone, a line printed) instead of sleeping and hoping it has happened.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def slow_except(values, fast) -> list:
    """`values` as parameters for parametrize, each marked slow but those in `fast`: the few the fast loop keeps
    (`pytest -m "not slow"`), so it still reaches every layer while the full run checks them all."""
    return [pytest.param(value, marks=() if value in fast else pytest.mark.slow) for value in values]


def first_of_each(values, group: Callable) -> list:
    """The first of `values` in each group `group(value)` names, in order."""
    firsts: dict = {}
    for value in values:
        firsts.setdefault(group(value), value)
    return list(firsts.values())


def working_in(folder: Path) -> list[int]:
    """Pids of live processes whose working folder is inside `folder` (fork servers and sandbox workers)."""
    inside = folder.resolve()
    return processes(lambda proc: Path(os.readlink(proc / "cwd")).is_relative_to(inside) and alive(int(proc.name)))


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """Tests read English unless they choose Korean, whatever the developer's locale; --lang never leaks."""
    from autograder import i18n

    monkeypatch.setenv(i18n.ENV, "en")
    monkeypatch.setattr(i18n, "_active", None)
    cli_module = sys.modules.get("autograder.cli.main")
    if cli_module is not None:  # help texts live on click's command objects: put the English back
        cli_module.localize_help("en")


@pytest.fixture(autouse=True)
def progress_elsewhere(tmp_path_factory, monkeypatch):
    """Every test keeps the progress it makes (.nngrade/) in a folder of its own, never in the kit it runs
    from, which is a real kit someone works in: the CLI's checks would otherwise land in its history."""
    from autograder.student import progress

    monkeypatch.setenv(progress.HOME_ENV, str(tmp_path_factory.mktemp("progress-home")))


def make_kit(folder: Path, *, solutions: bool = False) -> Path:
    """A kit as a student downloads it into `folder`: course.toml and the stubs in exercises/ (and solutions/
    if asked); the grader is this repository's package. Returns course.toml's path."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "course.toml", folder / "course.toml")
    shutil.copytree(ROOT / "exercises", folder / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    if solutions:
        shutil.copytree(ROOT / "solutions", folder / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    return folder / "course.toml"


@pytest.fixture
def cli(tmp_path_factory, monkeypatch):
    """cli("check", "gates") runs `nngrade --course <the kit's course.toml> check gates` in-process."""
    from click.testing import CliRunner

    from autograder.cli.main import main

    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, ["--course", str(ROOT / "course.toml"), *args], catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(ROOT / "course.toml")


@pytest.fixture(scope="session")
def grade(course: Course) -> GradeFn:
    """grade(folder, *exercises, include_hidden=True) -> Scorecard, through the real sandbox."""

    def grade_folder(folder: Path, *exercises: str, include_hidden: bool = True,
                     data_dir: Path | None = None, selected: Course | None = None) -> Scorecard:
        chosen = selected or course.select(list(exercises))
        return score(run(chosen, Path(folder), include_hidden=include_hidden, data_dir=data_dir), chosen)

    return grade_folder
