"""Student text made inert for each medium it is written to: terminal, rich, Markdown, XML, CSV, JSON.

One escaper per medium, applied by the reporter at the moment it writes; the scorecard keeps the raw text.
Every escaper starts from `visible`: control, bidi and invisible characters shown as `\\x1b` or `\\u202e`,
so a student's output can neither drive a terminal nor make a report read other than it does.
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, TypeVar

from autograder.grading.scrub import map_strings, scrub

if TYPE_CHECKING:
    from rich.text import Text

T = TypeVar("T")

_INVISIBLE = (
    "\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb\ufffe\uffff"  # bidi, invisible
    "\U000e0000-\U000e007f"  # tag characters: invisible ASCII look-alikes
)
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + _INVISIBLE + "]")  # C0 but tab and newline, DEL, C1
_SURROGATE = re.compile("[\ud800-\udfff]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else (f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")


def visible(text: str) -> str:
    """Terminal-safe plain text: controls, bidi and invisible characters written out (`\\x1b`), lone surrogates
    U+FFFD, CR a line break; tab and newline kept. Printed, it moves no cursor and reorders nothing."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _HIDDEN.sub(_shown, _SURROGATE.sub("\ufffd", text))


def one_line(text: str) -> str:
    """`visible` on one line: newlines and tabs become spaces (table cells, attributes, CSV cells)."""
    return visible(text).replace("\t", " ").replace("\n", " ")


def card(value: T) -> T:
    """A scorecard (or any dataclass tree) with every string `visible`: what a terminal may print."""
    return map_strings(value, visible)


# --- rich ----------------------------------------------------------------------------------------

def rich_text(text: str, style: str = "") -> Text:
    """A rich Text of student text: never parsed as markup, nothing a terminal would act on."""
    from rich.text import Text

    return Text(visible(text), style=style)


def rich_markup(text: str) -> str:
    """Student text to place inside a rich markup string: `[bold]` stays literal."""
    from rich.markup import escape

    return escape(visible(text))


# --- Markdown ------------------------------------------------------------------------------------

_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Backslash escapes for what is markup anywhere in a line; <, > and & as entities, which every renderer
# reads (Python-Markdown does not take \< as an escape).
_MD_INLINE = re.compile(r"[\\`*_\[\]|#~!&<>]")
_MD_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])")


def _md_char(match: re.Match[str]) -> str:
    char = match[0]
    return _MD_ENTITIES.get(char, "\\" + char)


def markdown_inline(text: str) -> str:
    """Student text inside a Markdown line (a table cell, a heading, bold text): one line, no markup, no HTML."""
    return _MD_INLINE.sub(_md_char, one_line(text))


def markdown_block(text: str) -> str:
    """Student text as Markdown paragraphs: each line inline-escaped, no list, quote, heading or code block
    started by it, line breaks kept."""
    lines = []
    for line in visible(text).split("\n"):
        line = _MD_INLINE.sub(_md_char, line.replace("\t", " ").lstrip(" "))
        # The marker's last character escaped: `\-`, `1\.`.
        lines.append(_MD_LINE_START.sub(lambda m: m[1] + m[2][:-1] + "\\" + m[2][-1], line))
    return "  \n".join(lines)


def markdown_code(text: str) -> str:
    """A fenced code block that the text cannot close: the fence is longer than any run of backticks in it."""
    text = visible(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


# --- XML, CSV, JSON ------------------------------------------------------------------------------

def xml_text(text: str) -> str:
    """Text for an XML element or attribute: only characters XML 1.0 allows (`visible`); the XML library
    escapes < & > and quotes."""
    return visible(text)


def xml_comment(text: str) -> str:
    """Text for inside <!-- -->: one line, never `--` (which would end or break the comment)."""
    text = one_line(text)
    while "--" in text:
        text = text.replace("--", "- -")
    return text


# Spreadsheets run a cell that starts with one of these as a formula (OWASP, CSV injection); tab, CR and
# space because some trim them first; the full-width forms because some East Asian locales read them too.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", " ", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_text(text: str) -> str:
    """A CSV text cell from student-named or student-made text: one line, a leading formula character
    neutralised by a single quote (numbers are written by the reporter, never through this)."""
    value = one_line(text)
    return "'" + value if value.startswith(_FORMULA_START) else value


_JSON_HIDDEN = re.compile("[\x7f-\x9f" + _INVISIBLE + "]")  # json.dumps escapes C0 itself


def json_dumps(value: Any, *, indent: int | None = 2) -> str:
    """JSON text of a JSON-like value that holds student text: lone surrogates U+FFFD (so it can be written as
    UTF-8), C1, bidi and invisible characters as \\u escapes (so the file is safe to print; the data is kept)."""
    text = json.dumps(scrub(value), indent=indent, ensure_ascii=False)
    # Outside strings JSON holds only ASCII, so every such character is inside a string, where \\uXXXX is valid.
    return _JSON_HIDDEN.sub(lambda m: "".join(f"\\u{unit:04x}" for unit in _utf16(m[0])), text)


def _utf16(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
