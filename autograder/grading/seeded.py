"""Inputs a test draws from its seeded generator, and the reference's answers on them, made once per judge.

A test's generator is seeded from its id (GradingPlugin.new_rng), so what it draws is the same for
every submission: a grade-all judge drew the same ~15 random 784-50-100-10 networks and ~1,000 random
images, and ran the reference on them, afresh for each submission (~20 ms of its ~250 ms of CPU a
submission; benchmarks/bench_speed.py). With `remember(True)` (grade-all's judges):

- `drawn(rng, make, ...)` returns what `make(rng, ...)` returned the first time the generator was in
  this very state, and leaves the generator where drawing would have;
- `answered(function, ...)` returns `function`'s earlier answer when every array it is given is one of
  those drawn values (the very objects: read-only, so nothing has changed them).

Off (the default: one check grades once, and keeping the values would only add to its memory), both
simply compute.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

_remember = False
_drawn: dict[tuple[Any, ...], tuple[Any, Any]] = {}
"""(make, its arguments, the generator's state) -> (what it drew, the generator's state after)."""
_owned: dict[int, np.ndarray] = {}
"""id -> array, for every array `drawn` handed out (kept alive here, so an id is never reused)."""
_answers: dict[tuple[Any, ...], Any] = {}


def remember(on: bool) -> None:
    """Keep drawn inputs and answers from now on (True), or forget them all and compute (False)."""
    global _remember
    _remember = on
    if not on:
        _drawn.clear()
        _owned.clear()
        _answers.clear()


def _freeze(value: Any) -> None:
    """Make every array in `value` read-only and known as drawn."""
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
        _owned[id(value)] = value
    elif isinstance(value, dict):
        for item in value.values():
            _freeze(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _freeze(item)


def _fresh(value: Any) -> Any:
    """`value` with new containers (a test may add to a dict it was given) around the same read-only arrays."""
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_fresh(item) for item in value)
    return value


def drawn(rng: np.random.Generator, make: Callable[..., T], *args: Any) -> T:
    """`make(rng, *args)`, drawn once per generator state; `make` must be a module-level function."""
    if not _remember:
        return make(rng, *args)
    assert "<" not in make.__qualname__, f"{make.__qualname__}: a new function each time is never found again"
    state = rng.bit_generator.state
    key = (make, args, repr(state))
    if key not in _drawn:
        value = make(rng, *args)
        _freeze(value)
        _drawn[key] = (value, rng.bit_generator.state)
    value, after = _drawn[key]
    rng.bit_generator.state = after
    return _fresh(value)  # type: ignore[no-any-return]


def _identity(value: Any) -> Any:
    """A key that names `value` exactly, or None when it holds an array `drawn` did not hand out."""
    if isinstance(value, np.ndarray):
        return ("array", id(value)) if _owned.get(id(value)) is value else None
    if isinstance(value, dict):
        items = tuple((key, _identity(item)) for key, item in value.items())
        return None if any(item is None for _, item in items) else ("dict", items)
    if isinstance(value, (list, tuple)):
        items = tuple(_identity(item) for item in value)
        return None if any(item is None for item in items) else (type(value).__name__, items)
    if value is None or isinstance(value, (bool, int, float, str)):
        return (type(value).__name__, value) if value == value else None  # NaN: equal to no key, not even its own
    return None


def answered(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`function(*args, **kwargs)`, computed once when all its arrays were drawn (the reference on drawn inputs)."""
    if not _remember:
        return function(*args, **kwargs)
    inputs = _identity((args, kwargs))
    if inputs is None:
        return function(*args, **kwargs)
    key = (function, inputs)
    if key not in _answers:
        value = function(*args, **kwargs)
        _freeze(value)
        _answers[key] = value
    return _fresh(_answers[key])  # type: ignore[no-any-return]
