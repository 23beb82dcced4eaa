"""What an exercise stub is, and how to make one from any version of the module.

A stub is what the kit hands a student: a module docstring, imports, and the
exercise's functions with their signatures and docstrings, each body only
`raise NotImplementedError(...)`. Nothing else: no constant, no class, no
helper that computes, so a stub can carry no answer. `release` ships only
verified stubs, and `nngrade reset` restores one.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Problem:
    """One reason a module is not a stub: where, and what."""

    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _raises_not_implemented(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Raise) or node.exc is None:
        return False
    raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    if isinstance(node.exc, ast.Call) and not all(isinstance(a, ast.Constant) for a in node.exc.args):
        return False  # the message is a literal: an f-string or a call could compute something
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def is_stub_body(function: Function) -> bool:
    """Docstring (optional), then only `raise NotImplementedError("...")`."""
    body = function.body[1:] if function.body and _is_docstring(function.body[0]) else function.body
    return len(body) == 1 and _raises_not_implemented(body[0]) and not function.decorator_list


def _signature(function: Function) -> str:
    returns = f" -> {ast.unparse(function.returns)}" if function.returns else ""
    return f"{function.name}({ast.unparse(function.args)}){returns}"


def stub_problems(source: str, solution: str | None = None) -> list[Problem]:
    """Why `source` is not a stub (empty: it is one). With `solution`, its public functions must match.

    A stub defines the solution's public functions (names without a leading underscore), in its order,
    with its signatures: the API students are graded on (EXERCISES.md is the contract).
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError) as exc:
        return [Problem(getattr(exc, "lineno", None) or 1, f"does not parse ({exc.__class__.__name__})")]
    problems: list[Problem] = []
    functions: list[Function] = []
    for index, node in enumerate(tree.body):
        if index == 0 and _is_docstring(node):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append(node)
            if not is_stub_body(node):
                problems.append(Problem(node.lineno, f"{node.name}() has code, not only raise NotImplementedError"))
            continue
        problems.append(Problem(node.lineno, f"{type(node).__name__.lower()} statement outside a function"))
    if not functions:
        problems.append(Problem(1, "no function"))
    if solution is not None:
        wanted = [_signature(f) for f in _public_functions(solution)]
        have = [_signature(f) for f in functions]
        for signature in wanted:
            if signature not in have:
                problems.append(Problem(1, f"{signature} is missing or has another signature than solutions/"))
        extra = [s for s in have if s not in wanted]
        if extra:
            problems.append(Problem(1, f"functions solutions/ does not have: {', '.join(extra)}"))
        elif [s for s in have if s in wanted] != [s for s in wanted if s in have]:
            problems.append(Problem(1, "the functions are in another order than in solutions/"))
    return problems


def is_stub(source: str, solution: str | None = None) -> bool:
    return not stub_problems(source, solution)


def _public_functions(source: str) -> list[Function]:
    tree = ast.parse(source)
    return [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and not n.name.startswith("_")]


def rebuilt_stub(source: str, module: str) -> str | None:
    """`source` made a stub: each public function keeps its signature, docstring and the comments above it,
    its body becomes `raise NotImplementedError`; private helpers, constants, classes and any other top-level
    statement go (a worked module's helpers compute answers). None if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    kept: list[str] = []
    previous_end = 0
    for index, node in enumerate(tree.body):
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        gap = lines[previous_end:start - 1]  # comments and blank lines between statements
        previous_end = node.end_lineno or node.lineno
        public_function = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_")
        module_docstring = index == 0 and _is_docstring(node)
        if not (public_function or module_docstring or isinstance(node, (ast.Import, ast.ImportFrom))):
            continue
        kept += [line for line in gap if not line.strip() or line.lstrip().startswith("#")]
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kept += lines[node.lineno - 1:previous_end]
            continue
        first = node.body[0]
        header_end = first.end_lineno if _is_docstring(first) else first.lineno - 1
        assert header_end is not None
        indent = " " * first.col_offset
        kept += lines[node.lineno - 1:header_end]  # decorators are dropped: a stub's functions have none
        kept.append(f'{indent}raise NotImplementedError("{module}.{node.name}: not implemented yet")\n')
    text = "".join(kept)
    while "\n\n\n\n" in text:
        text = text.replace("\n\n\n\n", "\n\n\n")
    return text
