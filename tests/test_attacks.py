"""The attack suite: hostile submissions, graded by the real `nngrade grade` in a fresh process.

Every payload wraps logic that would score 0 on its own (wrong answers, or none),
so any point it gets would be unearned. Each attack must: score 0, finish (the
subprocess has a generous hang guard, not a speed target), print valid JSON, and
leave no process behind. Every payload is bounded, so it is harmless even if
containment failed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, processes, slow_except, working_in

GUARD_SECONDS = 300  # a hang guard for the whole grading run, not a performance bound
GATES = ("perceptron", "AND", "NAND", "OR", "XOR")
FAST_ATTACKS = ("rigged-eq-object", "sys-exit", "write-outside")  # the fast loop's few; all run in the full suite


def every_gate(body: str, prelude: str = "") -> str:
    """A gates.py whose five functions all run `body` (indented into each function)."""
    indented = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
    functions = "\n\n".join(f"def {name}(*args, **kwargs):\n{indented}\n" for name in GATES)
    return textwrap.dedent(prelude).strip("\n") + "\n\n" + functions


ATTACKS: dict[str, str] = {
    "rigged-eq-object": every_gate("return Always()", """
        class Always:
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            def __hash__(self): return 0
    """),
    "rigged-array-protocol": every_gate("return Fake()", """
        import numpy as np
        class Fake:
            def __array__(self, *args, **kwargs): return np.array([0, 0, 0, 1])
            def __eq__(self, other): return True
    """),
    "rigged-float": every_gate("return Num()", """
        class Num:
            def __float__(self): return 1.0
            def __int__(self): return 1
            def __index__(self): return 1
            def __eq__(self, other): return True
    """),
    "ndarray-subclass": every_gate("return np.zeros(4).view(Liar)", """
        import numpy as np
        class Liar(np.ndarray):
            def __eq__(self, other): return np.ones(np.shape(other), bool)
            def __array_finalize__(self, obj): pass
    """),
    "int-subclass": every_gate("return Yes(7)", """
        class Yes(int):
            def __eq__(self, other): return True
            __hash__ = int.__hash__
    """),
    "patch-numpy-comparisons": every_gate("return 7", """
        import numpy as np, numpy.testing
        np.allclose = np.array_equal = np.isclose = lambda *a, **k: True
        np.testing.assert_allclose = np.testing.assert_array_equal = lambda *a, **k: None
    """),
    "patch-builtins": every_gate("return 7", """
        import builtins
        builtins.isinstance = lambda *a: True
        builtins.abs = lambda x: 0
        builtins.round = lambda *a: 0
    """),
    "sys-exit": every_gate("import sys; sys.exit(0)"),
    "os-exit": every_gate("import os; os._exit(0)"),
    "raise-system-exit": every_gate("raise SystemExit(0)"),
    "keyboard-interrupt": every_gate("raise KeyboardInterrupt"),
    "generator-exit": every_gate("raise GeneratorExit"),
    "infinite-loop": every_gate("while True:\n    pass"),
    "import-takes-forever": "import time\nwhile True:\n    time.sleep(0.01)\n",
    "fork-bomb": every_gate("import os\nfor _ in range(64):\n    os.fork()\nreturn 1"),
    "memory-bomb": every_gate("blocks = [bytearray(256 * 1024 * 1024) for _ in range(16)]\nreturn 1"),
    "recursion-to-segfault": every_gate("""
        import sys, json
        sys.setrecursionlimit(10**6)
        nested = []
        for _ in range(200_000):
            nested = [nested]
        return len(json.dumps(nested))
    """),
    "segfault": every_gate("import faulthandler; faulthandler._sigsegv()"),
    "huge-result": every_gate("import numpy as np; return np.broadcast_to(np.float64(1), (10**6, 10**5))"),
    "nan-result": every_gate("return float('nan')"),
    "fake-pytest-output": every_gate(
        "print('=== 200 passed in 0.1s ===')\nprint(json.dumps({'score': 1000, 'max_score': 10}))\nreturn -1",
        "import json"),
    "import-solutions": every_gate("return 7", f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from solutions.gates import *  # noqa
    """),
    "import-suites": every_gate("return 7", """
        import importlib
        importlib.import_module("autograder.suites.test_gates")
    """),
    "walk-for-course-toml": every_gate("""
        import os
        found = []
        for top in ("/", "/work", "/tmp", os.path.expanduser("~")):
            for folder, _, files in os.walk(top):
                if "course.toml" in files:
                    found.append(open(os.path.join(folder, "course.toml")).read())
                if len(found) > 3:
                    break
        return len(found) * 1000 + 7
    """),
    "write-outside": every_gate(f"""
        open({str(ROOT / "PWNED")!r}, "w").write("x")
        return 1
    """),
    "signal-parent": every_gate("import os, signal; os.kill(os.getppid(), signal.SIGKILL); return 1"),
    "ctypes": every_gate("import ctypes; ctypes.memset(0, 0, 1); return 1"),
    "subprocess": every_gate("import subprocess; return int(subprocess.check_output(['echo', '1']))"),
    "thread-keeps-running": every_gate("""
        import threading, time
        threading.Thread(target=lambda: time.sleep(3600), daemon=False).start()
        return 7
    """),
}


@pytest.fixture(scope="module")
def attack_course(tmp_path_factory) -> Path:
    """The real course with a 2-second call deadline; solutions reached through a link, like an install."""
    folder = tmp_path_factory.mktemp("course")
    (folder / "course.toml").write_text((ROOT / "course.toml").read_text().replace("timeout = 5.0", "timeout = 2.0"))
    (folder / "solutions").symlink_to(ROOT / "solutions")
    return folder / "course.toml"


def processes_mentioning(marker: str) -> list[int]:
    return processes(lambda proc: marker.encode() in (proc / "cmdline").read_bytes())


def test_there_are_at_least_twenty_attacks():
    """Does the suite hold at least 20 distinct hostile submissions?"""
    assert len(ATTACKS) >= 20


@pytest.mark.parametrize("attack", slow_except(sorted(ATTACKS), FAST_ATTACKS))
def test_attack_wins_nothing(attack, attack_course, tmp_path):
    """Does this hostile submission score 0, produce valid JSON, and leave no process behind?"""
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "gates.py").write_text(ATTACKS[attack])
    scratch = tmp_path / "tmp"  # the sandbox lives here, so its processes can be found by path
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "--course", str(attack_course), "grade", str(submission),
         "-e", "gates", "--format", "json"],
        capture_output=True, text=True, env=env, timeout=GUARD_SECONDS,
    )
    assert done.returncode == 0, done.stderr
    card = json.loads(done.stdout)
    assert card["score"] == 0, [(t["name"], t["status"]) for t in card["tests"] if t["score"]]
    assert card["max_score"] > 0 and not card["internal_errors"]
    assert all(t["status"] != "passed" for t in card["tests"])
    assert processes_mentioning(str(scratch)) == []
    assert not (ROOT / "PWNED").exists()


@pytest.mark.slow
def test_every_attack_in_one_class_wins_nothing_through_grade_all(attack_course, tmp_path):
    """Graded together by grade-all -- judges that keep their suites and fork server from one submission to the
    next -- does every attack score 0, do two honest submissions graded after them still get full marks, and is
    no process left behind?"""
    submissions = tmp_path / "submissions"
    for name, source in ATTACKS.items():
        (submissions / name).mkdir(parents=True)
        (submissions / name / "gates.py").write_text(source)
    for name in ("zz-honest-1", "zz-honest-2"):  # sorted last: graded by judges every attack went through
        (submissions / name).mkdir()
        (submissions / name / "gates.py").write_text((ROOT / "solutions" / "gates.py").read_text())
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "--course", str(attack_course), "grade-all", str(submissions),
         "--out", str(out), "-e", "gates", "--jobs", "2", "--timeout", "120"],
        capture_output=True, text=True, env={**os.environ, "TMPDIR": str(scratch)}, timeout=GUARD_SECONDS,
    )
    assert done.returncode == 0, done.stderr
    cards = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert set(cards) == {p.name for p in submissions.iterdir()}
    for name in ATTACKS:
        assert cards[name]["score"] == 0, (name, [(t["name"], t["status"]) for t in cards[name].get("tests", [])
                                                  if t["score"]])
    for name in ("zz-honest-1", "zz-honest-2"):
        assert cards[name]["score"] == cards[name]["max_score"] > 0, name
    assert processes_mentioning(str(scratch)) == [] and working_in(scratch) == []
    assert not (ROOT / "PWNED").exists()
