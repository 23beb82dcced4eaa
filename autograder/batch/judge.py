"""The long-lived judge process grade-all runs: grades the submissions it is sent, one at a time.

`python -m autograder.batch.judge CONFIG` is one process of grade-all's pool. It
imports pytest, numpy and the suites once, then grades each submission with
`grading.grade.grade_folder` (student code still runs only in a fresh sandbox
worker per submission). Requests are JSON lines on stdin, replies JSON lines on the
stdout it had at start (fd 1 is pointed at stderr, so nothing else can write
into the replies). When stdin closes -- the parent finished, or was killed with
SIGKILL -- the judge kills its current sandbox worker and leaves at once, so an
interrupted grade-all leaves no process behind.
"""
from __future__ import annotations

import os
import queue
import shutil
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.batch.messages import JudgeConfig, JudgeReady, JudgeReply, JudgeRequest
from autograder.course import Course, load_course
from autograder.grading import seeded
from autograder.grading.grade import GraderFailed, grade_folder
from autograder.grading.preload import preload
from autograder.grading.results import Status as TestStatus
from autograder.grading.results import SubmissionStatus as Status
from autograder.i18n import set_language
from autograder.sandbox import isolation
from autograder.sandbox.process import SubmissionError, WorkspaceError

if TYPE_CHECKING:
    from autograder.grading.runner import SuiteSession
    from autograder.sandbox.forkserver import ForkServer
    from autograder.sandbox.process import Sandbox


class _Current:
    """The sandbox being graded now, so a dying judge can kill its worker."""

    sandbox: Sandbox | None = None
    busy: bool = False
    """A request is being graded (from the moment it is taken until its reply is written)."""

    def track(self, sandbox: Sandbox | None) -> None:
        """grade_folder's `on_sandbox`: the sandbox it opened, None once closed."""
        self.sandbox = sandbox


_current = _Current()


def grade_request(config: JudgeConfig, course: Course, request: JudgeRequest,
                  forkserver: ForkServer | None = None, session: SuiteSession | None = None) -> JudgeReply:
    """Grade one submission; the reply says graded (with the JSON scorecard), invalid or internal-error."""
    from autograder.grading.card_json import card_to_dict
    from autograder.grading.submission import prepare

    started = time.monotonic()
    data_dir = Path(config.data_dir) if config.data_dir else None
    reply: JudgeReply
    try:
        with prepare(request.path, course, by_name=False) as prepared:
            card = grade_folder(prepared.course, prepared.folder, include_hidden=config.include_hidden,
                                data_dir=data_dir, submission=request.name, forkserver=forkserver,
                                session=session, on_sandbox=_current.track)
            message = "; ".join(card.internal_errors)[:2000]
            if card.not_run:
                message = next(t.message for t in card.tests if t.status is TestStatus.NOT_RUN)
            reply = JudgeReply(Status.INTERNAL_ERROR if card.internal_errors else Status.GRADED, message,
                               record=card_to_dict(card), notes=tuple(prepared.notes), not_run=card.not_run)
    except SubmissionError as exc:
        reply = JudgeReply(Status.INVALID, f"{exc}")
    except WorkspaceError as exc:  # the machine's fault (disk full): the run stops, the submission is not judged
        reply = JudgeReply(Status.WORKSPACE_ERROR, f"the grader {exc}")
    except GraderFailed as exc:
        reply = JudgeReply(Status.INTERNAL_ERROR, f"the grader itself failed: {exc}")
    except OSError as exc:  # the submission vanished or became unreadable while being graded
        reply = JudgeReply(Status.INVALID, f"cannot be read ({exc.strerror or exc})")
    except Exception as exc:  # noqa: BLE001 - our bug: report it for this submission, keep grading the others
        reply = JudgeReply(Status.INTERNAL_ERROR, f"the grader itself failed: {type(exc).__name__}: {exc}")
    return replace(reply, id=request.id, name=request.name, seconds=round(time.monotonic() - started, 3))


class _SuiteSessions:
    """The judge's suite session (the suites collected once), started anew after a grader failure ended it."""

    def __init__(self, course: Course, config: JudgeConfig) -> None:
        self.course, self.config = course, config
        self.session: SuiteSession | None = None

    def current(self) -> SuiteSession | None:
        """A running session; None if the suites cannot be collected (each submission then says why)."""
        from autograder.grading.runner import InternalError, SuiteSession

        if self.session is None or not self.session.usable:
            try:
                data_dir = Path(self.config.data_dir) if self.config.data_dir else None
                self.session = SuiteSession(self.course, include_hidden=self.config.include_hidden,
                                            data_dir=data_dir).start()
            except InternalError:
                self.session = None
        return self.session


def _die(*_: object) -> None:
    """Leave now, taking the current sandbox worker (its own process group) with us."""
    sandbox = _current.sandbox
    if sandbox is not None:
        try:
            sandbox.kill_worker()  # no waiting: this may run in the stdin thread while main reads the fork server
        except Exception:  # noqa: BLE001, S110 - the judge is dying anyway; the worker dies with its session
            pass
        shutil.rmtree(sandbox.root, ignore_errors=True)
    _discard_workspace()
    os._exit(1)  # the fork server sees its socket close and kills whatever it still runs


_forkserver: ForkServer | None = None
"""The judge's fork server, whose workspace (isolated) is removed when the judge leaves."""


def _discard_workspace() -> None:
    """Remove the fork server's workspace (isolated servers have one; os._exit skips atexit)."""
    if _forkserver is not None and _forkserver.workspace is not None:
        shutil.rmtree(_forkserver.workspace, ignore_errors=True)


def _read_requests(requests: queue.Queue[JudgeRequest | None]) -> None:
    """Feed stdin's JSON lines into the queue; at EOF the parent is done or gone: die if busy, else let main return.

    An idle judge leaves through main, which closes (and waits for) its fork server first.
    """
    for line in sys.stdin:
        requests.put(JudgeRequest.from_line(line))
    if _current.busy or not requests.empty():
        _die()
    requests.put(None)


def main(argv: list[str]) -> None:
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # a stray print anywhere in the judge goes to stderr, never into the replies
    signal.signal(signal.SIGTERM, _die)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    config = JudgeConfig.from_json(argv[0])
    set_language(config.language)  # told by the parent, never guessed from this process's environment
    isolation.set_mode(config.isolation)
    course = load_course(Path(config.course)).select(list(config.exercises))
    # Workers are forked from a server that imported numpy once (a new Python costs ~0.1 CPU-s a worker, a
    # fork ~0.03); it boots while this process imports pytest. If it cannot start, workers are spawned.
    # Linux only: macOS's system libraries are not safe to fork after import (Python spawns there too).
    from autograder.sandbox.forkserver import ForkServerError
    from autograder.sandbox.process import start_forkserver

    global _forkserver
    forkserver: ForkServer | None = None
    if sys.platform.startswith("linux"):
        try:
            # Inside bwrap when it works here: the server then sees only the data folder and its workspace.
            forkserver = start_forkserver(readable=[config.data_dir] if config.data_dir else [],
                                          preload=config.data_dir)
        except ForkServerError:
            forkserver = None
    preload()  # every module the judge needs, while the fork server boots and before any student code runs
    seeded.remember(True)  # a judge grades many submissions: seeded inputs and the reference's answers, once
    _forkserver = forkserver
    suites = _SuiteSessions(course, config)
    suites.current()  # pytest imported and the suites collected once, before the judge says it is ready

    requests: queue.Queue[JudgeRequest | None] = queue.Queue()
    threading.Thread(target=_read_requests, args=(requests,), daemon=True).start()
    replies.write(JudgeReady(os.getpid()).to_line())
    replies.flush()
    while (request := requests.get()) is not None:
        _current.busy = True
        reply = grade_request(config, course, request, forkserver, suites.current())
        try:
            replies.write(reply.to_line())
            replies.flush()
        except (BrokenPipeError, OSError):
            _die()
        _current.busy = False
    if forkserver is not None:
        forkserver.close()  # waited for, so its CPU time and its workers' count in this judge's
    _discard_workspace()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
