"""The worker's kernel walls: Landlock (files, TCP, abstract sockets, signals) and a seccomp filter (syscalls).

Unlike the audit hook (`guard`), nothing here can be switched off from inside the process: once
`apply` returns, this process and every thread or child it makes stays confined for good. It is
called once in `worker.main`, after the worker has imported all it needs and before any student code.

Landlock is reached through our own small ctypes binding of its three syscalls: the `landlock`
package knows neither the network rules (ABI 4) nor scoping (ABI 6). The seccomp filter is built
with `pyseccomp` over the system's libseccomp. A layer the machine does not have (not Linux, an
old kernel, Landlock off, no libseccomp) is left out and `apply` says so in what it returns; a
layer that is there but cannot be set up raises `ConfinementError` (the worker then fails to start
rather than run student code unconfined).
"""
from __future__ import annotations

import ctypes
import errno
import os
import platform
import stat
import sys
from collections.abc import Iterable, Sequence
from typing import Any

LAYERS = ("landlock", "seccomp")


class ConfinementError(RuntimeError):
    """A kernel layer that this machine has could not be set up."""


def apply(readable: Sequence[str], writable: Sequence[str]) -> tuple[str, ...]:
    """Confine this process (and its future children) for good; returns the layers that hold, in order,
    from ("landlock", "seccomp").

    `readable` paths are granted read and execute beneath them, `writable` ones read, write, create,
    remove and move within; nothing else. A layer this machine lacks is left out of the answer.
    """
    if sys.platform != "linux":
        return ()
    libseccomp = _libseccomp()  # loaded first: once Landlock holds, the library's folder may be out of reach
    held: list[str] = []
    if _landlock(readable, writable):
        held.append("landlock")
    if libseccomp is not None and _seccomp(libseccomp, os.getpid()):
        held.append("seccomp")
    return tuple(held)


SYSTEM_READABLE = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/etc/ld.so.cache")
"""Where the dynamic linker finds the shared libraries that extension modules load (zlib, libffi, BLAS)."""


def allowed_roots(readable: Iterable[str], denied: Iterable[str]) -> list[str]:
    """The readable roots less the denied paths, as Landlock (which only grants) can express it.

    A root inside a denied path is dropped; a root that holds a denied path is replaced by its
    other entries, level by level down to the denied path (so those entries are granted, the
    denied one and the root's own listing are not).
    """
    denied_real = {os.path.realpath(d) for d in denied}
    roots: list[str] = []
    for root in dict.fromkeys(os.path.realpath(r) for r in readable):
        if any(_beneath(root, d) for d in denied_real):
            continue
        roots.extend(_carve(root, [d for d in denied_real if _beneath(d, root)]))
    return roots


def _beneath(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _carve(root: str, holes: list[str]) -> list[str]:
    """`root` as entries that together hold everything beneath it except `holes` (paths strictly beneath it)."""
    if not holes:
        return [root]
    try:
        names = os.listdir(root)
    except OSError:
        return []  # cannot be listed, so cannot be carved: grant nothing rather than the holes
    kept: list[str] = []
    for name in names:
        child = os.path.join(root, name)
        inner = [h for h in holes if _beneath(h, child)]
        if child in inner:
            continue
        kept.extend(_carve(child, inner) if inner else [child])
    return kept


# --- Landlock -------------------------------------------------------------------------------------
# Syscall numbers from the kernel's unified table (the same on x86_64 and aarch64).
_NR_CREATE_RULESET, _NR_ADD_RULE, _NR_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# Filesystem rights, and the ABI that introduced each.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
MAKE_SYM, REFER, TRUNCATE, IOCTL_DEV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
_FS_BY_ABI = {1: (1 << 13) - 1, 2: REFER, 3: TRUNCATE, 5: IOCTL_DEV}
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
"""The only rights a rule on a file (not a folder) may carry."""
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1

READ_RIGHTS = EXECUTE | READ_FILE | READ_DIR
WRITE_RIGHTS = (READ_FILE | READ_DIR | WRITE_FILE | TRUNCATE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG
                | REFER)
"""Beneath a writable folder: read, write, make files and folders, remove, move within. No links to
elsewhere (symlinks), no devices, pipes or sockets, no executing what was written."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = (("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64))


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # the kernel's struct is packed: 12 bytes
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


_libc: Any = None


def _c() -> Any:
    """The C library, loaded once, with errno kept for us."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.syscall.restype = ctypes.c_long
    return _libc


def _syscall(number: int, *args: int | ctypes.c_void_p) -> int:
    """A raw syscall; raises OSError with the kernel's errno."""
    converted = [a if isinstance(a, ctypes.c_void_p) else ctypes.c_long(a) for a in args]
    result = int(_c().syscall(ctypes.c_long(number), *converted))
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def landlock_abi() -> int:
    """The Landlock ABI the running kernel offers; 0 where there is none (or it is off, or refused to us)."""
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "aarch64", "arm64"):
        return 0
    try:
        return _syscall(_NR_CREATE_RULESET, ctypes.c_void_p(None), 0, _CREATE_RULESET_VERSION)
    except OSError as exc:
        # ENOSYS: no Landlock in this kernel; EOPNOTSUPP: off at boot; EPERM: a container's seccomp
        # profile refuses the syscall. All three mean the layer is not there.
        if exc.errno in (errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
            return 0
        raise ConfinementError(f"cannot query Landlock: {exc}") from None


def _handled_fs(abi: int) -> int:
    return sum(bits for since, bits in _FS_BY_ABI.items() if abi >= since)


def _landlock(readable: Sequence[str], writable: Sequence[str]) -> bool:
    """Restrict this process with Landlock; False when the kernel has none."""
    abi = landlock_abi()
    if abi <= 0:
        return False
    _require_one_thread()  # restrict_self binds only the calling thread (before ABI 8)
    handled = _handled_fs(abi)
    attr = _RulesetAttr(handled_access_fs=handled)
    size = ctypes.sizeof(ctypes.c_uint64)
    if abi >= 4:  # handle TCP bind and connect, grant neither: no network
        attr.handled_access_net = _NET_BIND_TCP | _NET_CONNECT_TCP
        size += ctypes.sizeof(ctypes.c_uint64)
    if abi >= 6:  # no abstract unix sockets or signals to processes outside this domain
        attr.scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
        size += ctypes.sizeof(ctypes.c_uint64)
    try:
        ruleset = _syscall(_NR_CREATE_RULESET, ctypes.c_void_p(ctypes.addressof(attr)), size, 0)
    except OSError as exc:
        raise ConfinementError(f"cannot create a Landlock ruleset (ABI {abi}): {exc}") from None
    try:
        for paths, rights in ((readable, READ_RIGHTS), (writable, WRITE_RIGHTS)):
            for path in dict.fromkeys(paths):
                _allow(ruleset, path, rights & handled)
        try:
            _no_new_privs()
            _syscall(_NR_RESTRICT_SELF, ruleset, 0)
        except OSError as exc:
            raise ConfinementError(f"cannot enforce the Landlock ruleset: {exc}") from None
    finally:
        os.close(ruleset)
    return True


def _allow(ruleset: int, path: str, rights: int) -> None:
    """Grant `rights` beneath `path`; a path that does not exist (or cannot be opened) is granted nothing."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= _FILE_RIGHTS  # the kernel refuses folder rights on a file
        if not rights:
            return
        rule = _PathBeneathAttr(allowed_access=rights, parent_fd=fd)
        try:
            _syscall(_NR_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.c_void_p(ctypes.addressof(rule)), 0)
        except OSError as exc:
            raise ConfinementError(f"cannot add the Landlock rule for {path}: {exc}") from None
    finally:
        os.close(fd)


def _no_new_privs() -> None:
    """No setuid gains from here on: required by restrict_self and by seccomp filters alike."""
    if _c().prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _require_one_thread() -> None:
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:
        return  # no /proc: cannot tell; seccomp's TSYNC still covers every thread
    if threads > 1:
        raise ConfinementError(f"the worker runs {threads} threads; Landlock would confine only one of them")


# --- seccomp --------------------------------------------------------------------------------------
DENIED_SYSCALLS = (
    # what Landlock does not cover: modes, owners, times, extended attributes, device and fifo nodes
    "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
    "utime", "utimes", "futimesat", "utimensat",
    "setxattr", "lsetxattr", "fsetxattr", "setxattrat", "removexattr", "lremovexattr", "fremovexattr",
    "removexattrat", "mknod", "mknodat",
    # memory that RLIMIT_AS does not count
    "memfd_create", "memfd_secret",
    # no network, no new programs, no new processes (threads are made with clone, below)
    "socket", "socketpair", "execve", "execveat", "fork", "vfork",
    # no reaching into other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_open", "pidfd_getfd",
    "pidfd_send_signal", "migrate_pages", "move_pages",
    # no changing the machine or escaping the view of it (the worker may be real root)
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "open_tree", "move_mount", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr", "keyctl", "add_key", "request_key", "bpf",
    "userfaultfd", "perf_event_open", "io_uring_setup", "personality", "quotactl", "quotactl_fd", "syslog",
    "acct", "swapon", "swapoff", "reboot", "kexec_load", "kexec_file_load", "init_module", "finit_module",
    "delete_module", "open_by_handle_at", "name_to_handle_at", "settimeofday", "clock_settime",
    "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "iopl", "ioperm", "fanotify_init",
    # no raising the worker's own limits or priority (root could): rlimits are set before confinement
    "setrlimit", "setpriority", "sched_setscheduler", "sched_setattr", "ioprio_set",
)
"""Syscalls that fail with EPERM whatever their arguments."""
OWN_PID_ONLY = ("kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")
"""Signals: allowed only when the first argument is the worker's own pid."""
_CLONE_THREAD = 0x00010000
# Syscalls newer than some libseccomp releases know, by their unified-table number (same on x86_64 and aarch64).
_NEWER_SYSCALLS = {
    "memfd_secret": 447, "fchmodat2": 452, "setxattrat": 463, "removexattrat": 466,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442, "quotactl_fd": 443,
}


def _libseccomp() -> Any:
    """The `pyseccomp` module over the system's libseccomp; None when either is missing."""
    import ctypes.util

    # pyseccomp looks its libraries up with find_library, which runs ldconfig (tens of ms, per worker):
    # the sonames the dynamic linker finds by itself are tried first.
    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: _SONAMES.get(name) if _loadable(_SONAMES.get(name)) else search(name)
    try:
        import pyseccomp
    except (ImportError, RuntimeError, OSError):  # RuntimeError: pyseccomp found no libseccomp
        return None
    finally:
        ctypes.util.find_library = search
    return pyseccomp


_SONAMES = {"c": "libc.so.6", "seccomp": "libseccomp.so.2"}


def _loadable(soname: str | None) -> bool:
    if soname is None:
        return False
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def _seccomp(sc: Any, pid: int) -> bool:
    """Load the syscall filter into every thread of this process; False when the kernel has no seccomp."""
    try:
        filt = sc.SyscallFilter(sc.ALLOW)
        filt.set_attr(sc.Attr.CTL_TSYNC, 1)  # every thread, not only this one
        eperm = sc.ERRNO(errno.EPERM)
        for name in DENIED_SYSCALLS:
            number = _syscall_number(sc, name)
            if number is not None:
                filt.add_rule(eperm, number)
        # Threads (CLONE_THREAD) are allowed, numpy may start them; any other clone is a new process.
        filt.add_rule(eperm, "clone", sc.Arg(0, sc.MASKED_EQ, _CLONE_THREAD, 0))
        # clone3 hides its flags in memory a filter cannot read: ENOSYS makes glibc fall back to clone.
        clone3 = _syscall_number(sc, "clone3")
        if clone3 is not None:
            filt.add_rule(sc.ERRNO(errno.ENOSYS), clone3)
        for name in OWN_PID_ONLY:
            number = _syscall_number(sc, name)
            if number is not None:
                filt.add_rule(eperm, number, sc.Arg(0, sc.NE, pid))
        # prlimit64 reads limits too (getrlimit); only setting one (a new limit given) is refused.
        filt.add_rule(eperm, "prlimit64", sc.Arg(2, sc.NE, 0))
        filt.load()
    except OSError as exc:
        if exc.errno in (errno.ENOSYS,) or (exc.errno == errno.EINVAL and not _kernel_has_seccomp()):
            return False
        raise ConfinementError(f"cannot load the seccomp filter: {exc}") from None
    return True


def _syscall_number(sc: Any, name: str) -> int | None:
    """The native number of a syscall, None when this architecture has no such syscall."""
    number = int(sc.resolve_syscall(sc.Arch.NATIVE, name))
    if number == -1 and platform.machine() in ("x86_64", "aarch64", "arm64"):
        return _NEWER_SYSCALLS.get(name)  # -1 is libseccomp's __NR_SCMP_ERROR: a name it does not know
    # Other negative numbers are libseccomp's stand-ins for a syscall this architecture lacks.
    return number if number >= 0 else None


def _kernel_has_seccomp() -> bool:
    """True when the kernel supports seccomp filters (PR_GET_SECCOMP answers rather than failing with EINVAL)."""
    return int(_c().prctl(21, 0, 0, 0, 0)) >= 0
