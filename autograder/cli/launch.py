"""The console script `nngrade` (and `python -m autograder`): a check served warm when it can be, else the
command run in this process. Kept apart from cli/fastpath.py and cli/main.py so that neither imports the other.
"""
from __future__ import annotations

import os
import sys

from autograder.cli.fastpath import served, start_server


def entry() -> None:
    """Console-script entry: a served check, else the command run in this process (cli.main.entry)."""
    argv = sys.argv[1:]
    try:
        code = served(argv)
    except KeyboardInterrupt:  # the served check goes on in the server; this one stops as a check here would
        from autograder.i18n import t

        sys.stderr.write("\n" + t("cli.interrupted") + "\n")
        sys.stderr.flush()
        os._exit(130)
    if code is not None:
        sys.stdout.flush()
        os._exit(code)
    from autograder.cli.main import entry as run_here

    run_here(after=lambda: start_server(argv))
