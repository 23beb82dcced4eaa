"""JUnit XML: one <testsuite> per exercise, one <testcase> per test, the feedback as the failure text.

GitHub and GitLab test reports read it. A wrong answer, a stub and a missing
function are `<failure>`s; an exception or a timeout in the student's code is an
`<error>`; a test that could not run here is `<skipped>`. Each suite carries its
points as `<properties>` (score, max_score), so a job summary can show the grade.
Every text, attributes too, goes through `escape.xml_text` (only characters XML 1.0 allows, none a log viewer
would act on); ElementTree escapes `<&>"`.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from autograder.grading.results import Status
from autograder.grading.scoring import Scorecard, TestScore, shown_points
from autograder.reporters.escape import xml_comment
from autograder.reporters.escape import xml_text as _xml
from autograder.reporters.text import feedback, points, summary_line

_FAILURES = {Status.FAILED, Status.NOT_IMPLEMENTED, Status.MISSING}
_ERRORS = {Status.ERROR, Status.TIMEOUT}


POINT_DECIMALS = 2
"""Decimals JUnit shows (`points`: 1.67): per-test points are apportioned at this precision."""


def _seconds(value: float) -> str:
    """A JUnit time: seconds with millisecond precision (what GitHub and GitLab show)."""
    return f"{max(value, 0.0):.3f}"


def _testcase(test: TestScore, shown: tuple[float, float]) -> ET.Element:
    case = ET.Element("testcase", classname=_xml(f"{test.exercise}.{test.task}"), name=_xml(test.name),
                      time=_seconds(test.duration))
    # Points in a property: GitLab and most viewers show testcase properties; none needs them to parse.
    properties = ET.SubElement(case, "properties")
    ET.SubElement(properties, "property", name="score", value=points(shown[0]))
    ET.SubElement(properties, "property", name="max_score", value=points(shown[1]))
    ET.SubElement(properties, "property", name="visibility", value=test.visibility.value)
    if test.status is Status.PASSED:
        return case
    if test.status is Status.NOT_RUN:
        ET.SubElement(case, "skipped", message=_xml(test.message))
        return case
    tag = "error" if test.status in _ERRORS or test.code == "internal-error" else "failure"
    element = ET.SubElement(case, tag, message=_xml(test.message), type=_xml(test.code or test.status.value))
    element.text = _xml(feedback(test))
    return case


def to_element(card: Scorecard) -> ET.Element:
    """The <testsuites> element of one graded submission."""
    def count(tests: list[TestScore], kind: set[Status]) -> str:
        return str(sum(t.status in kind for t in tests))

    root = ET.Element("testsuites", name=_xml(f"nngrade: {card.course}"))
    all_tests: list[TestScore] = []
    # Per-test points as shown, adding up to each task's points exactly; the suite's are their sums.
    shown = dict(zip(map(id, card.tests), shown_points(card, POINT_DECIMALS)))
    for exercise in card.exercises:
        tests = [t for t in card.tests if t.exercise == exercise.id]
        won = round(sum(shown[id(t)][0] for t in tests), POINT_DECIMALS)
        offered = round(sum(shown[id(t)][1] for t in tests), POINT_DECIMALS)
        all_tests += tests
        suite = ET.SubElement(root, "testsuite", name=_xml(exercise.id), tests=str(len(tests)),
                              failures=count(tests, _FAILURES), errors=count(tests, _ERRORS),
                              skipped=count(tests, {Status.NOT_RUN}),
                              time=_seconds(sum(t.duration for t in tests)))
        properties = ET.SubElement(suite, "properties")
        for name, value in (("title", exercise.title), ("score", points(won)), ("max_score", points(offered))):
            ET.SubElement(properties, "property", name=name, value=_xml(value))
        suite.extend(_testcase(t, shown[id(t)]) for t in tests)
    root.set("tests", str(len(all_tests)))
    root.set("failures", count(all_tests, _FAILURES))
    root.set("errors", count(all_tests, _ERRORS))
    root.set("skipped", count(all_tests, {Status.NOT_RUN}))
    root.set("time", _seconds(sum(t.duration for t in all_tests)))
    return root


def render(card: Scorecard) -> str:
    root = to_element(card)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    comment = xml_comment(f"nngrade {card.submission}: {summary_line(card)}")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<!-- {comment} -->\n{body}\n'
