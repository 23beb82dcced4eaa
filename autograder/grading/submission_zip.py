"""Reading back a zip written by `nngrade submit`: unpacked with limits, and its manifest compared.

`grade submission.zip` and `grade-all` of a folder of such zips both read them here. The zip holds
exercises/<module>.py files and MANIFEST.json (the course, the kit's version, when, and each file's SHA-256).
The manifest is no signature: a student can rewrite it too. It shows an accident or a careless change after
submitting, not a determined forger.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MANIFEST = "MANIFEST.json"

MAX_ENTRIES = 256
"""Entries in a submission zip; a student's has a handful."""
MAX_FILE_BYTES = 2 * 1024 * 1024
"""Bytes of one unpacked file (the sandbox reads no larger module either)."""
MAX_TOTAL_BYTES = 16 * 1024 * 1024
"""Bytes unpacked in all: a zip bomb stops here, whatever its headers claim."""
MAX_DEPTH = 4
SAFE_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
"""A folder or file name unpacked: no '..', no leading dot or dash, no control or shell characters."""
UNPACKED = (".py", ".ipynb")


class SubmissionZipError(Exception):
    """The zip cannot be unpacked safely (not a zip, too large, two entries of one name...)."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Check:
    """What `grade` found in a submission zip's manifest."""

    status: str = "absent"
    """matches | tampered | absent | unreadable"""
    changed: list[str] = field(default_factory=list)
    """Files whose SHA-256 differs from the manifest's."""
    missing: list[str] = field(default_factory=list)
    """Files the manifest lists that the zip does not hold."""
    added: list[str] = field(default_factory=list)
    """Files the zip holds that the manifest does not list."""
    course: str | None = None
    kit_version: str | None = None
    created: str | None = None
    skipped: list[str] = field(default_factory=list)
    """Entries not unpacked: links, special files, unsafe names, files the grader does not read."""

    def as_json(self) -> dict[str, object]:
        return {"status": self.status, "changed": self.changed, "missing": self.missing, "added": self.added,
                "course": self.course, "kit_version": self.kit_version, "created": self.created,
                "skipped": self.skipped}


def safe_name(name: str) -> str | None:
    """The entry's name if it may be unpacked as it is, else None: relative, forward slashes, a few levels,
    every part made of letters, digits, '_', '.', '-' and not starting with '.' or '-' (so no '..')."""
    if "\\" in name or name.startswith("/") or len(name) > 255:
        return None
    parts = PurePosixPath(name).parts
    if not parts or len(parts) > MAX_DEPTH or not all(SAFE_PART.fullmatch(p) for p in parts):
        return None
    return "/".join(parts)


def read_limited(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """The entry's bytes, counted as they are inflated: headers can lie about sizes."""
    limit = min(MAX_FILE_BYTES, budget)
    chunks = []
    size = 0
    with archive.open(info) as handle:
        while chunk := handle.read(65536):
            size += len(chunk)
            if size > limit:
                raise SubmissionZipError(f"{info.filename!r} unpacks to more than {limit} bytes")
            chunks.append(chunk)
    return b"".join(chunks)


def unpack(zip_path: Path, into: Path) -> Check:
    """Unpack the .py and .ipynb files and the manifest of `zip_path` into the empty folder `into`, safely:
    no entry leaves `into` (no absolute names, no '..', no links), at most MAX_ENTRIES entries,
    MAX_FILE_BYTES each and MAX_TOTAL_BYTES in all as really inflated, and no two entries of one name
    (nor of names differing only in case). Returns what the manifest says of the files unpacked."""
    check = Check()
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionZipError(f"{zip_path} is not a zip file that can be read ({exc})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise SubmissionZipError(f"{zip_path} holds {len(infos)} entries; a submission has at most {MAX_ENTRIES}")
        seen: set[str] = set()
        hashes: dict[str, str] = {}
        manifest_bytes: bytes | None = None
        budget = MAX_TOTAL_BYTES
        for info in infos:
            if info.is_dir():
                continue
            kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip says nothing (Python's writestr)
            name = safe_name(info.filename)
            if name is None or kind not in (0, stat.S_IFREG) or not (name.endswith(UNPACKED) or name == MANIFEST):
                check.skipped.append(info.filename.encode("unicode_escape").decode("ascii")[:120])
                continue
            if name.lower() in seen:
                raise SubmissionZipError(f"{zip_path} holds {name!r} twice")
            seen.add(name.lower())
            if info.flag_bits & 0x1:
                raise SubmissionZipError(f"{zip_path} is encrypted")
            try:
                data = read_limited(archive, info, budget)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError) as exc:
                raise SubmissionZipError(f"{info.filename!r} cannot be unpacked ({exc})") from None
            budget -= len(data)
            if name == MANIFEST:
                manifest_bytes = data
                continue
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            hashes[name] = sha256(data)
    if manifest_bytes is not None:
        _compare(check, manifest_bytes, hashes)
    elif hashes:
        check.added = sorted(hashes)
    return check


def _compare(check: Check, manifest_bytes: bytes, hashes: dict[str, str]) -> None:
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        listed = {str(k): str(v) for k, v in manifest["files"].items()}
        check.course = str(manifest.get("course")) if manifest.get("course") is not None else None
        check.kit_version = str(manifest.get("kit_version")) if manifest.get("kit_version") is not None else None
        check.created = str(manifest.get("created")) if manifest.get("created") is not None else None
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):  # [[[[... nests past the stack
        check.status = "unreadable"
        return
    check.changed = sorted(name for name, digest in listed.items() if name in hashes and hashes[name] != digest)
    check.missing = sorted(name for name in listed if name not in hashes)
    check.added = sorted(name for name in hashes if name not in listed)
    check.status = "tampered" if check.changed or check.missing or check.added else "matches"
