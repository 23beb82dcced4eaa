"""The rich console report: a table per exercise, a panel per failing check, a total line.

Takes a `Console` so tests can render into a buffer. Every string reaches rich as a `Text` (never parsed as
markup) from a scorecard passed through `escape.card` (nothing a terminal would act on): student text, which
messages, values and printed output are, is shown as it is and does nothing.
"""
from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from autograder.course import format_points
from autograder.grading.results import LOAD_CODES, Status
from autograder.grading.scoring import ExerciseScore, Scorecard, TestScore
from autograder.i18n import t
from autograder.reporters import escape

BAR_WIDTH = 16
MAX_PANELS = 12
PANEL_WIDTH = 100
"""Columns a panel is laid out for when the console's own width is not known."""
_STATUS_STYLE = {
    Status.FAILED: ("✗", "red"), Status.ERROR: ("!", "red"), Status.TIMEOUT: ("⏱", "yellow"),
    Status.MISSING: ("?", "yellow"), Status.NOT_IMPLEMENTED: ("○", "dim"), Status.NOT_RUN: ("-", "dim"),
}


def _cells(text: str) -> int:
    """Terminal columns of a label: Hangul takes two, so labels of both languages line up."""
    return Text(text).cell_len


def _bar(score: float, max_score: float) -> Text:
    filled = round(BAR_WIDTH * score / max_score) if max_score else 0
    style = "green" if score >= max_score else ("yellow" if score > 0 else "red")
    return Text("█" * filled, style=style) + Text("░" * (BAR_WIDTH - filled), style="dim")


def exercise_heading(exercise: ExerciseScore) -> Text:
    """`gates — Logic gates with perceptrons   7/10`: printed above the table, so it wraps at the terminal's
    width rather than the (narrower) table's."""
    exercise = escape.card(exercise)
    return Text(f"{exercise.id} — {exercise.title}   "
                f"{format_points(exercise.score)}/{format_points(exercise.max_score)}", style="italic")


def exercise_table(exercise: ExerciseScore) -> Table:
    """The task table of one exercise."""
    exercise = escape.card(exercise)
    table = Table(expand=False, show_edge=False, pad_edge=False)
    table.add_column(t("report.task"))
    table.add_column(t("report.tests"), justify="right")
    table.add_column(t("report.points"), justify="right")
    table.add_column("", no_wrap=True)
    for task in exercise.tasks:
        name = task.task + (" " + t("report.hidden") if task.visibility.value == "hidden" else "")
        tests = f"{task.passed}/{task.total}" + (" " + t("report.not-run-count", count=task.not_run)
                                                 if task.not_run else "")
        earned = f"{format_points(task.score)}/{format_points(task.max_score)}"
        table.add_row(Text(name), Text(tests), Text(earned), _bar(task.score, task.max_score))
    return table


def panel_title(parts: list[str], mark: str, width: int) -> tuple[Text, list[str]]:
    """A panel's title that fits `width` columns whole, and the parts left out of it for the body's first line.

    rich cuts a title too long for its panel: the test's name (then the task) moves into the panel instead.
    """
    room = width - 6  # "╭─ " + title + " ─╮"
    for kept in range(len(parts), 1, -1):
        title = f"{mark} " + " · ".join(parts[:kept])
        if _cells(title) <= room:
            return Text(title), parts[kept:]
    return Text(f"{mark} {parts[0]}"), parts[1:]


def failure_panel(test: TestScore, repeats: int, *, width: int = PANEL_WIDTH, exercises: tuple[str, ...] = (),
                  verbose_shows: bool = False) -> Panel:
    """The panel of one failing test: message, checked/input/expected/got, steps, traceback, hint.

    A module that could not be loaded (LOAD_CODES) is one panel for all its tests (of `exercises`: another
    exercise's module may import it). `verbose_shows`: the repeats line says that `-v` shows each.
    """
    test = escape.card(test)
    mark, style = _STATUS_STYLE.get(test.status, ("✗", "red"))
    loading = test.code in LOAD_CODES and test.function is None
    # Text, not a markup string: test names like test_values[sigmoid] hold brackets.
    parts = [test.exercise, t("report.load-failed-title")] if loading else [test.exercise, test.task, test.name]
    title, rest = panel_title(parts, mark, width)
    body = Text()
    if rest:
        body.append(" · ".join(rest) + "\n", style="dim")
    body.append(test.message, style="bold")
    body.append(f"  [{test.code}]\n" if test.code else "\n", style="dim")
    fb = test.feedback
    if fb is not None:
        labels = [(t(f"report.{key}"), value) for key, value in
                  (("checked", fb.what), ("input", fb.inputs), ("expected", fb.expected), ("got", fb.got))]
        width = max(_cells(label) for label, _ in labels)
        for label, value in labels:
            if value:
                body.append(" " * (width - _cells(label)) + f"{label}: ", style="cyan")
                body.append(value + "\n")
        # Under labels, details line up with their values; alone (a source line and its caret), they need the room.
        indent = width + 2 if any(value for _, value in labels) else 0
        for line in fb.details:
            body.append(" " * indent + line + "\n", style="magenta")
        if fb.steps:
            body.append(t("report.step-by-step") + "\n", style="cyan")
            width = max(len(row.label) for row in fb.steps)
            for row in fb.steps:
                style = {"ok": "green", "DIVERGES": "bold red"}.get(row.verdict, "red")
                body.append(f"  {'✓' if row.verdict == 'ok' else '✗'} {row.label:<{width}}  ", style=style)
                body.append(t("report.step-values", expected=row.expected, got=row.got),
                            style="dim" if row.verdict == "ok" else "")
                body.append("   ← " + t("report.first-divergence") + "\n" if row.verdict == "DIVERGES" else "\n",
                            style="bold red")
    if test.trace:
        body.append(t("report.traceback") + "\n", style="cyan")
        body.append(test.trace + "\n", style="dim")
    if test.hint:
        body.append(t("report.hint") + ": ", style="green")
        body.append(test.hint + "\n")
    if loading:
        body.append(t("report.load-failed-tests", count=repeats + 1, exercise=", ".join(exercises or (test.exercise,)))
                    + "\n", style="dim")
    elif repeats:
        body.append(t("report.repeats-verbose" if verbose_shows else "report.repeats", count=repeats) + "\n",
                    style="dim")
    body.rstrip()
    return Panel(body, title=title, title_align="left", border_style=style)


_GENERIC_CODES = {None, "value-mismatch", "shape-mismatch", "check-failed", "exception", "truth-table", "nan-or-inf"}


def _grouped_failures(card: Scorecard, *, fold: bool = True) -> list[tuple[TestScore, int, tuple[str, ...]]]:
    """Failing tests, the same error (or the same catalogued mistake) in several tests shown once.

    Unfolded (`check -v`), every failing test has its panel; a module that could not be loaded is still one.
    """
    groups: dict[tuple[str, str | None, str], list[TestScore]] = {}
    for number, test in enumerate(card.tests):
        if test.status in (Status.FAILED, Status.ERROR, Status.TIMEOUT):
            loading = test.code in LOAD_CODES and test.function is None
            specific = test.code not in _GENERIC_CODES and test.hint and not loading
            key = (test.status.value, test.code, (test.hint or "") if specific else test.message)
            if not fold and not loading:
                key = (*key[:2], f"{number}")
            groups.setdefault(key, []).append(test)
    return [(tests[0], len(tests) - 1, tuple(dict.fromkeys(t.exercise for t in tests))) for tests in groups.values()]


def _unstarted(card: Scorecard, status: Status) -> list[str]:
    """One line per student function in this state, not one per test."""
    seen: dict[str, int] = {}
    for test in card.tests:
        if test.status is status:
            key = test.message if status is Status.MISSING else f"{test.exercise}.{test.function or '?'}()"
            seen[key] = seen.get(key, 0) + 1
    return [f"{name}  " + t("report.test-count", count=count) for name, count in seen.items()]


def render_failures(card: Scorecard, console: Console, *, verbose: bool = False, fold: bool = True,
                    check: bool = False) -> None:
    """What did not pass: functions not started or missing, a panel per failing check, tests not run.

    `verbose`: every panel (else the first MAX_PANELS); `fold`: the same problem in several tests is one panel;
    `check`: the report of `nngrade check`, whose -v shows what was folded.
    (Also what a notebook's test cell shows under its one task's headline.)
    """
    card = escape.card(card)
    for status, label in ((Status.NOT_IMPLEMENTED, t("report.not-implemented")), (Status.MISSING, t("report.missing"))):
        lines = _unstarted(card, status)
        if lines:
            console.print()
            console.print(Text(f"{label}:", style="bold yellow" if status is Status.MISSING else "bold"))
            for line in lines:
                console.print(Text(f"  {_STATUS_STYLE[status][0]} {line}", style="dim"))
    failures = _grouped_failures(card, fold=fold)
    shown = failures if verbose else failures[:MAX_PANELS]
    if shown:
        console.print()
    for test, repeats, exercises in shown:
        console.print(failure_panel(test, repeats, width=console.width, exercises=exercises,
                                    verbose_shows=check and fold))
    if len(shown) < len(failures):
        console.print(Text(t("report.more-failures", count=len(failures) - len(shown)), style="dim"))
    not_run = [t for t in card.tests if t.status is Status.NOT_RUN]
    if not_run:
        console.print(Text("\n" + t("report.not-run", count=len(not_run), reason=not_run[0].message), style="yellow"))


def render(card: Scorecard, console: Console, *, verbose: bool = False, check: bool = False) -> None:
    """Print the whole report.

    `verbose` (`check -v`): every failing check in its own panel and what the student's code printed.
    `check`: the report of `nngrade check`, which tells what `-v` would add.
    """
    card = escape.card(card)
    console.print(Text(card.course, style="bold") + Text(f"  ·  {card.submission}", style="dim"))
    for exercise in card.exercises:
        console.print()
        console.print(exercise_heading(exercise))
        console.print(exercise_table(exercise))
    render_failures(card, console, verbose=verbose, fold=not verbose, check=check)
    if card.student_output and verbose:
        console.print(Panel(Text(card.student_output), title=Text(t("report.student-output")), title_align="left",
                            border_style="dim"))
    elif card.student_output and check:
        lines = len(card.student_output.rstrip("\n").splitlines()) or 1
        console.print(Text("\n" + t("report.printed-see-verbose", count=lines), style="yellow"))
    if card.internal_errors:
        console.print(Panel(
            Group(Text(t("report.internal-error")),
                  *(Text(e, style="dim") for e in card.internal_errors[:5])),
            title=Text(t("report.internal-error-title")), border_style="red bold",
        ))
    console.print()
    total = Text(t("report.total") + ": ", style="bold") + Text(
        t("report.total-points", score=format_points(card.score), max_score=format_points(card.max_score),
          percent=f"{card.percent:.1f}"),
        style="bold green" if card.score >= card.max_score and card.max_score else "bold",
    )
    console.print(total)
    if card.hidden_not_run:
        console.print(Text(t("report.hidden-not-run", count=card.hidden_not_run), style="dim"))
