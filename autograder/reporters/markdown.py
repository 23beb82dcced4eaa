"""A short Markdown summary of a Scorecard: a row per exercise, the total, the hidden tests not run.

Used for Gradescope's submission-wide output and for CI job summaries
(`nngrade grade ... --summary "$GITHUB_STEP_SUMMARY"`). Every text cell goes through `escape.markdown_inline`:
a `|` cannot add a column, nor `<img>` or `[link](...)` become markup.
"""
from __future__ import annotations

from autograder.course import Visibility
from autograder.grading.results import Status
from autograder.grading.scoring import Scorecard
from autograder.i18n import t
from autograder.reporters.escape import markdown_inline as _cell
from autograder.reporters.text import points, summary_line


def render(card: Scorecard, *, title: str | None = None, public_only: bool = False) -> str:
    """The table and the total; `public_only` tallies public tests alone (hidden results not yet released)."""
    lines = [f"### {_cell(title)}", ""] if title else []
    lines += [f"| {t('report.md-exercise')} | {t('report.points')} | {t('report.md-tests-passed')} |",
              "|---|---:|---:|"]
    shown = [t for t in card.tests if not public_only or t.visibility is Visibility.PUBLIC]
    total_won = total_offered = 0.0
    for exercise in card.exercises:
        tests = [t for t in shown if t.exercise == exercise.id]
        passed = sum(t.status is Status.PASSED for t in tests)
        # Task tallies, not sums of per-test shares: a third of a point three times is one point.
        tasks = [t for t in exercise.tasks if not public_only or t.visibility is Visibility.PUBLIC]
        won, offered = round(sum(t.score for t in tasks), 4), round(sum(t.max_score for t in tasks), 4)
        total_won, total_offered = total_won + won, total_offered + offered
        lines.append(f"| {_cell(exercise.id)} — {_cell(exercise.title)} | "
                     f"{points(won)} / {points(offered)} | {passed} / {len(tests)} |")
    lines.append("")
    if public_only:
        hidden = len(card.tests) - len(shown)
        lines.append("**" + t("report.md-public-total", score=points(round(total_won, 4)),
                              max_score=points(round(total_offered, 4))) + "**")
        if hidden:
            lines.append(t("report.md-hidden-ran", count=hidden))
    else:
        lines.append(f"**{summary_line(card)}**")
    if card.internal_errors:
        lines += ["", t("report.internal-error")]
    return "\n".join(lines) + "\n"
