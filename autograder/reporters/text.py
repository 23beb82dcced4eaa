"""Plain-text feedback of one test, shared by the formats that carry text (JUnit, Gradescope)."""
from __future__ import annotations

from autograder.course import format_points
from autograder.grading.results import Status
from autograder.grading.scoring import Scorecard, TestScore
from autograder.i18n import t

points = format_points
"""2, 0.5, 1.33: points as people write them (the one formatter, under the name the other reporters use)."""


def feedback(test: TestScore) -> str:
    """What a student reads about one test: nothing when passed, else the message and every detail it has.

    (Hidden tests are cut to course.toml's `[feedback] hidden` level before, by `autograder.grading.visibility`.)
    """
    if test.status is Status.PASSED:
        return ""
    lines = [test.message + (f"  [{test.code}]" if test.code else "")]
    fb = test.feedback
    if fb is not None:
        for key, value in (("checked", fb.what), ("input", fb.inputs), ("expected", fb.expected),
                           ("got", fb.got)):
            if value:
                lines.append(f"{t(f'report.{key}'):>9}: {value}")
        lines.extend(f"           {line}" for line in fb.details)
        if fb.steps:
            lines.append(t("report.step-by-step"))
            width = max(len(row.label) for row in fb.steps)
            for row in fb.steps:
                mark = "ok" if row.verdict == "ok" else "XX"
                note = "   <- " + t("report.first-divergence") if row.verdict == "DIVERGES" else ""
                values = t("report.step-values", expected=row.expected, got=row.got)
                lines.append(f"  {mark} {row.label:<{width}}  {values}{note}")
    if test.trace:
        lines.append(t("report.traceback"))
        lines.append(test.trace)
    if test.hint:
        lines.append(f"{t('report.hint')}: {test.hint}")
    return "\n".join(lines)


def title_of(test: TestScore) -> str:
    """exercise · task · test name, the way every report names a test."""
    return f"{test.exercise} · {test.task} · {test.name}"


def summary_line(card: Scorecard) -> str:
    """`Total: 40 / 102 points (39.2%)`, plus the hidden tests that did not run, if any."""
    line = t("report.total") + ": " + t("report.total-points", score=points(card.score),
                                       max_score=points(card.max_score), percent=f"{card.percent:.1f}")
    if card.hidden_not_run:
        line += "; " + t("report.hidden-not-run-short", count=card.hidden_not_run)
    return line
