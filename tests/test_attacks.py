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
from conftest import ROOT, processes, slow_except, wait_for, working_in

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


# === Grades that cannot be forged: every channel around the audit hook ====================================
# Each hostile gates.py below is a stub (it raises NotImplementedError, so it scores 0 on its own) wrapped
# around one channel. The "steal" attacks try to read the kit's solutions/gates.py and, if they can, answer
# with the reference's functions: a stolen read shows up as points. The others leave evidence the test looks
# for: a file changed outside the submission, "FOUND" in the student's output, a result file forged.
# Against the in-process audit hook alone, most of them won; each is run with the hook on and off, so what
# stops them is shown to be the kernel wall (namespaces, Landlock, seccomp), which every scorecard names.

AUDIT_HOOK_ENV = "NNGRADE_AUDIT_HOOK"
"""The judge's switch for the worker's audit hook ("0": off), so the kernel wall is tested on its own."""

STEAL_SCAFFOLD = '''
import os
import sys


def _solution_paths():
    """Where the kit's solutions may be: beside the autograder package, or in any folder above the cwd."""
    paths = []
    package = sys.modules.get("autograder")
    if package is not None and getattr(package, "__file__", None):
        paths.append(os.path.join(os.path.dirname(os.path.dirname(package.__file__)), "solutions", "gates.py"))
    folder = os.getcwd()
    while folder != "/":
        folder = os.path.dirname(folder)
        paths.append(os.path.join(folder, "solutions", "gates.py"))
    return paths


_reference = None


def _answers():
    global _reference
    if _reference is None:
        _reference = {}
        for path in _solution_paths():
            try:
                source = steal(path)
            except BaseException as exc:
                print("refused:", type(exc).__name__, str(exc)[:200])
                continue
            if source and "def perceptron" in source:
                namespace = {}
                exec(compile(source, "stolen", "exec"), namespace)
                _reference = namespace
                print("STOLEN", path)
                break
    return _reference


def _gate(name):
    def gate(*args, **kwargs):
        reference = _answers()
        if name not in reference:
            raise NotImplementedError("stub")  # what this submission is worth on its own
        return reference[name](*args, **kwargs)
    return gate


perceptron, AND, NAND, OR, XOR = (_gate(n) for n in ("perceptron", "AND", "NAND", "OR", "XOR"))
'''

HOOK_OFF_BY_CLOSURE_CELL = '''
def hook_off():
    """Trigger a refusal, walk its traceback to the hook's frame, and empty the closure cells of its verdict()."""
    try:
        open("/etc/hostname")
    except PermissionError as exc:
        tb = exc.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        verdict = tb.tb_frame.f_locals["verdict"]
        cells = dict(zip(verdict.__code__.co_freevars, verdict.__closure__))
        cells["denied_roots"].cell_contents = ()
        cells["readable_roots"].cell_contents = ("/",)
        cells["submission_root"].cell_contents = ("/",)
'''


def stealing(steal: str) -> str:
    """A stub gates.py that answers with the reference's functions if `steal(path)` can read them."""
    return textwrap.dedent(steal).strip("\n") + "\n\n" + STEAL_SCAFFOLD


SKIP_HOOK_LIAR = 'lambda path, roots: "/dev/urandom" in roots'
"""An _inside() for the guard that calls every path readable (only the readable roots hold /dev/urandom) and none
denied."""

STEAL_ATTACKS: dict[str, str] = {
    # Rebinds the module global _inside of autograder.sandbox.guard (found in sys.modules), which the hook's
    # verdict() looks up at each call, to a liar that finds nothing denied. Wins: it reads the solutions.
    "hook-off-sys-modules": stealing(f'''
        def steal(path):
            import sys
            sys.modules["autograder.sandbox.guard"]._inside = {SKIP_HOOK_LIAR}
            return open(path).read()
    '''),
    # The same global rebound through importlib.import_module, which returns the already loaded guard.
    "hook-off-importlib": stealing(f'''
        def steal(path):
            import importlib
            importlib.import_module("autograder.sandbox.guard")._inside = {SKIP_HOOK_LIAR}
            return open(path).read()
    '''),
    # Finds the guard's globals without sys.modules: the dict that refers to the class of a refusal it caught,
    # through gc.get_referrers. Wins: it reads the solutions.
    "hook-off-gc-referrers": stealing(f'''
        def steal(path):
            import gc
            try:
                open("/etc/hostname")
            except PermissionError as exc:
                for holder in gc.get_referrers(type(exc)):
                    if isinstance(holder, dict) and "_inside" in holder:
                        holder["_inside"] = {SKIP_HOOK_LIAR}
            return open(path).read()
    '''),
    # Reaches the hook's frame through the traceback of a refusal and rewrites the closure cells of its
    # verdict() (denied: none; readable and writable: "/"). Wins: it reads the solutions.
    "hook-off-closure-cell": stealing(HOOK_OFF_BY_CLOSURE_CELL + '''

def steal(path):
    hook_off()
    return open(path).read()
'''),
    # builtins is shared with the guard: an isinstance that calls every path an "already open descriptor"
    # makes verdict() wave everything through. Wins: it reads the solutions.
    "hook-off-builtins-isinstance": stealing('''
        def steal(path):
            import builtins
            real = builtins.isinstance
            builtins.isinstance = lambda o, t: True if t is int else real(o, t)
            try:
                return open(path).read()
            finally:
                builtins.isinstance = real
    '''),
    # A path-like object whose __fspath__ names the student's own file except on its k-th call, when it names
    # the solutions (k = 1, 2, 3: whichever call the hook makes and whichever call open makes). Wins: the hook
    # is asked about one file and the other is opened.
    "fspath-changes-its-mind": stealing('''
        def steal(path):
            import os
            for k in (1, 2, 3):
                class Shifty:
                    calls = 0
                    def __fspath__(self, k=k):
                        Shifty.calls += 1
                        return path if Shifty.calls == k else os.path.abspath(__file__)
                try:
                    text = open(Shifty()).read()
                except PermissionError:
                    continue
                if "def perceptron" in text and "_solution_paths" not in text:
                    return text
            return None
    '''),
    # A str subclass whose startswith/partition lie: the hook's string checks see a path inside the submission,
    # the C open() sees the real characters. Wins: it reads the solutions.
    "str-subclass-lies-to-hook": stealing('''
        def steal(path):
            class Liar(str):
                def startswith(self, *args):
                    return False
                def partition(self, sep):
                    return ("", "", "")
            return open(Liar(path)).read()
    '''),
    # A sub-interpreter has no audit hook of its own (sys.addaudithook is per interpreter): it copies the
    # solutions into the submission's folder, which the hooked interpreter may read. Wins: it reads them.
    "sub-interpreter": stealing('''
        def steal(path):
            try:
                import _interpreters as interpreters
            except ImportError:
                import _xxsubinterpreters as interpreters
            interpreter = interpreters.create()
            try:
                interpreters.run_string(interpreter, f"open('stolen.txt', 'w').write(open({path!r}).read())")
            finally:
                interpreters.destroy(interpreter)
            return open("stolen.txt").read()
    '''),
    # os.open(relative, dir_fd=fd): the hook checks the relative path against the cwd, the kernel resolves it
    # from fd. fd is the submission folder; the cwd is a folder as deep again inside it, so "../"*depth +
    # the solutions' path looks like a file of the submission to the hook. Wins: it reads the solutions.
    "dir-fd-relative-open": stealing('''
        def steal(path):
            import os
            here = os.getcwd()
            depth = here.count("/")
            fd = os.open(".", os.O_RDONLY)
            deep = "/".join(f"d{i}" for i in range(depth))
            os.makedirs(deep, exist_ok=True)
            os.chdir(deep)
            try:
                opened = os.open("../" * depth + path.lstrip("/"), os.O_RDONLY, dir_fd=fd)
            finally:
                os.chdir(here)
                os.close(fd)
            with os.fdopen(opened) as handle:
                return handle.read()
    '''),
}

STUB = every_gate("raise NotImplementedError('stub')")

PROBE_ATTACKS: dict[str, str] = {
    # Probes without opening: os.stat, os.lstat, os.path.exists, os.access and os.readlink on the kit's
    # solutions/ folder (found beside the autograder package or above the cwd). Wins (a leak): "FOUND" in its
    # output; with namespaces the folder is simply not there.
    "probe-solutions-exists": STUB + '''

import os
import sys

def _probe():
    package = sys.modules.get("autograder")
    kit = os.path.dirname(os.path.dirname(package.__file__))
    target = os.path.join(kit, "solutions")
    for probe in (os.stat, os.lstat, os.path.exists, os.path.isdir, lambda p: os.access(p, os.F_OK),
                  lambda p: os.path.exists(os.path.join(p, "gates.py"))):
        try:
            if probe(target):
                print("FOUND", target)
        except OSError:
            pass
    try:
        print("FOUND cwd of parent", os.readlink(f"/proc/{os.getppid()}/cwd"))
    except OSError:
        pass

_probe()
''',
}

WRITE_ATTACKS: dict[str, str] = {
    # The hook checks only the source of os.rename/os.replace: a file made in the submission is moved into the
    # data folder (readable, never writable). Wins: a new file appears in the data folder.
    "rename-destination-outside": STUB + '''

import os
for mover, name in ((os.rename, "planted-by-rename"), (os.replace, "planted-by-replace")):
    try:
        with open(name, "w") as handle:
            handle.write("planted")
        mover(name, os.path.join("@DATA@", name))
    except OSError as exc:
        print("refused:", exc)
''',
    # An fd opened read-only on a readable file is a licence the hook no longer checks: os.fchmod, os.utime(fd)
    # and os.chmod(fd) change the data folder's file. Wins: its mode or mtime changed.
    "fd-metadata-outside": STUB + '''

import os
try:
    fd = os.open(os.path.join("@DATA@", "victim.txt"), os.O_RDONLY)
    for change in (lambda: os.fchmod(fd, 0o777), lambda: os.utime(fd, (0, 0)), lambda: os.chmod(fd, 0o666)):
        try:
            change()
        except OSError as exc:
            print("refused:", exc)
except OSError as exc:
    print("refused:", exc)
''',
    # os.mknod and os.mkfifo raise no event the hook checks: a FIFO and a file node in the data folder.
    # Wins: new entries in the data folder.
    "mknod-mkfifo-outside": STUB + '''

import os
for make, name in ((os.mkfifo, "planted-fifo"), (os.mknod, "planted-node")):
    try:
        make(os.path.join("@DATA@", name))
    except OSError as exc:
        print("refused:", exc)
''',
    # os.setxattr is not a write the hook knows: an extended attribute on the data folder's file.
    # Wins: the file carries user.nngrade.
    "setxattr-outside": STUB + '''

import os
try:
    os.setxattr(os.path.join("@DATA@", "victim.txt"), "user.nngrade", b"planted")
except OSError as exc:
    print("refused:", exc)
''',
}

CHANNEL_ATTACKS = {**STEAL_ATTACKS, **PROBE_ATTACKS, **WRITE_ATTACKS}
CHANNEL_FAMILY = {**dict.fromkeys(STEAL_ATTACKS, "steal"), **dict.fromkeys(PROBE_ATTACKS, "probe"),
                  **dict.fromkeys(WRITE_ATTACKS, "write")}
FAST_CHANNELS = ("hook-off-closure-cell", "probe-solutions-exists", "rename-destination-outside")
"""One representative per family in the fast loop; the full run has them all."""

WORKER_KINDS = ("spawned", "forked")
"""spawned: the real `nngrade grade` in a fresh process (a new Python per worker); forked: the same course graded
in this process with workers forked from a fork server, as grade-all's judges do."""
AUDIT_HOOKS = (True, False)
"""With the audit hook, and without it (NNGRADE_AUDIT_HOOK=0 for the judge): the kernel wall alone must hold."""


def snapshot(folder: Path) -> dict[str, tuple]:
    """Everything about a tree that an attack could change: names, kinds, modes, mtimes, contents, xattrs."""
    import hashlib
    import stat as stat_module

    seen: dict[str, tuple] = {}
    if not folder.exists():
        return seen
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        content = hashlib.sha256(path.read_bytes()).hexdigest() if stat_module.S_ISREG(info.st_mode) else ""
        try:
            xattrs = tuple(sorted(os.listxattr(path, follow_symlinks=False)))
        except OSError:
            xattrs = ()
        seen[str(path.relative_to(folder))] = (stat_module.S_IFMT(info.st_mode), oct(info.st_mode),
                                                info.st_mtime_ns, content, xattrs)
    return seen


@pytest.fixture(scope="module")
def attack_forkserver():
    from autograder.sandbox.process import start_forkserver

    server = start_forkserver()
    yield server
    server.close()


@pytest.fixture
def data_folder(tmp_path) -> Path:
    """The worker's readable data folder (NNGRADE_DATA), outside the submission: readable, never writable."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "victim.txt").write_text("the grader's data\n")
    os.chmod(folder / "victim.txt", 0o644)
    return folder


def grade_hostile(source: str, tmp_path: Path, kind: str, audit_hook: bool, *, course_toml: Path, data: Path,
                  forkserver=None, monkeypatch=None) -> dict:
    """Grade a hostile gates.py with one kind of worker; returns the scorecard as `-f json` gives it."""
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "gates.py").write_text(source.replace("@DATA@", str(data)))
    scratch = tmp_path / "tmp"  # every sandbox lives here, so its processes can be found by path
    scratch.mkdir()
    hook = "1" if audit_hook else "0"
    if kind == "spawned":
        env = {**os.environ, "TMPDIR": str(scratch), "NNGRADE_DATA": str(data), AUDIT_HOOK_ENV: hook}
        done = subprocess.run(
            [sys.executable, "-m", "autograder", "--course", str(course_toml), "grade", str(submission),
             "-e", "gates", "--format", "json"],
            capture_output=True, text=True, env=env, timeout=GUARD_SECONDS,
        )
        assert done.returncode == 0, done.stderr
        card = json.loads(done.stdout)
    else:
        import tempfile

        from autograder.course import CoursePaths, load_course
        from autograder.grading.card_json import card_to_dict
        from autograder.grading.runner import run
        from autograder.grading.scoring import score
        from autograder.sandbox.process import open_sandbox

        monkeypatch.setenv(AUDIT_HOOK_ENV, hook)  # the judge is this process
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))
        course = load_course(course_toml).select(["gates"])
        paths = CoursePaths.of(course)
        sandbox = open_sandbox(course, submission, data, paths, forkserver=forkserver)
        card = card_to_dict(score(run(course, submission, include_hidden=True, data_dir=data, paths=paths,
                                      sandbox=sandbox), course))
    assert processes_mentioning(str(scratch)) == [] and working_in(scratch) == []
    # The wall that held is the kernel's, and with the hook off nothing else stood there.
    assert card["isolation"] == "namespaces+landlock+seccomp", card["isolation"]
    return card


def passed(card: dict) -> list[tuple[str, str]]:
    return [(t["name"], t["status"]) for t in card["tests"] if t["score"] or t["status"] == "passed"]


def test_every_channel_the_issue_names_is_an_attack():
    """Is there a hostile submission for each channel: the hook switched off four ways, the path tricks, the holes
    (rename, dir_fd, fd metadata, mknod/mkfifo, setxattr, probing)?"""
    assert {"hook-off-sys-modules", "hook-off-importlib", "hook-off-gc-referrers", "hook-off-closure-cell",
            "fspath-changes-its-mind", "sub-interpreter", "dir-fd-relative-open", "rename-destination-outside",
            "fd-metadata-outside", "mknod-mkfifo-outside", "setxattr-outside", "probe-solutions-exists"} <= set(
        CHANNEL_ATTACKS)
    assert len(ATTACKS) + len(CHANNEL_ATTACKS) >= 29 + 12


def channel_cases() -> list:
    """(attack, worker kind, audit hook): the fast loop keeps one attack per family, spawned and forked, hook on."""
    cases = []
    for attack in sorted(CHANNEL_ATTACKS):
        for kind in WORKER_KINDS:
            for audit_hook in AUDIT_HOOKS:
                fast = attack in FAST_CHANNELS and audit_hook
                cases.append(pytest.param(attack, kind, audit_hook, marks=() if fast else pytest.mark.slow,
                                          id=f"{attack}-{kind}-{'hook' if audit_hook else 'nohook'}"))
    return cases


@pytest.mark.parametrize("attack,kind,audit_hook", channel_cases())
def test_channel_attack_wins_nothing(attack, kind, audit_hook, attack_course, tmp_path, data_folder,
                                     attack_forkserver, monkeypatch):
    """Does this channel around the audit hook score 0 (the stub's score), read none of the kit, find no trace of
    solutions/, and leave the data folder -- readable, never writable -- exactly as it was?"""
    before = snapshot(data_folder)
    card = grade_hostile(CHANNEL_ATTACKS[attack], tmp_path, kind, audit_hook, course_toml=attack_course,
                         data=data_folder, forkserver=attack_forkserver, monkeypatch=monkeypatch)
    output = card.get("student_output", "")
    assert card["score"] == 0 and not passed(card), (passed(card), output[-1500:])
    assert card["max_score"] > 0 and not card["internal_errors"]
    assert "STOLEN" not in output and "FOUND" not in output, output[-1500:]
    assert snapshot(data_folder) == before, "the data folder changed"
    assert not (ROOT / "PWNED").exists()


# --- Taking over the judge: a file of the Python installation that the judge runs after the student ----------

TAKEOVER = STUB + HOOK_OFF_BY_CLOSURE_CELL + '''

import os
import sys

PLANTED = """import os, sys
if "autograder.sandbox.worker" not in sys.modules:
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "TAKEN-OVER"), "a") as handle:
        handle.write(" ".join(sys.argv) + "\\\\n")
"""


def _plant():
    """Plant sitecustomize.py and a .pth in the judge's site-packages: every later Python of that installation (the
    next judge, the next grade-all) runs them. First through the rename hole, then with the hook switched off.
    Wins: the installation changed, and a judge ran the planted code (TAKEN-OVER beside it)."""
    site = "@SITE@"  # the test's own venv: a payload that wins must never write into a shared installation
    files = {"sitecustomize.py": PLANTED, "nngrade-takeover.pth": "import sitecustomize\\n"}
    for name, text in files.items():
        try:
            with open(name, "w") as handle:
                handle.write(text)
            os.rename(name, os.path.join(site, name))
            print("planted", name)
        except OSError as exc:
            print("refused:", exc)
    if not os.path.exists(os.path.join(site, "sitecustomize.py")):
        try:
            hook_off()
            for name, text in files.items():
                with open(os.path.join(site, name), "w") as handle:
                    handle.write(text)
        except (OSError, KeyError) as exc:
            print("refused:", exc)


_plant()
'''


@pytest.fixture(scope="module")
def private_python(tmp_path_factory) -> Path:
    """A venv of our own (numpy and the rest reached through a .pth), so an attack that wins writes into it and
    never into the shared installation."""
    import sysconfig

    folder = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    (site_packages(python) / "shared-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def site_packages(python: Path) -> Path:
    return Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())


def grade_all(python: Path, course_toml: Path, submissions: Path, out: Path, scratch: Path, audit_hook: bool,
              jobs: int = 1) -> dict[str, dict]:
    """Run grade-all (jobs 1: in name order, one judge) and wait for every process of it to be gone."""
    scratch.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(scratch), AUDIT_HOOK_ENV: "1" if audit_hook else "0"}
    done = subprocess.run(
        [str(python), "-m", "autograder", "--course", str(course_toml), "grade-all", str(submissions),
         "--out", str(out), "-e", "gates", "--jobs", str(jobs), "--timeout", "120"],
        capture_output=True, text=True, env=env, timeout=GUARD_SECONDS,
    )
    assert done.returncode == 0, done.stderr
    wait_for(lambda: not processes_mentioning(str(scratch)) and not working_in(scratch), 60, "the graders to end")
    return {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}


@pytest.mark.parametrize("audit_hook", slow_except(AUDIT_HOOKS, (True,)))
def test_a_planted_file_never_takes_over_the_judge(audit_hook, attack_course, private_python, tmp_path):
    """After a submission tries to plant sitecustomize.py and a .pth in the installation's site-packages, do the
    stubs graded after it in the same grade-all run, and a judge started afterwards, still score 0 -- and is
    every file of the installation exactly as it was?"""
    install = private_python.parent.parent
    before = snapshot(install)
    submissions = tmp_path / "submissions"
    stub = (ROOT / "exercises" / "gates.py").read_text()
    for name, source in (("a-takeover", TAKEOVER), ("b-stub", stub), ("c-stub", stub)):
        (submissions / name).mkdir(parents=True)
        (submissions / name / "gates.py").write_text(source.replace("@SITE@", str(site_packages(private_python))))
    cards = grade_all(private_python, attack_course, submissions, tmp_path / "results", tmp_path / "tmp", audit_hook)
    assert {n: c["score"] for n, c in cards.items()} == {"a-takeover": 0, "b-stub": 0, "c-stub": 0}
    changed = sorted(set(snapshot(install).items()) ^ set(before.items()))
    assert not changed, f"the installation changed: {[name for name, _ in changed]}"
    again = grade_all(private_python, attack_course, submissions, tmp_path / "again", tmp_path / "tmp", audit_hook)
    assert {n: c["score"] for n, c in again.items()} == {"a-takeover": 0, "b-stub": 0, "c-stub": 0}
    assert not list(install.rglob("TAKEN-OVER"))


# --- grade-all: the classmates ------------------------------------------------------------------------------

CLASSMATES = STUB + HOOK_OFF_BY_CLOSURE_CELL + '''

import json
import os


def _classmates():
    """Switch the hook off, find grade-all in /proc (its argv names the submissions and the results), read every
    classmate's gates.py (its length is the loot), leave the loot in the class folder, and zero every result
    already written -- keeping its batch block, so a resumed run trusts the forgery."""
    try:
        hook_off()
    except (OSError, KeyError) as exc:
        print("refused:", exc)
    mine = open("gates.py").read()
    for pid in sorted(os.listdir("/proc")):
        if not pid.isdigit():
            continue
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().decode().split("\\0")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if "grade-all" not in argv or "--out" not in argv:
            continue
        submissions = os.path.join(cwd, argv[argv.index("grade-all") + 1])
        out = os.path.join(cwd, argv[argv.index("--out") + 1])
        loot, ours = {}, False
        for name in sorted(os.listdir(submissions)):
            try:
                text = open(os.path.join(submissions, name, "gates.py")).read()
            except OSError:
                continue
            if text == mine:
                ours = True
            else:
                loot[name] = len(text)
        if not ours:  # bounded: another class graded on this machine (another test run) is left alone
            continue
        for name, size in loot.items():
            print("READ", name, size)
        with open(os.path.join(submissions, "LOOT.json"), "w") as handle:
            json.dump(loot, handle)
        for name in os.listdir(out):
            if name.endswith(".json"):
                path = os.path.join(out, name)
                with open(path) as handle:
                    record = json.load(handle)
                record["score"] = 0
                for test in record.get("tests", []):
                    test["score"], test["status"] = 0, "failed"
                with open(path, "w") as handle:
                    json.dump(record, handle)
                print("ZEROED", name)
        return


try:
    _classmates()
except OSError as exc:
    print("refused:", exc)
'''


def outcome(card: dict) -> tuple:
    """What a result says, without when or how fast: the score and each test's status and points."""
    return card["score"], card["max_score"], sorted((t["name"], t["status"], t["score"]) for t in card["tests"])


@pytest.mark.parametrize("audit_hook", slow_except(AUDIT_HOOKS, (True,)))
def test_a_classmate_attacker_changes_no_other_grade(audit_hook, attack_course, tmp_path):
    """In a class of [honest, attacker, honest] graded by grade-all -- and graded again, resuming -- does every
    honest submission get full marks identical to grading it alone, the attacker 0, and is no file of the class
    or of the others' results changed or added (their code unread, their results not forged)?"""
    submissions = tmp_path / "submissions"
    honest = (ROOT / "solutions" / "gates.py").read_text()
    sources = {"a-honest": honest, "b-attacker": CLASSMATES, "c-honest": honest + "\n# c's own copy\n"}
    for name, source in sources.items():
        (submissions / name).mkdir(parents=True)
        (submissions / name / "gates.py").write_text(source)
    class_before = snapshot(submissions)
    out = tmp_path / "results"
    cards = grade_all(Path(sys.executable), attack_course, submissions, out, tmp_path / "tmp", audit_hook)
    solo = {}
    for name in ("a-honest", "c-honest"):
        done = subprocess.run([sys.executable, "-m", "autograder", "--course", str(attack_course), "grade",
                               str(submissions / name), "-e", "gates", "--format", "json"],
                              capture_output=True, text=True, timeout=GUARD_SECONDS)
        solo[name] = json.loads(done.stdout)
        assert solo[name]["score"] == solo[name]["max_score"] > 0
    for attempt in ("first run", "resumed run"):
        for name in ("a-honest", "c-honest"):
            assert outcome(cards[name]) == outcome(solo[name]), (attempt, name)
        assert cards["b-attacker"]["score"] == 0, attempt
        assert "READ" not in json.dumps(cards["b-attacker"]), attempt
        results_before = snapshot(out)
        cards = grade_all(Path(sys.executable), attack_course, submissions, out, tmp_path / "tmp", audit_hook)
    assert snapshot(out) == results_before, "the resumed run regraded or changed a kept result"
    assert snapshot(submissions) == class_before, "the class folder changed (loot left, or code rewritten)"


# --- Gradescope: the layout run_autograder makes ----------------------------------------------------------------

GRADESCOPE = HOOK_OFF_BY_CLOSURE_CELL + '''

def steal(path):
    hook_off()
    return open(path).read()


def _loot():
    """Switch the hook off, list every copy of the suites (the kit's and a pip-installed one in site-packages),
    and write <root>/results/results.json with full marks before the grader does."""
    import json
    import os
    import sys

    try:
        hook_off()
    except (OSError, KeyError) as exc:
        print("refused:", exc)
    package = os.path.dirname(sys.modules["autograder"].__file__)
    for folder in [package] + [os.path.join(p, "autograder") for p in sys.path]:
        try:
            print("FOUND suites", folder, os.listdir(os.path.join(folder, "suites")))
        except OSError:
            pass
    root = os.path.dirname(os.path.dirname(os.path.dirname(package)))
    forged = {"score": 30.0, "output": "forged", "tests": [{"name": "all", "score": 30.0, "max_score": 30.0,
                                                             "status": "passed", "output": "forged"}]}
    try:
        os.makedirs(os.path.join(root, "results"), exist_ok=True)
        with open(os.path.join(root, "results", "results.json"), "w") as handle:
            json.dump(forged, handle)
        print("FORGED results.json")
    except OSError as exc:
        print("refused:", exc)


_loot()
''' + STEAL_SCAFFOLD


@pytest.fixture(scope="module")
def gates_autograder_zip(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    from autograder.cli.main import main

    target = tmp_path_factory.mktemp("build") / "autograder.zip"
    result = CliRunner().invoke(main, ["--course", str(ROOT / "course.toml"), "gradescope", "build", str(target),
                                       "-e", "gates", "--no-data"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return target


@pytest.mark.parametrize("audit_hook", slow_except(AUDIT_HOOKS, (True,)))
def test_gradescope_layout_attacked_as_run_autograder_lays_it_out(audit_hook, gates_autograder_zip, tmp_path):
    """Laid out as on Gradescope (zip in <root>/source, the attack in <root>/submission), does an attacker that
    reads source/kit/solutions, lists the suites and writes results/results.json itself end with the grader's
    results.json, score 0, and the kit untouched?"""
    import shutil
    import zipfile

    root = tmp_path / "autograder"
    with zipfile.ZipFile(gates_autograder_zip) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():
            os.chmod(root / "source" / info.filename, info.external_attr >> 16)
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    os.chmod(root / "run_autograder", 0o755)
    (root / "submission").mkdir()
    (root / "submission" / "gates.py").write_text(GRADESCOPE)
    kit_before = snapshot(root / "source")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "NNGRADE_GRADESCOPE_ROOT": str(root), "NNGRADE_PYTHON": sys.executable,
           "TMPDIR": str(scratch), AUDIT_HOOK_ENV: "1" if audit_hook else "0"}
    env.pop("NNGRADE_COURSE", None)
    env.pop("PYTHONPATH", None)  # the kit in the zip grades, as on Gradescope
    done = subprocess.run([str(root / "run_autograder")], capture_output=True, text=True, env=env, cwd=root,
                          timeout=GUARD_SECONDS)
    assert done.returncode == 0, done.stderr
    wait_for(lambda: not working_in(scratch) and not processes_mentioning(str(scratch)), 60, "the graders to end")
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0, results.get("output", "")[-1500:]
    assert results["tests"] and all(t["status"] == "failed" for t in results["tests"])
    text = json.dumps(results)
    assert "forged" not in text and "STOLEN" not in text and "FOUND" not in text, text[-1500:]
    assert snapshot(root / "source") == kit_before, "the kit changed"


@pytest.mark.slow
@pytest.mark.parametrize("audit_hook", AUDIT_HOOKS)
def test_every_channel_attack_in_one_class_wins_nothing_through_grade_all(audit_hook, attack_course, tmp_path,
                                                                          data_folder, monkeypatch):
    """Graded together by grade-all (forked workers, judges kept between submissions), does every channel attack
    score 0, the two honest submissions graded after them full marks, and the data folder stay as it was?"""
    submissions = tmp_path / "submissions"
    for name, source in CHANNEL_ATTACKS.items():
        (submissions / name).mkdir(parents=True)
        (submissions / name / "gates.py").write_text(source.replace("@DATA@", str(data_folder)))
    for name in ("zz-honest-1", "zz-honest-2"):
        (submissions / name).mkdir()
        (submissions / name / "gates.py").write_text((ROOT / "solutions" / "gates.py").read_text())
    before = snapshot(data_folder)
    monkeypatch.setenv("NNGRADE_DATA", str(data_folder))
    cards = grade_all(Path(sys.executable), attack_course, submissions, tmp_path / "results", tmp_path / "tmp",
                      audit_hook, jobs=2)
    won = {name: passed(cards[name]) for name in CHANNEL_ATTACKS if cards[name]["score"]
           or "STOLEN" in cards[name].get("student_output", "") or "FOUND" in cards[name].get("student_output", "")}
    assert not won, sorted(won)
    for name in ("zz-honest-1", "zz-honest-2"):
        assert cards[name]["score"] == cards[name]["max_score"] > 0, name
    assert snapshot(data_folder) == before, "the data folder changed"
