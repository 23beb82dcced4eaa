"""Everything the judge needs, imported before any student code runs.

Student code must never be able to change what the judge runs: a module or data file the judge
first reads *after* student code ran is one the student may have replaced (the sandbox makes the
installation read-only; this makes the judge not depend on it). `grade_folder`, `run` and the
grade-all judge call `preload` after starting the worker (so its boot overlaps the imports) and
before the first call into student code; tests/test_hardening.py checks that nothing is imported later.
"""
from __future__ import annotations

import importlib
import sys

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
    "difflib", "traceback", "rich.console", "rich.table", "rich.panel", "rich.text", "xml.etree.ElementTree",
)
"""Every module grading may need once student code has run, imported by `preload` before it does."""

_also: list[str] = []
_preloaded = False


def also_preload(*modules: str) -> None:
    """Have `preload` import `modules` too: what a caller above grading (the CLI's reporters, a notebook's
    feedback) runs in this process after grading. Named by the caller, so grading imports nothing above it."""
    _also.extend(m for m in modules if m not in _also)


def preload() -> None:
    """Import everything grading and reporting use, and read the message and mistake files, now.

    Called before the first call into student code (after the worker was started, so its boot
    overlaps these imports). Student code must never be able to change what the judge runs: a module
    or data file the judge first reads *after* student code ran is one the student may have replaced
    (the sandbox makes the installation read-only; this makes the judge not depend on it).
    """
    global _preloaded
    if _preloaded and all(name in sys.modules for name in _also):
        return
    for name in (*PRELOADED, *_also):
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
