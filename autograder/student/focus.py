"""`nngrade check gates xor`: the scorecard of a whole exercise cut down to the tasks asked for.

The suites run an exercise's tests together (a test of another task is no error to skip), so one task is
graded by grading its exercise and keeping that task's tests: the same verdicts, the same points.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from autograder.grading.scoring import Scorecard


def only_tasks(card: Scorecard, tasks: Mapping[str, tuple[str, ...]]) -> Scorecard:
    """`card` with, for each exercise in `tasks`, only those tasks (other exercises whole)."""
    def kept(exercise: str, task: str) -> bool:
        return exercise not in tasks or task in tasks[exercise]

    exercises = []
    for exercise in card.exercises:
        chosen = tuple(task for task in exercise.tasks if kept(exercise.id, task.task))
        if chosen:
            exercises.append(replace(exercise, tasks=chosen, score=round(sum(t.score for t in chosen), 4),
                                     max_score=round(sum(t.max_score for t in chosen), 4)))
    tests = tuple(test for test in card.tests if kept(test.exercise, test.task))
    return replace(card, exercises=tuple(exercises), tests=tests,
                   score=round(sum(e.score for e in exercises), 4),
                   max_score=round(sum(e.max_score for e in exercises), 4),
                   hidden_not_run=0 if tasks else card.hidden_not_run)
