"""`nngrade grade submission.zip` against hostile zips: nothing leaves the temporary folder, no link is
followed, no bomb fills the disk, and what cannot be unpacked safely is refused with exit code 4."""
from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from autograder.cli.main import main
from autograder.errors import ExitCode
from autograder.grading.submission_zip import MAX_ENTRIES, MAX_FILE_BYTES, SubmissionZipError, safe_name, unpack

SOLUTION = (ROOT / "solutions" / "gates.py").read_bytes()


def grade_zip(path: Path):
    return CliRunner().invoke(main, ["--course", str(ROOT / "course.toml"), "grade", str(path), "-e", "gates",
                                     "-f", "json"], catch_exceptions=False)


def write_zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("name", ["../evil.py", "/tmp/evil.py", "exercises/../../evil.py", "..\\evil.py",
                                  "C:/evil.py", "exercises/\x1b[2Jgates.py", ".hidden/gates.py", "-rf.py",
                                  "a/b/c/d/e/gates.py", "x" * 300 + ".py", "exercises/gates.py\x00.txt", ""])
def test_hostile_names_are_never_unpacked(name):
    assert safe_name(name) is None


def test_a_zip_of_hostile_entries_unpacks_only_the_safe_ones_inside_its_folder(tmp_path):
    """Zip-slip names, absolute names, a symlink posing as gates.py and a terminal escape in a name: is each
    left out (and named, escaped), only the real gates.py unpacked, and nothing written outside the folder?"""
    link = zipfile.ZipInfo("exercises/activations.py")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    zipped = write_zip(tmp_path / "hostile.zip", [
        ("../outside.py", b"x = 1\n"), ("/tmp/nngrade-absolute.py", b"x = 1\n"),
        ("exercises/../../up.py", b"x = 1\n"), (link, b"/etc/passwd"),
        ("exercises/\x1b[2Jgates.py", b"x = 1\n"), ("exercises/gates.py", SOLUTION), ("notes.exe", b"MZ"),
    ])
    into = tmp_path / "into"
    into.mkdir()
    check = unpack(zipped, into)
    assert files_under(into) == {"exercises", "exercises/gates.py"}
    assert not (into / "exercises" / "activations.py").is_symlink()
    assert files_under(tmp_path) == {"hostile.zip", "into", "into/exercises", "into/exercises/gates.py"}
    assert not Path("/tmp/nngrade-absolute.py").exists()
    assert len(check.skipped) == 6 and all("\x1b" not in name for name in check.skipped)
    assert check.status == "absent"

    graded = grade_zip(zipped)  # through the command: graded, and the missing manifest said
    assert graded.exit_code == 0, graded.output
    card = json.loads(graded.stdout)
    assert card["score"] == card["max_score"] == 10
    assert card["submission_manifest"]["status"] == "absent"
    assert "WARNING: the zip has no MANIFEST.json" in graded.stderr and "\x1b[2J" not in graded.stderr


@pytest.mark.parametrize("entries,words", [
    ([("exercises/gates.py", b"\0" * (MAX_FILE_BYTES + 1))], "unpacks to more than"),  # a bomb: 2 MB of zeros
    ([(f"exercises/m{i}.py", b"x = 1\n") for i in range(MAX_ENTRIES + 1)], "entries"),
    ([("exercises/gates.py", SOLUTION), ("exercises/GATES.py", SOLUTION)], "twice"),
    ([(f"exercises/big{i}.py", b"#" * (MAX_FILE_BYTES - 10)) for i in range(9)], "unpacks to more than"),
])
def test_a_zip_that_cannot_be_unpacked_safely_is_refused(tmp_path, entries, words):
    """A bomb, too many entries, two names for one file, too much in all: refused with exit code 4 and a
    message, never a traceback, and the temporary folder removed?"""
    zipped = write_zip(tmp_path / "bad.zip", entries)
    assert zipped.stat().st_size < MAX_FILE_BYTES * 3  # small on disk, large unpacked
    (tmp_path / "into").mkdir()
    with pytest.raises(SubmissionZipError, match=words):
        unpack(zipped, tmp_path / "into")
    result = grade_zip(zipped)
    assert result.exit_code == ExitCode.SUBMISSION_INVALID
    assert "Cannot grade this submission" in result.output and "Traceback" not in result.output


def test_a_file_named_zip_that_is_no_zip_is_refused(tmp_path):
    fake = tmp_path / "submission.zip"
    fake.write_text("def perceptron(): pass\n")
    result = grade_zip(fake)
    assert result.exit_code == ExitCode.SUBMISSION_INVALID
    assert "is not a zip file that can be read" in result.output


@pytest.mark.parametrize("manifest,status,words", [
    (b"{not json", "unreadable", "MANIFEST.json cannot be read"),
    (b"[" * 200_000, "unreadable", "MANIFEST.json cannot be read"),  # nested past the parser's stack
    (json.dumps({"files": ["exercises/gates.py"]}).encode(), "unreadable", "MANIFEST.json cannot be read"),
    (json.dumps({"course": "Another course", "files": {}}).encode(), "tampered", "packed for the course 'Another"),
])
def test_a_manifest_that_cannot_vouch_for_the_files_is_said_so(tmp_path, manifest, status, words):
    """An unreadable manifest, or one of another course that does not list gates.py: flagged in the JSON and
    said on stderr, and the work still graded?"""
    zipped = write_zip(tmp_path / "s.zip", [("exercises/gates.py", SOLUTION), ("MANIFEST.json", manifest)])
    result = grade_zip(zipped)
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    assert card["submission_manifest"]["status"] == status and card["score"] == 10
    assert words in result.stderr
