"""Recorded answers: the expected values of public tests as data, for the student edition.

In the kit a suite computes what a public test expects with the judge's own formulas
(the chain rule of the worked example, a stable sigmoid, the catalog's wrong
implementations). Shipping those formulas would ship the answers, so each such suite
function is marked `@oracle`, and the catalog's `Catalog.on` is recorded the same way:

- in the kit an oracle simply computes;
- `nngrade release` runs the edition's public tests against the reference solutions with
  recording on (`NNGRADE_RECORD_ANSWERS=folder`): every oracle call stores
  (function, canonical key of its inputs) -> result, written as JSON into
  autograder/suites/answers/<exercise>.json (arrays as dtype, shape and base64 bytes; never pickle);
- in the edition release has replaced every oracle's body by `raise Withheld`, and the
  decorator answers from the recording instead.

The inputs of an oracle never come from a student's output (the suites pass only their own
constants and seeded inputs), so a correct submission always finds its answers. A miss means the
recording is out of date: a kit error, which the release self-check meets before any student does.
A lookup is answered only inside a running judge test (pytest's PYTEST_CURRENT_TEST): copied out of
the edition, an oracle answers nothing.
"""
from __future__ import annotations

import atexit
import base64
import functools
import hashlib
import inspect
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from autograder.grading.compare import Mistake

ANSWERS = Path(__file__).resolve().parent.parent / "suites" / "answers"
"""In the edition only: the recorded answers, one JSON file per exercise."""
RECORD_ENV = "NNGRADE_RECORD_ANSWERS"
"""Set to a folder: record every oracle call of this process into it (release does this)."""
STRICT_ENV = "NNGRADE_STRICT_ANSWERS"
"""Set: a catalogued mistake with no recorded value is a kit error too (release's self-check, the kit's tests)."""
FORMAT = 1

F = TypeVar("F", bound=Callable[..., Any])


class Withheld(Exception):
    """An oracle's body in the edition: the formula is not shipped, its answers are."""


class AnswerMissing(Exception):
    """The edition has no recorded answer for this call: a kit error (the recording is out of date)."""


class Unkeyable(TypeError):
    """An oracle was given a value that has no canonical key (a lambda, an open file...)."""


# --- canonical keys -------------------------------------------------------------------------

def _feed(h: Any, value: Any) -> None:
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise Unkeyable("an object array has no canonical key")
        h.update(f"A{value.dtype.str}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, np.generic):
        h.update(f"S{value.dtype.str}".encode())
        h.update(value.tobytes())
    elif value is None or isinstance(value, (bool, int, str, bytes)):
        h.update(f"P{type(value).__name__}:{value!r}".encode())
    elif isinstance(value, float):
        h.update(f"F{value.hex()}".encode())
    elif isinstance(value, (list, tuple)):
        h.update(f"{'L' if isinstance(value, list) else 'T'}{len(value)}(".encode())
        for item in value:
            _feed(h, item)
        h.update(b")")
    elif isinstance(value, Mapping):
        h.update(f"D{len(value)}(".encode())
        for k in sorted(value, key=repr):
            _feed(h, k)
            _feed(h, value[k])
        h.update(b")")
    else:
        raise Unkeyable(f"{type(value).__name__} has no canonical key")


def key_of(*values: Any) -> str:
    """A hash over arrays' dtype, shape and bytes, scalars, and containers of them, recursively."""
    h = hashlib.sha256()
    for value in values:
        _feed(h, value)
    return h.hexdigest()


# --- JSON for results ------------------------------------------------------------------------

def encode(value: Any) -> Any:
    """A JSON-able form of a result (lazy mistakes are computed here)."""
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise Unkeyable("an object array cannot be recorded")
        return {"~": "array", "dtype": value.dtype.str, "shape": list(value.shape),
                "data": base64.b64encode(np.ascontiguousarray(value).tobytes()).decode()}
    if isinstance(value, np.generic):
        return {"~": "scalar", "dtype": value.dtype.str, "data": base64.b64encode(value.tobytes()).decode()}
    if isinstance(value, float):
        return {"~": "float", "hex": value.hex()}  # exact, and NaN/inf stay valid JSON
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Mistake):
        return {"~": "mistake", "code": value.code, "value": encode(value.value), "hint": value.hint,
                "exercise": value.exercise, "titles": dict(value.titles or {}) or None,
                "hints": dict(value.hints or {}) or None,
                "functions": list(value.functions) if value.functions is not None else None}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {"~": "dict", "items": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, Sequence):  # tuples, and the catalog's lazy mistakes (computed now)
        return {"~": "tuple", "items": [encode(v) for v in value]}
    raise Unkeyable(f"{type(value).__name__} cannot be recorded")


def _shared(data: Any, blobs: dict[str, str]) -> Any:
    """`data` with each array's bytes moved into `blobs` under their hash (the same array is stored once)."""
    if isinstance(data, list):
        return [_shared(v, blobs) for v in data]
    if not isinstance(data, dict):
        return data
    if data.get("~") == "array" and "data" in data:
        digest = hashlib.sha256(data["data"].encode()).hexdigest()[:32]
        blobs[digest] = data["data"]
        return {**{k: v for k, v in data.items() if k != "data"}, "blob": digest}
    return {k: _shared(v, blobs) for k, v in data.items()}


def decode(data: Any, blobs: Mapping[str, str] | None = None) -> Any:
    if isinstance(data, list):
        return [decode(v, blobs) for v in data]
    if not isinstance(data, dict):
        return data
    kind = data["~"]
    if kind == "array":
        raw = base64.b64decode(data["data"] if "data" in data else (blobs or {})[data["blob"]])
        return np.frombuffer(raw, dtype=np.dtype(data["dtype"])).reshape(data["shape"]).copy()
    if kind == "scalar":
        return np.frombuffer(base64.b64decode(data["data"]), dtype=np.dtype(data["dtype"]))[0]
    if kind == "float":
        return float.fromhex(data["hex"])
    if kind == "tuple":
        return tuple(decode(v, blobs) for v in data["items"])
    if kind == "dict":
        return {decode(k, blobs): decode(v, blobs) for k, v in data["items"]}
    if kind == "mistake":
        functions = data["functions"]
        return Mistake(data["code"], decode(data["value"], blobs), hint=data["hint"], exercise=data["exercise"],
                       titles=data["titles"], hints=data["hints"],
                       functions=tuple(functions) if functions is not None else None)
    raise AnswerMissing(f"unknown recorded value kind {kind!r}")


# --- recording and looking up -------------------------------------------------------------------

_recording: dict[str, dict[str, dict[str, Any]]] = {}
"""exercise -> name -> key -> encoded result, while NNGRADE_RECORD_ANSWERS is set."""


@functools.cache
def edition() -> bool:
    """Is this the student edition (answers recorded, formulas withheld)? Asked on every oracle call: once."""
    return ANSWERS.is_dir()


def recording() -> bool:
    return bool(os.environ.get(RECORD_ENV)) and not edition()


_calls: list[Any] = []
"""Calls the public tests made to the (reference) student functions, with what they returned, while recording."""
CALLS = "calls.jsonl"
"""In the recording folder, not the edition: what release's second proof calls the edition's functions with."""


def student_call(module: str, function: str, args: tuple[Any, ...], kwargs: Mapping[str, Any], value: Any) -> None:
    """Remember a call of a graded function and the reference's answer (recording only)."""
    if not recording():
        return
    try:
        _calls.append(encode({"module": module, "function": function, "args": tuple(args), "kwargs": dict(kwargs),
                              "value": value, "test": os.environ.get("PYTEST_CURRENT_TEST", "")}))
    except Unkeyable:  # e.g. bytes: nothing the edition's functions are probed with
        return
    if not _recording and len(_calls) == 1:
        atexit.register(_flush)


def _flush() -> None:
    folder = os.environ.get(RECORD_ENV)
    if not folder or not (_recording or _calls):
        return
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    if _calls:
        with open(target / CALLS, "a", encoding="utf-8") as calls:
            calls.writelines(json.dumps(call) + "\n" for call in _calls)
    for exercise, names in _recording.items():
        path = target / f"{exercise}.json"
        old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"answers": {}, "blobs": {}}
        blobs: dict[str, str] = old["blobs"]
        for name, entries in names.items():
            old["answers"].setdefault(name, {}).update(_shared(entries, blobs))
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"format": FORMAT, "answers": old["answers"], "blobs": blobs}, sort_keys=True),
                       encoding="utf-8")
        os.replace(tmp, path)


_inside = 0
"""How many oracles are computing right now: what an oracle computes inside another is not recorded."""


def record(exercise: str, name: str, key: str, result: Any) -> None:
    """Store one answer, unless an enclosing oracle's answer already holds it (the edition never asks)."""
    if _inside:
        return
    if not _recording and not _calls:
        atexit.register(_flush)
    _recording.setdefault(exercise, {}).setdefault(name, {})[key] = encode(result)


@functools.cache
def _file(exercise: str) -> dict[str, Any]:
    path = ANSWERS / f"{exercise}.json"
    if not path.is_file():
        return {"answers": {}, "blobs": {}}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise AnswerMissing(f"{path}: recorded answers of an unknown format")
    return data


def _answers(exercise: str) -> dict[str, dict[str, Any]]:
    return _file(exercise)["answers"]  # type: ignore[no-any-return]


def strict() -> bool:
    return bool(os.environ.get(STRICT_ENV))


def in_a_test() -> bool:
    """Is a judge's test running? (pytest sets PYTEST_CURRENT_TEST for each test's setup, call and teardown.)"""
    return bool(os.environ.get("PYTEST_CURRENT_TEST"))


def has(exercise: str, name: str, key: str) -> bool:
    return in_a_test() and key in _answers(exercise).get(name, {})


def recorded(exercise: str, name: str) -> bool:
    """Was `name` called at all when the edition was recorded? (The MNIST data may have been absent.)"""
    return bool(_answers(exercise).get(name))


def lookup(exercise: str, name: str, key: str) -> Any:
    """The recorded answer; AnswerMissing when there is none (or no judge's test is running)."""
    if not in_a_test():
        raise AnswerMissing(f"{name}: recorded answers are given only to the judge's tests")
    try:
        return decode(_answers(exercise)[name][key], _file(exercise)["blobs"])
    except KeyError:
        raise AnswerMissing(
            f"no recorded answer for {exercise}/{name} on these inputs: the edition's answers are out of date "
            "(a kit error: tell your instructor; the grade itself is computed with the full kit)") from None


def exercise_of(function: Callable[..., Any]) -> str:
    """'backprop' for a function of autograder/suites/test_backprop.py."""
    return Path(inspect.getfile(function)).stem.removeprefix("test_")


def oracle(function: F | None = None, *, key: Callable[..., Any] | None = None) -> Any:
    """Mark a suite function that computes an expected value from its inputs (see the module docstring).

    `key(*args, **kwargs)` gives the values that identify a call when the arguments themselves do not
    (a file path: its content); by default the arguments are the key.
    """
    def decorate(fn: F) -> F:
        exercise, name = exercise_of(fn), fn.__qualname__

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not edition() and not recording():
                return fn(*args, **kwargs)  # the kit: compute, exactly as before
            identity = key(*args, **kwargs) if key is not None else (args, kwargs)
            digest = key_of(identity)
            if edition():
                return lookup(exercise, name, digest)
            global _inside
            _inside += 1
            try:
                result = fn(*args, **kwargs)
            finally:
                _inside -= 1
            record(exercise, name, digest, result)
            return result

        wrapper.__oracle__ = True  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate(function) if function is not None else decorate
