"""The worked examples the kit ships (autograder/docs/), split into sections for `nngrade docs`.

The exercises, hints and feedback cite "worked examples §N" and "course note 00N"; both documents, English
and Korean, have the same sections §1..§8, and §8 has one part per course note. A query names a section by
number ("2", "§2"), by exercise ("activations", whose course.toml `source` cites its section) or by course
note ("004", "note 004").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from autograder.course import Course

DOCS = Path(__file__).resolve().parent.parent / "docs"
DOCUMENTS = {"en": DOCS / "worked-examples.md", "ko": DOCS / "worked-examples.ko.md"}

SECTION = re.compile(r"^## §(\d+)\. (.+)$", re.MULTILINE)
NOTE = re.compile(r"^### (?:Course note|강의 노트) (\d{3}): (.+)$", re.MULTILINE)
CITED_SECTION = re.compile(r"(?:worked examples|풀이 예제) §(\d+)")
NOTE_QUERY = re.compile(r"^(?:(?:course )?notes? ?|강의 ?노트 ?)?(\d{3})$", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    """One part of the document: a numbered section (§2) or one course note of §8 (note "004")."""
    key: str  # "2" or "004"
    title: str
    text: str  # the Markdown of the part, its heading included


def document(lang: str) -> Path:
    return DOCUMENTS.get(lang, DOCUMENTS["en"])


def _parts(text: str, heading: re.Pattern[str], end: re.Pattern[str]) -> list[Section]:
    starts = list(heading.finditer(text))
    parts = []
    for i, match in enumerate(starts):
        stop = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        following = end.search(text, match.end(), stop)
        body = text[match.start():following.start() if following else stop]
        parts.append(Section(match.group(1), match.group(2).strip(), body.rstrip() + "\n"))
    return parts


def sections(text: str) -> list[Section]:
    """The numbered sections (§1..§8), each to the next one."""
    return _parts(text, SECTION, SECTION)


def notes(text: str) -> list[Section]:
    """The course notes of §8, each to the next note or section."""
    return _parts(text, NOTE, re.compile(f"{NOTE.pattern}|{SECTION.pattern}", re.MULTILINE))


def exercise_section(course: Course, exercise_id: str) -> str | None:
    """The section an exercise's `source` in course.toml cites ("worked examples §2" -> "2")."""
    for exercise in course.exercises:
        if exercise.id == exercise_id:
            cited = CITED_SECTION.search(exercise.source)
            return cited.group(1) if cited else None
    return None


def find(text: str, query: str, course: Course | None = None) -> Section | None:
    """The section or course note that `query` names, or None."""
    wanted = query.strip().lstrip("§").strip()
    note = NOTE_QUERY.match(wanted)
    if note:
        return next((part for part in notes(text) if part.key == note.group(1)), None)
    if not wanted.isdigit() and course is not None:
        wanted = exercise_section(course, wanted.removesuffix(".py").rsplit("/", 1)[-1]) or ""
    return next((part for part in sections(text) if part.key == wanted.lstrip("0") or part.key == wanted), None)
