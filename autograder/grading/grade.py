"""Grade one folder of modules in this process: open the sandbox, run the suites, score, make the text safe.

What `nngrade grade`, the Gradescope run and every grade-all judge call. Student
code still runs only in the sandbox worker, one fresh worker per submission.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.course import Course

if TYPE_CHECKING:
    from autograder.grading.runner import SuiteSession
    from autograder.grading.scoring import Scorecard
    from autograder.sandbox.forkserver import ForkServer
    from autograder.sandbox.process import Sandbox


class GraderFailed(Exception):
    """The grader itself failed on a submission (our fault, never the student's)."""


PRELOADED = (
    # grading itself: pytest and the plugin, scoring, the sandbox's judge side and its codec
    "pytest", "autograder.grading.runner", "autograder.grading.plugin", "autograder.grading.compare",
    "autograder.grading.catalog", "autograder.grading.scoring", "autograder.grading.scrub",
    "autograder.grading.results", "autograder.grading.card_json", "autograder.grading.visibility",
    "autograder.grading.submission", "autograder.grading.notebook_source",
    "autograder.sandbox.process", "autograder.sandbox.protocol", "autograder.sandbox.replies",
    "autograder.sandbox.forkserver", "autograder.data.mnist",
    # what the suites use while tests run, beyond their own imports (done at collection):
    # numpy.random for the seeded `rng` fixture, numpy.linalg for norms, gzip/zipfile/cp437 for
    # reading MNIST and .npz weights (zipfile decodes legacy member names with cp437)
    "numpy", "numpy.linalg", "numpy.random", "numpy.typing", "json", "gzip", "zipfile", "encodings.cp437",
    "difflib", "traceback",
    # the reporters that write the judge's own output after grading (CLI formats, grade-all's CSV)
    "autograder.reporters.console", "autograder.reporters.text", "autograder.reporters.markdown",
    "autograder.reporters.json_report", "autograder.reporters.gradescope", "autograder.reporters.junit",
    "autograder.reporters.csv_report", "rich.console", "rich.table", "rich.panel", "rich.text",
    "xml.etree.ElementTree",
)
"""Every module the judge may need once student code has run, imported by `preload` before it does."""

_preloaded = False


def preload() -> None:
    """Import everything grading and reporting use, and read the message and mistake files, now.

    Called before the first call into student code (after the worker was started, so its boot
    overlaps these imports). Student code must never be able to change what the judge runs: a module
    or data file the judge first reads *after* student code ran is one the student may have replaced
    (the sandbox makes the installation read-only; this makes the judge not depend on it).
    """
    global _preloaded
    if _preloaded:
        return
    for name in PRELOADED:
        importlib.import_module(name)
    from autograder.grading import catalog
    from autograder.i18n import MessageFileError, namespace, namespaces

    try:
        for messages in namespaces():
            namespace(messages)
        for exercise in catalog.exercises():
            catalog.load(exercise)
    except (MessageFileError, catalog.CatalogError):
        pass  # a broken kit file: reported where it is used, as without the preload
    _warm_rich()
    _preloaded = True


def _warm_rich() -> None:
    """Render once off screen: rich imports its emoji table and its Unicode width table on first use."""
    import io

    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table

    table = Table("x", title="t")
    table.add_row("한글 :warning: [bold]x[/bold]")
    Console(file=io.StringIO(), width=40).print(Panel(table))


def grade_folder(course: Course, folder: Path, *, include_hidden: bool, data_dir: Path | None,
                 submission: str | None = None, forkserver: ForkServer | None = None,
                 session: SuiteSession | None = None,
                 on_sandbox: Callable[[Sandbox | None], None] | None = None) -> Scorecard:
    """Run and score one folder of modules; raises SubmissionError, WorkspaceError or GraderFailed.

    A grade-all judge passes what it keeps between submissions: `forkserver` forks the sandbox workers
    (instead of starting a new Python each), `session` holds the suites already collected, and
    `on_sandbox` is told of the open sandbox (then None once it is closed) so a dying judge can kill its worker.
    """
    from autograder.grading.scrub import scrub_card
    from autograder.sandbox.process import open_sandbox

    # Start the worker first: it boots while the judge imports pytest and collects the suites.
    sandbox = open_sandbox(course, folder, data_dir, forkserver=forkserver)
    if on_sandbox is not None:
        on_sandbox(sandbox)
    try:
        preload()
        from autograder.grading.runner import InternalError, run
        from autograder.grading.scoring import score

        try:
            result = run(course, folder, include_hidden=include_hidden, data_dir=data_dir, sandbox=sandbox,
                         session=session)
        except InternalError as exc:
            raise GraderFailed(str(exc)) from None
    finally:
        if on_sandbox is not None:
            on_sandbox(None)
        sandbox.close()  # run() closes it too; closing twice is harmless, leaking a worker is not
    card = score(result, course, submission=submission if submission is not None else str(folder))
    # Student-made text (exception messages, prints) may hold lone surrogates or terminal escapes:
    # made safe here, once, for every reporter and file.
    return scrub_card(card)
