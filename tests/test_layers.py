"""Do the package's imports point one way, as its folders say, with no cycle and no private name borrowed?

The layers, lowest first (README, "How it works"): base modules, data/, sandbox/, grading/, the suites
(pytest loads them by path; they use grading), reporters/, then batch/, editions/, notebooks/ and student/ side by side, then cli/. A module may
import its own package and anything below its layer, never above and never sideways. Every import
counts, also those inside functions and under TYPE_CHECKING: a lazy import is still a dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "autograder"

BASE = {"autograder", "autograder.errors", "autograder.course", "autograder.i18n", "autograder.atomic",
        "autograder.tomlcompat"}
LAYERS: list[set[str]] = [
    {"base"},
    {"data"},
    {"sandbox"},
    {"grading"},
    {"suites"},
    {"reporters"},
    {"batch", "editions", "notebooks", "student"},
    {"cli"},
]
REPORTERS_MAY_USE = {"autograder.grading", "autograder.grading.results", "autograder.grading.scoring",
                     "autograder.grading.visibility", "autograder.grading.compare", "autograder.grading.scrub",
                     "autograder.grading.card_json"}
"""Reporters render results: they see the result types, never the machinery that made them."""


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, name: str, is_package: bool) -> set[str]:
    """Every autograder module `source` imports (a `from pkg import mod` counts as mod when mod is a module)."""
    found: set[str] = set()
    here = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "autograder")
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[:len(here) - node.level + 1] + ([node.module] if node.module else [])) \
                if node.level else (node.module or "")
            if base.split(".")[0] != "autograder":
                continue
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the autograder modules it imports, for every module under `root`."""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    graph = {}
    for name, path in files.items():
        wanted = imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
        # `from autograder.grading import scoring` names a module; `from autograder.course import Course` a class.
        graph[name] = {w for w in wanted if w in files and w != name}
    return graph


def layer_of(module: str) -> tuple[int, str]:
    """(rank, package) of a module: rank orders the layers, package tells sideways neighbours apart."""
    if module in BASE:
        return 0, "base"
    if module == "autograder.__main__":
        return len(LAYERS) - 1, "cli"
    package = module.split(".")[1]
    for rank, members in enumerate(LAYERS):
        if package in members:
            return rank, package
    raise AssertionError(f"{module} is in no layer: add its package to LAYERS in {__file__}")


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in sorted(graph.items()):
        rank, package = layer_of(module)
        for target in sorted(targets):
            target_rank, target_package = layer_of(target)
            if target_package == package:
                continue
            if target_rank > rank:
                found.append(f"{module} imports {target}, a higher layer")
            elif target_rank == rank and rank != 0:
                found.append(f"{module} imports {target}, a neighbour of the same layer")
            elif package == "reporters" and target_rank > 0 and target not in REPORTERS_MAY_USE:
                found.append(f"{module} imports {target}: reporters only render results")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


def private_borrowings(root: Path = PACKAGE) -> list[str]:
    """`from autograder.x import _name`, or `mod._name` on an imported autograder module, across modules."""
    found = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autograder"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):  # __version__ is public
                        found.append(f"{name} imports {node.module}.{alias.name}")
                    modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                modules.update(a.asname or a.name for a in node.names if a.name.startswith("autograder"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                found.append(f"{name} uses {node.value.id}.{node.attr}")
    return sorted(set(found))


def test_imports_follow_the_layers() -> None:
    """Does every import point down the layers (or within its own package)?"""
    assert layer_violations(import_graph()) == []


def test_no_import_cycles() -> None:
    """Is the module graph free of cycles, lazy imports included?"""
    assert cycles(import_graph()) == []


def test_no_private_names_across_modules() -> None:
    """Does any module use another module's private (underscore) name?"""
    assert private_borrowings() == []


def test_every_module_has_a_layer() -> None:
    """Is every package of autograder/ placed in a layer (a new one must be, to be checked)?"""
    for module in import_graph():
        layer_of(module)


# The checker itself must be able to fail: the graphs below break each rule once.

def test_checker_sees_an_upward_and_a_sideways_import() -> None:
    graph = {"autograder.grading.scoring": {"autograder.reporters.text"},
             "autograder.batch.judge": {"autograder.notebooks.notebook"},
             "autograder.reporters.text": {"autograder.grading.runner"},
             "autograder.cli.main": {"autograder.batch.judge"}}
    assert layer_violations(graph) == [
        "autograder.batch.judge imports autograder.notebooks.notebook, a neighbour of the same layer",
        "autograder.grading.scoring imports autograder.reporters.text, a higher layer",
        "autograder.reporters.text imports autograder.grading.runner: reporters only render results",
    ]


def test_checker_sees_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]


def test_checker_resolves_relative_and_module_imports(tmp_path: Path) -> None:
    package = tmp_path / "autograder"
    (package / "grading").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "course.py").write_text("")
    (package / "grading" / "__init__.py").write_text("")
    (package / "grading" / "scoring.py").write_text("from . import compare\nfrom ..course import Course\n")
    (package / "grading" / "compare.py").write_text("def f():\n    from autograder.grading import scoring\n")
    graph = import_graph(package)
    # the package itself is imported too: its __init__ runs first
    assert graph["autograder.grading.scoring"] == {"autograder.grading", "autograder.grading.compare",
                                                   "autograder.course"}
    assert cycles(graph) == [["autograder.grading.compare", "autograder.grading.scoring"]]


@pytest.mark.parametrize("source, expected", [
    ("from autograder.cli.common import _course\n", ["autograder.x imports autograder.cli.common._course"]),
    ("from autograder.cli import common\ncommon._grade()\n", ["autograder.x uses common._grade"]),
    ("from autograder.cli import common\ncommon.grade()\n", []),
])
def test_checker_sees_a_borrowed_private_name(tmp_path: Path, source: str, expected: list[str]) -> None:
    package = tmp_path / "autograder"
    package.mkdir()
    (package / "x.py").write_text(source)
    assert private_borrowings(package) == expected
