"""`release` ships verified stubs, never whatever the working exercises/ hold; its leak check looks at solutions/ only.

An instructor who worked an exercise in place (`cp solutions/gates.py exercises/gates.py`) must not publish the
answers by running `nngrade release`: it refuses with its own exit code, or ships stubs rebuilt from the file.
"""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from conftest import ROOT, make_kit

from autograder.cli.main import main
from autograder.course import load_course
from autograder.editions.release import edition_stubs, leaks
from autograder.errors import ExitCode
from autograder.grading.stubs import is_stub, rebuilt_stub, stub_problems

MODULES = sorted(p.stem for p in (ROOT / "solutions").glob("*.py"))


def source(folder: str, module: str) -> str:
    return (ROOT / folder / f"{module}.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("module", MODULES)
def test_the_committed_stubs_are_stubs_of_the_solutions_and_the_solutions_are_not(module):
    assert stub_problems(source("exercises", module), source("solutions", module)) == []
    assert not is_stub(source("solutions", module), source("solutions", module))
    rebuilt = rebuilt_stub(source("solutions", module), module)
    assert rebuilt is not None and is_stub(rebuilt, source("solutions", module))
    assert rebuilt_stub(source("exercises", module), module) == source("exercises", module)  # a stub stays itself


STUB = '''"""Doc."""
import numpy as np


def sigmoid(x):
    """Doc."""
    raise NotImplementedError("activations.sigmoid: not implemented yet")
'''


@pytest.mark.parametrize("planted, why", [
    ("SIGMOID = lambda x: 1 / (1 + np.exp(-x))\n", "statement outside a function"),
    ("class Helper:\n    pass\n", "statement outside a function"),
    ("def _helper(x):\n    return np.exp(x)\n", "has code"),
])
def test_anything_that_could_compute_outside_the_raise_makes_it_not_a_stub(planted, why):
    problems = stub_problems(STUB + "\n\n" + planted)
    assert problems and why in str(problems[0])


def test_a_raise_whose_message_computes_or_another_signature_is_not_a_stub():
    computing = STUB.replace('raise NotImplementedError("activations.sigmoid: not implemented yet")',
                             'raise NotImplementedError(f"{1 / (1 + np.exp(-x))}")')
    assert not is_stub(computing)
    solution = 'def sigmoid(x, alpha=1):\n    return x\n'
    assert any("signature" in str(p) for p in stub_problems(STUB, solution))


def test_a_worked_exercise_is_refused_with_its_own_exit_code_and_nothing_is_written(tmp_path):
    course_toml = make_kit(tmp_path / "kit", solutions=True)
    shutil.copyfile(ROOT / "solutions" / "gates.py", tmp_path / "kit" / "exercises" / "gates.py")
    target = tmp_path / "edition"
    result = CliRunner().invoke(main, ["--course", str(course_toml), "release", str(target)])
    assert result.exit_code == ExitCode.EXERCISES_NOT_STUBS == 11, result.output
    assert "gates.py" in result.output and "--allow-worked-exercises" in result.output
    assert "Traceback" not in result.output and not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".edition")]  # no staging left behind


def test_allowed_worked_exercises_ship_as_stubs_rebuilt_from_them(tmp_path):
    make_kit(tmp_path / "kit", solutions=True)
    worked = tmp_path / "kit" / "exercises" / "gates.py"
    shutil.copyfile(ROOT / "solutions" / "gates.py", worked)
    course = load_course(tmp_path / "kit" / "course.toml")
    shipped, rebuilt = edition_stubs(course, allow_worked=True)
    assert rebuilt == ("gates",)
    assert is_stub(shipped["gates"], source("solutions", "gates"))
    assert "_gate" not in shipped["gates"]  # the solution's helper is gone with its body
    for module in MODULES:
        if module != "gates":
            assert shipped[module] == source("exercises", module)


@pytest.mark.parametrize("where", ["autograder/suites/test_gates.py", "autograder/student/plot.py",
                                   "autograder/docs/notes.md", "README.md", "exercises/softmax.py"])
def test_a_solution_line_planted_anywhere_in_the_edition_is_found(tmp_path, where):
    """The leak check's secret set is solutions/ minus the shipped stubs: no exemption for suites, docs, plot."""
    course = load_course(ROOT / "course.toml")
    root = tmp_path / "edition"
    shutil.copytree(ROOT / "exercises", root / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    assert leaks(root, course) == []
    stub_lines = {line.strip() for line in source("exercises", "softmax").splitlines()}
    line = next(line.strip() for line in source("solutions", "softmax").splitlines()
                if len(line.strip()) >= 16 and "np." in line and not line.strip().startswith(("#", '"'))
                and line.strip() not in stub_lines)
    planted = root / where
    planted.parent.mkdir(parents=True, exist_ok=True)
    with planted.open("a", encoding="utf-8") as out:
        out.write(f"\n    {line}\n")
    found = [found for found in leaks(root, course) if found.startswith(where)]
    assert f"{where}: {line}" in found
    if not where.startswith("exercises/"):  # a stub with a planted line is no stub: none of its lines is exempt
        assert found == [f"{where}: {line}"]


def test_lines_an_instructor_typed_into_exercises_are_not_exempt(tmp_path):
    """The leak check once exempted every line of the working exercises/: a worked file exempted itself."""
    make_kit(tmp_path / "kit", solutions=True)
    shutil.copyfile(ROOT / "solutions" / "gates.py", tmp_path / "kit" / "exercises" / "gates.py")
    course = load_course(tmp_path / "kit" / "course.toml")
    root = tmp_path / "edition"
    shutil.copytree(ROOT / "exercises", root / "exercises")
    shutil.copyfile(ROOT / "solutions" / "gates.py", root / "README.md")
    assert any(found.startswith("README.md: ") for found in leaks(root, course))


def test_the_stub_source_is_the_one_reset_uses():
    """`nngrade reset` rebuilds a stub with the same code release verifies stubs with."""
    from autograder.student import reset

    assert reset.is_stub is is_stub and reset.rebuilt_stub is rebuilt_stub


@pytest.mark.slow
def test_release_with_a_worked_exercise_allowed_ships_its_stub_and_plots_from_recorded_curves(tmp_path, monkeypatch):
    """End to end: the edition gets a stub for the worked gates.py, and its `nngrade plot` (no solutions/,
    no formula) compares with the curves release recorded."""
    import os
    import subprocess
    import sys

    pytest.importorskip("matplotlib", reason="`nngrade plot` needs the plot extra (matplotlib)")
    monkeypatch.delenv("NNGRADE_DATA", raising=False)  # the real-data answers are another test's subject
    course_toml = make_kit(tmp_path / "kit", solutions=True)
    shutil.copyfile(ROOT / "solutions" / "gates.py", tmp_path / "kit" / "exercises" / "gates.py")
    target = tmp_path / "edition"
    result = CliRunner().invoke(main, ["--course", str(course_toml), "release", "--allow-worked-exercises",
                                       str(target)])
    assert result.exit_code == 0, result.output
    assert "exercises/gates.py" in result.output  # the note that it was rebuilt
    assert is_stub((target / "exercises" / "gates.py").read_text(encoding="utf-8"), source("solutions", "gates"))
    assert (target / "autograder" / "student" / "reference_curves.json").is_file()
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("NNGRADE_COURSE", None)
    done = subprocess.run([sys.executable, "-m", "autograder", "plot", "activations", "-o", str(tmp_path / "p.png"),
                           "--path", str(ROOT / "solutions")], capture_output=True, text=True, env=env,
                          cwd=target, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "p.png").is_file() and "leaky_relu" not in done.stdout  # the reference matches itself
