"""Which exercise functions the running test called: a catalogued mistake is named only on their tests.

The `student` fixture starts a scope for each test (`begin`) and notes each function it calls
(`called`); the catalogs register which function each of their codes is a mistake of and which
function uses which (`register`). `compare` asks `allows(functions)` before naming a mistake: a
mistake of `sigmoid` is never named on a test of `relu`, whatever the suite passed. Outside a
graded test (unit tests, the catalog's own checks) there is no scope and every mistake is allowed.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

_called: set[str] | None = None
_owners: dict[str, set[str]] = {}
"""Catalogued code -> the functions it is a mistake of, over every exercise's catalog."""
_uses: dict[str, set[str]] = {}
"""Exercise function -> the exercise functions it calls, over every exercise's catalog."""


def register(exercise: str, owners: Mapping[str, Iterable[str]], uses: Mapping[str, Iterable[str]]) -> None:
    del exercise  # codes and function names are merged over exercises: a name means the same everywhere
    for code, functions in owners.items():
        _owners.setdefault(code, set()).update(functions)
    for function, callees in uses.items():
        _uses.setdefault(function, set()).update(callees)


def closure(functions: Iterable[str], uses: Mapping[str, Iterable[str]] | None = None) -> set[str]:
    """`functions` and every function they call, directly or not."""
    graph = _uses if uses is None else uses
    seen: set[str] = set()
    todo = list(functions)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph.get(name, ()))
    return seen


def begin() -> None:
    """A new test: no function called yet."""
    global _called
    _called = set()


def end() -> None:
    """Outside any graded test: every mistake allowed."""
    global _called
    _called = None


def called(function: str) -> None:
    if _called is not None:
        _called.add(function)


def current() -> set[str] | None:
    """The functions the running test called and the ones they use; None outside a test or before a call."""
    return closure(_called) if _called else None


def allows(functions: Iterable[str] | None) -> bool:
    """May a mistake of `functions` (None: not a catalogued mistake) be named on the running test?"""
    scope = current()
    if scope is None or functions is None:
        return True
    return not scope.isdisjoint(functions)


def allows_code(code: str) -> bool:
    """May feedback code `code` be shown? Codes no catalog lists (value-mismatch, ...) always may."""
    owners = _owners.get(code)
    return owners is None or allows(owners)
