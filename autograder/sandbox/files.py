"""Reading a submission's files in the judge without trusting them: no links, no FIFOs or devices, bounded size.

A submission folder is made by the student (or unpacked from their zip): a `gates.py` may be a
symbolic or hard link to a classmate's file or the instructor's solutions, or a FIFO that would
block the judge's `open` forever. Each file is opened without following a link and without
blocking, then checked on the opened descriptor (what is checked is what is read).
Standard library only.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class UnsafeFile(Exception):
    """A submission file the judge will not read; the message names it and says why."""


class TooLarge(UnsafeFile):
    """A regular file above the size limit (callers may skip it rather than refuse the submission)."""


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
"""O_NOFOLLOW: a symlink fails to open (ELOOP). O_NONBLOCK: opening a FIFO returns at once instead of
waiting for a writer (and a FIFO is then refused by fstat)."""


def _what(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


def check_regular(path: Path, st: os.stat_result, limit: int) -> None:
    """UnsafeFile unless `st` is a regular file with one name and at most `limit` bytes."""
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeFile(f"{path} is {_what(st.st_mode)}, not a regular file; submit plain files only")
    if st.st_nlink != 1:
        raise UnsafeFile(f"{path} is a hard link (the same file has {st.st_nlink} names, maybe in another "
                         "student's folder); submit a copy of your own file")
    if st.st_size > limit:
        raise TooLarge(f"{path} is {st.st_size:,} bytes, more than the {limit:,} a submission file may have")


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of `path` if it is a regular, singly linked file of at most `limit` bytes; else UnsafeFile.

    OSError for a file that cannot be read (missing, no permission), as `Path.read_bytes` would.
    """
    check_regular(path, os.lstat(path), limit)  # refuse a FIFO or device before even opening it
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # replaced by a symlink since the lstat
            raise UnsafeFile(f"{path} is a symbolic link; submit the file itself") from None
        raise
    try:
        check_regular(path, os.fstat(fd), limit)  # the file opened, whatever the path names now
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # it grew since the fstat
                raise TooLarge(f"{path} is more than the {limit:,} bytes a submission file may have")
        return b"".join(chunks)
    finally:
        os.close(fd)
