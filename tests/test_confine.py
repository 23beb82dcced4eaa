"""The kernel layers (Landlock, seccomp) hold by themselves: every case runs with the audit hook switched off."""
from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, slow_except

from autograder.sandbox import confine
from autograder.sandbox.faults import FaultKind
from autograder.sandbox.process import Sandbox, SandboxConfig, StudentFault, start_forkserver, worker_environment

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Landlock and seccomp are Linux's")

SOLUTIONS = ROOT / "solutions"
COURSE = ROOT / "course.toml"
DENIED = [str(SOLUTIONS), str(ROOT / "tests"), str(COURSE)]
SOCKET_NR = {"x86_64": 41, "aarch64": 198}.get(platform.machine(), -1)


@pytest.fixture(scope="module")
def forkserver():
    server = start_forkserver(namespaces=False)  # this file shows Landlock and seccomp on their own
    yield server
    server.close()


@pytest.fixture(params=["spawned", "forked"])
def workers(request, forkserver):
    """Spawned workers (nngrade grade) and forked ones (grade-all's judges) must be confined alike."""
    return forkserver if request.param == "forked" else None


@pytest.fixture
def fence(tmp_path) -> Path:
    """A folder outside the submission with a file in it that student code must not touch."""
    folder = tmp_path / "fence"
    folder.mkdir()
    (folder / "victim.txt").write_text("intact")
    return folder


def kit_digest() -> str:
    """A digest of the kit's solutions and course.toml: must not change whatever student code does."""
    digest = hashlib.sha256()
    for path in sorted([*SOLUTIONS.glob("*.py"), COURSE]):
        digest.update(path.name.encode() + path.read_bytes() + str(path.stat().st_mode).encode())
    return digest.hexdigest()


def run_unhooked(tmp_path: Path, body: str, workers, **values: str) -> object:
    """Run `body` as a student's function in a real sandbox with the audit hook off; its value, or StudentFault."""
    submission = tmp_path / "submission"
    submission.mkdir(exist_ok=True)
    source = "import os\nimport sys\n\ndef attack():\n" + textwrap.indent(textwrap.dedent(body), "    ") + "\n"
    (submission / "gates.py").write_text(source.format(**values))
    config = SandboxConfig(audit_hook=False, namespaces=False, denied=DENIED)
    with Sandbox(submission, config, workers) as sandbox:
        return sandbox.call("gates", "attack", timeout=10).value


REFUSED = {
    # reading the kit
    "read-solutions": "return open('{solutions}/gates.py').read()",
    "list-solutions": "return os.listdir('{solutions}')",
    "read-course": "return open('{course}').read()",
    # writing outside the submission
    "write-absolute": "open('{fence}/new.txt', 'w').write('x')",
    "truncate-victim": "open('{fence}/victim.txt', 'w')",
    "write-dotdot": "open('../escape.txt', 'w').write('x')",
    "rename-destination": "open('mine.txt', 'w').write('x')\nos.rename('mine.txt', '{fence}/moved.txt')",
    "replace-destination": "open('mine.txt', 'w').write('x')\nos.replace('mine.txt', '{fence}/victim.txt')",
    "hard-link": "os.link('gates.py', '{fence}/hard.txt')",
    "symlink-outside": "os.symlink('/etc/passwd', '{fence}/link')",
    "symlink-to-solutions": "os.symlink('{solutions}', 'sol')\nreturn os.listdir('sol')",
    "dir-fd-dotdot": "fd = os.open('.', os.O_RDONLY)\nos.open('../escape.txt', os.O_WRONLY | os.O_CREAT, dir_fd=fd)",
    "dir-fd-readable": "fd = os.open(sys.prefix, os.O_RDONLY)\nos.open('escape.txt', os.O_WRONLY | os.O_CREAT, dir_fd=fd)",
    # what Landlock does not cover: modes, owners, times, attributes, nodes
    "chmod-own": "os.chmod('gates.py', 0o777)",
    "chmod-victim": "os.chmod('{fence}/victim.txt', 0o777)",
    "fchmod-own": "fd = os.open('gates.py', os.O_RDONLY)\nos.fchmod(fd, 0o777)",
    "utime-own": "os.utime('gates.py', (0, 0))",
    "utime-victim": "os.utime('{fence}/victim.txt', (0, 0))",
    "chown-own": "os.chown('gates.py', 1, 1)",
    "setxattr-own": "os.setxattr('gates.py', 'user.mark', b'1')",
    "mknod": "os.mknod('node')",
    "mkfifo": "os.mkfifo('fifo')",
    # memory, network, programs, processes, signals
    "memfd": "os.memfd_create('hidden')",
    "socket": "import socket\nsocket.socket()",
    "subprocess": "import subprocess\nsubprocess.run(['true'])",
    "execv": "os.execv('/bin/true', ['true'])",
    "fork": "pid = os.fork()\nif pid == 0:\n    os._exit(0)",
    "kill-judge": "os.kill(os.getppid(), 9)",
}
FAST = ("read-solutions", "rename-destination", "dir-fd-dotdot", "chmod-own", "socket", "fork")


@pytest.mark.parametrize("attack", slow_except(REFUSED, FAST))
def test_the_kernel_refuses_with_the_audit_hook_off(attack, tmp_path, fence, workers):
    """Does each attack fail as a refusal by the sandbox, leaving the kit, the judge and other files intact?"""
    before = kit_digest()
    values = {"solutions": SOLUTIONS, "course": COURSE, "fence": fence}
    with pytest.raises(StudentFault) as info:
        run_unhooked(tmp_path, REFUSED[attack], workers, **values)
    fault = info.value.fault
    assert fault.kind is FaultKind.SANDBOX_REFUSED, fault
    assert "sandbox does not allow" in fault.message
    assert kit_digest() == before
    assert sorted(p.name for p in fence.iterdir()) == ["victim.txt"]
    assert (fence / "victim.txt").read_text() == "intact"
    assert oct((fence / "victim.txt").stat().st_mode & 0o777) != "0o777"
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.skipif(SOCKET_NR < 0, reason="syscall number known for x86_64 and aarch64 only")
@pytest.mark.parametrize("workers_kind", [pytest.param("spawned"), pytest.param("forked", marks=pytest.mark.slow)])
def test_a_raw_syscall_through_ctypes_is_refused(tmp_path, forkserver, workers_kind):
    """Does the filter refuse a denied syscall made directly, past every Python wrapper?"""
    body = """
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    result = libc.syscall({nr}, 2, 1, 0)
    return [result, ctypes.get_errno()]
    """
    workers = forkserver if workers_kind == "forked" else None
    assert run_unhooked(tmp_path, body, workers, nr=str(SOCKET_NR)) == [-1, 1]  # EPERM


@pytest.mark.slow
def test_a_sub_interpreter_sees_nothing_either(tmp_path, workers):
    """Is a sub-interpreter (which no audit hook watches) held by the kernel all the same?"""
    body = """
    try:
        import _xxsubinterpreters as interpreters
    except ImportError:
        import _interpreters as interpreters
    child = interpreters.create()
    try:
        interpreters.run_string(child, "open('{solutions}/gates.py').read()")
    except Exception as exc:
        return str(exc)
    return 'read it'
    """
    result = run_unhooked(tmp_path, body, workers, solutions=SOLUTIONS)
    assert "Permission denied" in str(result), result


@pytest.mark.parametrize("workers_kind", [pytest.param("spawned"), pytest.param("forked", marks=pytest.mark.slow)])
def test_numpy_threads_and_own_files_still_work(tmp_path, forkserver, workers_kind):
    """Do numpy (products, linalg, float warnings), threads, the temp folder and the submission still work?"""
    body = """
    import tempfile, threading
    import numpy as np
    a = np.arange(16.0).reshape(4, 4) + np.eye(4)
    inverse = np.linalg.inv(a)
    values = np.linalg.eigvalsh(a + a.T)
    with np.errstate(over='warn'):
        np.float64(1e308) * 10
    with tempfile.NamedTemporaryFile('w', delete=False) as handle:
        handle.write('t')
    os.replace(handle.name, 'moved.txt')
    open('out.txt', 'w').write('x')
    os.mkdir('sub')
    os.rename('out.txt', 'sub/out.txt')
    os.remove('sub/out.txt')
    open(os.devnull, 'w').write('quiet')
    seen = []
    thread = threading.Thread(target=lambda: seen.append(float((a @ inverse).trace())))
    thread.start()
    thread.join()
    os.kill(os.getpid(), 0)
    worker = sys.modules['autograder.sandbox.worker']
    return [round(seen[0]), len(values), open('moved.txt').read(), list(worker.kernel_layers)[-2:]]
    """
    workers = forkserver if workers_kind == "forked" else None
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "gates.py").write_text("import os\nimport sys\n\ndef attack():\n"
                                         + textwrap.indent(textwrap.dedent(body), "    "))
    with Sandbox(submission, SandboxConfig(audit_hook=False, namespaces=False, denied=DENIED), workers) as sandbox:
        reply = sandbox.call("gates", "attack", timeout=10)
    assert reply.value == [4, 4, "t", ["landlock", "seccomp"]]
    assert any(name == "RuntimeWarning" and "overflow" in text for name, text in reply.warnings)


def test_apply_confines_a_process(tmp_path):
    """Does apply report both layers here, and then hold in that process (its cost is measured in benchmarks/)?"""
    script = textwrap.dedent(f"""
        import os, sys
        import numpy
        from autograder.sandbox import confine
        layers = confine.apply([sys.prefix, sys.base_prefix, *sys.path[1:], *confine.SYSTEM_READABLE],
                               [{str(tmp_path)!r}])
        try:
            open({str(COURSE)!r}).read()
            read = 'read'
        except PermissionError:
            read = 'refused'
        print(','.join(layers), read)
    """)
    env = {**worker_environment(str(tmp_path)), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + script],
                         env=env, capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert out[:2] == ["landlock,seccomp", "refused"]


def test_allowed_roots_carve_the_denied_paths_out(tmp_path):
    """Does a readable root that holds a denied folder come back as its other entries (Landlock only grants)?"""
    for name in ("data", "kit/solutions", "kit/exercises"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "kit" / "course.toml").write_text("")
    roots = confine.allowed_roots([str(tmp_path), str(tmp_path / "kit" / "solutions" / "inner")],
                                  [str(tmp_path / "kit" / "solutions"), str(tmp_path / "kit" / "course.toml")])
    assert sorted(roots) == [str(tmp_path / "data"), str(tmp_path / "kit" / "exercises")]


@pytest.mark.slow
def test_the_solutions_get_full_marks_with_confinement_on(tmp_path):
    """Do the reference solutions still score 102 with both kernel layers on?"""
    data = os.environ.get("NNGRADE_DATA", "/work/shared/data/mnist")
    if not Path(data).is_dir():
        pytest.skip("no MNIST folder (NNGRADE_DATA)")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NNGRADE_DATA": data}
    result = subprocess.run([sys.executable, "-m", "autograder", "--lang", "en", "grade", str(SOLUTIONS), "-f", "json"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    report = json.loads(result.stdout)
    assert (report["score"], report["max_score"], report["internal_errors"]) == (102, 102, []), result.stderr[-2000:]


def test_a_folder_on_the_judges_import_path_is_not_readable(tmp_path, monkeypatch):
    """Is the judge's own folder on sys.path (say, every student's submissions) out of the worker's reach?"""
    others = tmp_path / "submissions"
    others.mkdir()
    (others / "gates.py").write_text("# another student's work\n")
    monkeypatch.syspath_prepend(str(others))
    with pytest.raises(StudentFault) as info:
        run_unhooked(tmp_path, "return open('{others}/gates.py').read()", None, others=others)
    assert info.value.kind is FaultKind.SANDBOX_REFUSED, info.value.fault
