"""A student module that cannot be loaded, as one result a student can act on: the file, the line, a caret.

A SyntaxError, a file that is not UTF-8 or an exception raised while importing fails
every test of the module for the same reason. Each such result carries the same
message (the file, never the function a test called), so reports show it once; the
line itself and a caret under it are the feedback's `details`, Python's own words are
explained in the student's language where a message file knows them.
"""
from __future__ import annotations

import re
import unicodedata

from autograder.grading.compare import Feedback
from autograder.i18n import has, t
from autograder.sandbox.faults import Fault, FaultKind, Spot

LOAD_KINDS = frozenset({FaultKind.SYNTAX_ERROR, FaultKind.IMPORT_ERROR, FaultKind.NOT_UTF8, FaultKind.BINARY_SOURCE,
                        FaultKind.IMPORT_TIMEOUT})
"""Faults of loading a module: the same for every function of it."""
WHILE_LOADING = frozenset({FaultKind.EXIT_CALLED, FaultKind.SANDBOX_REFUSED, FaultKind.MEMORY_LIMIT,
                           FaultKind.RECURSION_LIMIT})
"""Faults a call can raise too: loading's own when the worker says where in the file loading stopped (a spot)."""
EXCERPT_CELLS = 60
"""Terminal cells of source shown: the gutter, the line and the panel's borders fit in 80 columns."""

# Python's words for the common syntax errors -> the message key that explains them (groups become parameters).
_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), key) for pattern, key in (
    (r"^invalid syntax\. Perhaps you forgot a comma\?$", "forgot-comma"),
    (r"^invalid syntax$", "invalid-syntax"),
    (r"^expected '(?P<token>.{1,3})'$", "expected-token"),
    (r"^unexpected indent$", "unexpected-indent"),
    (r"^expected an indented block after (?P<what>.{1,80}?)(?: on line (?P<line>\d+))?$", "expected-indent"),
    (r"^expected an indented block$", "expected-indent-plain"),
    (r"^unindent does not match any outer indentation level$", "unindent"),
    (r"^inconsistent use of tabs and spaces in indentation$", "tabs-and-spaces"),
    (r"^unterminated (?:triple-quoted )?string literal.*$", "unterminated-string"),
    (r"^'(?P<bracket>[(\[{])' was never closed$", "never-closed"),
    (r"^unmatched '(?P<bracket>[)\]}])'$", "unmatched"),
    (r"^closing parenthesis '(?P<closing>.)' does not match opening parenthesis '(?P<opening>.)'.*$",
     "mismatched-brackets"),
    (r"^invalid character '(?P<char>.)' \((?P<code>U\+[0-9A-F]{4,6})\)$", "invalid-character"),
    (r"^invalid non-printable character (?P<code>U\+[0-9A-F]{4,6})$", "invalid-character-code"),
    (r"^Missing parentheses in call to '(?P<name>\w{1,40})'.*$", "missing-parentheses"),
    (r"^'return' outside function$", "return-outside-function"),
    (r"^invalid decimal literal$", "invalid-decimal-literal"),
    (r"^cannot assign to (?P<what>.{1,60}?)(?: here)?\..*$|^cannot assign to (?P<what2>.{1,60})$",
     "cannot-assign"),
    (r"^unexpected EOF while parsing$", "unexpected-eof"),
))


def problem_text(problem: str) -> str:
    """Python's words for a syntax error in the student's language (Python's own when no message knows them)."""
    for pattern, key in _PROBLEMS:
        match = pattern.match(problem)
        if match is not None and has(f"core.syntax-{key}"):
            values = {k: v for k, v in match.groupdict().items() if v is not None}
            if "what2" in values:
                values["what"] = values.pop("what2")
            if key == "expected-indent":
                values["what"] = _block_name(values["what"])
                values.setdefault("line", "?")
            return t(f"core.syntax-{key}", **values)
    return t("core.syntax-other", problem=problem)


def _block_name(what: str) -> str:
    """"function definition", "'if' statement" in the student's language (Python's words otherwise)."""
    if what in ("function definition", "class definition"):
        return t(f"core.syntax-block-{what.split()[0]}")
    statement = re.fullmatch(r"'(\w{1,20})' statement", what)
    return t("core.syntax-block-statement", keyword=statement.group(1)) if statement else what


def _cells(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def excerpt(spot: Spot) -> tuple[str, ...]:
    """The source line and a caret line under it, as a report shows them: `  15 | return x +` / `     |   ^`.

    Tabs become four spaces and wide (Hangul) characters count two cells, so the caret stands under the
    character it means; a long line is cut to EXCERPT_CELLS around the caret.
    """
    if not spot.text.strip():
        return ()
    chars = list(spot.text)
    column = min(max(spot.column, 0), len(chars) + 1)
    end = min(max(spot.end_column, column + 1), len(chars) + 1) if column else 0
    shown: list[tuple[str, int]] = []  # (text, cells) per source character, tabs expanded
    for char in chars:
        text = "    " if char == "\t" else (char if char.isprintable() else "\ufffd")
        shown.append((text, sum(_cells(c) for c in text)))
    before = [0]  # before[i]: cells of the characters ahead of character i (one pass: the line may be hostile)
    for _, cells in shown:
        before.append(before[-1] + cells)
    first = 0
    if before[-1] > EXCERPT_CELLS:
        # Keep the caret in view: start at most a third of the window before it, then take what fits.
        target = min(max((column or 1) - 1, 0), len(shown))
        while first < target and before[target] - before[first] > EXCERPT_CELLS // 3:
            first += 1
    last = first
    while last < len(shown) and before[last + 1] - before[first] <= EXCERPT_CELLS:
        last += 1
    line = ("…" if first else "") + "".join(text for text, _ in shown[first:last]) + ("…" if last < len(shown) else "")
    gutter = f"{spot.line:>4} | " if spot.line else "     | "
    lines = [gutter + line]
    if column:
        pad = (1 if first else 0) + sum(c for _, c in shown[first:max(column - 1, first)])
        width = max(1, sum(c for _, c in shown[column - 1:min(end - 1, last)])) if end else 1
        lines.append("     | " + " " * pad + "^" * width)
    return tuple(lines)


def loading_failed(fault: Fault) -> bool:
    """True when the module could not be loaded: every test of it fails for this one reason."""
    return fault.kind in LOAD_KINDS or (fault.kind in WHILE_LOADING and fault.spot is not None)


def load_where(fault: Fault, module: str) -> str:
    """"gates.py, line 3" (or just the file when the line is not known), in the student's language."""
    spot = fault.spot
    if spot is None or not spot.line:
        return spot.file if spot is not None else f"{module}.py"
    return t("core.load-where", file=spot.file, line=spot.line)


def student_trace(fault: Fault) -> str:
    """The student's traceback when it says more than the excerpt: frames in two or more places."""
    frames = [line for line in fault.trace.splitlines() if line.startswith("  ") and not line.startswith("    ")]
    return fault.trace if len(frames) > 1 else ""


def load_failure(fault: Fault, module: str) -> tuple[str, Feedback]:
    """The one-line message and the feedback of a module that could not be loaded (fault.kind in LOAD_KINDS)."""
    spot = fault.spot
    file = spot.file if spot is not None else f"{module}.py"
    kind = fault.kind
    details = excerpt(spot) if spot is not None else ()
    if kind is FaultKind.SYNTAX_ERROR:
        problem = problem_text(spot.problem) if spot is not None and spot.problem else fault.message
        message = t("core.load-syntax", file=file, line=spot.line if spot is not None and spot.line else "?",
                    problem=problem, error=fault.exc_type or "SyntaxError")
    elif kind is FaultKind.NOT_UTF8 and spot is not None and spot.byte >= 0:
        message = t("core.load-not-utf8", file=file, line=spot.line, byte=f"0x{spot.byte:02x}")
    elif kind is FaultKind.NOT_UTF8:
        message = t("core.load-unknown-encoding", file=file)
    elif kind is FaultKind.BINARY_SOURCE:
        message = t("core.load-binary", file=file)
    elif fault.exc_type == "ModuleNotFoundError" and (name := re.search(r"No module named '([\w.]{1,80})'",
                                                                        fault.message)):
        message = t("core.load-module-not-found", file=file, line=spot.line if spot else "?", name=name.group(1))
        return message, Feedback(kind.value, message, details=details,
                                 hint=t("core.load-hint-module-not-found", file=file, name=name.group(1)))
    elif kind is FaultKind.IMPORT_TIMEOUT:
        message = t("core.import-timeout", where=load_where(fault, module), detail=fault.message)
    elif kind in WHILE_LOADING:
        message = t(f"core.fault-{kind.value}", where=load_where(fault, module), detail=fault.message)
    elif spot is not None and spot.line:
        message = t("core.load-raised", file=file, line=spot.line, error=fault.message)
    else:
        message = t("core.load-raised-nowhere", file=file, error=fault.message)
    hint_key = {FaultKind.SYNTAX_ERROR: "core.load-hint-syntax", FaultKind.NOT_UTF8: "core.load-hint-utf8",
                FaultKind.BINARY_SOURCE: "core.load-hint-binary"}.get(kind, "core.load-hint-raised")
    return message, Feedback(kind.value, message, details=details, hint=t(hint_key, file=file))
