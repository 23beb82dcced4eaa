"""RunResult + Course -> Scorecard. Pure: no I/O, no rendering.

A task's points are shared equally by its tests (partial credit per test).
Results of the grader's own faults are kept apart as internal errors.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autograder.course import Course, Visibility
from autograder.grading.compare import Feedback
from autograder.grading.results import RunResult, Status, TestResult


@dataclass(frozen=True)
class TestScore:
    """One test as graded: the fields every output format carries."""

    __test__ = False

    exercise: str
    task: str
    name: str
    status: Status
    score: float
    max_score: float
    code: str | None
    message: str
    hint: str | None
    visibility: Visibility
    feedback: Feedback | None = None
    function: str | None = None
    trace: str = ""
    duration: float = 0.0
    """Seconds the test ran (TestResult.duration)."""


@dataclass(frozen=True)
class TaskScore:
    """A task's tally."""

    exercise: str
    task: str
    title: str
    score: float
    max_score: float
    passed: int
    total: int
    not_run: int
    visibility: Visibility


@dataclass(frozen=True)
class ExerciseScore:
    id: str
    title: str
    module: str
    score: float
    max_score: float
    tasks: tuple[TaskScore, ...]


@dataclass(frozen=True)
class Scorecard:
    """Everything a reporter renders."""

    course: str
    submission: str
    score: float
    max_score: float
    exercises: tuple[ExerciseScore, ...]
    tests: tuple[TestScore, ...]
    hidden_not_run: int
    """Hidden tests that exist and will run at grading time, but did not run now."""
    internal_errors: tuple[str, ...]
    """Messages of grader faults (our bug): such a scorecard must not be trusted."""
    student_output: str = ""
    isolation: str = "audit-hook"
    """What walled the student's code in while it was graded (RunResult.isolation)."""

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def not_run(self) -> int:
        return sum(1 for t in self.tests if t.status is Status.NOT_RUN)


DECIMALS = 4
"""Decimals of the points a scorecard holds (JSON, Gradescope): per-test points of a task add up to it exactly."""


def _round(value: float) -> float:
    return round(value, DECIMALS)


def apportion(total: float, weights: Sequence[float], decimals: int = DECIMALS) -> list[float]:
    """`total` split in proportion to `weights`, each part rounded to `decimals`, the parts adding up to `total`
    rounded to `decimals` exactly: largest-remainder rounding (ties go to the earlier part).

    apportion(5, [1, 1, 1]) == [1.6667, 1.6667, 1.6666]: three tests of a 5-point task, 5 in all, not 5.0001.
    """
    scale = 10 ** decimals
    units = round(total * scale)
    weight = sum(weights)
    if not weights or weight <= 0:
        return [0.0] * len(weights)
    quotas = [units * w / weight for w in weights]
    parts = [int(q // 1) for q in quotas]
    left = units - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in by_remainder[:max(left, 0)]:
        parts[i] += 1
    return [round(p / scale, decimals) for p in parts]


def _hint(result: TestResult, hints: tuple[str, ...]) -> str | None:
    if result.status is Status.PASSED or result.status is Status.NOT_IMPLEMENTED:
        return None
    if result.feedback is not None and result.feedback.hint:
        return result.feedback.hint
    return hints[0] if hints and result.status in (Status.FAILED,) else None


def score(run: RunResult, course: Course, submission: str = "", *, lang: str | None = None) -> Scorecard:
    """Turn test results into points using course.toml's task points.

    `lang` is the language of the task titles and course hints put on the card; None leaves the choice to
    the course's texts (i18n's current language), for callers that have not said.
    """
    by_task: dict[tuple[str, str], list[TestResult]] = {}
    for result in run.tests:
        by_task.setdefault((result.exercise, result.task), []).append(result)
    tests: list[TestScore] = []
    exercises: list[ExerciseScore] = []
    for exercise in course.exercises:
        task_scores = []
        for task in exercise.tasks:
            results = by_task.get((exercise.id, task.id), [])
            if not results:
                continue  # hidden task not run (nngrade check)
            # The task's points shared equally, rounded so that the tests' shares add up to the points exactly.
            shares = apportion(task.points, [1.0] * len(results))
            won_total = offered_total = 0.0
            for r, share in zip(results, shares):
                won = share if r.status is Status.PASSED else 0.0
                # A test that could not run here (no data) is neither won nor lost.
                offered = 0.0 if r.status is Status.NOT_RUN else share
                won_total, offered_total = won_total + won, offered_total + offered
                tests.append(TestScore(
                    r.exercise, r.task, r.name, r.status, won, offered, r.code, r.message,
                    _hint(r, task.localized_hints(lang)), task.visibility, r.feedback, r.function, r.trace,
                    r.duration,
                ))
            passed = sum(r.status is Status.PASSED for r in results)
            not_run = sum(r.status is Status.NOT_RUN for r in results)
            task_scores.append(TaskScore(
                exercise.id, task.id, task.localized_title(lang), _round(won_total), _round(offered_total),
                passed, len(results), not_run, task.visibility,
            ))
        if task_scores:
            exercises.append(ExerciseScore(
                exercise.id, exercise.localized_title(lang), exercise.module, _round(sum(t.score for t in task_scores)),
                _round(sum(t.max_score for t in task_scores)), tuple(task_scores),
            ))
    internal = tuple(f"{r.exercise}.{r.task} {r.name}: {r.message}" for r in run.tests if r.internal)
    return Scorecard(
        course=course.name, submission=submission,
        score=_round(sum(e.score for e in exercises)), max_score=_round(sum(e.max_score for e in exercises)),
        exercises=tuple(exercises), tests=tuple(tests), hidden_not_run=run.hidden_not_run,
        internal_errors=internal, student_output=run.student_output, isolation=run.isolation,
    )


def shown_points(card: Scorecard, decimals: int) -> list[tuple[float, float]]:
    """(score, max_score) of each of `card.tests` at `decimals` (a format showing fewer decimals than the card,
    as JUnit's 1.67): each task's tests apportioned by largest remainder, so they add up to the task's points
    shown at that precision exactly (5 = 1.67 + 1.67 + 1.66, never 5.01); a test scores its shown share or 0."""
    tasks = {(e.id, t.task): t for e in card.exercises for t in e.tasks}
    groups: dict[tuple[str, str], list[int]] = {}
    for i, test in enumerate(card.tests):
        groups.setdefault((test.exercise, test.task), []).append(i)
    shown: list[tuple[float, float]] = [(0.0, 0.0)] * len(card.tests)
    for key, indexes in groups.items():
        task = tasks.get(key)
        total = task.max_score if task is not None else sum(card.tests[i].max_score for i in indexes)
        offered = apportion(total, [card.tests[i].max_score for i in indexes], decimals)
        for i, share in zip(indexes, offered):
            shown[i] = (share if card.tests[i].status is Status.PASSED else 0.0, share)
    return shown
