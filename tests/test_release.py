"""The student edition: no solutions, no hidden tests, a working `nngrade check`, a valid CI workflow."""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from autograder.cli.main import main
from autograder.course import Visibility
from autograder.editions.release import count_tests, strip_hidden
from autograder.errors import ExitCode


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("release") / "student-edition"
    result = CliRunner().invoke(main, ["--course", str(ROOT / "course.toml"), "release", str(target)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return target


def in_edition(edition: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m autograder ARGS` run inside the edition with the edition's own package, as a student would."""
    env = {**os.environ, "PYTHONPATH": str(edition), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("NNGRADE_COURSE", None)
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, env=env,
                          cwd=edition, timeout=300)


def function_bodies(source: str) -> list[str]:
    """Each function's body, whitespace-normalised, without its docstring (stubs share docstrings)."""
    bodies = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body[1:] if ast.get_docstring(node) else node.body
            if body:
                bodies.append(" ".join(ast.unparse(ast.Module(body=body, type_ignores=[])).split()))
    return bodies


def test_the_edition_has_what_a_student_needs_and_nothing_more(edition):
    """Are exercises, the autograder, course.toml, a README and the workflow there, and solutions, the kit's
    tests, scripts and bytecode absent?"""
    for name in ("exercises/gates.py", "autograder/cli/main.py", "autograder/suites/test_gates.py", "course.toml",
                 "README.md", "pyproject.toml", ".github/workflows/nngrade.yml"):
        assert (edition / name).is_file(), name
    for name in ("solutions", "tests", "scripts", "benchmarks"):
        assert not (edition / name).exists(), name
    assert not list(edition.rglob("__pycache__")) and not list(edition.rglob("*.pyc"))
    assert (edition / "course.toml").read_bytes() == (ROOT / "course.toml").read_bytes()


def test_no_solution_text_anywhere_in_the_edition(edition):
    """Does no file of the edition hold a reference solution, one of its function bodies, or one of its
    distinctive lines?"""
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in edition.rglob("*")
             if p.is_file() and p.suffix not in (".npz",)}
    flat = {p: " ".join(ast.unparse(ast.parse(t)).split()) if p.suffix == ".py" else t for p, t in texts.items()}
    stubs = {line.strip() for p in (ROOT / "exercises").glob("*.py") for line in p.read_text().splitlines()}
    stub_bodies = {b for p in (ROOT / "exercises").glob("*.py") for b in function_bodies(p.read_text())}
    checked = 0
    for solution in sorted((ROOT / "solutions").glob("*.py")):
        source = solution.read_text()
        assert source not in texts.values()
        for body in set(function_bodies(source)) - stub_bodies:
            checked += 1
            holders = [str(p.relative_to(edition)) for p, text in flat.items() if body in text]
            assert not holders, f"{solution.name}: {body[:80]} in {holders}"
        lines = {line.strip() for line in source.splitlines()
                 if len(line.strip()) >= 16 and not line.strip().startswith(("#", '"', "'"))} - stubs
        for path, text in texts.items():  # the suites too: they load recorded answers, they compute none
            assert not lines & {line.strip() for line in text.splitlines()}, path
    assert checked > 30  # every solution function was looked for


def test_no_hidden_test_is_left_and_the_manifest_counts_them(edition, course):
    """Is every test of a hidden task cut from the suites, no `reference` left, and does hidden.json hold the
    number of hidden tests the kit has, task by task?"""
    hidden = {t.key for t in course.tasks() if t.visibility is Visibility.HIDDEN}
    for suite in sorted((edition / "autograder" / "suites").glob("test_*.py")):
        exercise = suite.stem.removeprefix("test_")
        tasks = set(re.findall(r"@pytest\.mark\.task\(\"([^\"]+)\"\)", suite.read_text()))
        assert not {f"{exercise}.{t}" for t in tasks} & hidden, suite.name
        assert "reference" not in {a.arg for n in ast.walk(ast.parse(suite.read_text()))
                                   if isinstance(n, ast.FunctionDef) for a in n.args.args}
    kit = count_tests(sorted((ROOT / "autograder" / "suites").glob("test_*.py")))
    manifest = json.loads((edition / "autograder" / "suites" / "hidden.json").read_text())["tests"]
    assert manifest == {key: n for key, n in kit.items() if key in hidden}
    assert set(manifest) == hidden


def test_nngrade_check_works_inside_the_edition_and_reports_the_hidden_tests(edition):
    """Does `nngrade check gates` in the edition grade the stubs, say how many hidden tests will run, and give the
    reference solutions every public point?"""
    manifest = json.loads((edition / "autograder" / "suites" / "hidden.json").read_text())["tests"]
    hidden_gates = sum(n for key, n in manifest.items() if key.startswith("gates."))
    done = in_edition(edition, "check", "gates")
    assert done.returncode == 0, done.stderr
    assert "Total: 0 / 7 points" in done.stdout
    assert f"{hidden_gates} hidden tests did not run here" in done.stdout.replace("\n", " ")
    solved = in_edition(edition, "check", "gates", "softmax", "--path", str(ROOT / "solutions"))
    assert solved.returncode == 0, solved.stderr
    assert "(100.0%)" in solved.stdout
    listed = in_edition(edition, "list")
    assert listed.returncode == 0 and "perceptron-batch" in listed.stdout  # hidden tasks stay listed


def test_the_edition_ships_the_worked_examples_its_exercises_cite(edition):
    """Are both worked-examples documents in the edition as in the kit, and does `nngrade docs` show a section
    there, as the exercises' docstrings say it will?"""
    for name in ("worked-examples.md", "worked-examples.ko.md"):
        assert (edition / "autograder" / "docs" / name).read_bytes() == (ROOT / "autograder" / "docs" / name).read_bytes()
    assert "(`nngrade docs 5`)" in (edition / "exercises" / "backprop.py").read_text(encoding="utf-8")
    suite = (edition / "autograder" / "suites" / "test_mnist.py").read_text(encoding="utf-8")
    assert "recorded answers" in suite.split('"""', 2)[2][:300]  # the kit's docstring speaks of formulas
    shown = in_edition(edition, "docs", "5")
    assert shown.returncode == 0 and "Backpropagation by hand" in shown.stdout and "0.29959556" in shown.stdout


def test_the_workflow_is_valid_yaml_with_the_expected_steps(edition):
    """Is nngrade.yml valid YAML whose job checks out, sets up Python, installs the kit, grades exercises with
    JUnit output and writes the score to the job summary?"""
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((edition / ".github" / "workflows" / "nngrade.yml").read_text())
    assert workflow["name"] == "nngrade" and "push" in workflow[True]  # YAML 1.1 reads the key `on` as True
    steps = workflow["jobs"]["grade"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    runs = " ".join(s.get("run", "") for s in steps)
    assert any(u.startswith("actions/checkout@") for u in uses)
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert "pip install ." in runs
    assert "nngrade grade exercises --format junit" in runs and '--summary "$GITHUB_STEP_SUMMARY"' in runs


def test_the_readme_is_for_students(edition, course):
    """Does the edition's README say how to check, list every exercise and give the hidden-test count?"""
    readme = (edition / "README.md").read_text()
    total = sum(json.loads((edition / "autograder" / "suites" / "hidden.json").read_text())["tests"].values())
    assert "nngrade check" in readme and f"{total} hidden tests" in readme
    assert all(f"exercises/{e.module}.py" in readme for e in course.exercises)
    assert "solutions" not in readme.lower()


def test_release_refuses_a_folder_that_is_not_empty(tmp_path):
    """Does release refuse to write into a non-empty folder (exit 6, the folder untouched) unless --force?"""
    (tmp_path / "mine.txt").write_text("keep me")
    result = CliRunner().invoke(main, ["--course", str(ROOT / "course.toml"), "release", str(tmp_path)])
    assert result.exit_code == ExitCode.OUTPUT_FAILED and "not empty" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


STRIP_ME = '''\
import pytest

SHARED = 1
ONLY_HIDDEN = [1, 2]


def helper_for_hidden(x):
    return x + ONLY_HIDDEN[0]


@pytest.fixture
def hidden_fixture():
    return 3


@pytest.mark.task("public")
def test_public(student):
    assert SHARED


# the hidden tests, against the reference
@pytest.mark.task("secret")
@pytest.mark.parametrize("x", ONLY_HIDDEN)
def test_secret(student, reference, hidden_fixture, x):
    assert helper_for_hidden(x) == SHARED
'''


def test_strip_hidden_cuts_hidden_tests_and_the_helpers_only_they_used():
    """Does stripping remove the hidden test, its comment, and the helpers, constants and fixtures only it used,
    and keep what public tests use?"""
    text, cut = strip_hidden(STRIP_ME, {"secret"})
    assert cut == 1
    compile(text, "stripped.py", "exec")
    for gone in ("test_secret", "helper_for_hidden", "ONLY_HIDDEN", "hidden_fixture", "against the reference"):
        assert gone not in text
    assert "SHARED = 1" in text and "def test_public" in text and "import pytest" in text


def test_the_edition_keeps_every_catalogued_mistake_but_withholds_all_wrong_code(edition):
    """Does the edition's catalog keep every code, title and hint, and blank every wrong implementation (some give
    the right answer on some inputs; the edition names mistakes from recorded values)?"""
    from autograder.editions.release import WITHHELD
    from autograder.tomlcompat import tomllib

    withheld = 0
    for kit in sorted((ROOT / "autograder" / "mistakes").glob("*.toml")):
        ours = {m["code"]: m for m in tomllib.loads(kit.read_text(encoding="utf-8"))["mistake"]}
        theirs = {m["code"]: m for m in tomllib.loads(
            (edition / "autograder" / "mistakes" / kit.name).read_text(encoding="utf-8"))["mistake"]}
        assert set(theirs) == set(ours), kit.name
        for code, mistake in theirs.items():
            assert mistake["hint"] == ours[code]["hint"] and mistake["title"] == ours[code]["title"]
            assert mistake["wrong"] == WITHHELD.format(function=ours[code]["function"]), code
            withheld += 1
    assert withheld > 50
