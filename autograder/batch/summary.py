"""The end-of-run summary of grade-all: counts, mean, median, the distribution, what could not be graded.

Rendered by batch itself: it is grade-all's own view of a run (graded now or kept, per status), which no other
command shows, so it takes batch's Outcome and Summary as they are rather than a reporter-level copy of them.
A submission's name is the folder a student chose and its reason may quote the student's code: both reach rich
as `escape.rich_text`, never as markup and never with a character the terminal would act on.
"""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from autograder.batch.grade_all import Outcome, Summary
from autograder.grading.results import SubmissionStatus as Status
from autograder.i18n import t
from autograder.reporters.escape import one_line, rich_text

BAR_WIDTH = 30


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def render(summary: Summary, console: Console, *, results: str = "", csv: str = "", shards: int | None = None) -> None:
    """Print the figures, the histogram, and one row per submission that was not graded.

    `shards`: the summary of `nngrade merge` over that many shards (nothing was graded now or kept).
    """
    figures = Table(show_header=False, box=None, pad_edge=False)
    figures.add_column(style="bold")
    figures.add_column()
    figures.add_row(t("batch.submissions"),
                    t("batch.submissions-merged", count=summary.count, shards=shards) if shards is not None else
                    t("batch.submissions-count", count=summary.count, now=summary.graded_now, kept=summary.kept))
    for status, count in summary.by_status.items():
        if count and status != Status.GRADED.value:
            figures.add_row(status, str(count))
    figures.add_row(t("batch.graded"), str(summary.by_status.get(Status.GRADED.value, 0)))
    figures.add_row(t("batch.mean"), _percent(summary.mean))
    figures.add_row(t("batch.median"), _percent(summary.median))
    figures.add_row(t("batch.range"), t("batch.range-values", low=_percent(summary.low), high=_percent(summary.high)))
    for level, count in summary.by_isolation.items():
        figures.add_row(t("batch.isolation"), t("batch.isolation-count", level=level, count=count))
    console.print(figures)

    if any(summary.histogram):
        console.print()
        peak = max(summary.histogram)
        for i, count in enumerate(summary.histogram):
            label = f"{10 * i:>3}-{10 * i + 10}%" if i < 9 else " 90-100%"
            bar = "█" * round(BAR_WIDTH * count / peak) if count else ""
            console.print(Text(f"  {label:>8} ") + Text(bar, style="cyan") + Text(f" {count}" if count else ""))

    if summary.problems:
        console.print()
        table = Table(title=t("batch.not-graded"), title_justify="left")
        table.add_column(t("batch.submission"), no_wrap=True)
        table.add_column(t("batch.status"), no_wrap=True)
        table.add_column(t("batch.why"))
        for outcome in summary.problems:
            table.add_row(rich_text(one_line(outcome.name)),
                          Text(outcome.status.value, style="red" if outcome.status is not Status.INVALID else "yellow"),
                          rich_text(_first_line(outcome)))
        console.print(table)
    if results or csv:
        console.print()
        if results:
            console.print(rich_text(t("batch.results-in", path=results), style="dim"))
        if csv:
            console.print(rich_text(f"csv: {csv}", style="dim"))


def _first_line(outcome: Outcome) -> str:
    """The reason's first line, at most 300 characters (controls written out, so a CR cannot hide the rest)."""
    text = one_line(outcome.message.strip().split("\n", 1)[0]) if outcome.message.strip() else ""
    return text if len(text) <= 300 else text[:300] + " ..."
