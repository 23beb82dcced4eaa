"""Exact points: a task's per-test max_scores add up to its points exactly, in every format (largest remainder)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from conftest import CASES, ROOT, case_folder, real_data

from autograder.grading.results import Status
from autograder.grading.scoring import apportion, shown_points
from autograder.reporters import gradescope, json_report, junit


@pytest.mark.parametrize(("total", "weights", "decimals", "parts"), [
    (5, [1, 1, 1], 4, [1.6667, 1.6667, 1.6666]),
    (5, [1.6667, 1.6667, 1.6666], 2, [1.67, 1.67, 1.66]),
    (2, [1] * 6, 4, [0.3334, 0.3334, 0.3333, 0.3333, 0.3333, 0.3333]),
    (3, [1] * 7, 4, [0.4286] * 5 + [0.4285] * 2),
    (4, [2, 2], 4, [2.0, 2.0]),
    (1, [1, 0, 1], 2, [0.5, 0.0, 0.5]),  # a test that did not run is offered nothing
    (3, [], 4, []),
    (3, [0, 0], 4, [0.0, 0.0]),
])
def test_apportion_adds_up_exactly(total, weights, decimals, parts):
    """Are the parts rounded to `decimals`, in proportion, the earlier ones taking the leftover units?"""
    got = apportion(total, weights, decimals)
    assert got == parts
    if weights and sum(weights):
        assert sum(Decimal(str(p)) for p in got) == Decimal(str(total))


def _course_points(course):
    return {(e.id, t.id): Decimal(str(t.points)) for e in course.exercises for t in e.tasks}


def _by_task(rows):
    sums: dict[tuple[str, str], list[Decimal]] = {}
    for exercise, task, score, max_score in rows:
        pair = sums.setdefault((exercise, task), [Decimal(0), Decimal(0)])
        pair[0] += score
        pair[1] += max_score
    return sums


@pytest.fixture(scope="module")
def cards(grade, course):
    """The real course graded twice: the solutions (full marks) and a submission that loses some tests."""
    every = [e.id for e in course.exercises]
    data = real_data()
    solutions = grade(ROOT / "solutions", *every, data_dir=data)
    partial = grade(case_folder(CASES / "activations" / "relu_in_place"), "activations", data_dir=data)
    return {"solutions": solutions, "partial": partial}


def _formats(card):
    """(exercise, task, score, max_score) of every test as each format shows it, the numbers read exactly."""
    as_json = json.loads(json_report.render(card), parse_float=Decimal, parse_int=Decimal)
    yield "json", [(t["exercise"], t["task"], t["score"], t["max_score"]) for t in as_json["tests"]], \
        as_json["score"], as_json["max_score"]
    results = json.loads(json.dumps(gradescope.to_dict(card)), parse_float=Decimal, parse_int=Decimal)
    yield "gradescope", [(t["extra_data"]["exercise"], t["extra_data"]["task"], t["score"], t["max_score"])
                         for t in results["tests"]], results["score"], results["extra_data"]["max_score"]
    root = ET.fromstring(junit.render(card).split("-->", 1)[1])
    rows = []
    for case in root.iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        exercise, task = case.get("classname", "").split(".", 1)
        rows.append((exercise, task, Decimal(props["score"]), Decimal(props["max_score"])))
    won = sum((Decimal(p.get("value")) for s in root.iter("testsuite") for p in s.find("properties")
               if p.get("name") == "score"), Decimal(0))
    offered = sum((Decimal(p.get("value")) for s in root.iter("testsuite") for p in s.find("properties")
                   if p.get("name") == "max_score"), Decimal(0))
    yield "junit", rows, won, offered


@pytest.mark.parametrize("which", ["solutions", "partial"])
def test_per_test_points_add_up_to_each_task_and_the_course(cards, course, which):
    """In JSON, Gradescope's results.json and JUnit: do a task's per-test max_scores add up to its points, its
    per-test scores to its score, and everything to the course total, exactly (no 102.001)?"""
    card = cards[which]
    points = _course_points(course)
    tasks = {(e.id, t.task): t for e in card.exercises for t in e.tasks}
    for name, rows, won, offered in _formats(card):
        sums = _by_task(rows)
        assert set(sums) == set(tasks), name
        for key, (score, max_score) in sums.items():
            task = tasks[key]
            if task.not_run == 0:
                assert max_score == points[key], (name, key, max_score)
            assert max_score == Decimal(str(task.max_score)), (name, key)
            if name != "junit":  # JUnit rounds the score to its 2 decimals: compared with its own tests below
                assert score == Decimal(str(task.score)), (name, key, score)
        assert sum(s for s, _ in sums.values()) == won, name
        assert sum(m for _, m in sums.values()) == offered == Decimal(str(card.max_score)), name
        if which == "solutions" and not card.not_run:
            assert offered == won == sum(points.values()) == 102, name


def test_a_partly_passed_task_scores_the_sum_of_its_tests(cards):
    """The task's score is what its passed tests show, so the breakdown and the total never disagree."""
    card = cards["partial"]
    lost = [t for t in card.tests if t.status is not Status.PASSED]
    assert lost
    for exercise in card.exercises:
        for task in exercise.tasks:
            tests = [t for t in card.tests if (t.exercise, t.task) == (exercise.id, task.task)]
            assert Decimal(str(task.score)) == sum(Decimal(str(t.score)) for t in tests)
    shown = shown_points(card, 2)
    assert all(s in (0.0, m) for s, m in shown)
