"""`nngrade release DIR`: the student edition of the kit.

The edition holds exercises/, course.toml (unchanged: hidden tasks stay listed
with their points, so the grading scheme is public and `nngrade list` matches
the grade), the autograder package with every hidden test cut out of the
suites, a README for students and a GitHub Actions workflow. It never holds
solutions/, the kit's own tests, scripts or benchmarks.

Hidden tests live beside public ones in the suites; a test is hidden when its
`@pytest.mark.task(...)` names a hidden task. They are removed from the source
with the module's syntax tree, with the helpers only they used, and counted
first: `autograder/suites/hidden.json` records how many each hidden task had,
so `nngrade check` in the edition still says how many hidden tests will run at
grading time, and the plugin does not ask for tests of those tasks.
"""
from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.course import Course, CoursePaths, Visibility, format_points, kit_root
from autograder.grading import curves
from autograder.grading.stubs import Problem, is_stub, rebuilt_stub, stub_problems
from autograder.tomlcompat import tomllib

MANIFEST = "hidden.json"
"""In autograder/suites/ of an edition: hidden tests per task key, stripped from the suites."""
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "release"
LEFT_OUT = ("__pycache__",)


class ReleaseError(Exception):
    """The edition cannot be written (target not empty, a hidden test would remain, a solution would leak)."""


class WorkedExercises(ReleaseError):
    """exercises/ holds worked code, not the stubs: releasing it would hand students the answers."""

    def __init__(self, worked: dict[str, list[Problem]]) -> None:
        self.worked = worked
        super().__init__("; ".join(f"exercises/{module}.py ({', '.join(map(str, problems[:2]))})"
                                   for module, problems in worked.items()))


def edition_stubs(course: Course, *, allow_worked: bool = False) -> tuple[dict[str, str], tuple[str, ...]]:
    """The exercise files the edition ships, per module: verified stubs, never the working tree as it is.

    exercises/<module>.py ships when it is a stub of solutions/<module>.py (same public functions and
    signatures, bodies that only raise NotImplementedError). An instructor who has worked an exercise in
    place gets WorkedExercises, unless `allow_worked`: then the stub is rebuilt from the worked file
    (its docstrings and comments kept, its bodies, helpers and constants gone), or from the solution.
    Returns (the file per module, the modules whose stub was rebuilt).
    """
    paths = CoursePaths.of(course)
    shipped: dict[str, str] = {}
    worked: dict[str, list[Problem]] = {}
    for exercise in course.exercises:
        module = exercise.module
        solution = (paths.solutions / f"{module}.py").read_text(encoding="utf-8")
        try:
            working = (paths.exercises / f"{module}.py").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            working = ""
        problems = stub_problems(working, solution)
        if not problems:
            shipped[module] = working
            continue
        worked[module] = problems
        for source in (working, solution):
            rebuilt = rebuilt_stub(source, module)
            if rebuilt is not None and is_stub(rebuilt, solution):
                shipped[module] = rebuilt
                break
    if worked and not allow_worked:
        raise WorkedExercises(worked)
    return shipped, tuple(worked)


# --- counting and stripping hidden tests ---------------------------------------

class _Counter:
    """A pytest plugin that counts collected test items per (exercise, task)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.errors: list[str] = []

    def pytest_configure(self, config: Any) -> None:
        config.addinivalue_line("markers", "task(id): the course.toml task this test grades")

    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        for item in items:
            marker = item.get_closest_marker("task")
            task = str(marker.args[0]) if marker is not None and marker.args else "?"
            self.counts[f"{item.path.stem.removeprefix('test_')}.{task}"] += 1
        items.clear()  # count, never run

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.errors.append(f"{report.nodeid}: {report.longreprtext.strip().splitlines()[-1:]}")


def count_tests(suite_files: list[Path]) -> dict[str, int]:
    """Test items per 'exercise.task' in these suite files (collected by pytest, parameters expanded)."""
    import pytest

    counter = _Counter()
    args = [*map(str, suite_files), "--collect-only", "-q", "--noconftest", "-c", os.devnull,
            "--rootdir", str(suite_files[0].parent) if suite_files else ".", "-p", "no:cacheprovider",
            "--import-mode=importlib"]
    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # third-party plugins must not count or write anything
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            pytest.main(args, plugins=[counter])
    finally:
        if previous is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous
    if counter.errors:
        raise ReleaseError(f"the suites could not be collected: {'; '.join(counter.errors)}")
    return dict(counter.counts)


def _task_of(decorator: ast.expr) -> str | None:
    """'id' for a `@pytest.mark.task("id")` decorator, else None."""
    if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr == "task" and decorator.args and isinstance(decorator.args[0], ast.Constant)):
        return str(decorator.args[0].value)
    return None


def _defined(node: ast.stmt) -> str | None:
    """The one name a top-level statement defines (def, class, NAME = ...), else None."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def _uses(node: ast.stmt) -> set[str]:
    """Names a statement reads, plus its functions' parameter names (pytest finds fixtures by them)."""
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store)}
    for n in ast.walk(node):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names |= {a.arg for a in (*n.args.posonlyargs, *n.args.args, *n.args.kwonlyargs)}
    name = _defined(node)
    if name is not None:
        names.discard(name)  # a recursive helper does not keep itself
    return names


def strip_hidden(source: str, hidden_tasks: Iterable[str]) -> tuple[str, int]:
    """The suite source without the tests of `hidden_tasks` and the helpers only they used; (source, tests cut)."""
    hidden = set(hidden_tasks)
    tree = ast.parse(source)
    body = tree.body
    cut = {id(n) for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
           and any(_task_of(d) in hidden for d in n.decorator_list)}
    tests_cut = len(cut)
    uses = {id(n): _uses(n) for n in body}
    used_at_first = Counter(name for n in body for name in uses[id(n)])
    while True:  # helpers the cut tests used and nothing else uses any more
        kept_uses = Counter(name for n in body if id(n) not in cut for name in uses[id(n)])
        orphans = {id(n) for n in body if id(n) not in cut and (name := _defined(n)) is not None
                   and not name.startswith("test") and used_at_first[name] and not kept_uses[name]}
        if not orphans:
            break
        cut |= orphans
    return _without(source, body, cut), tests_cut


def _without(source: str, body: list[ast.stmt], cut: set[int]) -> str:
    """`source` without the top-level statements whose id() is in `cut`, and the comments just above them."""
    lines = source.splitlines(keepends=True)
    drop: set[int] = set()  # 0-based line numbers
    previous_end = 0
    for node in body:
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        if id(node) in cut:
            first = start - 1
            # Comments just above belong to the node (blank lines between them too).
            while first - 1 >= previous_end and (not lines[first - 1].strip() or lines[first - 1].startswith("#")):
                first -= 1
            while first < start - 1 and not lines[first].strip():
                first += 1  # keep the blank lines that separated it from what came before
            drop.update(range(first, node.end_lineno or node.lineno))
        previous_end = node.end_lineno or node.lineno
    text = "".join(line for i, line in enumerate(lines) if i not in drop)
    return re.sub(r"\n{4,}", "\n\n\n", text).rstrip("\n") + "\n"


# --- answers as data -------------------------------------------------------------

ANSWERS = Path("autograder") / "suites" / "answers"
"""In an edition: the public tests' expected values, recorded from the reference (see grading/recorded.py)."""
WITHHELD_BODY = 'raise NotImplementedError("withheld: answered from autograder/suites/answers/")'


def _is_oracle(decorator: ast.expr) -> bool:
    """`@oracle` or `@oracle(key=...)`."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Name) and target.id == "oracle") or (
        isinstance(target, ast.Attribute) and target.attr == "oracle")


def _header_end(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The line of the `def ...:` header's last line (a signature may span lines)."""
    parts: list[ast.AST] = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs,
                            *(a for a in (node.args.vararg, node.args.kwarg, node.returns) if a is not None),
                            *(d for d in node.args.defaults + node.args.kw_defaults if d is not None)]
    return max([node.lineno, *(getattr(p, "end_lineno", None) or node.lineno for p in parts)])


def _apply(source: str, edits: list[tuple[int, int, int, int, str]]) -> str:
    """Replace (line, byte column)..(line, byte column) spans (ast positions, lines 1-based) with text."""
    data = source.encode("utf-8")
    starts = [0]
    for line in source.encode("utf-8").splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def at(line: int, col: int) -> int:
        return starts[line - 1] + col if line - 1 < len(starts) else len(data)

    spans = sorted(((at(a, b), at(c, d), text) for a, b, c, d, text in edits), reverse=True)
    for (start, end, text), later in zip(spans, [None, *spans]):
        if later is not None and end > later[0]:
            raise ReleaseError("overlapping edits of a suite: a kit bug")
        data = data[:start] + text.encode("utf-8") + data[end:]
    return data.decode("utf-8")


def withhold_oracles(source: str) -> tuple[str, int]:
    """The suite with each `@oracle` body replaced by a raise, no `namespace=` argument, no helper left unused.

    An oracle computes an expected value from its inputs; the edition answers from the recording
    instead. `namespace=` hands the catalog's wrong implementations the judge's own helpers, which the
    edition neither has nor needs. Then every top-level helper that nothing uses any more goes, as
    strip_hidden does it for hidden tests: the formulas only the oracles used leave with them.
    Returns (source, oracles withheld).
    """
    tree = ast.parse(source)
    edits: list[tuple[int, int, int, int, str]] = []
    withheld: list[tuple[int, int]] = []  # line ranges of replaced bodies
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(map(_is_oracle, node.decorator_list)):
            docstring = ast.get_docstring(node) is not None
            first = (node.body[0].end_lineno or node.body[0].lineno) + 1 if docstring else _header_end(node) + 1
            last = node.end_lineno or node.lineno
            if node not in tree.body or first > last:
                raise ReleaseError(f"line {node.lineno}: an @oracle must be a top-level function whose body starts "
                                   "on its own line, so that release can withhold it")
            indent = " " * node.body[0].col_offset
            edits.append((first, 0, last + 1, 0, f"{indent}{WITHHELD_BODY}\n"))
            withheld.append((first, last))
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        for keyword in call.keywords:
            if keyword.arg != "namespace" or any(a <= keyword.lineno <= b for a, b in withheld):
                continue
            start = (keyword.lineno, keyword.col_offset)
            ends = [(getattr(n, "end_lineno", 0) or 0, getattr(n, "end_col_offset", 0) or 0)
                    for n in (*call.args, *call.keywords)]
            before = [end for end in ends if end <= start]
            if not before:
                raise ReleaseError(f"line {keyword.lineno}: `namespace=` must follow another argument")
            end = (keyword.end_lineno or keyword.lineno, keyword.end_col_offset or 0)
            edits.append((*max(before), *end, ""))
    text = _apply(source, edits)
    while True:  # helpers nothing uses any more (each pass may orphan more)
        body = ast.parse(text).body
        used = Counter(name for n in body for name in _uses(n))
        unused = {id(n) for n in body if (name := _defined(n)) is not None and not name.startswith("test")
                  and not used[name]}
        if not unused:
            return text, len(withheld)
        text = _without(text, body, unused)


GRADE_PUBLIC = """\
import json, sys
from pathlib import Path
from autograder.cli.common import data_dir
from autograder.course import load_course
from autograder.grading.card_json import card_to_dict
from autograder.grading.grade import grade_folder
card = grade_folder(load_course(Path(sys.argv[1])), Path(sys.argv[2]), include_hidden=False, data_dir=data_dir())
Path(sys.argv[3]).write_text(json.dumps(card_to_dict(card)), encoding="utf-8")
"""
"""The public tests of the package on PYTHONPATH against one folder, as a JSON scorecard (no data: not-run)."""


def _grade_json(root: Path, submission: Path, env: dict[str, str]) -> dict[str, Any]:
    """The scorecard of `submission` graded by the public tests of the package in `root`, in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "card.json"
        env = {**os.environ, **env, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("NNGRADE_COURSE", None)
        done = subprocess.run([sys.executable, "-c", GRADE_PUBLIC, str(root / "course.toml"), str(submission),
                               str(out)], capture_output=True, text=True, env=env, cwd=root, timeout=1800)
        if done.returncode != 0 or not out.is_file():
            raise ReleaseError(f"grading the reference solutions failed: {done.stderr.strip()[-1000:]}")
        card: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return card


def _full_marks(card: dict[str, Any], what: str) -> None:
    """Every public test passed (or skipped: the real MNIST files may be absent), no internal error."""
    bad = [f"{t['exercise']}::{t['name']}: {t['status']} {t.get('message') or ''}".strip()
           for t in card["tests"] if t["status"] not in ("passed", "skipped", "not-run")]
    if card["internal_errors"] or bad:
        raise ReleaseError(f"{what}: {'; '.join([*card['internal_errors'], *bad][:5])}")


def record_answers(root: Path, course: Course, calls: Path | None = None) -> int:
    """Run the public tests in `root` against the reference, recording every oracle; returns answers recorded.

    `calls`: where to keep the public tests' calls of the graded functions with the reference's answers
    (never in the edition: the second proof of `answer_functions` replays them).
    """
    from autograder.grading.recorded import CALLS, RECORD_ENV

    target = root / ANSWERS
    with tempfile.TemporaryDirectory() as tmp:
        card = _grade_json(root, CoursePaths.of(course).solutions, {RECORD_ENV: tmp})
        _full_marks(card, "the reference solutions fail a public test of the kit")
        target.mkdir(parents=True)
        count = 0
        for path in sorted(Path(tmp).glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            count += sum(len(entries) for entries in data["answers"].values())
            shutil.copyfile(path, target / path.name)
        if calls is not None:
            if not (Path(tmp) / CALLS).is_file():
                raise ReleaseError("the public tests made no call of a graded function: nothing to prove with")
            shutil.copyfile(Path(tmp) / CALLS, calls)
    return count


PROBE = """\
import inspect, json, sys, warnings, importlib.util
from pathlib import Path
import numpy as np
from autograder.grading import catalog
from autograder.grading.recorded import decode

def same(got, want):
    if isinstance(want, dict):
        return isinstance(got, dict) and set(got) == set(want) and all(same(got[k], want[k]) for k in want)
    try:
        a, b = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.all(np.isclose(a, b, rtol=1e-6, atol=1e-9)))

functions = []
for path in sorted(Path(sys.argv[1]).glob("test_*.py")):
    spec = importlib.util.spec_from_file_location("edition_" + path.stem, path)
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    functions += [(f"{path.name}: {name}", f) for name, f in vars(module).items()
                  if inspect.isfunction(f) and f.__module__ == module.__name__ and not name.startswith("test")]
for name, f in vars(catalog).items():
    if inspect.isfunction(f) and f.__module__ == catalog.__name__:
        functions.append((f"catalog.py: {name}", f))
for exercise in catalog.exercises():
    for m in catalog.load(exercise).mistakes.values():
        functions.append((f"mistakes/{exercise}.toml: {m.code}", m.implementation()))
import autograder.grading.curves, autograder.student.plot  # what `nngrade plot` draws the reference with
for module in (autograder.grading.curves, autograder.student.plot):
    functions += [(f"{module.__name__}: {name}", f) for name, f in vars(module).items()
                  if inspect.isfunction(f) and f.__module__ == module.__name__]
tests = {}  # (test, graded function) -> its calls: a function computes an answer if it does so for a whole test
for line in Path(sys.argv[2]).read_text(encoding="utf-8").splitlines():
    call = decode(json.loads(line))
    tests.setdefault((call["test"], call["function"]), []).append(line)
found = set()
for (test, function), lines in tests.items():
    calls = [decode(json.loads(line)) for line in lines]
    if any(same(a, c["value"]) for c in calls for a in (*c["args"], *c["kwargs"].values())):
        continue  # an answer is one of the inputs (an identity): any echo returns it
    for label, f in functions:
        def answers(line):
            call = decode(json.loads(line))  # fresh inputs: a function may change them
            try:
                inspect.signature(f).bind(*call["args"], **call["kwargs"])
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    return same(f(*call["args"], **call["kwargs"]), call["value"])
            except BaseException:
                return False
        if all(answers(line) for line in lines):
            found.add(f"{label} returns the answer of {function} in {test.split(' ')[0]}")
print(json.dumps(sorted(found)))
"""
"""Every function of the edition's suites, catalog and plot, called on every public test's inputs of a graded
function."""


def answer_functions(root: Path, calls: Path) -> list[str]:
    """Functions of the edition that, called on a public test's inputs, return the reference's answer.

    Run in a fresh process with the edition's package, in a scratch folder, outside any test (so the
    recorded answers are not given out). An answer equal to one of its inputs (identity) proves nothing
    and is skipped.
    """
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    for name in ("PYTEST_CURRENT_TEST", "NNGRADE_COURSE"):
        env.pop(name, None)
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run([sys.executable, "-c", PROBE, str(root / "autograder" / "suites"), str(calls)],
                              capture_output=True, text=True, env=env, cwd=scratch, timeout=1800)
    if done.returncode != 0:
        raise ReleaseError(f"the edition's functions could not be probed: {done.stderr.strip()[-1000:]}")
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def withhold_answers(root: Path) -> int:
    """Every suite of the edition without its oracles' formulas; returns how many were withheld."""
    withheld = 0
    for suite in sorted((root / "autograder" / "suites").glob("test_*.py")):
        text, n = withhold_oracles(suite.read_text(encoding="utf-8"))
        suite.write_text(with_edition_note(text) if n else text, encoding="utf-8")
        withheld += n
    return withheld


EDITION_NOTE = ("# In this student edition the public tests' expected values are recorded answers\n"
                "# (autograder/suites/answers/), not formulas: each @oracle body below is withheld.\n")


def with_edition_note(source: str) -> str:
    """The suite with EDITION_NOTE after its module docstring, which describes the kit's suite, formulas and all."""
    body = ast.parse(source).body
    if not (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)):
        return EDITION_NOTE + source
    lines = source.splitlines(keepends=True)
    end = body[0].end_lineno or body[0].lineno
    return "".join([*lines[:end], EDITION_NOTE, *lines[end:]])


def check_answers(root: Path, course: Course) -> None:
    """The edition, answering from its recording, gives the reference solutions every public point."""
    from autograder.grading.recorded import STRICT_ENV

    _full_marks(_grade_json(root, CoursePaths.of(course).solutions, {STRICT_ENV: "1"}),
                "the edition's recorded answers do not serve the reference solutions")


# --- the edition -----------------------------------------------------------------

@dataclass(frozen=True)
class Edition:
    """What `build` wrote."""

    folder: Path
    files: tuple[str, ...]
    hidden_tests: dict[str, int]
    """Hidden tests cut, per 'exercise.task'."""
    public_tests: int
    rebuilt: tuple[str, ...] = ()
    """Modules whose exercises/ file held worked code and shipped as a stub rebuilt from it."""


def _template(name: str, **values: str) -> str:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def _readme(course: Course, hidden: dict[str, int]) -> str:
    rows = ["| exercise | module | public points | hidden points | what it asks |", "|---|---|---:|---:|---|"]
    for exercise in course.exercises:
        public = sum(t.points for t in exercise.tasks if t.visibility is Visibility.PUBLIC)
        secret = sum(t.points for t in exercise.tasks if t.visibility is Visibility.HIDDEN)
        rows.append(f"| {exercise.id} | `exercises/{exercise.module}.py` | {format_points(public)} "
                    f"| {format_points(secret)} "
                    f"| {exercise.title} |")
    total = sum(t.points for t in course.tasks())
    hidden_points = sum(t.points for t in course.tasks() if t.visibility is Visibility.HIDDEN)
    return _template("README.md", COURSE=course.name, EXERCISES=("\n".join(rows)), TOTAL=format_points(total),
                     HIDDEN_POINTS=format_points(hidden_points), HIDDEN_TESTS=str(sum(hidden.values())))


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*LEFT_OUT, "*.pyc"), symlinks=False)


def _write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _assemble(course: Course, root: Path, stubs: dict[str, str]) -> tuple[dict[str, int], int]:
    """Write the edition's files into `root`, `stubs` as exercises/; returns (hidden tests per task, public tests)."""
    paths = CoursePaths.of(course)
    package = Path(__file__).resolve().parent.parent
    hidden_tasks = {t.key for t in course.tasks() if t.visibility is Visibility.HIDDEN}
    suite_files = [paths.suites / f"test_{e.id}.py" for e in course.exercises]
    counts = count_tests(suite_files)
    hidden = {key: n for key, n in sorted(counts.items()) if key in hidden_tasks}
    public = sum(n for key, n in counts.items() if key not in hidden_tasks)

    _copy_tree(package, root / "autograder")
    suites = root / "autograder" / "suites"
    for suite in sorted(paths.suites.glob("test_*.py")):
        exercise = suite.stem.removeprefix("test_")
        ids = {key.split(".", 1)[1] for key in hidden_tasks if key.split(".", 1)[0] == exercise}
        text, _ = strip_hidden(suite.read_text(encoding="utf-8"), ids)
        (suites / suite.name).write_text(text, encoding="utf-8")
    (suites / MANIFEST).write_text(json.dumps(
        {"format": 1, "about": "hidden tests cut from these suites by `nngrade release`; they run at grading time",
         "tests": hidden}, indent=2) + "\n", encoding="utf-8")
    for name in ("pyproject.toml",):
        if (kit_root() / name).is_file():
            shutil.copyfile(kit_root() / name, root / name)
    shutil.copyfile(course.path, root / "course.toml")
    (root / "exercises").mkdir()
    for module, stub in sorted(stubs.items()):
        (root / "exercises" / f"{module}.py").write_text(stub, encoding="utf-8")
    if course.exercise("activations") is not None:
        # `nngrade plot` in the edition compares with these values: it has no solutions/ and no formula.
        plotted = course.select(["activations"])
        curves.save(curves.evaluate(plotted, paths.solutions, curves.GRID), curves.GRID,
                    root / "autograder" / curves.RECORDED)
    _write(root, "README.md", _readme(course, hidden))
    _write(root, ".github/workflows/nngrade.yml", _template("nngrade.yml"))
    _write(root, ".gitignore", _template("gitignore"))
    return hidden, public


def verify(root: Path, hidden: dict[str, int], public: int) -> None:
    """Collect the edition's suites with the edition's own package: no hidden test left, every public one there."""
    code = ("import json, sys; from pathlib import Path; from autograder.editions.release import count_tests; "
            "print(json.dumps(count_tests(sorted(Path(sys.argv[1]).glob('test_*.py')))))")
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", code, str(root / "autograder" / "suites")], capture_output=True,
                          text=True, env=env, cwd=root, timeout=300)
    if done.returncode != 0:
        raise ReleaseError(f"the edition's suites do not load: {done.stderr.strip()[-1000:]}")
    counts: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    left = sorted(key for key in counts if key in hidden)
    if left:
        raise ReleaseError(f"hidden tests would remain in the edition: {', '.join(left)}")
    if sum(counts.values()) != public:
        raise ReleaseError(f"the edition has {sum(counts.values())} public tests, the kit {public}: "
                           "cutting the hidden tests removed something public tests need")


def _secret_lines(root: Path, course: Course, *, suites_public: bool = True) -> set[str]:
    """Lines of the reference solutions that are not in the edition's verified stubs (nor, if `suites_public`,
    in the public suites). The stubs are the ones the edition ships, never the working exercises/: lines an
    instructor typed there are not public for being there."""
    paths = CoursePaths.of(course)
    known: set[str] = set()
    suites = (root / "autograder" / "suites").glob("test_*.py") if suites_public else ()
    stubs = [root / "exercises" / f"{e.module}.py" for e in course.exercises]
    for public in (*stubs, *suites):
        try:
            text = public.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        solution = paths.solutions / public.name
        if public in stubs and solution.is_file() and not is_stub(text, solution.read_text(encoding="utf-8")):
            continue  # only a verified stub's lines (signatures, docstrings) are public for being there
        known |= {line.strip() for line in text.splitlines()}
    return {line.strip() for solution in paths.solutions.glob("*.py")
            for line in solution.read_text(encoding="utf-8").splitlines()
            if len(line.strip()) >= 16 and not line.strip().startswith(("#", '"', "'"))} - known


WITHHELD = ("def {function}(*args, **kwargs):\n"
            "    raise NotImplementedError  # withheld: the edition names this mistake from recorded values\n")


def withhold_mistakes(root: Path) -> int:
    """Blank every catalogued wrong implementation; returns how many.

    A wrong implementation is often the solution with one change, and some give the right answer on
    some inputs (a perceptron with >= passes every truth table), so none is shipped. The edition keeps
    each entry (its code, title and hint); its suites name mistakes from the values recorded when the
    edition was built (autograder/suites/answers/), which is where `Catalog.on` looks in an edition.
    """
    withheld = 0
    for path in sorted((root / "autograder" / "mistakes").glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        for entry in tomllib.loads(text).get("mistake", []):
            raw = f"'''\n{entry.get('wrong', '')}'''"
            if text.count(raw) != 1:  # literal strings hold the source verbatim
                raise ReleaseError(f"{path.name}: mistake {entry.get('code')}: `wrong` is not one literal string")
            text = text.replace(raw, f"'''\n{WITHHELD.format(function=entry['function'])}'''")
            withheld += 1
        path.write_text(text, encoding="utf-8")
    return withheld


def leaks(root: Path, course: Course) -> list[str]:
    """Lines of the reference solutions (not in the stubs) found anywhere in the edition, suites included."""
    secret = _secret_lines(root, course, suites_public=False)
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".md", ".toml", ".yml", ".json", ".txt", ""):
            lines = {line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()}
            found += [f"{path.relative_to(root)}: {line}" for line in sorted(lines & secret)]
    return found


def build(course: Course, target: Path, *, force: bool = False, allow_worked: bool = False) -> Edition:
    """Write the student edition into `target` (a new or empty folder; `force` replaces a non-empty one).

    The edition is assembled in a temporary sibling folder, checked, then renamed into place,
    so `target` is never half-written. exercises/ must hold stubs (see `edition_stubs`).
    """
    stubs, rebuilt = edition_stubs(course, allow_worked=allow_worked)  # first: refusing costs nothing
    if target.exists() and not target.is_dir():
        raise ReleaseError(f"{target} is a file, not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ReleaseError(f"{target} is not empty: choose a new folder, or pass --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; the edition is meant to be shared
    try:
        hidden, public = _assemble(course, staging, stubs)
        calls = Path(tempfile.mkdtemp(prefix=".calls.", dir=target.parent)) / "calls.jsonl"
        try:
            record_answers(staging, course, calls)  # the public tests against the reference, formulas still in
            withhold_answers(staging)
            withhold_mistakes(staging)
            verify(staging, hidden, public)
            check_answers(staging, course)
            computed = answer_functions(staging, calls)
        finally:
            shutil.rmtree(calls.parent, ignore_errors=True)
        if computed:
            raise ReleaseError("the edition would compute answers: " + "; ".join(computed[:5]))
        leaked = leaks(staging, course)
        if leaked:
            raise ReleaseError("solution text would be released: " + "; ".join(leaked[:5]))
        files = tuple(sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file()))
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            os.replace(target, old / "edition")
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Edition(target, files, hidden, public, rebuilt)
