"""nngrade merge: shards' result folders as one class, byte-identical to one machine, or a refusal saying why."""
from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
from sharding import make_class, nngrade, reference, run_concurrently, shim

from autograder.errors import ExitCode

N = 3


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """A class graded once on one machine and once as 3 concurrent shards, each into its own folder."""
    root = tmp_path_factory.mktemp("class")
    make_class(root)
    env = shim(root / "bin")
    whole = reference(root, env, "-e", "gates")
    done = run_concurrently([["nngrade", "grade-all", "submissions", "--out", f"shard-{k}", "--shard", f"{k}/{N}",
                              "--jobs", "1", "-e", "gates"] for k in range(1, N + 1)], [env] * N, root)
    assert all(d.returncode == 0 for d in done), [d.stderr for d in done]
    return root, env, whole


@pytest.fixture
def copy(shards, tmp_path):
    """A scratch copy of the shard folders, to damage."""
    root, env, whole = shards
    for k in range(1, N + 1):
        shutil.copytree(root / f"shard-{k}", tmp_path / f"shard-{k}")
    shutil.copytree(root / "submissions", tmp_path / "submissions")
    return tmp_path, env, whole


def merge(folder, env, *args, folders=None):
    names = folders if folders is not None else [f"shard-{k}" for k in range(1, N + 1)]
    return nngrade("merge", *names, "--csv", "grades.csv", *args, env=env, cwd=folder)


def rows(text: str) -> dict[str, dict[str, str]]:
    return {row["submission"]: row for row in csv.DictReader(io.StringIO(text))}


def test_merged_shards_are_byte_for_byte_one_machines_csv(shards, tmp_path):
    """Does merging 3 concurrently graded shards give the very bytes of one grade-all of the class, the
    summary over all of them, and a JSON gradebook with a row per student and task?"""
    root, env, whole = shards
    done = nngrade("merge", *(str(root / f"shard-{k}") for k in range(1, N + 1)), "--csv", "grades.csv",
                   "--json", "gradebook.json", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "grades.csv").read_bytes() == whole
    assert "9 (from 3 shards)" in done.stdout and "frank" in done.stdout and "mean" in done.stdout
    book = json.loads((tmp_path / "gradebook.json").read_text())
    tasks = [task["task"] for exercise in book["exercises"] for task in exercise["tasks"]]
    assert book["submissions"] == 9 and len(book["rows"]) == 9 * len(tasks)
    alice = {r["task"]: r["score"] for r in book["rows"] if r["submission"] == "alice"}
    assert sum(alice.values()) == 10 and set(alice) == set(tasks)
    assert all(r["score"] is None for r in book["rows"] if r["submission"] == "frank")
    carol = [r for r in book["rows"] if r["submission"] == "carol"]
    assert 0 < sum(r["score"] for r in carol) < 10  # part marks, split over the tasks
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # atomic writes leave no temp files
    assert "\x1b" not in done.stdout + done.stderr  # the hostile folder name is shown, never obeyed
    assert rows(whole.decode())["'=1+1 \\x1b[31mzed"]["total"] == rows(whole.decode())["caf\ufffd"]["total"] == "10"


def test_an_absent_shard_is_refused_naming_its_submissions_or_merged_with_allow_partial(copy):
    """With shard 2's manifest gone (never ran, interrupted), does merge write nothing and exit 10 naming the
    shard and its students; with --allow-partial, merge the rest and warn?"""
    folder, env, whole = copy
    missing = sorted(json.loads((folder / "shard-2" / f"_shard-2-of-{N}.manifest").read_text())["assigned"])
    (folder / "shard-2" / f"_shard-2-of-{N}.manifest").unlink()
    refused = merge(folder, env)
    assert refused.returncode == ExitCode.MERGE_REFUSED
    assert f"Shard 2/{N} is absent" in refused.stderr and all(name in refused.stderr for name in missing)
    assert "--allow-partial" in refused.stderr and not (folder / "grades.csv").exists()
    partial = merge(folder, env, "--allow-partial")
    assert partial.returncode == 0 and "warning (--allow-partial)" in partial.stderr
    expected = {name: row for name, row in rows(whole.decode()).items() if name not in missing}
    assert rows((folder / "grades.csv").read_text()) == expected


def test_a_submission_graded_twice_is_refused(copy):
    """Does a shard's folder given twice under another name (the same submissions graded twice) stop merge?"""
    folder, env, _ = copy
    shutil.copytree(folder / "shard-1", folder / "shard-1-again")
    done = merge(folder, env, folders=["shard-1", "shard-2", "shard-3", "shard-1-again"])
    assert done.returncode == ExitCode.MERGE_REFUSED
    assert f"Shard 1/{N} was graded twice" in done.stderr
    same = merge(folder, env, folders=["shard-1", "shard-2", "shard-3", "shard-1", "./shard-2"])
    assert same.returncode == 0, same.stderr  # one folder named twice is still one folder


def test_a_missing_or_corrupt_result_is_refused(copy):
    """Does a deleted result and a truncated one each stop merge, named; does --allow-partial leave them out?"""
    folder, env, _ = copy
    manifest = json.loads((folder / "shard-2" / f"_shard-2-of-{N}.manifest").read_text())
    gone, broken = sorted(name for name in manifest["assigned"] if name.isalpha())[:2]
    (folder / "shard-2" / f"{gone}.json").unlink()
    text = (folder / "shard-2" / f"{broken}.json").read_text()
    (folder / "shard-2" / f"{broken}.json").write_text(text[: len(text) // 2])
    done = merge(folder, env)
    assert done.returncode == ExitCode.MERGE_REFUSED
    assert f"1 submission of the class has no result: {gone}" in done.stderr
    assert "1 result file is corrupt" in done.stderr and f"{broken}.json" in done.stderr
    partial = merge(folder, env, "--allow-partial")
    assert partial.returncode == 0
    assert {gone, broken}.isdisjoint(rows((folder / "grades.csv").read_text()))


def test_a_result_swapped_for_another_runs_or_another_students_is_refused(copy):
    """A result file replaced by an older run's (other content hash) or by another student's renamed copy
    (a full-marks file under a failing student's name): is each refused, never merged as theirs?"""
    folder, env, _ = copy
    where = {name: k for k in range(1, N + 1)
             for name in json.loads((folder / f"shard-{k}" / f"_shard-{k}-of-{N}.manifest").read_text())["assigned"]}
    shutil.copy(folder / f"shard-{where['alice']}" / "alice.json", folder / f"shard-{where['bob']}" / "bob.json")
    done = merge(folder, env)
    assert done.returncode == ExitCode.MERGE_REFUSED and "bob.json: not this submission's result" in done.stderr
    record = json.loads((folder / f"shard-{where['alice']}" / "alice.json").read_text())
    record["batch"]["hash"] = "0" * 64
    (folder / f"shard-{where['alice']}" / "alice.json").write_text(json.dumps(record))
    done = merge(folder, env)
    assert "alice.json: graded in another run" in done.stderr


def test_planted_names_and_stray_results_win_nothing(copy):
    """A manifest listing `../x` (to read a file outside the results), and a result file no manifest lists:
    is the first refused as a corrupt manifest and the second left out of the grades, and said?"""
    folder, env, whole = copy
    (folder / "x.json").write_text(json.dumps({"batch": {"submission": "../x"}}))
    path = folder / "shard-3" / f"_shard-3-of-{N}.manifest"
    manifest = json.loads(path.read_text())
    manifest["assigned"]["../x"] = "0" * 64
    path.write_text(json.dumps(manifest))
    done = merge(folder, env)
    assert done.returncode == ExitCode.MERGE_REFUSED and "is corrupt" in done.stderr and "plain names" in done.stderr
    manifest["assigned"].pop("../x")  # the manifest as grade-all wrote it; now a stray result file instead
    path.write_text(json.dumps(manifest))
    planted = json.loads((folder / "shard-2" / "alice.json").read_text())
    planted["batch"]["submission"] = "mallory"
    (folder / "shard-2" / "mallory.json").write_text(json.dumps(planted))
    done = merge(folder, env)
    assert done.returncode == 0, done.stderr
    assert "Left out 1 result file that no shard manifest" in done.stderr and "mallory.json" in done.stderr
    assert (folder / "grades.csv").read_bytes() == whole
    shutil.copy(folder / "shard-2" / "alice.json", folder / "shard-3" / "alice.json")  # a second, stale copy
    done = merge(folder, env)
    assert done.returncode == 0 and "Left out 2 result files" in done.stderr
    assert "shard-3/alice.json" in done.stderr


@pytest.mark.slow
def test_shards_graded_by_different_graders_are_refused(copy):
    """Is a shard graded again with another grader (public tests only: another fingerprint) refused?"""
    folder, env, _ = copy
    done = nngrade("grade-all", "submissions", "--out", "shard-2", "--shard", f"2/{N}", "--jobs", "1", "-e", "gates",
                   "--public-only", env=env, cwd=folder)
    assert done.returncode == 0, done.stderr
    refused = merge(folder, env)
    assert refused.returncode == ExitCode.MERGE_REFUSED
    assert "graded by 2 different graders" in refused.stderr and f"2/{N}" in refused.stderr


def test_nothing_to_merge_and_a_stale_split_are_explained(copy):
    """Does a folder without manifests exit 10 with what to do, and a manifest of an earlier split get named?"""
    folder, env, _ = copy
    (folder / "empty").mkdir()
    done = merge(folder, env, folders=["empty"])
    assert done.returncode == ExitCode.MERGE_REFUSED and "No shard manifest" in done.stderr
    assert "Traceback" not in done.stderr
    earlier = json.loads((folder / "shard-1" / f"_shard-1-of-{N}.manifest").read_text())
    earlier["shard"] = [1, 2]  # what `--shard 1/2` left in this folder before the class was split in 3
    (folder / "shard-1" / "_shard-1-of-2.manifest").write_text(json.dumps(earlier))
    stale = merge(folder, env)
    assert stale.returncode == ExitCode.MERGE_REFUSED
    assert "Shards of different splits" in stale.stderr and "_shard-1-of-2.manifest" in stale.stderr


def test_merge_writes_canvas_and_moodle_files_through_the_roster(copy):
    """With a roster, do the Canvas and Moodle files carry the roster's ids and each student's points, a roster
    id `=cmd` stay text, a submission the roster lacks get named and left out; does a bad roster exit 2?"""
    folder, env, _ = copy
    (folder / "roster.csv").write_text("submission,student_id,name,email\nalice,=cmd,Alice,a@u.edu\n"
                                       "dave.py,S004,Dave,d@u.edu\nbob,S002,Bob,b@u.edu\ncarol,S003,Carol,\n"
                                       "erin,S005,Erin,\nfrank,S006,Frank,\n")
    done = merge(folder, env, "--roster", "roster.csv", "--canvas", "canvas.csv", "--moodle", "moodle.csv")
    assert done.returncode == 0, done.stderr
    assert "3 graded submissions are not in the roster" in done.stderr and "gwen" in done.stderr
    moodle = list(csv.reader(io.StringIO((folder / "moodle.csv").read_text())))
    assert moodle[0][:3] == ["ID number", "Email address", "Full name"]
    by_id = {row[0]: row for row in moodle[1:]}
    assert by_id["'=cmd"][-1] == "10" and by_id["S004"][-1] == "10" and by_id["S002"][-1] == "0"
    assert by_id["S006"][-1] == "" and "gwen" not in (folder / "moodle.csv").read_text()
    canvas = list(csv.reader(io.StringIO((folder / "canvas.csv").read_text())))
    assert canvas[1][0] == "Points Possible" and canvas[1][-1] == "10"
    total = merge(folder, env, "--canvas", "total.csv", "--lms-items", "total")
    assert total.returncode == 0
    assert next(csv.reader(io.StringIO((folder / "total.csv").read_text())))[-1] == "nngrade"
    (folder / "bad.csv").write_text("who,score\n")
    bad = merge(folder, env, "--roster", "bad.csv", "--canvas", "canvas.csv")
    assert bad.returncode == 2 and "submission and student_id" in bad.stderr


def test_a_rerun_that_keeps_everything_leaves_the_manifest_alone_and_a_failed_one_removes_it(copy):
    """Does re-running a finished shard (nothing changed) leave its manifest untouched, file date included; does a
    re-run that stops before the shard is complete (here: the disk full) leave no manifest, so merge names the
    shard absent; and does the next complete run write the same manifest again?"""
    import resource
    import subprocess

    folder, env, _ = copy
    manifest = folder / "shard-1" / f"_shard-1-of-{N}.manifest"
    before = manifest.stat().st_mtime_ns, manifest.read_bytes()
    args = ["nngrade", "grade-all", "submissions", "--out", "shard-1", "--shard", f"1/{N}", "--jobs", "1",
            "-e", "gates"]
    assert nngrade(*args[1:], env=env, cwd=folder).returncode == 0
    assert (manifest.stat().st_mtime_ns, manifest.read_bytes()) == before
    victim = sorted(json.loads(before[1])["assigned"])[-1]
    (folder / "shard-1" / f"{victim}.json").unlink()  # to grade again, on a disk too full for its result

    def full_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # a result is ~6 KB, gates.py ~1.3 KB

    stopped = subprocess.run(args, env=env, cwd=folder, capture_output=True, text=True, preexec_fn=full_disk,
                             timeout=600)
    assert stopped.returncode == ExitCode.OUTPUT_FAILED, stopped.stderr
    assert not manifest.exists()
    refused = merge(folder, env)
    assert refused.returncode == ExitCode.MERGE_REFUSED and f"Shard 1/{N} is absent" in refused.stderr
    assert nngrade(*args[1:], env=env, cwd=folder).returncode == 0
    assert manifest.read_bytes() == before[1]
