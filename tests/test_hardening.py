"""Grades that cannot be forged: the judge trusts nothing student code could have touched.

- the judge imports everything before the first call into student code;
- notebooks are read in bounded time and memory, with a clear error for what cannot be one;
- the judge's decoder survives any reply a worker can send (a student fault, never an internal error);
- grade-all skips symlinked entries, and the copy step refuses hard links and special files.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import CASES, ROOT

# --- imports up front --------------------------------------------------------

_LATE_IMPORTS = textwrap.dedent("""
    import json, os, sys, tempfile
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from autograder.sandbox import process

    seen = {{}}
    exchange = process.Sandbox._exchange

    def first_call_noted(self, request, timeout):
        seen.setdefault("modules", set(sys.modules))
        return exchange(self, request, timeout)

    process.Sandbox._exchange = first_call_noted
    from conftest import case_folder
    from autograder.course import load_course
    from autograder.grading.grade import grade_folder

    course = load_course(Path({course!r}))
    broken = Path(tempfile.mkdtemp())
    (broken / "gates.py").write_text("def perceptron(x, w, b):\\n    raise ValueError('no')\\n"
                                     "def AND(a, b):\\n    return object()\\n")
    (broken / "softmax.py").write_text("def softmax(:\\n")
    data = os.environ.get("NNGRADE_DATA")
    cards = [grade_folder(course, folder, include_hidden=True, data_dir=Path(data) if data else None)
             for folder in (Path({stubs!r}), case_folder(Path({case!r})), broken)]
    # What the CLI and grade-all do with a scorecard once graded: every reporter.
    from autograder.reporters import console, csv_report, gradescope, json_report, junit, markdown
    from rich.console import Console
    import io
    for card in cards:
        json_report.render(card); junit.render(card); csv_report.render(card); markdown.render(card, title="t")
        gradescope.render(card, hidden_visibility="visible", hidden_feedback=course.hidden_feedback)
        console.render(card, Console(file=io.StringIO(), width=100))
    print(json.dumps(sorted(set(sys.modules) - seen["modules"])))
""")


def test_no_module_is_imported_into_the_judge_after_student_code_ran() -> None:
    """A module first imported after student code ran could be one the student replaced (stubs got 102/102)."""
    script = _LATE_IMPORTS.format(tests=str(ROOT / "tests"), course=str(ROOT / "course.toml"),
                                  stubs=str(ROOT / "exercises"), case=str(CASES / "forward" / "activation-on-output"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    late = json.loads(done.stdout.strip().splitlines()[-1])
    assert late == [], f"imported after the first call into student code: {late}"
