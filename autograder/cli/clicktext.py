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
import sys
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


class Formatter(click.HelpFormatter):
    """click's help formatter, translating the texts click cached in English (the help option's)."""

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, translate(text)) for term, text in rows], col_max, col_spacing)


class Context(click.Context):
    formatter_class = Formatter


def interrupted_line() -> str:
    """The one line a command ends with on Ctrl-C."""
    return t("cli.interrupted")

