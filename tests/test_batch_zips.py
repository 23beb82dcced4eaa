"""grade-all of a folder of `nngrade submit` zips, as an instructor collects them: each zip graded like the
folder it unpacks into, its manifest kept in its result, a hostile zip invalid alone, and nothing unpacked
left behind or outside the temporary folder."""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT
from test_batch import BUGGY, SOLUTION, grade_all, results

from autograder.batch.grade_all import discover
from autograder.course import load_course
from autograder.student.submit import build


def submitted(folder: Path, name: str, source: str) -> Path:
    """`nngrade submit` of a kit whose gates.py is `source`, saved as folder/<name>.zip."""
    kit = folder / f"kit-{name}"
    (kit / "exercises").mkdir(parents=True, exist_ok=True)
    (kit / "exercises" / "gates.py").write_text(source)
    return build(load_course(ROOT / "course.toml").select(["gates"]), kit / "exercises",
                 folder / "class" / f"{name}.zip").path


def test_discover_takes_zips_as_submissions(tmp_path):
    for name in ("alice.zip", "bob.ZIP", "carol.tar.gz"):
        (tmp_path / name).write_bytes(b"")
    assert [e.name for e in discover(tmp_path)] == ["alice.zip", "bob.ZIP"]


@pytest.fixture(scope="module")
def graded_zips(tmp_path_factory):
    """A class of zips: two honest ones (right and buggy), one edited after submitting, one that escapes."""
    root = tmp_path_factory.mktemp("zips")
    (root / "class").mkdir()
    submitted(root, "alice", SOLUTION)
    submitted(root, "bob", BUGGY)
    carol = submitted(root, "carol", SOLUTION)
    with zipfile.ZipFile(carol, "a") as archive:  # gates.py replaced after the manifest was written
        archive.writestr("exercises/extra.py", "x = 1\n")
    with zipfile.ZipFile(root / "class" / "mallory.zip", "w") as archive:
        archive.writestr("../../outside.py", SOLUTION)
        archive.writestr("exercises/gates.py", SOLUTION)
        archive.writestr("exercises/Gates.py", SOLUTION)  # the same name twice, case aside: refused whole
    (root / "tmp").mkdir()
    done = grade_all(root / "class", root / "out", "--jobs", "2", env={**os.environ, "TMPDIR": str(root / "tmp")})
    return root, done


@pytest.mark.slow
def test_each_zip_is_graded_like_its_folder_and_its_manifest_recorded(graded_zips):
    root, done = graded_zips
    assert done.returncode == 0, done.stderr
    found = results(root / "out")
    assert set(found) == {"alice.zip", "bob.zip", "carol.zip", "mallory.zip"}
    alice, bob, carol = found["alice.zip"], found["bob.zip"], found["carol.zip"]
    assert alice["score"] == alice["max_score"] == 10 and 0 < bob["score"] < 10 and carol["score"] == 10
    assert alice["submission_manifest"]["status"] == bob["submission_manifest"]["status"] == "matches"
    assert carol["submission_manifest"]["status"] == "tampered"
    assert carol["submission_manifest"]["added"] == ["exercises/extra.py"]


@pytest.mark.slow
def test_a_zip_that_cannot_be_unpacked_safely_is_invalid_alone_and_nothing_escapes(graded_zips):
    root, _ = graded_zips
    mallory = results(root / "out")["mallory.zip"]
    assert mallory["batch"]["status"] == "invalid" and "cannot be unpacked safely" in mallory["batch"]["message"]
    assert "twice" in mallory["batch"]["message"] and "score" not in mallory
    assert not list(root.rglob("outside.py")) and not (root.parent / "outside.py").exists()
    assert sorted(p.name for p in (root / "class").iterdir()) == ["alice.zip", "bob.zip", "carol.zip", "mallory.zip"]
    assert not list((root / "tmp").glob("nngrade-zips-*"))  # the unpacked zips went with the run


@pytest.mark.slow
def test_a_rerun_keeps_unchanged_zips_and_regrades_a_changed_one(graded_zips):
    root, _ = graded_zips
    before = json.loads((root / "out" / "alice.zip.json").read_text())
    submitted(root, "bob", SOLUTION)  # bob submits again, fixed
    again = grade_all(root / "class", root / "out", "--jobs", "2")
    assert again.returncode == 0, again.stderr
    after = results(root / "out")
    assert after["alice.zip"] == before and after["bob.zip"]["score"] == 10
