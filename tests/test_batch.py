"""grade-all: a class graded in parallel, one complete result file each, resumable after SIGKILL, shardable."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from conftest import CASES, ROOT, case_source, processes, wait_for, working_in

from autograder.batch.grade_all import Entry, discover, parse_shard, shard
from autograder.batch.messages import JudgeReady, JudgeReply, JudgeRequest, decode_judge_line
from autograder.errors import ExitCode
from autograder.grading.results import SubmissionStatus

SOLUTION = (ROOT / "solutions" / "gates.py").read_text()
STUB = (ROOT / "exercises" / "gates.py").read_text()
BUGGY = case_source(CASES / "gates" / "xor_is_or", "gates")  # XOR written as OR: loses points


def notebook(source: str) -> str:
    """A minimal nbformat-4 notebook with one code cell, as plain JSON."""
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source.splitlines(keepends=True)}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def has_notebooks() -> bool:
    try:
        import autograder.notebooks.notebook  # noqa: F401
    except ImportError:
        return False
    return True


def make_class(folder: Path, students: dict[str, str], *, suffix: str = "") -> dict[str, str]:
    """One folder per student holding gates.py with `students[name]` as its source."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in students.items():
        (folder / name).mkdir()
        (folder / name / "gates.py").write_text(source + suffix)
    return students


def grade_all(submissions: Path, out: Path, *args: str, env: dict[str, str] | None = None,
              ) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "autograder", "--course", str(ROOT / "course.toml"), "grade-all",
               str(submissions), "--out", str(out), "-e", "gates", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


def results(out: Path) -> dict[str, dict]:
    """Every result file, parsed (a half-written file would fail here)."""
    return {p.name.removesuffix(".json"): json.loads(p.read_text()) for p in out.glob("*.json")}


def scores(out: Path) -> dict[str, float | None]:
    return {name: record.get("score") for name, record in results(out).items()}


# --- pure pieces --------------------------------------------------------------------------------

def test_discover_finds_folders_notebooks_and_py_files_and_skips_the_rest(tmp_path):
    """Is every folder, .ipynb and .py file a submission, and are hidden names, other files and the results
    folder left out?"""
    for name in ("alice", "bob", ".git", "_scratch", "results"):
        (tmp_path / name).mkdir()
    for name in ("carol.py", "dave.ipynb", "notes.txt", ".DS_Store"):
        (tmp_path / name).write_text("")
    found = [e.name for e in discover(tmp_path, exclude=[tmp_path / "results"])]
    assert found == ["alice", "bob", "carol.py", "dave.ipynb"]


def test_shards_partition_the_class_the_same_way_every_time():
    """Do the N shards cover every submission exactly once, whatever order the listing came in?"""
    entries = [Entry(f"s{i:02d}", Path(f"s{i:02d}")) for i in range(23)]
    parts = [shard(list(reversed(entries)) if k % 2 else entries, k, 4) for k in range(1, 5)]
    names = [e.name for part in parts for e in part]
    assert sorted(names) == [e.name for e in entries] and len(set(names)) == len(names)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/3", "4/3", "a/b", "3"):
        with pytest.raises(ValueError):
            parse_shard(bad)


# --- a class graded ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A small class graded once: correct, stub, buggy, a loose .py, a notebook, an empty folder."""
    root = tmp_path_factory.mktemp("class")
    submissions, out = root / "submissions", root / "results"
    make_class(submissions, {"alice": SOLUTION, "bob": STUB, "carol": BUGGY})
    (submissions / "dave.py").write_text(SOLUTION)
    if has_notebooks():
        (submissions / "erin.ipynb").write_text(notebook(SOLUTION))
    (submissions / "frank").mkdir()
    (submissions / "frank" / "README.txt").write_text("forgot the code")
    done = grade_all(submissions, out, "--jobs", "2", "--csv", str(root / "grades.csv"))
    return submissions, out, root / "grades.csv", done


def test_grade_all_writes_one_complete_result_per_submission(graded_class):
    """Does every submission get one complete JSON result with the right score, and the one that cannot be
    graded a result saying why, with exit code 0?"""
    _submissions, out, _, done = graded_class
    assert done.returncode == 0, done.stderr
    found = results(out)
    expected = {"alice", "bob", "carol", "dave.py", "frank"} | ({"erin.ipynb"} if has_notebooks() else set())
    assert set(found) == expected
    assert found["alice"]["score"] == found["dave.py"]["score"] == 10 and found["bob"]["score"] == 0
    assert 0 < found["carol"]["score"] < 10
    if has_notebooks():
        assert found["erin.ipynb"]["score"] == 10
    assert found["frank"]["batch"]["status"] == "invalid" and "none of the course's modules" in \
        found["frank"]["batch"]["message"]
    assert all(r["batch"]["hash"] and r["batch"]["grader"] for r in found.values())
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    manifest = json.loads((out / "_shard-1-of-1.manifest").read_text())  # what `nngrade merge` checks
    assert manifest["shard"] == [1, 1] and manifest["engine"] == "given"
    assert manifest["assigned"] == {name: r["batch"]["hash"] for name, r in found.items()}
    assert manifest["class"]["names"] == sorted(found) and manifest["grader"] == found["alice"]["batch"]["grader"]


def test_summary_and_csv(graded_class):
    """Does the summary give the count, mean, median and the submission that errored, and the CSV a row each?"""
    _, out, grades, done = graded_class
    for words in ("submissions", "mean", "median", "Not graded", "frank", "none of the course's modules"):
        assert words in done.stdout
    rows = {row["submission"]: row for row in csv.DictReader(io.StringIO(grades.read_text()))}
    assert set(rows) == set(results(out))
    assert rows["alice"]["gates"] == rows["alice"]["total"] == "10" and rows["frank"]["total"] == ""
    assert rows["frank"]["status"] == "invalid"


@pytest.mark.slow
def test_a_rerun_skips_unchanged_submissions_and_regrades_changed_ones(graded_class, tmp_path):
    """Does a re-run keep results whose submission is unchanged, and grade again the one that changed?"""
    submissions, out, _, _ = graded_class
    copy_in, copy_out = tmp_path / "submissions", tmp_path / "results"
    shutil.copytree(submissions, copy_in)
    shutil.copytree(out, copy_out)
    before = {p.name: p.read_bytes() for p in copy_out.glob("*.json")}
    (copy_in / "bob" / "gates.py").write_text(SOLUTION)  # bob finally did the work
    done = grade_all(copy_in, copy_out, "--jobs", "1")
    assert done.returncode == 0, done.stderr
    assert "1 graded now" in done.stdout
    after = {p.name: p.read_bytes() for p in copy_out.glob("*.json")}
    assert {name for name in after if after[name] != before[name]} == {"bob.json"}
    assert json.loads(after["bob.json"])["score"] == 10


@pytest.mark.slow
def test_shard_csvs_concatenate_into_the_class_csv(graded_class, tmp_path):
    """Do the CSVs of --shard 1/2 and 2/2 concatenate (header once) into the rows of the unsharded CSV?"""
    submissions, out, grades, _ = graded_class
    shutil.copytree(out, tmp_path / "results")
    parts = []
    for k in (1, 2):
        target = tmp_path / f"grades-{k}.csv"
        done = grade_all(submissions, tmp_path / "results", "--shard", f"{k}/2", "--csv", str(target))
        assert done.returncode == 0, done.stderr
        parts.append(target.read_text())
    assert not parts[1].startswith("submission,")
    joined = list(csv.reader(io.StringIO("".join(parts))))
    whole = list(csv.reader(io.StringIO(grades.read_text())))
    assert joined[0] == whole[0] and sorted(joined[1:]) == sorted(whole[1:])


def test_unwritable_results_folder_is_a_clear_error(graded_class, tmp_path):
    """Does a results folder that cannot be created give exit code 6 and a message, not a traceback?"""
    submissions, _, _, _ = graded_class
    (tmp_path / "a-file").write_text("not a folder")
    done = grade_all(submissions, tmp_path / "a-file" / "results")
    assert done.returncode == ExitCode.OUTPUT_FAILED
    assert "Cannot create the results folder" in done.stderr and "Traceback" not in done.stderr


def test_missing_submissions_folder_is_a_clear_error(tmp_path):
    """Does a SUBMISSIONS folder that does not exist, or holds nothing, give exit code 4 and a message?"""
    done = grade_all(tmp_path / "nowhere", tmp_path / "out")
    assert done.returncode == ExitCode.SUBMISSION_INVALID and "is not a folder" in done.stderr
    (tmp_path / "empty").mkdir()
    done = grade_all(tmp_path / "empty", tmp_path / "out")
    assert done.returncode == ExitCode.SUBMISSION_INVALID and "holds no submissions" in done.stderr


# --- faults ----------------------------------------------------------------------------------------------

def judges_alive(marker: str) -> list[int]:
    """Pids of processes whose environment carries `marker` (the judges of one test's grade-all)."""
    return processes(lambda proc: marker.encode() in (proc / "environ").read_bytes())


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_loses_and_duplicates_nothing(tmp_path):
    """After kill -9 of grade-all in the middle of a run, is every result file complete, are the judges gone, and
    does the re-run grade exactly the rest, leaving the finished results untouched?"""
    students = {f"s{i:02d}": (SOLUTION, STUB, BUGGY)[i % 3] for i in range(18)}
    # Each import takes 0.3 s, so the run lasts a few seconds and is killed in the middle.
    make_class(tmp_path / "submissions", students, suffix="\nimport time\ntime.sleep(0.3)\n")
    out = tmp_path / "results"
    marker = f"NNGRADE_TEST_{uuid.uuid4().hex}"
    temp = tmp_path / "tmp"  # the fork servers and workers work in here (their environment is not the judges')
    temp.mkdir()
    env = {**os.environ, marker: "1", "TMPDIR": str(temp)}
    command = [sys.executable, "-m", "autograder", "--course", str(ROOT / "course.toml"), "grade-all",
               str(tmp_path / "submissions"), "--out", str(out), "-e", "gates", "--jobs", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wait_for(lambda: len(list(out.glob("*.json"))) >= 4 or process.poll() is not None, 120,
             "grade-all to write its first 4 results")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    survivors = {p.name: p.read_bytes() for p in out.glob("*.json")}
    assert 4 <= len(survivors) < len(students), "the run was not interrupted in the middle"
    for data in survivors.values():
        assert json.loads(data)["batch"]["status"] == "graded"  # complete under its final name
    # the judges notice their parent is gone and leave, with fork servers and workers
    wait_for(lambda: not judges_alive(marker) and not working_in(temp), 60,
             "the judges, fork servers and workers of the killed grade-all to leave")

    done = grade_all(tmp_path / "submissions", out, "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert f"{len(students) - len(survivors)} graded now" in done.stdout
    final = results(out)
    assert set(final) == set(students)
    assert {p.name for p in out.iterdir()} == {f"{name}.json" for name in students} | {"_shard-1-of-1.manifest"}  # no temp file left
    for name, data in survivors.items():
        assert (out / name).read_bytes() == data  # graded once, never again
    expected = {SOLUTION: 10, STUB: 0}
    for name, source in students.items():
        if source in expected:
            assert final[name]["score"] == expected[source]
        else:
            assert 0 < final[name]["score"] < 10


@pytest.mark.slow
def test_hostile_submissions_do_not_stop_the_others(tmp_path):
    """With a submission that loops forever, one that kills its own process and one that prints fake results
    in the class, are the others graded in full and the hostile ones given nothing (the looping one reported
    as timed out)?"""
    loops = SOLUTION.replace("def perceptron(", "def _unused(") + "\n\ndef perceptron(x, w, b):\n    while True:\n" \
                                                                    "        pass\n"
    students = {
        "good-1": SOLUTION, "good-2": SOLUTION, "loops": loops,
        "exits": "import os\nos._exit(0)\n",
        "fakes": 'print(\'{"score": 100, "max_score": 10}\')\n' + STUB,
    }
    make_class(tmp_path / "submissions", students)
    done = grade_all(tmp_path / "submissions", tmp_path / "results", "--jobs", "2", "--timeout", "8")
    assert done.returncode == 0, done.stderr
    found = results(tmp_path / "results")
    assert set(found) == set(students)
    assert found["good-1"]["score"] == found["good-2"]["score"] == 10
    assert found["exits"]["score"] == found["fakes"]["score"] == 0
    assert found["loops"]["batch"]["status"] == "timeout" and "8 s" in found["loops"]["batch"]["message"]
    assert "timeout" in done.stdout


@pytest.mark.slow
def test_kills_at_random_points_converge_to_the_uninterrupted_grades(tmp_path):
    """After several kill -9 at random moments and a final run, are the grades exactly those of a run never
    interrupted, with every file complete and no temporary file left?"""
    import random

    students = {f"s{i:02d}": (SOLUTION, STUB, BUGGY)[i % 3] for i in range(12)}
    make_class(tmp_path / "submissions", students, suffix="\nimport time\ntime.sleep(0.2)\n")
    reference = grade_all(tmp_path / "submissions", tmp_path / "reference", "--jobs", "2")
    assert reference.returncode == 0, reference.stderr
    out = tmp_path / "results"
    command = [sys.executable, "-m", "autograder", "--course", str(ROOT / "course.toml"), "grade-all",
               str(tmp_path / "submissions"), "--out", str(out), "-e", "gates", "--jobs", "2"]
    chance = random.Random(8)  # seeded: the same kill points every run of this test
    for written in sorted(chance.sample(range(len(students)), 3)):  # killed once this many results exist
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda p=process, n=written: len(list(out.glob("*.json"))) >= n or p.poll() is not None, 120,
                 f"grade-all to write {written} results")
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        for data in results(out).values():  # whatever exists after a kill is whole
            assert data["batch"]["status"] == "graded"
    final = grade_all(tmp_path / "submissions", out, "--jobs", "2")
    assert final.returncode == 0, final.stderr
    assert scores(out) == scores(tmp_path / "reference")
    assert {p.name for p in out.iterdir()} == {f"{name}.json" for name in students} | {"_shard-1-of-1.manifest"}


@pytest.mark.slow
def test_full_disk_stops_with_exit_6_and_keeps_earlier_results(tmp_path):
    """When result files can no longer be written (disk full), does grade-all stop with exit 6, a message,
    and leave every earlier result byte for byte, with no temporary file and no manifest calling it complete?"""
    import resource

    students = {"a": SOLUTION, "b": STUB, "c": BUGGY}
    make_class(tmp_path / "submissions", students)
    out = tmp_path / "results"
    assert grade_all(tmp_path / "submissions", out).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (tmp_path / "submissions" / "b" / "gates.py").write_text(SOLUTION)  # b changed: must be graded again

    def full_disk() -> None:  # a result file is ~6 KB; the submission copy in the sandbox ~1.3 KB
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    command = [sys.executable, "-m", "autograder", "--course", str(ROOT / "course.toml"), "grade-all",
               str(tmp_path / "submissions"), "--out", str(out), "-e", "gates"]
    done = subprocess.run(command, capture_output=True, text=True, preexec_fn=full_disk, timeout=300)
    assert done.returncode == ExitCode.OUTPUT_FAILED, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    # every earlier result byte for byte; the shard's manifest gone, so `nngrade merge` sees it as incomplete
    manifest = "_shard-1-of-1.manifest"
    assert manifest in before
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {k: v for k, v in before.items() if k != manifest}


def test_judge_messages_cross_as_json_lines_intact():
    """Do a request, the judge's hello and a reply (status, record, notes) survive their one encoding?"""
    request = JudgeRequest(3, "alice", Path("/subs/alice"))
    assert JudgeRequest.from_line(request.to_line()) == request
    assert decode_judge_line(JudgeReady(42).to_line()) == JudgeReady(42)
    reply = JudgeReply(SubmissionStatus.GRADED, "", record={"score": 1.0, "submission": "é"}, notes=("unwrapped",),
                       seconds=0.25, id=3, name="alice")
    line = reply.to_line()
    assert line.isascii() and line.count("\n") == 1
    assert decode_judge_line(line) == reply
    assert all(s.value == s for s in SubmissionStatus) and SubmissionStatus("internal-error").final is False
    assert [s.value for s in SubmissionStatus if s.final] == ["graded", "invalid", "timeout"]
