"""click's own texts (Usage:, Options:, "Show this message and exit.", "Error: No such option") in the
active language.

click looks its texts up with gettext (`_("Usage:")`, `ngettext(...)`) through names each of its modules
binds at import; `install` points those names at `translate`, which finds the English text in
messages/click.toml and gives the active language's. A text click adds later stays English, never
breaks. click caches its help option (and so its help text) on each command, so the help formatter
translates that one as it writes it.
"""
from __future__ import annotations

import gettext
import re
import sys
import unicodedata
from collections.abc import Iterable
from functools import cache

import click

from autograder.i18n import DEFAULT, has, language, namespace, t

NAMESPACE = "click"
_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils")


@cache
def _keys() -> dict[str, str]:
    """click's English text -> its key in messages/click.toml."""
    return {texts["en"]: key for key, texts in namespace(NAMESPACE).items()}


def translate(message: str) -> str:
    """click's text `message` in the active language (itself when untranslated or in English)."""
    lang = language()
    key = _keys().get(message)
    if lang == DEFAULT or key is None or not has(f"{NAMESPACE}.{key}"):
        return message
    return namespace(NAMESPACE)[key].get(lang, message)


def translate_plural(singular: str, plural: str, count: int) -> str:
    return translate(singular if count == 1 else plural)


def install() -> None:
    """Route click's gettext look-ups through `translate` (once; harmless to repeat)."""
    for name in _CLICK_MODULES:
        module = sys.modules.get(f"click.{name}")
        if module is None:
            continue
        if getattr(module, "_", None) is gettext.gettext:
            module._ = translate  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = translate_plural  # type: ignore[attr-defined]


def cells(text: str) -> int:
    """Columns `text` takes on a terminal: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_HANGING = re.compile(r"( *)(\S(?:.*?\S)?  +)?(?=\S)")
"""Leading spaces, then an option's term and the 2+ spaces before its help (a definition list's row)."""


def wrap(prefix: str, text: str, width: int) -> list[str]:
    """`text` after `prefix`, in lines of at most `width` terminal columns, continuation lines hanging under
    the text's start."""
    hang = " " * cells(prefix)
    lines: list[str] = []
    current = prefix
    for word in text.split():
        if current.strip() and current not in (prefix, hang) and cells(f"{current} {word}") > width:
            lines.append(current)
            current = hang + word
        else:
            current = word.join((current, "")) if current in (prefix, hang) else f"{current} {word}"
    lines.append(current)
    return lines


def fit(text: str, width: int) -> str:
    """click's help `text` with each paragraph or option help that runs past `width` terminal columns
    wrapped again: click counts characters, so its Korean lines come out up to twice too wide."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        head = _HANGING.match(lines[i])
        prefix = (head.group(1) + (head.group(2) or "")) if head and lines[i].strip() else ""
        hang = cells(prefix)
        j = i + 1  # the lines click wrapped this one into: same hanging indent, not blank
        while j < len(lines) and lines[j].strip() and len(lines[j]) - len(lines[j].lstrip(" ")) == hang \
                and hang > 0:
            j += 1
        block = lines[i:j]
        if prefix and any(cells(line) > width for line in block):
            out += wrap(prefix, " ".join([block[0][len(prefix):], *block[1:]]), width)
        else:
            out += block
        i = j
    return "\n".join(out)


class Formatter(click.HelpFormatter):
    """click's help formatter, translating the texts click cached in English (the help option's), and
    wrapping to the terminal's columns rather than to a count of characters."""

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, translate(text)) for term, text in rows], col_max, col_spacing)

    def getvalue(self) -> str:
        return fit(super().getvalue(), self.width)


class Context(click.Context):
    formatter_class = Formatter


def interrupted_line() -> str:
    """The one line a command ends with on Ctrl-C."""
    return t("cli.interrupted")

