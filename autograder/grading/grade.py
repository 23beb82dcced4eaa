"""Grade one folder of modules in this process: open the sandbox, run the suites, score, make the text safe.

What `nngrade grade`, the Gradescope run and every grade-all judge call. Student
code still runs only in the sandbox worker, one fresh worker per submission.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.course import Course
from autograder.grading.preload import preload

if TYPE_CHECKING:
    from autograder.grading.runner import SuiteSession
    from autograder.grading.scoring import Scorecard
    from autograder.sandbox.forkserver import ForkServer
    from autograder.sandbox.process import Sandbox


class GraderFailed(Exception):
    """The grader itself failed on a submission (our fault, never the student's)."""


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
