"""RunResult + Course -> Scorecard. Pure: no I/O, no rendering.

A task's points are shared equally by its tests (partial credit per test).
Results of the grader's own faults are kept apart as internal errors.
"""
from __future__ import annotations

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


def _round(value: float) -> float:
    return round(value, 4)


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
            share = task.points / len(results)
            for r in results:
                won = share if r.status is Status.PASSED else 0.0
                # A test that could not run here (no data) is neither won nor lost.
                offered = 0.0 if r.status is Status.NOT_RUN else share
                tests.append(TestScore(
                    r.exercise, r.task, r.name, r.status, _round(won), _round(offered), r.code, r.message,
                    _hint(r, task.localized_hints(lang)), task.visibility, r.feedback, r.function, r.trace,
                ))
            passed = sum(r.status is Status.PASSED for r in results)
            not_run = sum(r.status is Status.NOT_RUN for r in results)
            task_scores.append(TaskScore(
                exercise.id, task.id, task.localized_title(lang), _round(share * passed),
                _round(share * (len(results) - not_run)),
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
