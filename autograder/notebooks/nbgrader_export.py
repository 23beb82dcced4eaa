"""`nngrade nbgrader export`: course.toml, stubs and solutions -> nbgrader *source* notebooks.

One notebook per exercise, built by a declared list of small steps, each `nb -> nb`
(`STEPS`): the notebook's metadata, a markdown cell teaching the worked example, the
answer cell (the stub, each body the reference solution between `### BEGIN SOLUTION` and
`### END SOLUTION`), then one read-only autograder cell per task with its points, a hidden
task's call between `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS`.
"""
from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from autograder.course import Course, CoursePaths, Exercise, Task
from autograder.grading.notebook_source import MARKER

DOCS_FOLDER = Path(__file__).resolve().parent.parent / "docs"
"""The worked examples the exercises cite (worked-examples.md, .ko.md): copied beside the notebooks, since a
student who only gets the notebooks has neither the kit's folder nor `nngrade docs`."""
_KIT_DOC_LINE = re.compile(r"^(.+): autograder/docs/(worked-examples(?:\.ko)?\.md) \(`nngrade docs (\d+)`\)\.$",
                           re.MULTILINE)


def notebook_docstring(docstring: str) -> str:
    """A stub's module docstring as a notebook shows it: the worked examples are the file beside it."""
    return _KIT_DOC_LINE.sub(lambda m: f"{m.group(1)}: {m.group(2)} (§{m.group(3)}).", docstring)

DEFAULT_ASSIGNMENT = "nngrade"
SCHEMA_VERSION = 3
_GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]+$")
CONFIG_TEXT = '''\
# nbgrader configuration written by `nngrade nbgrader export`; edit freely.
c = get_config()  # noqa: F821

# Each test cell calls student code through nngrade's sandbox, with course.toml's per-call
# timeout (5 s by default). A cell that runs longer than this is interrupted and scores 0;
# the rest of the notebook still runs.
c.Execute.timeout = 60

# Test cells find course.toml (and, for hidden tests, the reference solutions) through the
# installed kit, or through the NNGRADE_COURSE environment variable when it is set.
'''


class ExportError(Exception):
    """The course cannot be exported (a stub or solution nngrade cannot turn into a notebook)."""


@dataclass(frozen=True)
class Source:
    """What one exercise's notebook is made from."""

    course: Course
    exercise: Exercise
    stub: str
    """Text of exercises/<module>.py."""
    solution: str
    """Text of solutions/<module>.py."""


Step = Callable[[NotebookNode, Source], NotebookNode]


# --- pure helpers --------------------------------------------------------------

def nbgrader_metadata(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
                      points: float | None = None) -> dict[str, Any]:
    """nbgrader's cell metadata, schema version 3."""
    if not _GRADE_ID.match(grade_id):
        raise ExportError(f"{grade_id!r} cannot be an nbgrader grade_id (letters, digits, - and _ only)")
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
                            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _docstring(node: ast.AST) -> ast.Expr | None:
    body = getattr(node, "body", [])
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def _bound(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _segment(lines: list[str], node: ast.stmt) -> str:
    """A statement's source lines (decorators and comments directly above the body included), dedented."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    assert node.end_lineno is not None
    return textwrap.dedent("\n".join(lines[first - 1:node.end_lineno]))


def _body(lines: list[str], function: ast.FunctionDef) -> str:
    """The function's body after its docstring, comments included, dedented."""
    doc = _docstring(function)
    statements = function.body[1:] if doc else function.body
    if not statements:
        return "pass"
    if doc is not None and doc.end_lineno is not None:
        start = doc.end_lineno  # the line after the docstring (lines is 0-based)
    else:
        start = statements[0].lineno - 1
        while start > function.lineno and lines[start - 1].strip().startswith("#"):
            start -= 1  # comments just above the first statement belong to the body
    assert function.end_lineno is not None
    return textwrap.dedent("\n".join(lines[start:function.end_lineno])).strip("\n")


def solution_bodies(stub: str, solution: str, where: str = "solution") -> dict[str, str]:
    """For each public function of the stub: the solution's body, with the private helpers,
    constants and imports it needs (and the stub lacks) defined at its top."""
    stub_tree, tree = ast.parse(stub), ast.parse(solution)
    lines = solution.split("\n")
    public = _functions(stub_tree)
    stub_imports = {ast.dump(n) for n in stub_tree.body if isinstance(n, (ast.Import, ast.ImportFrom))}
    extras: list[tuple[set[str], ast.stmt]] = []
    for node in tree.body:
        if node is _docstring(tree) or ast.dump(node) in stub_imports or (
                isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            continue
        if isinstance(node, ast.FunctionDef) and node.name in public:
            continue
        names = _bound(node)
        if not names:
            raise ExportError(f"{where}, line {node.lineno}: a top-level statement that defines nothing "
                              "cannot be placed in a notebook's answer cell")
        extras.append((names, node))
    functions = _functions(tree)
    bodies = {}
    for name in public:
        if name not in functions:
            raise ExportError(f"{where} defines no {name}(), which the stub asks for")
        needed: set[int] = set()
        frontier = _used(functions[name])
        while frontier:  # helpers that use helpers
            new = {i for i, (names, _) in enumerate(extras) if names & frontier} - needed
            needed |= new
            frontier = set().union(*(_used(extras[i][1]) for i in new)) if new else set()
        parts: list[str] = []
        for helper in (_segment(lines, extras[i][1]) for i in sorted(needed)):
            parts += [helper, ""] if "\n" in helper else [helper]
        if parts and parts[-1]:
            parts.append("")
        bodies[name] = "\n".join([*parts, _body(lines, functions[name])])
    return bodies


def answer_source(stub: str, solution: str, where: str = "solution") -> str:
    """The stub without its module docstring, each function body replaced by the solution's body
    between `### BEGIN SOLUTION` and `### END SOLUTION` (nbgrader's release puts the stub back)."""
    tree = ast.parse(stub)
    lines = stub.split("\n")
    bodies = solution_bodies(stub, solution, where)
    for function in sorted(_functions(tree).values(), key=lambda f: -f.lineno):
        doc = _docstring(function)
        first = (doc.end_lineno or function.lineno) if doc else function.body[0].lineno - 1
        indent = " " * (function.col_offset + 4)
        region = [f"{indent}### BEGIN SOLUTION",
                  *(indent + line if line.strip() else "" for line in bodies[function.name].split("\n")),
                  f"{indent}### END SOLUTION"]
        assert function.end_lineno is not None
        lines[first:function.end_lineno] = region
    doc = _docstring(tree)
    if doc is not None and doc.end_lineno is not None:
        del lines[doc.lineno - 1:doc.end_lineno]
    return "\n".join(lines).strip("\n")


def _signature(function: ast.FunctionDef) -> str:
    args = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    if function.args.vararg:
        args.append("*" + function.args.vararg.arg)
    args += [a.arg for a in function.args.kwonlyargs]
    return f"{function.name}({', '.join(args)})"


def _first_line(node: ast.FunctionDef) -> str:
    doc = ast.get_docstring(node)
    return doc.splitlines()[0] if doc else ""


def intro_markdown(course: Course, exercise: Exercise, stub: str) -> str:
    """The markdown that opens the notebook: the worked example, the functions to write, the grading."""
    tree = ast.parse(stub)
    byline = f"*{course.name} · exercise `{exercise.id}`" + (f" · {exercise.source}*" if exercise.source else "*")
    functions = "\n".join(f"- `{_signature(f)}`: {_first_line(f)}" for f in _functions(tree).values())
    rows = "\n".join(
        f"| `{t.id}`{' (hidden)' if t.visibility.value == 'hidden' else ''} | {t.points:g} | "
        f"{t.title.replace('|', '&#124;')} |" for t in exercise.tasks)
    parts = [
        f"# {exercise.title}", byline, notebook_docstring(ast.get_docstring(tree) or ""),
        "## What to write",
        "Complete the functions in the answer cell below. Each docstring gives the formula, the shapes "
        "and the worked example the function is graded against.",
        functions,
        "## How it is graded",
        "Each task below has a test cell that runs the kit's tests on your code and explains what is "
        "wrong and how to fix it. Run the answer cell, then the test cells. Hidden tasks are checked "
        "when your notebook is graded.",
        f"| task | points | what is checked |\n|---|---:|---|\n{rows}",
    ]
    return "\n\n".join(p for p in parts if p)


def task_cell_source(task: Task) -> str:
    """The autograder cell of one task: it calls the kit's tests through autograder.notebooks.notebook."""
    hidden = task.visibility.value == "hidden"
    head = [f"# {task.id} ({'hidden, ' if hidden else ''}{task.points:g} point{'s' if task.points != 1 else ''}): "
            f"{task.title}"]
    call = f"check_task({task.exercise!r}, {task.id!r}{', include_hidden=True' if hidden else ''})"
    if hidden:
        head.append("# The tests of this task are hidden: they run when your notebook is graded.")
        return "\n".join([*head, "from autograder.notebooks.notebook import check_task", "### BEGIN HIDDEN TESTS", call,
                          "### END HIDDEN TESTS"])
    return "\n".join([*head, "from autograder.notebooks.notebook import check_task", call])


# --- the steps, each nb -> nb ------------------------------------------------------

def with_metadata(nb: NotebookNode, src: Source) -> NotebookNode:
    """A Python 3 notebook that names its exercise (so a renamed copy still grades)."""
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata[MARKER] = {"exercise": src.exercise.id}
    return nb


def with_intro(nb: NotebookNode, src: Source) -> NotebookNode:
    """A read-only markdown cell that teaches the worked example."""
    nb.cells.append(nbformat.v4.new_markdown_cell(
        intro_markdown(src.course, src.exercise, src.stub),
        metadata=nbgrader_metadata(f"{src.exercise.id}_intro", locked=True)))
    return nb


def with_answer(nb: NotebookNode, src: Source) -> NotebookNode:
    """The answer cell: the stub with the reference solution in nbgrader's solution regions."""
    where = f"solutions/{src.exercise.module}.py"
    nb.cells.append(nbformat.v4.new_code_cell(
        answer_source(src.stub, src.solution, where),
        metadata=nbgrader_metadata(f"{src.exercise.id}_answer", solution=True)))
    return nb


def with_tests(nb: NotebookNode, src: Source) -> NotebookNode:
    """One read-only autograder cell per task, worth the task's points (grade_id = task id)."""
    for task in src.exercise.tasks:
        nb.cells.append(nbformat.v4.new_code_cell(
            task_cell_source(task), metadata=nbgrader_metadata(task.id, grade=True, locked=True, points=task.points)))
    return nb


def validated(nb: NotebookNode, src: Source) -> NotebookNode:
    """The notebook passes nbformat.validate and its grade_ids are unique."""
    nbformat.validate(nb)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ExportError(f"exercise {src.exercise.id}: grade_id {duplicates[0]!r} appears twice")
    return nb


STEPS: tuple[Step, ...] = (with_metadata, with_intro, with_answer, with_tests, validated)


def build_notebook(src: Source, steps: tuple[Step, ...] = STEPS) -> NotebookNode:
    """Run the steps in order on an empty notebook."""
    nb = nbformat.v4.new_notebook()
    for step in steps:
        nb = step(nb, src)
    return nb


# --- the command ------------------------------------------------------------------

@dataclass(frozen=True)
class ExportResult:
    """What `export` wrote."""

    notebooks: tuple[Path, ...]
    config: Path | None
    """The nbgrader_config.py written, or None when one was already there."""
    documents: tuple[Path, ...] = ()
    """The worked examples copied beside the notebooks (nbgrader releases every file of the folder)."""


def sources(course: Course, paths: CoursePaths | None = None) -> list[Source]:
    """Each exercise with its stub and solution text (ExportError names a missing file)."""
    paths = paths or CoursePaths.of(course)
    found = []
    for exercise in course.exercises:
        texts = []
        for folder in (paths.exercises, paths.solutions):
            file = folder / f"{exercise.module}.py"
            try:
                texts.append(file.read_text(encoding="utf-8"))
            except OSError as exc:
                raise ExportError(f"{file} cannot be read ({exc.strerror or exc}); the export needs the stubs "
                                  "and the solutions of the instructor's edition of the kit") from None
        found.append(Source(course, exercise, texts[0], texts[1]))
    return found


def export(course: Course, course_dir: Path, assignment: str = DEFAULT_ASSIGNMENT,
           paths: CoursePaths | None = None) -> ExportResult:
    """Write COURSE_DIR/source/<assignment>/<exercise id>.ipynb, and nbgrader_config.py if there is none."""
    if not _GRADE_ID.match(assignment):
        raise ExportError(f"{assignment!r} cannot be an nbgrader assignment name (letters, digits, - and _ only)")
    notebooks = [(src.exercise.id, build_notebook(src)) for src in sources(course, paths)]
    folder = course_dir / "source" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for exercise_id, nb in notebooks:
        target = folder / f"{exercise_id}.ipynb"
        nbformat.write(nb, str(target))
        written.append(target)
    documents = []
    for document in sorted(DOCS_FOLDER.glob("worked-examples*.md")):
        documents.append(folder / document.name)
        documents[-1].write_bytes(document.read_bytes())
    config = course_dir / "nbgrader_config.py"
    if config.exists():
        return ExportResult(tuple(written), None, tuple(documents))
    config.write_text(CONFIG_TEXT, encoding="utf-8")
    return ExportResult(tuple(written), config, tuple(documents))
