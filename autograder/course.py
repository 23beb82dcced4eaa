"""course.toml -> frozen dataclasses: the one registry of exercises, tasks, points and limits."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from autograder.i18n import DEFAULT as DEFAULT_LANGUAGE
from autograder.i18n import LANGUAGES, language
from autograder.tomlcompat import tomllib

FORMAT_VERSION = 1
# Texts in course.toml are English; `title_ko`, `hints_ko` beside them translate them.
OTHER_LANGUAGES = tuple(lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE)


def _translated(key: str) -> set[str]:
    return {f"{key}_{lang}" for lang in OTHER_LANGUAGES}


class CourseError(Exception):
    """course.toml is missing or wrong; the message names the file, the key and the problem."""


class Visibility(str, Enum):
    PUBLIC = "public"
    HIDDEN = "hidden"


# --- [feedback]: what students see of hidden tests (used by grading.visibility and reporters.gradescope) ---

class FeedbackLevel(str, Enum):
    """How much of a failing hidden test a student sees (`[feedback] hidden`; `grading.visibility` applies it)."""

    FULL = "full"
    SUMMARY = "summary"
    """The one-line message and the code; no inputs, expected values, steps or hints."""
    SCORE_ONLY = "score-only"

    def __str__(self) -> str:
        return self.value


class GradescopeVisibility(str, Enum):
    """Gradescope's visibility of a test (`[feedback] gradescope_hidden` for hidden tasks' tests)."""

    HIDDEN = "hidden"
    AFTER_DUE_DATE = "after_due_date"
    AFTER_PUBLISHED = "after_published"
    VISIBLE = "visible"

    def __str__(self) -> str:
        return self.value

# --- end of [feedback] ---


@dataclass(frozen=True)
class Limits:
    """Numeric tolerances and sandbox limits; each level may override its parent's."""

    rtol: float = 1e-7
    """Relative tolerance of numeric comparisons."""
    atol: float = 1e-8
    """Absolute floor, so values near zero are not judged by rtol alone."""
    timeout: float = 5.0
    """Wall-clock seconds for one call into student code."""
    memory_mb: int = 1024
    """Address-space limit of the worker process, in MiB."""


@dataclass(frozen=True)
class Task:
    """One graded unit: its tests share its points."""

    exercise: str
    """Id of the exercise this task belongs to."""
    id: str
    """Stable id, unique within the exercise (kebab-case)."""
    title: str
    """What the task asks, in a few words."""
    points: float
    """Points for passing every test of the task."""
    visibility: Visibility
    """public: shipped to students and run by `nngrade check`; hidden: grading only."""
    hints: tuple[str, ...]
    """A ladder from a nudge to nearly the answer."""
    limits: Limits
    """Tolerances and limits in force for this task's tests."""
    translations: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    """(language, title, hints) from title_<lang> / hints_<lang>; `title` and `hints` are English."""

    @property
    def key(self) -> str:
        return f"{self.exercise}.{self.id}"

    def localized_title(self, lang: str | None = None) -> str:
        lang = lang or language()
        return next((title for code, title, _ in self.translations if code == lang and title), self.title)

    def localized_hints(self, lang: str | None = None) -> tuple[str, ...]:
        lang = lang or language()
        return next((hints for code, _, hints in self.translations if code == lang and hints), self.hints)


@dataclass(frozen=True)
class Exercise:
    """One student module and its tasks, in course order."""

    id: str
    """Stable id (also the suite name: autograder/suites/test_<id>.py)."""
    module: str
    """Module name the student edits: exercises/<module>.py."""
    title: str
    """Human title."""
    source: str
    """Where the course material teaches it (seed, worked-example section)."""
    tasks: tuple[Task, ...]
    """Tasks in order."""
    titles: tuple[tuple[str, str], ...] = ()
    """(language, title) from title_<lang>; `title` is English."""

    def localized_title(self, lang: str | None = None) -> str:
        lang = lang or language()
        return next((title for code, title in self.titles if code == lang), self.title)

    @property
    def max_points(self) -> float:
        return sum(task.points for task in self.tasks)

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)


@dataclass(frozen=True)
class Course:
    """The whole registry, plus where it was read from."""

    name: str
    """Course name shown in reports."""
    path: Path
    """The course.toml file."""
    limits: Limits
    """Course-wide defaults."""
    exercises: tuple[Exercise, ...]
    """Exercises in course order."""
    hidden_feedback: FeedbackLevel = FeedbackLevel.FULL
    """How much of a hidden test's diff a student sees: full, summary or score-only."""
    gradescope_hidden: GradescopeVisibility = GradescopeVisibility.AFTER_PUBLISHED
    """Gradescope visibility of hidden tasks' tests: hidden, after_due_date, after_published or visible."""

    @property
    def root(self) -> Path:
        return self.path.parent

    def exercise(self, exercise_id: str) -> Exercise | None:
        return next((e for e in self.exercises if e.id == exercise_id), None)

    def tasks(self) -> list[Task]:
        return [task for ex in self.exercises for task in ex.tasks]

    def task(self, exercise_id: str, task_id: str) -> Task | None:
        exercise = self.exercise(exercise_id)
        return exercise.task(task_id) if exercise else None

    def select(self, exercise_ids: list[str] | tuple[str, ...]) -> Course:
        """The same course restricted to some exercises (unknown ids raise CourseError)."""
        if not exercise_ids:
            return self
        unknown = [e for e in exercise_ids if self.exercise(e) is None]
        if unknown:
            known = ", ".join(e.id for e in self.exercises)
            raise CourseError(f"unknown exercise {', '.join(unknown)!s}; the course has: {known}")
        chosen = tuple(e for e in self.exercises if e.id in exercise_ids)
        return replace(self, exercises=chosen)


# --- loading and validation -------------------------------------------------

_LIMIT_KEYS = {"rtol": float, "atol": float, "timeout": float, "memory_mb": int}


@dataclass(frozen=True)
class _Range:
    """The values a number of course.toml may take; anything else is a typo or a setting no grader survives."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    unit: str = ""

    def holds(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return math.isfinite(value) and above and below

    def __str__(self) -> str:
        low = ("positive" if self.low == 0 else f"more than {self.low:g}") if self.low_open else \
            f"at least {self.low:g}"
        high = f"less than {self.high:g}" if self.high_open else f"at most {self.high:g}"
        return f"{low} and {high}" + (f" {self.unit}" if self.unit else "")


# A tolerance of 1 or more passes anything; an hour per call or 64 GiB is no exercise's need, a worker under
# 64 MiB cannot import numpy; 10,000 points is a typo's worth.
RANGES = {
    "rtol": _Range(0, 1, low_open=True, high_open=True),
    "atol": _Range(0, 1, high_open=True),
    "timeout": _Range(0, 3600, low_open=True, unit="seconds"),
    "memory_mb": _Range(64, 65536, unit="MiB"),
    "points": _Range(0, 10_000),
}
"""The allowed range of every number in course.toml, by key."""
_FEEDBACK_LEVELS = tuple(level.value for level in FeedbackLevel)
_GRADESCOPE_VISIBILITY = tuple(visibility.value for visibility in GradescopeVisibility)


class _Reader:
    """Validating accessors that raise CourseError naming the file and the key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> CourseError:
        return CourseError(f"{self.path}: {key}: {problem}")

    def table(self, data: Any, key: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(key, f"expected a table, found {type(data).__name__}")
        return data

    def get(self, table: dict[str, Any], key: str, where: str, kind: type, default: Any = ...) -> Any:
        if key not in table:
            if default is ...:
                raise self.fail(f"{where}{key}", "is required but missing")
            return default
        value = table[key]
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            raise self.fail(f"{where}{key}", f"expected {kind.__name__}, found {type(value).__name__} {value!r}")
        return value

    def number(self, table: dict[str, Any], key: str, where: str, kind: type, default: Any = ...) -> Any:
        """`get` of a number that must lie in RANGES[key]: NaN, infinities and absurd values are refused."""
        value = self.get(table, key, where, kind, default)
        allowed = RANGES[key]
        if not allowed.holds(value):
            finite = "" if math.isfinite(value) else "a finite number, "
            raise self.fail(f"{where}{key}", f"must be {finite}{allowed}, found {value!r}")
        return value

    def unknown_keys(self, table: dict[str, Any], allowed: set[str], where: str) -> None:
        extra = sorted(set(table) - allowed)
        if extra:
            raise self.fail(f"{where}{extra[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def limits(self, table: dict[str, Any], where: str, parent: Limits) -> Limits:
        values: dict[str, Any] = {}
        for key, kind in _LIMIT_KEYS.items():
            values[key] = self.number(table, key, where, kind, getattr(parent, key))
        return Limits(**values)


def _parse_task(reader: _Reader, raw: Any, exercise: str, where: str, parent: Limits) -> Task:
    table = reader.table(raw, where.rstrip("."))
    reader.unknown_keys(table, {"id", "title", "points", "visibility", "hints", *_LIMIT_KEYS,
                                *_translated("title"), *_translated("hints")}, where)
    task_id = reader.get(table, "id", where, str)
    points = reader.number(table, "points", where, float)
    visibility = reader.get(table, "visibility", where, str, "public")
    if visibility not in {v.value for v in Visibility}:
        raise reader.fail(f"{where}visibility", f"must be 'public' or 'hidden', found {visibility!r}")
    hints = reader.get(table, "hints", where, list, [])
    if not all(isinstance(h, str) for h in hints):
        raise reader.fail(f"{where}hints", "must be a list of strings")
    translations = []
    for lang in OTHER_LANGUAGES:
        title = reader.get(table, f"title_{lang}", where, str, "")
        translated = reader.get(table, f"hints_{lang}", where, list, [])
        if not all(isinstance(h, str) for h in translated):
            raise reader.fail(f"{where}hints_{lang}", "must be a list of strings")
        if translated and len(translated) != len(hints):
            # The ladder is climbed by rung number (.nngrade/hints.json): both languages need the same rungs.
            raise reader.fail(f"{where}hints_{lang}", f"has {len(translated)} hints but `hints` has {len(hints)}: "
                              "a translated ladder needs the same rungs")
        if title or translated:
            translations.append((lang, title, tuple(translated)))
    return Task(
        exercise=exercise,
        id=task_id,
        title=reader.get(table, "title", where, str, task_id),
        points=points,
        visibility=Visibility(visibility),
        hints=tuple(hints),
        limits=reader.limits(table, where, parent),
        translations=tuple(translations),
    )


def _parse_exercise(reader: _Reader, raw: Any, index: int, parent: Limits) -> Exercise:
    where = f"exercises[{index}]."
    table = reader.table(raw, where.rstrip("."))
    reader.unknown_keys(table, {"id", "module", "title", "source", "tasks", *_LIMIT_KEYS, *_translated("title")},
                        where)
    exercise_id = reader.get(table, "id", where, str)
    where = f"exercises[{index}] ({exercise_id})."
    limits = reader.limits(table, where, parent)
    raw_tasks = reader.get(table, "tasks", where, list)
    if not raw_tasks:
        raise reader.fail(f"{where}tasks", "an exercise needs at least one task")
    tasks = tuple(
        _parse_task(reader, t, exercise_id, f"{where}tasks[{i}].", limits) for i, t in enumerate(raw_tasks)
    )
    seen: set[str] = set()
    for task in tasks:
        if task.id in seen:
            raise reader.fail(f"{where}tasks", f"task id {task.id!r} appears twice")
        seen.add(task.id)
    module = reader.get(table, "module", where, str, exercise_id)
    if not module.isidentifier():
        raise reader.fail(f"{where}module", f"{module!r} is not a valid Python module name")
    return Exercise(
        id=exercise_id,
        module=module,
        title=reader.get(table, "title", where, str, exercise_id),
        source=reader.get(table, "source", where, str, ""),
        tasks=tasks,
        titles=tuple((lang, title) for lang in OTHER_LANGUAGES
                     if (title := reader.get(table, f"title_{lang}", where, str, ""))),
    )


def parse_course(data: dict[str, Any], path: Path) -> Course:
    """Validate a parsed course.toml; raise CourseError naming the key and the problem."""
    reader = _Reader(path)
    reader.unknown_keys(data, {"format", "name", "defaults", "feedback", "exercises"}, "")
    version = reader.get(data, "format", "", int)
    if version != FORMAT_VERSION:
        raise reader.fail("format", f"this nngrade reads format {FORMAT_VERSION}, the file says {version}")
    defaults = reader.table(data.get("defaults", {}), "defaults")
    reader.unknown_keys(defaults, set(_LIMIT_KEYS), "defaults.")
    limits = reader.limits(defaults, "defaults.", Limits())
    feedback = reader.table(data.get("feedback", {}), "feedback")
    reader.unknown_keys(feedback, {"hidden", "gradescope_hidden"}, "feedback.")
    hidden_feedback = reader.get(feedback, "hidden", "feedback.", str, "full")
    if hidden_feedback not in _FEEDBACK_LEVELS:
        raise reader.fail("feedback.hidden", f"must be one of {', '.join(_FEEDBACK_LEVELS)}, found {hidden_feedback!r}")
    gradescope_hidden = reader.get(feedback, "gradescope_hidden", "feedback.", str, "after_published")
    if gradescope_hidden not in _GRADESCOPE_VISIBILITY:
        raise reader.fail("feedback.gradescope_hidden",
                          f"must be one of {', '.join(_GRADESCOPE_VISIBILITY)}, found {gradescope_hidden!r}")
    raw_exercises = reader.get(data, "exercises", "", list)
    exercises = tuple(_parse_exercise(reader, raw, i, limits) for i, raw in enumerate(raw_exercises))
    ids = [e.id for e in exercises]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise reader.fail("exercises", f"exercise id {sorted(duplicates)[0]!r} appears twice")
    return Course(reader.get(data, "name", "", str), path, limits, exercises, FeedbackLevel(hidden_feedback),
                  GradescopeVisibility(gradescope_hidden))


def load_course(path: Path) -> Course:
    """Read and validate a course.toml file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CourseError(f"{path}: no such file; pass --course or run from a folder that holds course.toml") from None
    except OSError as exc:
        raise CourseError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CourseError(f"{path}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{path}: is not valid TOML ({exc})") from None
    return parse_course(data, path.resolve())


def find_course(explicit: Path | None, start: Path | None = None) -> Path:
    """The course.toml to use: --course, then the nearest one above the working folder, then the kit's own."""
    if explicit is not None:
        return explicit
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "course.toml"
        if candidate.is_file():
            return candidate
    return kit_root() / "course.toml"


def course_from(explicit: Path | None, exercises: Sequence[str] = ()) -> Course:
    """The course every command and notebook grades with: --course (or the nearest course.toml), restricted to
    `exercises` (all when empty); raises CourseError naming the file and the problem."""
    return load_course(find_course(explicit)).select(list(exercises))


def format_points(value: float) -> str:
    """2, 0.5, 1.33: points as people write them (every report, README and notebook shows them so)."""
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def kit_root() -> Path:
    """The folder that holds the autograder package (the repository in an editable install)."""
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class CoursePaths:
    """Where a course's pieces live, derived from its course.toml location."""

    exercises: Path
    solutions: Path
    suites: Path = field(default_factory=lambda: Path(__file__).resolve().parent / "suites")

    @staticmethod
    def of(course: Course) -> CoursePaths:
        return CoursePaths(exercises=course.root / "exercises", solutions=course.root / "solutions")
