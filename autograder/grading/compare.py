"""The one comparison helper: every numeric verdict and its message comes from here.

`expect_close` raises `Mismatch`, an AssertionError carrying a structured
`Feedback` (what was checked, input, expected, got, errors against the
tolerance, worst index, shape/dtype problems, NaN/inf) that reporters render.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.grading import scope
from autograder.i18n import pick, t


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: what a catalogued mistake returns on the same input."""

    code: str
    """Stable kebab-case feedback code, e.g. leaky-relu-alpha."""
    value: Any
    """The mistaken implementation's output on the test's input."""
    hint: str | None = None
    """How to fix it, in one language; None takes `hints` in the student's language, when it is shown."""
    exercise: str | None = None
    """The exercise whose catalog (autograder/mistakes/<exercise>.toml) holds `code`."""
    titles: Mapping[str, str] | None = field(default=None, compare=False, hash=False)
    """The catalog's title in every language ({"en": ..., "ko": ...}); None shows the code."""
    hints: Mapping[str, str] | None = field(default=None, compare=False, hash=False)
    """The catalog's hint in every language; texts are picked when shown, so one process serves both."""
    functions: tuple[str, ...] | None = field(default=None, compare=False, hash=False)
    """The exercise functions this is a mistake of: it is named only on their tests (None: any test)."""

    def hint_text(self) -> str | None:
        if self.hint is not None or self.hints is None:
            return self.hint
        return str(pick(self.hints))

    def title_text(self) -> str:
        return self.code if self.titles is None else str(pick(self.titles))


@dataclass(frozen=True)
class StepRow:
    """One row of a step-by-step computation as shown to the student."""

    label: str
    """The step in the worked example's words: "h1 = sigmoid(z1)"."""
    expected: str
    got: str
    verdict: str
    """"ok", "DIVERGES" (the first wrong step) or "wrong" (a later wrong step)."""


@dataclass(frozen=True)
class Feedback:
    """Everything a student needs to act on one failed check."""

    code: str
    """Stable kebab-case code (shape-mismatch, value-mismatch, softmax-overflow, ...)."""
    message: str
    """One-line summary."""
    what: str = ""
    """What was checked, in the worked example's words."""
    inputs: str = ""
    expected: str = ""
    got: str = ""
    details: tuple[str, ...] = ()
    """Error figures against the tolerance, worst index, NaN/inf positions."""
    hint: str | None = None
    steps: tuple[StepRow, ...] = ()
    """For step-by-step computations: every step, the first divergence marked."""


class Mismatch(AssertionError):
    """A check failed; `feedback` says how."""

    def __init__(self, feedback: Feedback) -> None:
        super().__init__(feedback.message)
        self.feedback = feedback


def show(value: Any) -> str:
    """A compact, bounded rendering of a value for feedback."""
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        text = np.array2string(arr, precision=8, threshold=24, edgeitems=3, max_line_width=100)
        return text if arr.ndim == 0 else f"{text}  " + t("core.shape-dtype", shape=arr.shape, dtype=arr.dtype)
    if isinstance(value, (list, tuple)) and len(value) > 12:
        return repr(type(value)(value[:12]))[:-1] + ", ...]"
    text = repr(value)
    return text if len(text) <= 400 else text[:400] + " ..."


def scoped(hint: str | None) -> str | None:
    """`hint`, unless it is a catalogued mistake's (catalog.ScopedHint) about a function the test did not call."""
    functions = getattr(hint, "functions", None)
    if hint is None or (functions is not None and not scope.allows(functions)):
        return None
    return str(hint)  # a plain string in the Feedback: it is pickled and serialised


def _fail(code: str, message: str, what: str, inputs: Any, expected: Any, got: Any,
          details: tuple[str, ...] = (), hint: str | None = None, expected_text: str | None = None) -> Mismatch:
    """The failure; `expected_text` describes what was expected when no expected value is at hand."""
    hint = scoped(hint)
    return Mismatch(Feedback(
        code=code, message=message, what=what,
        inputs="" if inputs is None else show(inputs),
        expected=expected_text if expected_text is not None else show(expected), got=show(got),
        details=details, hint=hint,
    ))


def as_numeric(got: Any, what: str, inputs: Any, expected: Any) -> np.ndarray:
    """The student's value as a numeric array, or a wrong-type Mismatch."""
    if got is None:
        raise _fail("returned-none", t("core.returned-none"), what, inputs, expected, got)
    try:
        arr = np.asarray(got)
    except (ValueError, TypeError) as exc:
        raise _fail("wrong-type", t("core.wrong-type", type=type(got).__name__, error=exc),
                    what, inputs, expected, got) from None
    if arr.dtype.kind not in "biuf":
        raise _fail("wrong-type", t("core.wrong-dtype-kind", type=type(got).__name__, dtype=arr.dtype),
                    what, inputs, expected, got)
    return arr


def _effective_tolerance(dtype: np.dtype[Any], rtol: float, atol: float) -> tuple[float, float]:
    """float32/float16 results get tolerances sized to their precision."""
    if dtype.kind == "f" and np.finfo(dtype).eps > np.finfo(np.float64).eps:
        eps = float(np.finfo(dtype).eps)
        return max(rtol, 64 * eps), max(atol, 8 * eps)
    return rtol, atol


def _index(flat: int, shape: tuple[int, ...]) -> str:
    return str(tuple(int(i) for i in np.unravel_index(flat, shape))) if shape else t("core.scalar")


def _matches(got: np.ndarray, value: Any, rtol: float, atol: float) -> bool:
    """np.allclose(got, value, rtol, atol, equal_nan=True) for the same shape only, at a third of its cost.

    Finite pairs within |got - value| <= atol + rtol * |value|; infinities equal to themselves; NaN to NaN.
    """
    try:
        candidate = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if candidate.shape != got.shape:
        return False
    values = got.astype(np.float64, copy=False)
    with np.errstate(invalid="ignore", over="ignore"):
        within = np.abs(values - candidate) <= atol + rtol * np.abs(candidate)
    finite = np.isfinite(values) & np.isfinite(candidate)
    same = (values == candidate) | (np.isnan(values) & np.isnan(candidate))
    return bool(np.all(np.where(finite, within, same)))


def expect_close(got: Any, expected: Any, *, what: str, inputs: Any = None, rtol: float = 1e-7,
                 atol: float = 1e-8, mistakes: Iterable[Mistake] = (), hint: str | None = None,
                 code: str = "value-mismatch", nonfinite_code: str = "nan-or-inf",
                 nonfinite_hint: str | None = None) -> None:
    """Raise Mismatch unless `got` equals `expected` elementwise within tolerance, with the same shape."""
    want = np.asarray(expected, dtype=np.float64)
    if not scope.allows_code(code):  # a catalogued code of another function than the test's: not this test's
        code, hint = "value-mismatch", None
    if not scope.allows_code(nonfinite_code):
        nonfinite_code, nonfinite_hint = "nan-or-inf", None
    arr = as_numeric(got, what, inputs, expected)
    rtol, atol = _effective_tolerance(arr.dtype, rtol, atol)
    # A known mistake explains a failure better than any diff. Mistakes may be lazy (catalog.LazyMistakes):
    # look at them only once the value is known to be wrong.
    if _matches(arr, want, rtol, atol):
        return  # right (same shape, every element within tolerance): nothing below could fail
    for mistake in mistakes:
        if not (scope.allows(mistake.functions) if mistake.functions is not None else scope.allows_code(mistake.code)):
            continue  # a mistake of a function this test did not call cannot be what went wrong here
        if _matches(arr, mistake.value, rtol, atol):
            raise _fail(mistake.code, t("core.known-mistake", what=what, mistake=mistake.title_text()),
                        what, inputs, expected, got, _curve(arr, want), hint=mistake.hint_text())
    if arr.shape != want.shape:
        raise _fail("shape-mismatch", t("core.shape-mismatch", what=what, expected=want.shape, got=arr.shape),
                    what, inputs, expected, got, hint=hint)
    values = arr.astype(np.float64)
    finite_expected = np.isfinite(want)
    bad = ~np.isfinite(values) & finite_expected
    if bad.any():
        where = [_index(i, arr.shape) for i in np.flatnonzero(bad)[:5]]
        kinds = sorted({"NaN" if np.isnan(v) else "inf" for v in values[bad]})
        raise _fail(nonfinite_code, t("core.nan-or-inf", what=what, kinds="/".join(kinds)),
                    what, inputs, expected, got, (t("core.nonfinite-at", where=", ".join(where)),),
                    hint=nonfinite_hint or hint)
    error = np.abs(values - want)
    allowed = atol + rtol * np.abs(want)
    wrong = ~(error <= allowed) & finite_expected
    wrong |= ~finite_expected & ~((values == want) | (np.isnan(values) & np.isnan(want)))
    if not wrong.any():
        return
    worst = int(np.argmax(np.where(wrong, error - allowed, -np.inf)))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # huge errors are reported, not warned
        # |a - b| / max(|a|, |b|): bounded by 2, meaningful where the expected value is 0
        relative = error / np.maximum(np.maximum(np.abs(want), np.abs(values)), np.finfo(np.float64).tiny)
    details: tuple[str, ...] = (
        t("core.max-abs-error", error=f"{float(np.max(error[wrong])):.3g}", atol=f"{atol:g}", rtol=f"{rtol:g}"),
        t("core.max-rel-error", error=f"{float(np.max(relative[wrong])):.3g}"),
        t("core.worst-element", wrong=int(wrong.sum()), size=wrong.size, index=_index(worst, arr.shape),
          expected=f"{want.reshape(-1)[worst]:.8g}", got=f"{values.reshape(-1)[worst]:.8g}"),
    )
    details += _curve(arr, want)
    raise _fail(code, t("core.value-mismatch", what=what), what, inputs, expected, got, details, hint)


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(difference: np.ndarray, width: int = 40) -> str:
    """|got - expected| along a 1-D input as a text sparkline, so a student sees *where* it goes wrong."""
    size = np.abs(np.nan_to_num(difference, nan=np.inf, posinf=np.inf, neginf=np.inf)).astype(np.float64)
    buckets = [chunk.max() for chunk in np.array_split(size, min(width, size.size))]
    finite = [b for b in buckets if np.isfinite(b)]
    top = max(finite) if finite else 0.0
    if top == 0:
        return "".join("█" if not np.isfinite(b) else "▁" for b in buckets)
    return "".join("█" if not np.isfinite(b) else _BARS[min(int(b / top * 7.999), 7)] for b in buckets)


def _curve(got: np.ndarray, want: np.ndarray) -> tuple[str, ...]:
    """A sparkline detail for 1-D results of the expected shape (none otherwise)."""
    if want.ndim != 1 or want.size < 4 or got.shape != want.shape:
        return ()
    return (t("core.difference-sparkline", line=sparkline(got.astype(np.float64) - want)),)


def expect_integer(got: Any, *, what: str, inputs: Any = None, expected: Any = None,
                   hint: str | None = None) -> np.ndarray:
    """Raise Mismatch unless `got` holds integers (int dtype, or Python int); returns it as an array."""
    arr = as_numeric(got, what, inputs, expected)
    if arr.dtype.kind == "b":
        raise _fail("bool-not-int", t("core.bool-not-int", what=what), what, inputs, expected,
                    got, hint=hint or t("core.bool-not-int-hint"))
    if arr.dtype.kind not in "iu":
        # Without the expected values at hand, the panel still says what kind of value was expected.
        raise _fail("dtype-mismatch", t("core.dtype-mismatch", what=what, dtype=arr.dtype), what, inputs,
                    expected, got, hint=hint,
                    expected_text=t("core.integers-expected") if expected is None else None)
    return arr


def expect_shape(got: Any, shape: tuple[int, ...], *, what: str, inputs: Any = None,
                 hint: str | None = None) -> np.ndarray:
    """Raise Mismatch unless `got` is numeric with exactly this shape; returns it as an array."""
    arr = as_numeric(got, what, inputs, None)
    if arr.shape != tuple(shape):
        raise _fail("shape-mismatch", t("core.shape-mismatch", what=what, expected=tuple(shape), got=arr.shape),
                    what, inputs, t("core.shape-of", shape=tuple(shape)), got, hint=hint)
    return arr


WARNING_CODES = {
    # what numpy's RuntimeWarning says ("<kind> encountered in <operation>") -> its own feedback code
    ("overflow", "exp"): "overflow-in-exp",
    ("divide by zero", "log"): "divide-by-zero-in-log",
    ("divide by zero", ""): "divide-by-zero",
    ("invalid value", ""): "invalid-value",
    ("overflow", ""): "overflow",
    ("underflow", ""): "underflow",
}
EXPLAINS = {
    # a suite's catalogued code for a warning, and the warnings (by their own code) it is the cause of
    "sigmoid-overflow": {"overflow-in-exp"},
    "exp-overflow": {"overflow-in-exp", "overflow"},
    "tanh-overflow": {"overflow-in-exp", "overflow"},
    "softmax-overflow": {"overflow-in-exp"},
    "log-softmax-overflow": {"overflow-in-exp"},
    "softmax-underflow": {"invalid-value", "divide-by-zero", "divide-by-zero-in-log"},
    "log-of-softmax": {"divide-by-zero-in-log"},
}


def warning_code(message: str) -> str:
    """The feedback code of a numpy RuntimeWarning, by what raised it: overflow-in-exp, divide-by-zero-in-log,
    divide-by-zero, invalid-value, overflow, underflow; runtime-warning for any other."""
    head, _, operation = message.partition(" encountered in ")
    kind = head.strip().lower()
    operation = operation.strip().split()[0] if operation.strip() else ""
    for key in ((kind, operation), (kind, "")):
        if key in WARNING_CODES:
            return WARNING_CODES[key]
    return "runtime-warning"


def expect_no_warnings(warnings: tuple[tuple[str, str], ...], *, what: str, inputs: Any = None,
                       code: str = "runtime-warning", hint: str | None = None) -> None:
    """Raise Mismatch if the call emitted a RuntimeWarning (overflow, invalid value, ...).

    `code` and `hint` are the suite's diagnosis (sigmoid-overflow, ...): they are used only when the
    first warning is one that mistake causes (EXPLAINS) and it is a mistake of a function the test
    called; otherwise the warning is named by what raised it (overflow-in-exp, divide-by-zero-in-log, ...).
    """
    runtime = [message for category, message in warnings if category == "RuntimeWarning"]
    if runtime:
        own = warning_code(runtime[0])
        if code != own and not (own in EXPLAINS.get(code, ()) and scope.allows_code(code)):
            code, hint = own, t(f"core.warning-hint-{own}")
        hint = scoped(hint)
        raise Mismatch(Feedback(
            code=code, message=t("core.runtime-warning", what=what, warning=runtime[0]), what=what,
            inputs="" if inputs is None else show(inputs), details=tuple(f"RuntimeWarning: {m}" for m in runtime[:3]),
            hint=hint,
        ))


@dataclass(frozen=True)
class Step:
    """One intermediate value of a worked example to check, in order."""

    label: str
    got: Any
    expected: Any
    mistakes: Iterable[Mistake] = ()


def expect_steps(steps: list[Step], *, what: str, inputs: Any = None, rtol: float = 1e-7, atol: float = 1e-8,
                 hint: str | None = None) -> None:
    """Check a computation step by step; on failure, report the FIRST step that diverges and the whole table."""
    verdicts: list[str] = []
    first: Mismatch | None = None
    first_label = ""
    for step in steps:
        try:
            expect_close(step.got, step.expected, what=step.label, rtol=rtol, atol=atol, mistakes=step.mistakes)
            verdicts.append("ok")
        except Mismatch as mismatch:
            verdicts.append("wrong" if first else "DIVERGES")
            if first is None:
                first, first_label = mismatch, step.label
    if first is None:
        return
    # The table is formatted only for a wrong answer: formatting every value costs more than checking it.
    rows = [StepRow(step.label, show(step.expected), show(step.got), verdict) for step, verdict in zip(steps, verdicts)]
    fb = first.feedback
    message = t("core.first-divergence", what=what, step=first_label)
    named = next((m for step in steps if step.label == first_label for m in step.mistakes if m.code == fb.code), None)
    if named is not None:  # the step table still names the catalogued mistake, not only its code
        message = t("core.first-divergence-mistake", what=what, step=first_label, mistake=named.title_text())
    raise Mismatch(Feedback(
        code=fb.code, message=message, what=what,
        inputs="" if inputs is None else show(inputs), expected=fb.expected, got=fb.got, details=fb.details,
        hint=fb.hint or scoped(hint), steps=tuple(rows),
    ))


@dataclass(frozen=True)
class Checker:
    """expect_* bound to one task's tolerances (the `expect` fixture)."""

    rtol: float
    atol: float

    def close(self, got: Any, expected: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rtol", self.rtol)
        kwargs.setdefault("atol", self.atol)
        expect_close(got, expected, **kwargs)

    def steps(self, steps: list[Step], **kwargs: Any) -> None:
        kwargs.setdefault("rtol", self.rtol)
        kwargs.setdefault("atol", self.atol)
        expect_steps(steps, **kwargs)

    integer = staticmethod(expect_integer)
    shape = staticmethod(expect_shape)
    no_warnings = staticmethod(expect_no_warnings)


def plain(value: Any) -> Any:
    """`value` as plain Python, as a student's caller may pass it ("array" means anything np.asarray accepts):
    arrays become nested lists, inside tuples, lists and dicts too."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(plain(item) for item in value)
    return value
