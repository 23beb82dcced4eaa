"""The nngrade command as users and CI call it: outputs, exit codes, clear errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import ROOT

from autograder.cli.main import main
from autograder.errors import ExitCode


def test_check_on_stubs_exits_zero_with_one_line_per_function(cli):
    """Does `nngrade check gates` on the stubs exit 0, score 0 and list each unimplemented function once?"""
    result = cli("check", "gates")
    assert result.exit_code == 0, result.output
    assert "Total: 0 / " in result.output
    for function in ("perceptron", "AND", "NAND", "OR", "XOR"):
        assert result.output.count(f"gates.{function}()") == 1
    assert "Traceback" not in result.output
    assert "hidden tests did not run here" in result.output


def test_check_solutions_shows_full_marks(cli, course):
    """Does `nngrade check --solutions gates activations` report every public point?"""
    result = cli("check", "--solutions", "gates", "activations")
    assert result.exit_code == 0, result.output
    public = sum(t.points for e in course.exercises if e.id in ("gates", "activations")
                 for t in e.tasks if t.visibility.value == "public")
    assert f"Total: {public:g} / {public:g} points (100.0%)" in result.output


def test_list_shows_tasks_and_points(cli, course):
    """Does `nngrade list` show every exercise and task with its points?"""
    result = cli("list")
    assert result.exit_code == 0
    for exercise in course.exercises:
        assert exercise.id in result.output
        for task in exercise.tasks:
            assert task.id in result.output


def test_grade_json_scorecard_fields(cli):
    """Does `nngrade grade PATH --format json` print the documented fields for every test?"""
    result = cli("grade", str(ROOT / "exercises"), "-e", "gates", "--format", "json")
    assert result.exit_code == 0
    card = json.loads(result.stdout)
    assert card["score"] == 0 and card["max_score"] == 10
    assert card["tests"]
    for test in card["tests"]:
        assert {"exercise", "task", "name", "status", "score", "max_score", "code", "message", "hint"} <= set(test)
        assert test["status"] == "not-implemented"
        assert test["hint"] is None


def test_grade_counts_hidden_tests(cli):
    """Does `grade` run the hidden tests that `check` leaves out?"""
    graded = json.loads(cli("grade", str(ROOT / "solutions"), "-e", "gates", "-f", "json").stdout)
    checked = json.loads(cli("grade", str(ROOT / "solutions"), "-e", "gates", "-f", "json", "--public-only").stdout)
    assert graded["score"] == graded["max_score"] == 10
    assert checked["hidden_not_run"] > 0
    assert len(graded["tests"]) == len(checked["tests"]) + checked["hidden_not_run"]


def test_fail_under_sets_the_exit_code(cli):
    """Does --fail-under make CI fail below the threshold and pass at or above it?"""
    assert cli("grade", str(ROOT / "exercises"), "-e", "gates", "-f", "json", "--fail-under", "50").exit_code == 1
    assert cli("grade", str(ROOT / "solutions"), "-e", "gates", "-f", "json", "--fail-under", "100").exit_code == 0


def test_output_file_is_written_atomically(cli, tmp_path):
    """Does --output write the JSON to the file and leave no temporary file behind?"""
    target = tmp_path / "result.json"
    result = cli("grade", str(ROOT / "solutions"), "-e", "gates", "-f", "json", "-o", str(target))
    assert result.exit_code == 0
    assert json.loads(target.read_text())["score"] == 10
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_unwritable_output_is_a_clear_error(cli, tmp_path):
    """Does an output path in a missing folder give exit code 6 and a message, not a traceback?"""
    result = cli("grade", str(ROOT / "solutions"), "-e", "gates", "-f", "json", "-o", str(tmp_path / "no" / "r.json"))
    assert result.exit_code == ExitCode.OUTPUT_FAILED
    assert "Cannot write the results" in result.output


@pytest.mark.parametrize("args,code,words", [
    (["grade", "/nonexistent/submission"], ExitCode.SUBMISSION_INVALID, "does not exist"),
    (["check", "no-such-exercise"], ExitCode.USAGE, "is not an exercise of this course"),
    (["grade", str(ROOT / "tests")], ExitCode.SUBMISSION_INVALID, "none of the course's modules"),
    (["grade", str(ROOT / "solutions"), "--format", "yaml"], ExitCode.USAGE, "Invalid value"),
])
def test_bad_input_gets_a_message_and_its_exit_code(cli, args, code, words):
    """Does each kind of bad input get its own exit code and a message that says what is wrong?"""
    result = cli(*args)
    assert result.exit_code == code, result.output
    assert words in result.output
    assert "Traceback" not in result.output


def test_broken_course_toml_names_the_file_and_key(tmp_path):
    """Does a wrong course.toml give exit code 3 and a message naming the file and the key?"""
    bad = tmp_path / "course.toml"
    bad.write_text('format = 1\nname = "x"\n[[exercises]]\nid = "gates"\n[[exercises.tasks]]\nid = "a"\npoints = "two"\n')
    result = CliRunner().invoke(main, ["--course", str(bad), "list"])
    assert result.exit_code == ExitCode.COURSE_INVALID
    assert str(bad) in result.output and "points" in result.output and "expected float" in result.output


def test_python_dash_m_autograder_is_the_same_command():
    """Does `python -m autograder list` work like `nngrade list`?"""
    env = {**os.environ, "NNGRADE_COURSE": str(ROOT / "course.toml")}
    done = subprocess.run([sys.executable, "-m", "autograder", "list"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "gates" in done.stdout and "activations" in done.stdout


def test_commands_share_common_and_no_private_names():
    """Do the command modules import cli.common, never cli.main (no cycle), and does no module of the package
    import another's private (_underscored) name?"""
    import ast

    for path in sorted((ROOT / "autograder").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autograder"):
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.endswith("__")]
                assert not private, f"{path.relative_to(ROOT)} imports {private} from {node.module}"
                # launch.py (the console script) and server.py (the check server) run the click group: not commands.
                if path.parent.name == "cli" and path.name not in ("main.py", "launch.py", "server.py"):
                    assert node.module != "autograder.cli.main", f"{path.name} imports the click group's module"


def test_every_error_in_the_exit_code_table_exists():
    """Does each name in cli.common.EXIT_CODES still name a class where it says (a moved class would fall to 70)?

    Read from the source, not imported: some of these modules need an optional extra (nbgrader's nbformat).
    """
    import ast
    import builtins

    from autograder.cli.common import EXIT_CODES

    for name in EXIT_CODES:
        module, _, qualname = name.rpartition(".")
        if module == "builtins":
            assert issubclass(getattr(builtins, qualname), BaseException), name
            continue
        path = ROOT / (module.replace(".", "/") + ".py")
        classes = {node.name for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                   if isinstance(node, ast.ClassDef)}
        assert qualname in classes, f"{name}: no class {qualname} in {path}"
