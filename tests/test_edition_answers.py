"""The student edition holds answers as data, never the code that computes them (issue 15, item 1).

`nngrade release` records what the public tests expect from the reference solutions, ships the
recording, and withholds every formula: the suites' @oracle bodies and every catalogued wrong
implementation. These tests build an edition and check that it grades like the kit, that its
code computes no answer, and that a student who copies a function out of it gains nothing.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import CASES, ROOT, case_folder

from autograder.editions.release import WITHHELD_BODY, build, leaks, withhold_oracles
from autograder.grading import recorded

SLOW = pytest.mark.slow  # builds an edition or grades with one (test_release.py keeps one build in the fast loop)

GRADE_MANY = """\
import json, sys
from pathlib import Path
from autograder.course import load_course
from autograder.grading.grade import grade_folder
course = load_course(Path(sys.argv[1]))
out = {}
for exercise, folder in json.loads(sys.argv[2]):
    card = grade_folder(course.select([exercise]), Path(folder), include_hidden=False, data_dir=None)
    out[folder] = sorted([t.name, t.status.value, t.code or ""] for t in card.tests)
print(json.dumps(out))
"""


def grade_public(package: Path, jobs: list[tuple[str, Path]]) -> dict[str, list[list[str]]]:
    """Public tests, per submission folder: (test, status, feedback code), graded by the package in `package`."""
    env = {**os.environ, "PYTHONPATH": str(package), "PYTHONDONTWRITEBYTECODE": "1", recorded.STRICT_ENV: "1"}
    env.pop("NNGRADE_COURSE", None)
    env.pop("NNGRADE_DATA", None)  # the same tests on both sides: real-data ones not run
    done = subprocess.run([sys.executable, "-c", GRADE_MANY, str(package / "course.toml"),
                           json.dumps([[e, str(f)] for e, f in jobs])],
                          capture_output=True, text=True, env=env, cwd=package, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, list[list[str]]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def edition(tmp_path_factory, course) -> Path:
    return build(course, tmp_path_factory.mktemp("answers") / "edition").folder


@SLOW
def test_the_edition_ships_answers_and_no_formula(edition):
    """Are the answers JSON files (no pickle anywhere), every oracle body withheld, and every wrong implementation
    blanked?"""
    answers = sorted((edition / "autograder" / "suites" / "answers").glob("*.json"))
    assert [p.stem for p in answers] == ["activations", "backprop", "forward", "gates", "mnist", "softmax"]
    for path in answers:
        data = json.loads(path.read_text())
        assert data["format"] == recorded.FORMAT and data["answers"]
    assert not [p for p in edition.rglob("*") if p.suffix in (".pkl", ".pickle")]
    for suite in (edition / "autograder" / "suites").glob("test_*.py"):
        tree = ast.parse(suite.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and any("oracle" in ast.unparse(d) for d in node.decorator_list):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                assert [ast.unparse(b) for b in body] == [ast.unparse(ast.parse(WITHHELD_BODY).body[0])], node.name
    from autograder.tomlcompat import tomllib
    for path in (edition / "autograder" / "mistakes").glob("*.toml"):
        for mistake in tomllib.loads(path.read_text())["mistake"]:
            assert "raise NotImplementedError" in mistake["wrong"] and "np." not in mistake["wrong"], mistake["code"]


@SLOW
def test_the_judges_formulas_are_gone(edition):
    """Are the judge's network, its stable sigmoid and the catalog's namespaces gone from the edition's suites?"""
    text = "\n".join(p.read_text() for p in (edition / "autograder" / "suites").glob("test_*.py"))
    for gone in ("def judge_forward", "def judge_backward", "def stable_sigmoid", "np.asarray(W_h) @ np.asarray(x)",
                 "logaddexp", "namespace=", "def read_idx", "def _classic_gate", "def _softmax", "def sigmoid(", "def network_loss"):
        assert gone not in text, gone


@SLOW
def test_no_solution_line_anywhere_suites_included(edition, course):
    """Does no line of the reference solutions (but the stubs') appear in any file, the suites included?"""
    assert leaks(edition, course) == []


@SLOW
def test_release_catches_a_formula_left_in_a_suite(edition, course, tmp_path):
    """Would release refuse an edition whose suite kept the judge's forward pass (a fabricated leak)?"""
    suite = edition / "autograder" / "suites" / "test_backprop.py"
    original = suite.read_text()
    try:
        suite.write_text(original + textwrap.dedent("""

            def judge_forward(x, W_h, W_o):
                z_h = np.asarray(W_h) @ np.asarray(x)
                return z_h
            """))
        assert any("z_h = np.asarray(W_h) @ np.asarray(x)" in line for line in leaks(edition, course))
    finally:
        suite.write_text(original)


@SLOW
def test_the_edition_grades_the_reference_in_full_and_the_stubs_zero(edition):
    """Does the edition, answering from its recording, give the solutions every public test and the stubs none?"""
    jobs = [(e, ROOT / "solutions") for e in ("gates", "activations", "forward", "softmax", "backprop", "mnist")]
    solved = grade_public(edition, jobs)[str(ROOT / "solutions")]
    assert solved and all(status == "passed" for _, status, _ in solved if status != "not-run"), solved
    stubs = grade_public(edition, [("backprop", ROOT / "exercises"), ("mnist", ROOT / "exercises")])
    assert all(status != "passed" for _, status, _ in stubs[str(ROOT / "exercises")])


@SLOW
def test_golden_cases_get_the_same_public_outcome_and_codes(edition):
    """Does every golden case get, test by test, the same public outcome and feedback code from the edition (its
    answers and mistakes recorded) as from the kit (computing them)?"""
    jobs = [(p.parent.name, case_folder(p)) for p in sorted(CASES.glob("*/*")) if (p / "expected.json").is_file()]
    kit, ours = grade_public(ROOT, jobs), grade_public(edition, jobs)
    assert len(kit) == len(jobs) > 60
    differ = {folder: [a for a in ours[folder] if a not in kit[folder]] for folder in kit if kit[folder] != ours[folder]}
    assert not differ, differ


ORACLE_SUITE = '''\
import numpy as np
import numpy as np
import pytest

from autograder.grading.recorded import oracle

CATALOG = None


def judge_sigmoid(z):
    return 1 / (1 + np.exp(-z))


# the wrong sigmoid needs the judge's
HELPERS = {"sigmoid": judge_sigmoid}


@oracle
def expected(x):
    """The sigmoid of x."""
    # a comment about the formula
    return judge_sigmoid(x)


@oracle(key=lambda path: path)
def expected_from(path,
                  scale=1.0):
    return judge_sigmoid(np.load(path)) * scale


@pytest.mark.task("values")
def test_values(student, expect):
    x = np.array([0.0, 1.0])
    expect.close(student.sigmoid(x), expected(x), mistakes=CATALOG.on("sigmoid", x, namespace=HELPERS))
    expect.close(student.sigmoid(x), expected_from("x.npy", scale=1.0))
'''


def test_withhold_oracles_cuts_bodies_namespaces_and_the_helpers_left_unused():
    """Does withholding replace each oracle's body (docstring kept), drop `namespace=` and then the judge's helpers
    nothing uses any more, and leave valid Python?"""
    text, n = withhold_oracles(ORACLE_SUITE)
    compile(text, "suite.py", "exec")
    assert n == 2 and "def expected_from(path,\n                  scale=1.0):\n    raise" in text
    for gone in ("judge_sigmoid", "HELPERS", "np.exp", "namespace", "a comment about the formula", "np.load"):
        assert gone not in text, gone
    assert '"""The sigmoid of x."""' in text and text.count(WITHHELD_BODY) == 2
    assert 'CATALOG.on("sigmoid", x)' in text and "def test_values" in text


@SLOW
def test_the_kits_suites_compute_answers_and_the_editions_do_not(course, tmp_path):
    """Does the second proof find the judge's formulas in the kit's suites as they are (judge_forward answers
    mlp_forward, stable_sigmoid answers sigmoid, a perceptron with >= passes the truth tables), and nothing in
    the edition built from them?"""
    from autograder.editions import release

    staging = tmp_path / "staging"
    staging.mkdir()
    release._assemble(course, staging, release.edition_stubs(course)[0])
    calls = tmp_path / "calls.jsonl"
    release.record_answers(staging, course, calls)
    answers = staging / release.ANSWERS
    kept = tmp_path / "answers"
    answers.rename(kept)  # without recorded answers the package computes: the kit's suites
    found = release.answer_functions(staging, calls)
    for expected in ("test_backprop.py: judge_forward returns the answer of mlp_forward",
                     "test_activations.py: stable_sigmoid returns the answer of sigmoid",
                     "mistakes/gates.toml: perceptron-boundary returns the answer of perceptron"):
        assert any(line.startswith(expected) for line in found), expected
    kept.rename(answers)
    release.withhold_answers(staging)
    release.withhold_mistakes(staging)
    assert release.answer_functions(staging, calls) == []


COPY_GRADE = """\
import ast, json, sys, tempfile
from pathlib import Path
from autograder.course import load_course
from autograder.grading.grade import grade_folder

edition, stubs = Path(sys.argv[1]), Path(sys.argv[2])
course = load_course(edition / "course.toml")

def accepts(node, n):
    a = node.args
    positional = len(a.posonlyargs) + len(a.args)
    required = positional - len(a.defaults)
    return required <= n and (n <= positional or a.vararg is not None) and not [
        k for k, d in zip(a.kwonlyargs, a.kw_defaults) if d is None]

def submission(copied):
    # every stub function whose arity the copied function accepts now calls it (its signature adapted)
    folder = Path(tempfile.mkdtemp())
    for stub in stubs.glob("*.py"):
        text = stub.read_text()
        tree = ast.parse(text)
        if copied is not None:
            text += "\\n\\n" + copied[1] + "\\n"
            for node in tree.body:
                if isinstance(node, ast.FunctionDef):
                    params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
                    if copied[0] is None:
                        text += f"\\ndef {node.name}(*args, **kwargs):\\n    raise ValueError('no')\\n"
                    elif accepts(copied[0], len(params)):
                        text += (f"\\ndef {node.name}({', '.join(params)}, *args, **kwargs):\\n"
                                 f"    return _copied({', '.join(params)})\\n")
        (folder / stub.name).write_text(text)
    return folder

def passed(copied):
    card = grade_folder(course, submission(copied), include_hidden=False, data_dir=None)
    return sorted(t.exercise + "::" + t.name for t in card.tests if t.status.value == "passed")

candidates = []
for suite in sorted((edition / "autograder" / "suites").glob("test_*.py")):
    source = suite.read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("test"):
            label = f"{suite.name}: {node.name}"
            node.decorator_list = []  # the function pasted, not the judge's decorators
            node.name = "_copied"
            candidates.append((label, node, ast.unparse(node)))
result = {"stubs": passed(None), "raise ValueError": passed((None, "")), "copied": {}}
for label, node, text in candidates:
    result["copied"][label] = passed((node, text))
print(json.dumps(result))
"""


@SLOW
def test_a_function_copied_out_of_the_edition_gains_no_points(edition):
    """Does a submission of the stubs with any one function of the edition's suites pasted in, every exercise
    function whose arguments it takes calling it, pass no public test that the stubs (or a bare
    `raise ValueError`, all the bad-file tests ask for) do not pass?"""
    env = {**os.environ, "PYTHONPATH": str(edition), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("NNGRADE_DATA", None)
    done = subprocess.run([sys.executable, "-c", COPY_GRADE, str(edition), str(ROOT / "exercises")],
                          capture_output=True, text=True, env=env, cwd=edition, timeout=3000)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    baseline = set(result["stubs"]) | set(result["raise ValueError"])
    assert len(result["copied"]) > 40
    gained = {label: sorted(set(tests) - baseline) for label, tests in result["copied"].items()}
    assert not {label: tests for label, tests in gained.items() if tests}


@SLOW
def test_release_refuses_an_edition_whose_suites_keep_their_oracles(course, tmp_path, monkeypatch):
    """Were the oracles' bodies left in the suites, would release refuse (exit through ReleaseError, no folder
    written), naming a function of the edition that answers a graded function?"""
    from autograder.editions import release

    monkeypatch.setattr(release, "withhold_answers", lambda root: 0)
    target = tmp_path / "edition"
    with pytest.raises(release.ReleaseError, match="the edition would compute answers: .* returns the answer of"):
        build(course, target)
    assert not target.exists() and [p.name for p in tmp_path.iterdir()] == []


def test_recorded_values_round_trip_exactly_and_keys_refuse_what_they_cannot_name():
    """Do arrays (dtype, shape, bytes), numpy scalars, exact floats (NaN too), tuples, dicts with non-string keys
    and catalogued mistakes survive JSON unchanged, do equal inputs share a key and do a lambda or an object array
    get refused rather than keyed by accident?"""
    from autograder.grading.compare import Mistake

    value = {"z": np.arange(6, dtype=np.float32).reshape(2, 3), 3: (np.int64(7), 0.1, float("nan"), None, "s"),
             "m": [Mistake("leaky-relu-alpha", np.array([1.0]), exercise="activations", titles={"en": "a", "ko": "b"},
                           functions=("leaky_relu",))]}
    back = recorded.decode(json.loads(json.dumps(recorded.encode(value))))
    assert set(back) == {"z", 3, "m"} and back["z"].dtype == np.float32 and back["z"].shape == (2, 3)
    assert np.array_equal(back["z"], value["z"]) and back[3][:2] == (7, 0.1) and np.isnan(back[3][2])
    assert back[3][3:] == (None, "s") and back["m"][0] == value["m"][0] and back["m"][0].functions == ("leaky_relu",)
    assert recorded.key_of(np.array([1.0, 2.0])) == recorded.key_of(np.array([1.0, 2.0]))
    assert recorded.key_of(np.array([1.0, 2.0])) != recorded.key_of(np.array([1.0, 2.0], dtype=np.float32))
    assert recorded.key_of([1, 2]) != recorded.key_of((1, 2))
    for unkeyable in (lambda x: x, np.array([object()])):
        with pytest.raises(recorded.Unkeyable):
            recorded.key_of(unkeyable)


def test_recorded_answers_are_given_only_inside_a_judges_test(monkeypatch):
    """Is a lookup refused outside a running test (an oracle copied out of the edition answers nothing)?"""
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    with pytest.raises(recorded.AnswerMissing, match="only to the judge's tests"):
        recorded.lookup("gates", "anything", recorded.key_of(1))
