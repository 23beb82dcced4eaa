"""Student-made text made safe for every file and terminal: lone surrogates and control characters replaced.

In the grading layer because grading makes every scorecard safe once, before any
reporter sees it; reporters and batch use the same functions for their own text.
This only keeps files valid: what a medium would act on (markup, terminal
controls, formulas) is escaped by its reporter, with `autograder.reporters.escape`.
"""
from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

T = TypeVar("T")

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """Student-made text made safe for any file: lone surrogates and control characters become U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def scrub(value: Any) -> Any:
    """`clean` applied to every string of a JSON-like value (dict keys too)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


def map_strings(value: T, change: Callable[[str], str]) -> T:
    """`change` applied to every string in a Scorecard (or any frozen dataclass tree); enums kept as they are."""
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return change(value)  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Only what changed is rebuilt: a clean card (almost every one) comes back as it is, without the
        # dataclasses.replace of each of its ~250 results (~10 ms of every grade-all submission).
        changes = {name: new for name in _init_fields(type(value))
                   if (new := map_strings(old := getattr(value, name), change)) is not old}
        return dataclasses.replace(value, **changes) if changes else value  # type: ignore[return-value]
    if isinstance(value, tuple):
        items = tuple(map_strings(v, change) for v in value)
        return value if all(a is b for a, b in zip(items, value)) else items  # type: ignore[return-value]
    return value


@functools.cache
def _init_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)


def scrub_card(value: T) -> T:
    """`clean` applied to every string in a Scorecard (or any frozen dataclass tree): safe for every reporter."""
    return map_strings(value, clean)
