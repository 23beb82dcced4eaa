"""The kernel is the wall: with the audit hook switched off, student code still reaches nothing of the grader.

Every test here turns the hook off (`audit_hook=False`), so whatever holds is bwrap's namespaces and mounts,
and runs with both kinds of worker (spawned by the judge, forked by a fork server inside the sandbox).
Skipped where bwrap cannot create namespaces (macOS, many containers): there the hook is the only wall, and
`Sandbox.isolation` says so.
"""
from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from autograder.sandbox import isolation
from autograder.sandbox.process import KIT_PARENT, Sandbox, SandboxConfig, start_forkserver
from autograder.sandbox.replies import WorkerReply

walled = pytest.mark.skipif(not isolation.available(),
                            reason="no namespaces: bwrap missing or refused here, or NNGRADE_NAMESPACES=0")
OPEN = SandboxConfig(audit_hook=False, kernel_confinement=False)
"""No audit hook, no Landlock or seccomp: only the namespaces stand between student code and the machine
(tests/test_confine.py shows the other kernel layer on its own)."""

PROBES = '''
import errno, os, socket

def exists(paths):
    return [p for p in paths if os.path.exists(p)]

def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))

def identity():
    return {"uid": os.getuid(), "gid": os.getgid(), "euid": os.geteuid()}

def processes():
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as handle:
                    found[name] = handle.read().replace(b"\\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
    return found

def interfaces():
    with open("/proc/net/dev") as handle:
        return sorted(line.split(":")[0].strip() for line in handle.readlines()[2:])

def connect(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return "connected"
    except OSError as exc:
        return type(exc).__name__

def resolve(name):
    try:
        return str(socket.getaddrinfo(name, 80))
    except OSError as exc:
        return type(exc).__name__

def fill(folder, chunk_mb=8, limit_mb=256):
    """Write chunk after chunk into `folder` until the kernel says no; how much went in and why it stopped."""
    written, block = 0, b"x" * (chunk_mb << 20)
    for index in range(limit_mb // chunk_mb):
        try:
            with open(os.path.join(folder, f"fill{index}.bin"), "wb") as handle:
                handle.write(block)
            written += len(block)
        except OSError as exc:
            return written, errno.errorcode.get(exc.errno, str(exc.errno))
    return written, "no-error"

def write(path):
    try:
        with open(path, "w") as handle:
            handle.write("forged")
        return "written"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))

def leave(path):
    with open(path, "w") as handle:
        handle.write("for the next student")
    return os.getcwd()

def peek(pid):
    found = {}
    for name in ("environ", "mem", "maps"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as handle:
                handle.read(1)
            found[name] = "read"
        except OSError as exc:
            found[name] = errno.errorcode.get(exc.errno, str(exc.errno))
    return found

def parent():
    return os.getppid()

def where():
    return os.getcwd()

def importable(names):
    import importlib.util
    found = []
    for name in names:
        try:
            if importlib.util.find_spec(name) is not None:
                found.append(name)
        except ImportError:
            continue
    return found

def search(names, skip):
    """Every file, or folder with something in it, in the whole visible tree whose name is one of `names`
    (`skip`: trees not walked; a masked folder is an empty one)."""
    found = []
    for folder, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in skip]
        found += [os.path.join(folder, n) for n in files if n in names]
        found += [os.path.join(folder, n) for n in dirs if n in names and os.listdir(os.path.join(folder, n))]
    return sorted(found)
'''


@pytest.fixture(scope="module")
def forkserver():
    server = start_forkserver()
    yield server
    server.discard()


@pytest.fixture(params=["spawned", "forked"])
def workers(request, forkserver):
    """A new bwrap-wrapped Python per worker (nngrade grade) or forks of a wrapped server (grade-all's judges)."""
    return forkserver if request.param == "forked" else None


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "gates.py").write_text(PROBES)
    return folder


def probe(submission: Path, workers, function: str, *args, config: SandboxConfig = OPEN):
    with Sandbox(submission, config, workers) as sandbox:
        assert sandbox.isolation.startswith("namespaces"), sandbox.isolation
        return sandbox.call("gates", function, args, timeout=60).value


@walled
def test_the_kit_and_other_sandboxes_are_absent(submission, workers, tmp_path):
    """Can student code see the kit, its solutions, suites, tests or course.toml, another sandbox's folder, or an
    installed copy of the grader's package? None of it may even exist in its view."""
    import autograder

    other = Sandbox(submission, None, None)  # another submission's sandbox, on the judge's disk
    try:
        kit = Path(KIT_PARENT)
        secrets = [kit, kit / "solutions", kit / "autograder" / "suites", kit / "tests", kit / "course.toml",
                   Path(autograder.__file__).parent, other.root, other.copy, tmp_path]
        assert probe(submission, workers, "exists", [str(p) for p in secrets]) == []
        # What a worker imports comes from the worker kit: the worker's modules and nothing else of the grader.
        assert probe(submission, workers, "listing", f"{isolation.KIT_MOUNT}/autograder") == ["__init__.py", "sandbox"]
        masked = [str(Path(p) / "autograder") for p in sys.path if p.endswith("site-packages")]
        assert probe(submission, workers, "exists", [m + "/suites" for m in masked]) == []
    finally:
        other.close()


@walled
def test_the_grader_cannot_be_imported(submission, workers):
    """Can student code import the solutions, the suites or the judge's modules (the editable install's finder and
    .pth files are not processed: the worker runs with -I -S)? Only the worker's own modules exist."""
    names = ["solutions", "solutions.gates", "autograder.suites", "autograder.course", "autograder.grading",
             "__editable___nngrade_0_1_0_finder"]
    found = probe(submission, workers, "importable", names)
    assert found in ([], ["__editable___nngrade_0_1_0_finder"]), found
    if found:  # the finder is a file of site-packages; what it points at must not exist
        assert probe(submission, workers, "exists", ["/work/main/autograder"]) == []


@walled
@pytest.mark.slow
def test_walking_the_whole_visible_disk_finds_nothing_of_the_grader(submission, workers):
    """Does a walk of everything the worker can see (but /proc, /dev and the system's /usr) find a course.toml,
    a suite, a solutions folder or an autograder package other than the worker kit's?"""
    names = ["course.toml", "test_gates.py", "test_backprop.py", "solutions", "suites", "autograder"]
    found = probe(submission, workers, "search", names, ["/proc", "/dev", "/sys", "/usr"])
    assert found == [f"{isolation.KIT_MOUNT}/autograder"], found


@walled
def test_student_code_runs_as_nobody_and_sees_no_process_of_the_judge(submission, workers):
    """Is the worker uid 65534, alone in its PID namespace with at most its fork server, and blind to the judge?"""
    assert probe(submission, workers, "identity") == {"uid": 65534, "gid": 65534, "euid": 65534}
    seen = probe(submission, workers, "processes")
    assert len(seen) <= 3, seen  # bwrap's init, (the fork server,) the worker itself
    assert not any("pytest" in line for line in seen.values()), seen


@walled
def test_a_forked_worker_cannot_reach_into_its_fork_server(submission, forkserver):
    """Can a forked worker read the memory, maps or environment of the server it was forked from (same uid)? The
    server is not dumpable, so the kernel refuses: it cannot tamper with the next submission's worker."""
    with Sandbox(submission, OPEN, forkserver) as sandbox:
        server = sandbox.call("gates", "parent").value
        assert server > 1
        assert set(sandbox.call("gates", "peek", (server,)).value.values()) <= {"EACCES", "EPERM"}


@walled
def test_the_network_is_gone(submission, workers):
    """Can student code reach a port the judge listens on at 127.0.0.1, or resolve a name? No interface but lo."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert probe(submission, workers, "connect", port) == "ConnectionRefusedError"
    assert probe(submission, workers, "resolve", "example.com") == "gaierror"
    assert probe(submission, workers, "interfaces") == ["lo"]


@walled
@pytest.mark.parametrize("where", ["/tmp", "."])
def test_writing_past_the_quota_fails_and_the_judges_disk_is_untouched(submission, workers, where):
    """Does filling /tmp or the working folder stop at the tmpfs quota with ENOSPC, with nothing on the judge's disk?"""
    with Sandbox(submission, OPEN, workers) as sandbox:
        before = sorted(p.relative_to(sandbox.root) for p in sandbox.root.rglob("*"))
        written, why = sandbox.call("gates", "fill", (where,), timeout=60).value
        after = sorted(p.relative_to(sandbox.root) for p in sandbox.root.rglob("*"))
    assert why == "ENOSPC" and written <= isolation.TMPFS_BYTES, (written, why)
    assert after == before


@walled
def test_nothing_outside_the_working_folder_can_be_written(submission, workers, tmp_path):
    """Can student code write into the judge's copy of its source, its scratch folder, the data folder, the
    Python installation or the root? Read-only or absent, every one."""
    data = tmp_path / "data"
    data.mkdir()
    config = SandboxConfig(audit_hook=False, kernel_confinement=False, readable=[str(data)])
    with Sandbox(submission, config, workers) as sandbox:
        targets = [sandbox.copy / "gates.py", sandbox.scratch / "x", data / "x", Path(sys.prefix) / "x", Path("/x")]
        results = [sandbox.call("gates", "write", (str(t),)).value for t in targets]
        assert sandbox.call("gates", "write", ("mine.txt",)).value == "written"
    assert all(r in ("EROFS", "EACCES", "ENOENT", "EPERM") for r in results), results
    assert not (data / "x").exists()


@walled
def test_nothing_passes_from_one_forked_worker_to_the_next(submission, forkserver):
    """Does a file one submission leaves in /tmp or its working folder reach the next worker the server forks?"""
    with Sandbox(submission, OPEN, forkserver) as sandbox:
        folder = sandbox.call("gates", "leave", ("/tmp/stash",)).value
        sandbox.call("gates", "leave", ("stash",))
    with Sandbox(submission, OPEN, forkserver) as sandbox:
        assert sandbox.call("gates", "exists", (["/tmp/stash", folder],)).value == []


@walled
def test_isolation_names_what_held(submission, workers, monkeypatch):
    """Does `Sandbox.isolation` say namespaces when bwrap holds, and audit-hook when namespaces are turned off?"""
    with Sandbox(submission, SandboxConfig(), workers) as sandbox:
        assert sandbox.isolation == "namespaces+landlock+seccomp"
    with Sandbox(submission, SandboxConfig(namespaces=False), workers) as sandbox:
        assert sandbox.isolation == "landlock+seccomp"  # where namespaces are refused (Docker, Gradescope)
        assert sandbox.call("gates", "identity").value["uid"] == os.getuid()
    with Sandbox(submission, SandboxConfig(namespaces=False, kernel_confinement=False), workers) as sandbox:
        assert sandbox.isolation == "audit-hook"
    with Sandbox(submission, SandboxConfig(namespaces=False, kernel_confinement=False, audit_hook=False),
                 workers) as sandbox:
        assert sandbox.isolation == "none"


def test_the_environment_turns_namespaces_off(submission, monkeypatch):
    """Does NNGRADE_NAMESPACES=0 in the judge's environment leave workers without namespaces, and say so?"""
    monkeypatch.setenv(isolation.ENV, "0")
    assert not isolation.available()
    with Sandbox(submission) as sandbox:
        assert sandbox.isolation == "landlock+seccomp"
        assert sandbox.call("gates", "where").value == str(sandbox.copy.resolve())


@walled
@pytest.mark.slow
def test_the_solutions_get_full_marks_inside_the_wall(grade, course):
    """Do the reference solutions still score everything when graded inside bwrap (fast exercises only)?"""
    card = grade(ROOT / "solutions", "gates", "activations", "softmax")
    assert card.max_score > 0 and card.score == card.max_score, [t for t in card.tests if t.score < t.max_score]


def test_an_installed_kit_is_masked_in_its_site_packages(tmp_path):
    """With the kit installed (not editable), is its site-packages shown for numpy but its `autograder` hidden?"""
    if isolation.bwrap_binary() is None:
        pytest.skip("no bwrap")
    site = tmp_path / "lib" / "site-packages"
    (site / "autograder" / "suites").mkdir(parents=True)
    (site / "numpy").mkdir()
    args = isolation.wrap(["python"], readable=[], denied=[], chdir="/", sys_path=[str(site)], kit_parent=str(site))
    assert ["--ro-bind", str(site), str(site)] == args[args.index(str(site)) - 1:args.index(str(site)) + 2]
    assert ["--tmpfs", str(site / "autograder"), "--remount-ro", str(site / "autograder")] == \
        args[args.index("--tmpfs", args.index(str(site))):args.index("--tmpfs", args.index(str(site))) + 4]
    repository = isolation.wrap(["python"], readable=[], denied=[], chdir="/", sys_path=[str(ROOT), str(site)],
                                kit_parent=str(ROOT))
    assert str(ROOT) not in repository


def test_the_ready_reply_carries_the_isolation_and_trusts_nothing():
    """Does the isolation a worker reports cross the protocol intact, and garbage in its place become ""?"""
    ready = WorkerReply(ok=True, pid=7, isolation="namespaces+landlock+seccomp")
    assert WorkerReply.from_message(ready.to_message()) == ready
    assert WorkerReply.from_message({"id": 0, "ok": True, "isolation": ["namespaces"]}).isolation == ""


def test_isolation_is_the_weakest_any_worker_of_the_sandbox_reported(submission, monkeypatch):
    """After restarts, does `Sandbox.isolation` name the weakest wall any of the sandbox's workers stood behind?"""
    monkeypatch.setenv(isolation.ENV, "0")
    with Sandbox(submission, SandboxConfig(kernel_confinement=False)) as sandbox:
        assert sandbox.isolation == "audit-hook"
        sandbox._levels[:0] = ["namespaces+landlock+seccomp", "namespaces"]
        assert sandbox.isolation == "audit-hook"
        sandbox._levels[:] = ["namespaces+landlock+seccomp", "namespaces", "namespaces+seccomp"]
        assert sandbox.isolation == "namespaces"
        sandbox._levels.append("none")
        assert sandbox.isolation == "none"


@walled
def test_a_crashed_worker_is_replaced_inside_the_wall(submission, workers):
    """Is the worker that replaces a crashed one walled in too, and the sandbox's isolation still namespaces?"""
    (submission / "crash.py").write_text("import os\n\ndef crash():\n    os._exit(3)\n")
    with Sandbox(submission, OPEN, workers) as sandbox:
        with pytest.raises(Exception, match="exited"):
            sandbox.call("crash", "crash")
        assert sandbox.call("gates", "identity").value["uid"] == 65534
        assert sandbox.restarts == 1 and len(sandbox._levels) == 2
        assert sandbox.isolation.startswith("namespaces")
