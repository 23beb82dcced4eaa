"""The misconception catalog: for each exercise, the known mistakes students make.

autograder/mistakes/<exercise>.toml lists them, each as

    [[mistake]]
    code = "leaky-relu-alpha"            # stable; the feedback code a student sees
    function = "leaky_relu"              # the exercise function it is a wrong version of
    tasks = ["values"]                   # the tasks it must lose points in
    title = { en = "...", ko = "..." }   # the mistake named in a few words
    hint = { en = "...", ko = "..." }    # how to fix it, in a sentence or two
    wrong = '''
    def leaky_relu(x, alpha=0.01):
        return np.where(x > 0, x, 0.1 * x)
    '''
    also = ["leaky_relu_grad"]          # optional: other functions the same mistake is made in
    raises = "TypeError: only integer"  # optional: the exception it raises (type[|type...]: message regex)

and, once per file, which exercise functions call which (`[uses]`, e.g. `train_step = ["mse_loss"]`):
a mistake is named only on tests of its own function (or `also`), or of a function that uses it
(compare.py enforces this for every check, from the functions the test called).

`wrong` is a small wrong implementation: source that replaces `function` (and
may add helpers) in an otherwise correct module. It has two uses:

- the suites run it on a test's own input (`Catalog.on`) and, when the
  student's failing output equals its output, name the mistake instead of
  showing only a numeric diff;
- tests/test_catalog.py patches it into the reference solution, grades that as
  a student file, and checks the mistake's code comes back: the catalog cannot
  claim to recognise a mistake it does not.

`wrong` runs in the judge (it is kit code, not student code) in a namespace of
numpy as `np` plus what the suite passes, never the solutions, so it also works
in the student edition, which has none.
"""
from __future__ import annotations

import ast
import re
import textwrap
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from autograder.grading import recorded, scope
from autograder.grading.compare import Mistake
from autograder.grading.scope import closure
from autograder.i18n import LANGUAGES, pick
from autograder.tomlcompat import tomllib

MISTAKES = Path(__file__).parent.parent / "mistakes"


class CatalogError(Exception):
    """A catalog file is malformed; a kit bug, reported with the file and the entry."""


class ScopedHint(str):
    """A catalogued mistake's hint: text, and the functions it is about (compare.py drops it elsewhere)."""

    functions: tuple[str, ...]

    def __new__(cls, text: str, functions: tuple[str, ...] = ()) -> ScopedHint:
        hint = super().__new__(cls, text)
        hint.functions = functions
        return hint

    def __getnewargs__(self) -> tuple[str, tuple[str, ...]]:  # type: ignore[override]
        return str(self), self.functions


@dataclass(frozen=True)
class Misconception:
    exercise: str
    code: str
    function: str
    tasks: tuple[str, ...]
    title: Mapping[str, str]
    hint: Mapping[str, str]
    wrong: str
    also: tuple[str, ...] = ()
    """Other functions the same mistake is made in (its code may be named on their tests too)."""
    raises: str | None = None
    """`"<ExceptionType>: <message regex>"`: a student whose call raises this makes this mistake."""

    @property
    def functions(self) -> tuple[str, ...]:
        return (self.function, *self.also)

    def raised_by(self, exc_types: Sequence[str], message: str) -> bool:
        """Does a student fault (its exception classes and "Type: text" message) show this mistake?"""
        if self.raises is None:
            return False
        kinds, _, pattern = self.raises.partition(":")
        return (any(kind.strip() in exc_types for kind in kinds.split("|"))
                and re.search(pattern.strip(), message) is not None)

    def title_text(self, lang: str | None = None) -> str:
        return str(pick(self.title, lang))

    def hint_text(self, lang: str | None = None) -> str:
        """The hint, as a string that remembers its functions: a check on another function's test drops it."""
        return ScopedHint(str(pick(self.hint, lang)), self.functions)

    def found(self, value: Any) -> Mistake:
        """This mistake, matched on a test's input where it returns `value`."""
        return Mistake(self.code, value, exercise=self.exercise, titles=self.title, hints=self.hint,
                       functions=self.functions)

    def implementation(self, namespace: Mapping[str, Any] | None = None) -> Callable[..., Any]:
        """The wrong function itself, its module namespace numpy plus `namespace`."""
        scope: dict[str, Any] = {"np": np, "numpy": np, **(namespace or {})}
        exec(_compiled(self.exercise, self.code, self.wrong), scope)  # noqa: S102 - kit code, not student code
        return scope[self.function]  # type: ignore[no-any-return]


@cache
def _compiled(exercise: str, code: str, source: str) -> Any:
    return compile(source, f"<mistake {exercise}/{code}>", "exec")


class LazyMistakes(Sequence[Mistake]):
    """Mistakes computed the first time someone looks at them.

    A check consults its mistakes only when the student's value is wrong, so a
    correct submission never pays for running the wrong implementations (on the
    real MNIST test set that is ~8 predicts of 10,000 images per submission).
    """

    def __init__(self, make: Callable[[], Iterable[Mistake]]) -> None:
        self._make: Callable[[], Iterable[Mistake]] | None = make
        self._items: tuple[Mistake, ...] = ()

    def _all(self) -> tuple[Mistake, ...]:
        if self._make is not None:
            self._items, self._make = tuple(self._make()), None
        return self._items

    def __iter__(self) -> Iterator[Mistake]:
        return iter(self._all())

    def _forced(self) -> LazyMistakes:
        """Computed now (a recorded lookup is cheap, and a missing answer should show at once)."""
        self._all()
        return self

    def __len__(self) -> int:
        return len(self._all())

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __add__(self, other: Iterable[Mistake]) -> LazyMistakes:
        return LazyMistakes(lambda: (*self, *other))

    def __radd__(self, other: Iterable[Mistake]) -> LazyMistakes:
        return LazyMistakes(lambda: (*other, *self))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (tuple, LazyMistakes)) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]


def lazy(make: Callable[[], Iterable[Mistake]]) -> LazyMistakes:
    """Mistakes a suite derives itself, computed only if a check needs them.

    While answers are recorded for the student edition (and in the edition, where they are looked
    up) they are computed at once: a correct submission never asks, and the edition must know them.
    """
    if recorded.recording() or recorded.edition():
        return LazyMistakes(make)._forced()
    return LazyMistakes(make)


def _text(path: Path, index: int, entry: dict[str, Any], key: str) -> dict[str, str]:
    value = entry.get(key)
    if not isinstance(value, dict) or set(value) != set(LANGUAGES) or not all(
            isinstance(v, str) and v.strip() for v in value.values()):
        raise CatalogError(f"{path}: mistake #{index + 1} ({entry.get('code')}): `{key}` needs a non-empty "
                           f"string for each of {', '.join(LANGUAGES)}")
    return value


def _entry(exercise: str, path: Path, index: int, entry: dict[str, Any]) -> Misconception:
    code, function, wrong = entry.get("code"), entry.get("function"), entry.get("wrong")
    if not (isinstance(code, str) and isinstance(function, str) and isinstance(wrong, str)):
        raise CatalogError(f"{path}: mistake #{index + 1} needs string `code`, `function` and `wrong`")
    wrong = textwrap.dedent(wrong)
    # A text check, not ast.parse: every `nngrade check` loads the catalogs, and tests/test_catalog.py
    # compiles and runs every `wrong` anyway.
    if not re.search(rf"^def {re.escape(function)}\(", wrong, re.MULTILINE):
        raise CatalogError(f"{path}: mistake {code}: `wrong` must define {function}()")
    tasks = entry.get("tasks", [])
    if not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks):
        raise CatalogError(f"{path}: mistake {code}: `tasks` must be a list of task ids")
    also = entry.get("also", [])
    if not isinstance(also, list) or not all(isinstance(f, str) for f in also):
        raise CatalogError(f"{path}: mistake {code}: `also` must be a list of function names")
    raises = entry.get("raises")
    if raises is not None and not (isinstance(raises, str) and re.fullmatch(r"\w+(\|\w+)*:.*", raises)):
        raise CatalogError(f"{path}: mistake {code}: `raises` must read \"<ExceptionType>: <message regex>\"")
    return Misconception(exercise, code, function, tuple(tasks), _text(path, index, entry, "title"),
                         _text(path, index, entry, "hint"), wrong, tuple(also), raises)


@dataclass(frozen=True)
class Catalog:
    """One exercise's mistakes, by code."""

    exercise: str
    mistakes: dict[str, Misconception] = field(default_factory=dict)
    uses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """For each exercise function, the exercise functions it calls (the file's `[uses]` table)."""

    def raised(self, function: str, exc_types: Sequence[str], message: str) -> Misconception | None:
        """The catalogued mistake of `function` (or one it uses) that raises this exception, if any."""
        scope = closure({function}, self.uses)
        return next((m for m in self.mistakes.values()
                     if scope.intersection(m.functions) and m.raised_by(exc_types, message)), None)

    def __getitem__(self, code: str) -> Misconception:
        try:
            return self.mistakes[code]
        except KeyError:
            raise KeyError(f"{code!r} is not in autograder/mistakes/{self.exercise}.toml") from None

    def mistake(self, code: str, value: Any) -> Mistake:
        """Mistake `code` whose output on the test's input is `value` (for values the suite derives itself)."""
        return self[code].found(value)

    def on(self, function: str, *args: Any, namespace: Mapping[str, Any] | None = None,
           part: int | None = None, codes: tuple[str, ...] | None = None, key: Any = None,
           derived: bool = False) -> LazyMistakes:
        """Every catalogued mistake of `function`, run on the test's own input `args` when first needed.

        `part` picks one element of a tuple result; `codes` limits to some mistakes. A wrong
        implementation that raises on this input simply offers no match.

        In the student edition the wrong implementations are withheld and their values on the public
        inputs recorded (autograder/grading/recorded.py): `key` names the call when `args` do not
        (a file path: what the file holds), `namespace` is the judge's fixed helpers and is no part
        of the key, and `derived=True` marks inputs that come from the student's own output, which
        the recording cannot know: there the edition names no mistake rather than fail.
        """
        if not (recorded.edition() or recorded.recording()):
            return LazyMistakes(lambda: self._run(function, args, namespace, part, codes))
        digest = recorded.key_of(function, args if key is None else key, part, codes)
        if recorded.edition():
            # Mistakes only name a failure: one the recording lacks (a call made only on some failure path)
            # names nothing rather than break the test; the release self-check runs strict and sees it.
            if (derived or not recorded.strict()) and not recorded.has(self.exercise, "Catalog.on", digest):
                return LazyMistakes(tuple)
            return LazyMistakes(lambda: recorded.lookup(self.exercise, "Catalog.on", digest))._forced()
        found = self._run(function, args, namespace, part, codes)
        recorded.record(self.exercise, "Catalog.on", digest, found)
        return LazyMistakes(lambda: found)

    def _run(self, function: str, args: tuple[Any, ...], namespace: Mapping[str, Any] | None,
             part: int | None, codes: tuple[str, ...] | None) -> tuple[Mistake, ...]:
        found = []
        for item in self.mistakes.values():
            if item.function != function or (codes is not None and item.code not in codes):
                continue
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    value = item.implementation(namespace)(*args)
                    if part is not None:
                        value = value[part]
            except Exception:  # noqa: BLE001, S112 - a mistake that does not apply to this input matches nothing
                continue
            found.append(item.found(value))
        return tuple(found)


@cache
def load(exercise: str) -> Catalog:
    """The catalog of `exercise` (empty if it has no file)."""
    path = MISTAKES / f"{exercise}.toml"
    if not path.is_file():
        return Catalog(exercise)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: {exc}") from None
    entries = [_entry(exercise, path, i, e) for i, e in enumerate(data.get("mistake", []))]
    codes = [e.code for e in entries]
    duplicated = sorted({c for c in codes if codes.count(c) > 1})
    if duplicated:
        raise CatalogError(f"{path}: code(s) listed twice: {', '.join(duplicated)}")
    uses = data.get("uses", {})
    if not isinstance(uses, dict) or not all(isinstance(v, list) and all(isinstance(f, str) for f in v)
                                             for v in uses.values()):
        raise CatalogError(f"{path}: `[uses]` maps a function to the list of functions it calls")
    result = Catalog(exercise, {e.code: e for e in entries}, {k: tuple(v) for k, v in uses.items()})
    scope.register(exercise, {e.code: e.functions for e in entries}, result.uses)
    return result


def exercises() -> list[str]:
    return sorted(p.stem for p in MISTAKES.glob("*.toml"))


def patched_source(module_source: str, wrong: str) -> str:
    """`module_source` with each function `wrong` defines replaced by the wrong one (new ones appended).

    Used to build a student file that makes exactly one catalogued mistake. `import numpy as np` and any
    other statement of `wrong` go after the docstring and `from __future__` imports, which must stay first.
    """
    tree = ast.parse(module_source)
    wrong_tree = ast.parse(textwrap.dedent(wrong))
    replacements = {node.name: node for node in wrong_tree.body if isinstance(node, ast.FunctionDef)}
    extra = [node for node in wrong_tree.body if not isinstance(node, ast.FunctionDef)]
    body: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in replacements:
            body.append(replacements.pop(node.name))
        else:
            body.append(node)
    body.extend(replacements.values())
    head = 0
    while head < len(body) and ((_is_docstring(body[head]) and head == 0) or _is_future(body[head])):
        head += 1
    numpy = ast.parse("import numpy as np").body
    tree.body = [*body[:head], *numpy, *extra, *body[head:]]
    return ast.unparse(tree) + "\n"


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _is_future(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"
