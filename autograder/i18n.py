"""Messages in English and Korean: `t("core.value-mismatch", what=...)`.

Every text a student reads lives in autograder/messages/<namespace>.toml, one
table per message with one string per language side by side, so a translator
sees both and a test can prove none is missing:

    [value-mismatch]
    en = "{what}: values differ from the expected ones"
    ko = "{what}: 값이 기대한 값과 다릅니다"

The current language is this module's own state: the CLI sets it from `--lang`
(`set_language`); until something does, it is NNGRADE_LANG's, else the locale's.
Setting it never touches the environment: whoever starts another process (the
grade-all judges) tells that process the language explicitly. Text is looked
up when it is shown, never at import time, so one process can grade in both
languages, and functions that produce text take a `lang` argument.
"""
from __future__ import annotations

import os
import string
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from autograder.tomlcompat import tomllib

LANGUAGES = ("en", "ko")
DEFAULT = "en"
ENV = "NNGRADE_LANG"
MESSAGES = Path(__file__).parent / "messages"

_active: str | None = None


def language_from_locale(environ: Mapping[str, str]) -> str:
    """ko for a Korean locale (ko_KR.UTF-8, ko), else en; the first of LC_ALL, LC_MESSAGES, LANG that is set wins."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "ko" if value.lower().startswith("ko") else DEFAULT
    return DEFAULT


def detect_language(environ: Mapping[str, str] | None = None) -> str:
    """NNGRADE_LANG if it names a language we have, else the locale's."""
    environ = os.environ if environ is None else environ
    chosen = environ.get(ENV, "").strip().lower()
    return chosen if chosen in LANGUAGES else language_from_locale(environ)


def set_language(lang: str) -> None:
    """Use `lang` for every message of this process from now on (the environment is left alone)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    global _active
    _active = lang


def forget_language() -> None:
    """Undo `set_language`: the environment decides again (the check server, before each check it serves)."""
    global _active
    _active = None


def language() -> str:
    """The current language: the one set with `set_language`, else NNGRADE_LANG's, else the locale's."""
    if _active:
        return _active
    # Looked up for every message: remember the answer for the environment it was read from.
    return _detected(*(os.environ.get(name, "") for name in (ENV, "LC_ALL", "LC_MESSAGES", "LANG")))


@lru_cache(maxsize=8)
def _detected(chosen: str, lc_all: str, lc_messages: str, lang: str) -> str:
    return detect_language({ENV: chosen, "LC_ALL": lc_all, "LC_MESSAGES": lc_messages, "LANG": lang})


class MessageFileError(Exception):
    """A messages file is not valid TOML or not shaped as [key] en = ..., ko = ...; a kit bug."""


@cache
def namespace(name: str) -> dict[str, dict[str, str]]:
    """One messages file: {key: {lang: text}}."""
    path = MESSAGES / f"{name}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MessageFileError(f"{path}: {exc}") from None
    for key, entry in data.items():
        if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
            raise MessageFileError(f"{path}: [{key}] must hold one string per language")
    return data


def namespaces() -> list[str]:
    return sorted(p.stem for p in MESSAGES.glob("*.toml"))


def entry(key: str) -> dict[str, str]:
    """The translations of "namespace.key"; KeyError names the key if there is none."""
    name, _, rest = key.partition(".")
    try:
        return namespace(name)[rest]
    except (KeyError, MessageFileError):
        raise KeyError(f"no message {key!r} in autograder/messages/{name}.toml") from None


def t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """The message `key` in the active language (English if a translation were ever missing), filled in.

    With count=1, an `<lang>-one` variant is used if the message has one ("1 test", not "1 tests").
    """
    texts = entry(key)
    lang = lang or language()
    if params.get("count") == 1 and f"{lang}-one" in texts:
        lang = f"{lang}-one"
    text = texts.get(lang) or texts[DEFAULT]
    return text.format(**params) if params else text


def has(key: str) -> bool:
    try:
        entry(key)
    except KeyError:
        return False
    return True


def placeholders(text: str) -> set[str]:
    """The {names} a message fills in; both languages of a message must use the same ones."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def pick(texts: Mapping[str, Any], lang: str | None = None) -> Any:
    """From {"en": ..., "ko": ...} (a catalog hint, a course.toml text), the active language's."""
    return texts.get(lang or language()) or texts[DEFAULT]
