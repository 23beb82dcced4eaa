"""nbgrader: the export steps, and the proof with the real tool.

In a temporary course directory: `nngrade nbgrader export` -> `nbgrader generate_assignment`
-> submissions from the solutions, from known-wrong variants and with an infinite loop
-> `nbgrader autograde` -> the gradebook agrees with `nngrade grade` on the same code ->
`nbgrader generate_feedback` carries the kit's feedback. nbgrader runs in subprocesses of
this interpreter, never touching the network.
"""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -e \".[nbgrader]\"")

import nbformat
from click.testing import CliRunner
from conftest import CASES, ROOT, case_folder, real_data
from nbgrader.api import Gradebook
from nbgrader.nbgraderformat import MetadataValidator

from autograder.cli.main import main
from autograder.grading.notebook_source import notebook_submission
from autograder.notebooks.nbgrader_export import (
    STEPS,
    ExportError,
    answer_source,
    build_notebook,
    export,
    intro_markdown,
    nbgrader_metadata,
    solution_bodies,
    sources,
    task_cell_source,
    validated,
)

EXERCISES = ("gates", "activations")
ASSIGNMENT = "nngrade"


def functions(source: str) -> dict[str, tuple[str, str | None]]:
    """name -> (arguments, docstring) of a module's top-level functions."""
    tree = ast.parse(source)
    return {f.name: (ast.unparse(f.args), ast.get_docstring(f)) for f in tree.body if isinstance(f, ast.FunctionDef)}


def released(answer: str) -> str:
    """What nbgrader's ClearSolutions makes of a solution region (its default Python stub)."""
    return re.sub(r"(?m)^( *)### BEGIN SOLUTION\n(?:.*\n)*?\1### END SOLUTION$",
                  r"\1# YOUR CODE HERE\n\1raise NotImplementedError()", answer)


# --- the steps ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def all_sources(course):
    return {src.exercise.id: src for src in sources(course)}


def test_answer_cell_releases_to_the_stub(all_sources):
    """With its solution regions cleared, does every answer cell define the stub's functions, signatures and
    docstrings, with one region per function?"""
    for src in all_sources.values():
        answer = answer_source(src.stub, src.solution)
        assert answer.count("### BEGIN SOLUTION") == answer.count("### END SOLUTION") == len(functions(src.stub))
        assert functions(released(answer)) == functions(src.stub)
        assert ast.get_docstring(ast.parse(answer)) is None  # the module docstring went to the markdown


def test_private_helpers_are_inlined_where_used(all_sources):
    """Are the solution's private helpers, constants and imports the stub lacks defined inside the functions
    that use them (so the release has none of them)?"""
    bodies = solution_bodies(all_sources["forward"].stub, all_sources["forward"].solution)
    assert "def _sigmoid" in bodies["forward"] and "_ACTIVATIONS = {" in bodies["forward"]
    assert "from functools import reduce" in bodies["collapse_linear"]
    assert "_ACTIVATIONS" not in bodies["dense"]


def test_answer_cells_score_full_marks(course, grade, all_sources, tmp_path):
    """Does the source notebook's answer cell, graded as a module, earn every point of every exercise?"""
    for src in all_sources.values():
        (tmp_path / f"{src.exercise.module}.py").write_text(answer_source(src.stub, src.solution), encoding="utf-8")
    card = grade(tmp_path, data_dir=real_data())
    failing = [(t.exercise, t.name, t.message) for t in card.tests if t.status.value not in ("passed", "not-run")]
    assert not failing and card.score == card.max_score


def test_a_solution_statement_that_defines_nothing_is_refused():
    """Does a top-level statement that binds no name (it cannot be placed in a function) raise ExportError?"""
    stub = 'def f():\n    """Doc."""\n    raise NotImplementedError\n'
    with pytest.raises(ExportError, match="line 1"):
        solution_bodies(stub, 'print("hi")\ndef f():\n    return 1\n')


def test_intro_teaches_the_worked_example_and_the_grading(course, all_sources):
    """Does the markdown carry the title, source, the stub's docstring, each function and each task's points?"""
    src = all_sources["gates"]
    text = intro_markdown(course, src.exercise, src.stub)
    assert text.startswith("# Logic gates with perceptrons") and src.exercise.source in text
    assert "XOR is not linearly separable" in text and "- `perceptron(x, w, b)`:" in text
    assert "| `perceptron-batch` (hidden) | 2 |" in text
    # a notebook's student has no `nngrade docs`: the worked examples are the file exported beside it
    assert "worked-examples.md (§1)" in text and "worked-examples.ko.md (§1)" in text and "nngrade docs" not in text


def test_task_cells(course):
    """Does a public task's cell call check_task, and a hidden one only inside the hidden-test region?"""
    public, hidden = course.task("gates", "xor"), course.task("gates", "perceptron-batch")
    assert task_cell_source(public).endswith("check_task('gates', 'xor')")
    lines = task_cell_source(hidden).split("\n")
    start, end = lines.index("### BEGIN HIDDEN TESTS"), lines.index("### END HIDDEN TESTS")
    assert [i for i, line in enumerate(lines) if "check_task(" in line and "import" not in line] == [start + 1]
    assert end == start + 2


def test_notebook_metadata_and_cells(course, all_sources):
    """Does the built notebook validate (nbformat and nbgrader), mark its exercise, and give each task one locked
    graded cell with the task's points and grade_id?"""
    src = all_sources["activations"]
    nb = build_notebook(src)
    nbformat.validate(nb)
    MetadataValidator().validate_nb(nb)
    assert nb.metadata["nngrade"] == {"exercise": "activations"}
    graded = [c.metadata["nbgrader"] for c in nb.cells if c.metadata["nbgrader"]["grade"]]
    assert [(m["grade_id"], m["points"], m["locked"]) for m in graded] == [
        (t.id, t.points, True) for t in src.exercise.tasks]
    answers = [c for c in nb.cells if c.metadata["nbgrader"]["solution"]]
    assert len(answers) == 1 and answers[0].cell_type == "code" and not answers[0].metadata["nbgrader"]["grade"]


def test_steps_are_declared_in_order():
    """Is the export a declared list of steps ending with validation?"""
    assert [s.__name__ for s in STEPS] == ["with_metadata", "with_intro", "with_answer", "with_tests", "validated"]


def test_validation_refuses_duplicate_grade_ids(all_sources):
    """Does the validation step refuse a notebook whose grade_ids repeat?"""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1", metadata=nbgrader_metadata("x", grade=True, points=1))
                for _ in range(2)]
    with pytest.raises(ExportError, match="'x' appears twice"):
        validated(nb, all_sources["gates"])
    with pytest.raises(ExportError, match="grade_id"):
        nbgrader_metadata("has space")


def test_export_writes_notebooks_and_keeps_an_existing_config(course, tmp_path):
    """Does export write source/<assignment>/<id>.ipynb, a config only when there is none, and never touch one?"""
    first = export(course.select(["gates"]), tmp_path, "week1")
    assert first.notebooks == (tmp_path / "source" / "week1" / "gates.ipynb",)
    assert [p.name for p in first.documents] == ["worked-examples.ko.md", "worked-examples.md"]
    assert all(p.read_bytes() == (ROOT / "autograder" / "docs" / p.name).read_bytes() for p in first.documents)
    assert first.config == tmp_path / "nbgrader_config.py" and "get_config()" in first.config.read_text()
    first.config.write_text("c = get_config()  # mine\n")
    assert export(course.select(["gates"]), tmp_path, "week1").config is None
    assert first.config.read_text() == "c = get_config()  # mine\n"


def test_export_command(tmp_path):
    """Does `nngrade nbgrader export DIR -e gates` write the notebook and say what to run next, and a bad
    assignment name exit 3 with one line?"""
    runner = CliRunner()
    base = ["--course", str(ROOT / "course.toml"), "nbgrader", "export", str(tmp_path)]
    result = runner.invoke(main, [*base, "-e", "gates"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "source" / "nngrade" / "gates.ipynb").is_file()
    assert "nbgrader generate_assignment nngrade" in result.output
    bad = runner.invoke(main, [*base, "--assignment", "a b"])
    assert bad.exit_code == 3 and "cannot be an nbgrader assignment name" in bad.output


# --- the real nbgrader -------------------------------------------------------------------

@dataclass
class NbgraderCourse:
    """A temporary nbgrader course after export, release, submissions, autograde and feedback."""

    root: Path
    code: dict[str, dict[str, Path]]
    """student -> exercise -> the .py file whose code was put in the answer cell."""
    seconds: dict[str, float]


STUDENTS = {
    "alice": {e: ROOT / "solutions" / f"{e}.py" for e in EXERCISES},
    "bob": {"gates": case_folder(CASES / "gates" / "xor_is_or") / "gates.py",
            "activations": case_folder(CASES / "activations" / "naive_sigmoid") / "activations.py"},
}
EXTRA_CELLS = {"alice": ["%load_ext autoreload\n!echo scratch", "print(undefined_name)"]}
"""Cells a student adds: a magic and a shell line, and a scratch cell that fails in the kernel."""


def nbgrader(root: Path, env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return time.perf_counter() - started


def submit(root: Path, student: str, exercise: str, code: str, extra: list[str]) -> None:
    """The released notebook with its answer cell filled in, as nbgrader expects a submission."""
    nb = nbformat.read(str(root / "release" / ASSIGNMENT / f"{exercise}.ipynb"), as_version=4)
    answer = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    nb.cells[answer].source = code
    nb.cells[answer + 1:answer + 1] = [nbformat.v4.new_code_cell(s) for s in extra]
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / f"{exercise}.ipynb"))


@pytest.fixture(scope="module")
def nbgrader_course(tmp_path_factory, course) -> NbgraderCourse:
    root = tmp_path_factory.mktemp("nbgrader-course")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / ".jupyter-config"), "IPYTHONDIR": str(root / ".ipython"),
           "JUPYTER_RUNTIME_DIR": str(root / ".jupyter-runtime"), "PYTHONWARNINGS": "ignore"}
    env.pop("NNGRADE_COURSE", None)  # the kernels must find course.toml and the solutions on their own
    export(course.select(list(EXERCISES)), root, ASSIGNMENT)
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write("c.Execute.timeout = 20\n")
    seconds = {"generate_assignment": nbgrader(root, env, "generate_assignment", ASSIGNMENT)}
    code = {s: dict(files) for s, files in STUDENTS.items()}
    looping = root / "looping_gates.py"
    looping.write_text((ROOT / "solutions" / "gates.py").read_text(encoding="utf-8").replace(
        "    return AND(NAND(x1, x2), OR(x1, x2))", "    while True:\n        pass"), encoding="utf-8")
    code["carol"] = {"gates": looping}
    for student, files in code.items():
        for exercise, path in files.items():
            submit(root, student, exercise, path.read_text(encoding="utf-8"), EXTRA_CELLS.get(student, []))
    seconds["autograde"] = nbgrader(root, env, "autograde", ASSIGNMENT)
    seconds["generate_feedback"] = nbgrader(root, env, "generate_feedback", ASSIGNMENT)
    print(f"\nnbgrader on {len(code)} students: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    return NbgraderCourse(root, code, seconds)


def gradebook_tasks(root: Path, student: str) -> dict[tuple[str, str], float]:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        submission = gb.find_submission(ASSIGNMENT, student)
        return {(nb.name, g.name): g.score for nb in submission.notebooks for g in nb.grades}


def nngrade_tasks(card) -> dict[tuple[str, str], float]:
    return {(e.id, t.task): t.score for e in card.exercises for t in e.tasks}


@pytest.mark.slow
def test_release_holds_stubs_without_solutions_or_hidden_tests(nbgrader_course, course):
    """Does the released notebook give the stub's functions with no solution code and no hidden test call?"""
    for exercise in EXERCISES:
        text = (nbgrader_course.root / "release" / ASSIGNMENT / f"{exercise}.ipynb").read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        answer = next(c.source for c in nb.cells if c.metadata["nbgrader"]["solution"])
        stub = (ROOT / "exercises" / f"{exercise}.py").read_text(encoding="utf-8")
        assert functions(answer) == functions(stub)
        assert "BEGIN SOLUTION" not in text and "include_hidden" not in text and "HIDDEN TESTS" not in text
        solution_line = "return AND(NAND(x1, x2), OR(x1, x2))" if exercise == "gates" else "np.exp(-np.abs(x))"
        assert solution_line not in text
    for document in ("worked-examples.md", "worked-examples.ko.md"):  # what the notebooks' intros cite
        released = nbgrader_course.root / "release" / ASSIGNMENT / document
        assert released.read_bytes() == (ROOT / "autograder" / "docs" / document).read_bytes()


@pytest.mark.slow
def test_gradebook_equals_nngrade_grade_on_the_same_code(nbgrader_course, course, grade):
    """Does every task's autograde score in the gradebook equal `nngrade grade` of the same code, both as .py
    modules and as the submitted notebooks?"""
    for student, files in nbgrader_course.code.items():
        chosen = course.select(list(files))
        folder = nbgrader_course.root / f"modules-{student}"
        folder.mkdir(exist_ok=True)
        for exercise, path in files.items():
            (folder / f"{exercise}.py").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        as_modules = nngrade_tasks(grade(folder, selected=chosen))
        with notebook_submission(nbgrader_course.root / "submitted" / student / ASSIGNMENT, chosen) as sub:
            as_notebooks = nngrade_tasks(grade(sub.folder, selected=chosen))
        autograded = gradebook_tasks(nbgrader_course.root, student)
        assert as_modules.keys() <= autograded.keys()
        assert all(autograded[key] == 0 for key in autograded.keys() - as_modules.keys())  # notebooks not submitted
        for key, points in as_modules.items():
            assert autograded[key] == pytest.approx(points, abs=1e-3), (student, key)
            assert as_notebooks[key] == pytest.approx(points, abs=1e-3), (student, key)


@pytest.mark.slow
def test_the_solutions_get_full_marks_hidden_tasks_included(nbgrader_course, course):
    """Does the solution submission (with a magic and a failing scratch cell) earn every point, hidden tasks
    graded against the reference found from the temporary course directory?"""
    scores = gradebook_tasks(nbgrader_course.root, "alice")
    for exercise in EXERCISES:
        for task in course.exercise(exercise).tasks:
            assert scores[(exercise, task.id)] == task.points, task.key


@pytest.mark.slow
def test_the_buggy_submission_loses_exactly_the_right_tasks(nbgrader_course, course):
    """Do XOR = OR and the naive sigmoid lose points in xor, gate-inputs, stability and random-inputs (its -x fails
    on a plain Python list), and nowhere else?"""
    scores = gradebook_tasks(nbgrader_course.root, "bob")
    lost = {key for key, points in scores.items() if points < course.task(*key).points}
    assert lost == {("gates", "xor"), ("gates", "gate-inputs"), ("activations", "stability"),
                    ("activations", "random-inputs")}
    assert scores[("gates", "xor")] == 0


@pytest.mark.slow
def test_feedback_html_carries_the_kits_messages_and_hints(nbgrader_course):
    """Does nbgrader's feedback HTML show the kit's feedback codes and hints for the buggy submission?"""
    feedback = nbgrader_course.root / "feedback" / "bob" / ASSIGNMENT
    gates = (feedback / "gates.html").read_text(encoding="utf-8")
    assert "[xor-is-or]" in gates and "no single perceptron computes XOR" in gates
    activations = (feedback / "activations.html").read_text(encoding="utf-8")
    assert "sigmoid-overflow" in activations and "Only ever exponentiate -|x|" in activations


@pytest.mark.slow
def test_an_infinite_loop_costs_only_the_cells_that_call_it(nbgrader_course, course):
    """Does XOR looping forever fail the cells calling it with the kit's timeout message, every other task
    keeping its points and every cell after it still running?"""
    scores = gradebook_tasks(nbgrader_course.root, "carol")
    gates = course.exercise("gates")
    assert scores[("gates", "xor")] == 0 and scores[("gates", "gate-inputs")] == pytest.approx(0.75)
    for task in ("perceptron", "perceptron-batch", "basic-gates"):
        assert scores[("gates", task)] == gates.task(task).points
    nb = nbformat.read(str(nbgrader_course.root / "autograded" / "carol" / ASSIGNMENT / "gates.ipynb"), as_version=4)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert all(c.outputs for c in tests)
    xor = next(c for c in tests if c.metadata["nbgrader"]["grade_id"] == "xor")
    assert "did not return within 5 s" in json.dumps(xor.outputs)
