"""Hostile and broken submissions: none wins a point, none crashes the grader, the rest is still graded."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, slow_except

from autograder.course import CoursePaths, load_course
from autograder.grading.runner import run
from autograder.grading.scoring import score
from autograder.sandbox.faults import FaultKind
from autograder.sandbox.process import Sandbox, SandboxConfig, StudentFault, open_sandbox, start_forkserver

SOLUTION = (ROOT / "solutions" / "gates.py").read_text()
TIMEOUT = 1.0


@pytest.fixture(scope="module")
def fast_course(tmp_path_factory):
    """The real course with a 1-second call deadline, and only the gates exercise."""
    folder = tmp_path_factory.mktemp("course")
    text = (ROOT / "course.toml").read_text().replace("timeout = 5.0", f"timeout = {TIMEOUT}")
    (folder / "course.toml").write_text(text)
    return load_course(folder / "course.toml").select(["gates"])


@pytest.fixture(scope="module")
def forkserver():
    server = start_forkserver()
    yield server
    server.close()


@pytest.fixture(params=["spawned", "forked"])
def workers(request, forkserver):
    """Where the workers come from: a new Python each (nngrade grade, check) or a fork server (grade-all's judges).

    Every containment test runs with both: student code must not be able to tell them apart.
    """
    return forkserver if request.param == "forked" else None


def grade_gates(course, tmp_path: Path, source: str, workers=None):
    (tmp_path / "gates.py").write_text(textwrap.dedent(source))
    paths = CoursePaths(exercises=tmp_path, solutions=ROOT / "solutions")
    sandbox = open_sandbox(course, tmp_path, None, paths, forkserver=workers)
    return score(run(course, tmp_path, include_hidden=True, paths=paths, sandbox=sandbox), course)


def by_function(card, function):
    return [t for t in card.tests if t.function == function]


@pytest.mark.slow
def test_infinite_loop_times_out_and_the_rest_is_graded(fast_course, tmp_path, workers):
    """Does an infinite loop in AND cost only the tests that call AND, each within the deadline?"""
    source = SOLUTION.replace('    """1 only for (1, 1)."""\n', '    """1 only for (1, 1)."""\n    while True:\n        pass\n')
    card = grade_gates(fast_course, tmp_path, source, workers)
    timeouts = [t for t in card.tests if t.status.value == "timeout"]
    assert timeouts and all(t.code == "timeout" for t in timeouts)
    assert all(f"within {TIMEOUT:g} s" in t.message for t in timeouts)  # each call stopped at the course's deadline
    assert {t.task for t in timeouts} <= {"basic-gates", "xor", "gate-inputs"}
    perceptron = [t for t in card.tests if t.task in ("perceptron", "perceptron-batch")]
    assert perceptron and all(t.status.value == "passed" for t in perceptron)


HOSTILE = {
    "sys_exit": "import sys\n\ndef perceptron(x, w, b):\n    sys.exit(0)\n",
    "os_exit": "import os\n\ndef perceptron(x, w, b):\n    os._exit(0)\n",
    "segfault": "import faulthandler\n\ndef perceptron(x, w, b):\n    faulthandler._sigsegv()\n",
    "memory_bomb": "def perceptron(x, w, b):\n    return bytearray(8 * 1024 ** 3)\n",
    "keyboard_interrupt": "def perceptron(x, w, b):\n    raise KeyboardInterrupt\n",
    "rigged_eq": (
        "class Anything:\n    def __eq__(self, other):\n        return True\n    __ne__ = lambda s, o: False\n"
        "    def __array__(self, *a, **k):\n        raise RuntimeError('no')\n\n"
        "def perceptron(x, w, b):\n    return Anything()\n"
    ),
    "ndarray_subclass": (
        "import numpy as np\n\nclass Liar(np.ndarray):\n    def __eq__(self, other):\n        return True\n\n"
        "def perceptron(x, w, b):\n    return np.zeros(3).view(Liar)\n"
    ),
    "patched_numpy": (
        "import numpy as np\nimport numpy.testing\n"
        "np.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
        "np.array_equal = lambda *a, **k: True\n\ndef perceptron(x, w, b):\n    return 7\n"
    ),
    "read_solutions": (
        "import os\n\ndef perceptron(x, w, b):\n"
        f"    source = open({str(ROOT / 'solutions' / 'gates.py')!r}).read()\n"
        "    namespace = {}\n    exec(source, namespace)\n    return namespace['perceptron'](x, w, b)\n"
    ),
    "read_solutions_relative": (
        "def perceptron(x, w, b):\n"
        "    import glob\n    for path in glob.glob('../../**/solutions/gates.py', recursive=True):\n"
        "        exec(open(path).read(), globals())\n    return perceptron(x, w, b)\n"
    ),
    "import_solutions": (
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from solutions.gates import perceptron\n"
    ),
}


@pytest.mark.parametrize("attack", slow_except(sorted(HOSTILE), ("read_solutions", "rigged_eq", "segfault")))
def test_hostile_perceptron_wins_nothing(fast_course, tmp_path, attack, workers):
    """Does a perceptron that attacks the grader score 0 on perceptron tasks while the honest gates still score?"""
    honest_gates = SOLUTION.split("def _gate")[1]
    source = HOSTILE[attack] + "\nimport numpy as np\n\ndef _gate" + honest_gates
    if attack == "import_solutions":
        source = HOSTILE[attack] + "\nimport numpy as np\n\ndef _gate" + honest_gates
    card = grade_gates(fast_course, tmp_path, source, workers)
    assert not card.internal_errors
    perceptron_tests = [t for t in card.tests if t.task in ("perceptron", "perceptron-batch")]
    assert perceptron_tests and all(t.score == 0 for t in perceptron_tests), [
        (t.name, t.status, t.message) for t in perceptron_tests if t.score]
    if attack != "import_solutions":  # that one fails at import, so every function fails
        xor = [t for t in card.tests if t.task == "gate-inputs"]
        assert xor and all(t.status.value != "passed" for t in xor)  # gates go through perceptron too


def test_refusal_is_reported_as_such(tmp_path, workers):
    """Does reading the kit's solutions fail inside the worker with a 'not allowed' message?"""
    (tmp_path / "gates.py").write_text(HOSTILE["read_solutions"])
    config = SandboxConfig(denied=[str(ROOT / "solutions")])
    with Sandbox(tmp_path, config, workers) as sandbox, pytest.raises(StudentFault) as info:
        sandbox.call("gates", "perceptron", ([1, 1], [1, 1], 0))
    assert info.value.kind is FaultKind.SANDBOX_REFUSED
    assert "not allowed" in info.value.fault.message


@pytest.mark.parametrize("snippet,event", [
    ("import subprocess\nsubprocess.run(['true'])", "subprocess"),
    ("import socket\nsocket.create_connection(('127.0.0.1', 9))", "socket"),
    ("import os\nos.kill(os.getppid(), 9)", "os.kill"),
    ("import ctypes\nctypes.CDLL(None)", "ctypes"),
    ("open('/tmp/nngrade-escape.txt', 'w').write('x')", "writing"),
])
def test_worker_refuses_processes_sockets_signals_ctypes_and_outside_writes(tmp_path, snippet, event, workers):
    """Are subprocesses, sockets, signals, ctypes and writes outside the submission refused?"""
    body = textwrap.indent(snippet, "    ")
    (tmp_path / "gates.py").write_text(f"def attack():\n{body}\n    return 1\n")
    with Sandbox(tmp_path, None, workers) as sandbox, pytest.raises(StudentFault) as info:
        sandbox.call("gates", "attack")
    assert info.value.kind is FaultKind.SANDBOX_REFUSED, info.value.fault
    assert event in info.value.fault.message
    assert not Path("/tmp/nngrade-escape.txt").exists()


def test_no_worker_process_is_left_behind(tmp_path, workers):
    """After a sandbox closes, is its worker process gone, even after a timeout and a restart?"""
    (tmp_path / "gates.py").write_text("def spin():\n    while True:\n        pass\n\ndef ok():\n    return 1\n")
    with Sandbox(tmp_path, None, workers) as sandbox:
        with pytest.raises(StudentFault):
            sandbox.call("gates", "spin", timeout=0.5)
        assert sandbox.call("gates", "ok").value == 1
        pid = sandbox._process.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_syntax_error_is_a_result_for_every_test(fast_course, tmp_path, workers):
    """Does a submission that does not import give each test an error naming the line, not a crash?"""
    card = grade_gates(fast_course, tmp_path, "def perceptron(x, w, b)\n    return 1\n", workers)
    assert card.score == 0
    assert {t.code for t in card.tests} == {"syntax-error"}
    assert all("line 1" in t.message for t in card.tests)


def test_student_print_output_is_captured_not_parsed(fast_course, tmp_path, workers):
    """Does printing a fake result change nothing, while the print is kept for the report?"""
    fake = 'print(\'{"score": 10, "max_score": 10}\')\nprint("10 passed, 0 failed")\n'
    card = grade_gates(fast_course, tmp_path, fake + "def perceptron(x, w, b):\n    raise NotImplementedError\n", workers)
    assert card.score == 0
    assert '"score": 10' in card.student_output


def test_a_readable_folder_reached_through_a_symlink_stays_readable(tmp_path, workers):
    """Can student code read the data folder when its path goes through a symlink (as CI's may)?"""
    real = tmp_path / "real"
    real.mkdir()
    (real / "data.txt").write_text("42")
    link = tmp_path / "link"
    link.symlink_to(real)
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "gates.py").write_text(f"def read():\n    return open({str(link / 'data.txt')!r}).read()\n")
    with Sandbox(submission, SandboxConfig(readable=[str(link)]), workers) as sandbox:
        assert sandbox.call("gates", "read").value == "42"


def test_a_denied_folder_stays_denied_through_a_symlink(tmp_path, workers):
    """Is a denied folder still refused when the student opens it through a symlink to it?"""
    secret = tmp_path / "solutions"
    secret.mkdir()
    (secret / "gates.py").write_text("ANSWER = 1\n")
    submission = tmp_path / "submission"
    submission.mkdir()
    (tmp_path / "alias").symlink_to(secret)
    (submission / "gates.py").write_text(f"def read():\n    return open({str(tmp_path / 'alias' / 'gates.py')!r}).read()\n")
    with Sandbox(submission, SandboxConfig(readable=[str(tmp_path)], denied=[str(secret)]), workers) as sandbox:
        with pytest.raises(StudentFault) as info:
            sandbox.call("gates", "read")
    assert info.value.kind is FaultKind.SANDBOX_REFUSED


@pytest.mark.parametrize("content,code,words", [
    (bytes(range(256)) * 4, "binary-source", "binary file"),
    (b"def perceptron(x, w, b):\n    return '\xff\xfe'\n", "not-utf8", "line 2"),
    (b"# -*- coding: klingon -*-\ndef perceptron(x, w, b):\n    return 1\n", "not-utf8", "unknown encoding"),
])
def test_files_that_are_not_python_text_are_named_as_such(fast_course, tmp_path, content, code, words, workers):
    """Do a binary gates.py and a non-UTF-8 one get a message that says what the file is, for every test?"""
    (tmp_path / "gates.py").write_bytes(content)
    paths = CoursePaths(exercises=tmp_path, solutions=ROOT / "solutions")
    sandbox = open_sandbox(fast_course, tmp_path, None, paths, forkserver=workers)
    card = score(run(fast_course, tmp_path, include_hidden=True, paths=paths, sandbox=sandbox), fast_course)
    assert card.score == 0
    assert {t.code for t in card.tests} == {code}
    assert all(words in t.message for t in card.tests)
