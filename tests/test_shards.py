"""--shard auto: K and N read from a Slurm job array or a Kubernetes Indexed Job, or a clear refusal."""
from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

from autograder.batch.shards import KUBERNETES, SLURM, Shard, ShardError, detect
from autograder.errors import ExitCode
from autograder.i18n import t


def slurm(task: int, low: int, high: int, step: int | None = None, count: bool = True) -> dict[str, str]:
    """What Slurm sets in one task of `--array=low-high[:step]`."""
    env = {"SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_MIN": str(low), "SLURM_ARRAY_TASK_MAX": str(high)}
    if step is not None:
        env["SLURM_ARRAY_TASK_STEP"] = str(step)
    if count:
        env["SLURM_ARRAY_TASK_COUNT"] = str(len(range(low, high + 1, step or 1)))
    return env


@pytest.mark.parametrize(("low", "high", "step"), [(0, 7, None), (1, 8, None), (0, 14, 2), (3, 10, 1)])
def test_every_task_of_a_slurm_array_gets_its_own_shard(low, high, step):
    """Do the tasks of --array=0-7, 1-8, 0-14:2 and 3-10 each get a different K of the same N, covering 1..N?"""
    tasks = range(low, high + 1, step or 1)
    for count in (True, False):  # SLURM_ARRAY_TASK_COUNT is newer than MIN/MAX: either must do
        found = [detect(slurm(task, low, high, step, count)) for task in tasks]
        assert [s.pair for s in found] == [(k, len(tasks)) for k in range(1, len(tasks) + 1)]
        assert {s.engine for s in found} == {"slurm"}


def test_a_slurm_array_with_holes_or_a_disagreeing_count_is_refused():
    """Is --array=1,5,9 (no even range) refused rather than given a K/N that leaves submissions out?"""
    holes = {"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "9",
             "SLURM_ARRAY_TASK_COUNT": "3"}
    with pytest.raises(ShardError, match="evenly spaced"):
        detect(holes)
    with pytest.raises(ShardError, match="--shards says 5"):
        detect(slurm(2, 0, 7), shards=5)
    assert detect(slurm(2, 0, 7), shards=8).pair == (3, 8)
    with pytest.raises(ShardError, match="not a whole number"):
        detect({**slurm(2, 0, 7), "SLURM_ARRAY_TASK_MIN": "zero"})


def test_a_kubernetes_indexed_job_needs_its_count_from_the_manifest_or_shards():
    """Does JOB_COMPLETION_INDEX (0-based) give K, with N from NNGRADE_SHARDS or --shards, and is a missing N
    or an index beyond it refused?"""
    assert detect({"JOB_COMPLETION_INDEX": "0", "NNGRADE_SHARDS": "4"}) == Shard(1, 4, "kubernetes")
    assert detect({"JOB_COMPLETION_INDEX": "3"}, shards=4) == Shard(4, 4, "kubernetes")
    with pytest.raises(ShardError, match="NNGRADE_SHARDS") as missing:
        detect({"JOB_COMPLETION_INDEX": "3"})
    assert "completions" in str(missing.value)
    with pytest.raises(ShardError, match="does not exist"):
        detect({"JOB_COMPLETION_INDEX": "4", "NNGRADE_SHARDS": "4"})


def test_no_engine_or_two_engines_is_a_clear_error_naming_the_variables():
    """Outside any engine, does the error name every variable looked for; with both engines' variables set,
    does it refuse to guess?"""
    with pytest.raises(ShardError) as none:
        detect({"HOME": "/root"})
    assert all(name in str(none.value) for name in (*SLURM, *KUBERNETES, "NNGRADE_SHARDS", "--shard K/N"))
    with pytest.raises(ShardError, match="cannot tell"):
        detect({**slurm(0, 0, 3), "JOB_COMPLETION_INDEX": "0", "NNGRADE_SHARDS": "4"})


def test_the_found_shard_is_said_in_both_languages():
    found = detect(slurm(1, 0, 3))
    assert found.describe() == "shard 2/4, from slurm"
    assert t("batch.shard-found", "ko", engine="slurm", index=2, count=4) == "샤드 2/4 (slurm에서 읽음)"


def test_grade_all_shard_auto_outside_an_engine_exits_2_with_the_variables(tmp_path):
    """Does `grade-all --shard auto` with no engine stop before grading, exit 2, name the variables?"""
    (tmp_path / "submissions" / "alice").mkdir(parents=True)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "NNGRADE_LANG": "en"}
    done = subprocess.run([sys.executable, "-m", "autograder", "--course", str(ROOT / "course.toml"), "grade-all",
                           str(tmp_path / "submissions"), "--out", str(tmp_path / "out"), "--shard", "auto"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert "SLURM_ARRAY_TASK_ID" in done.stderr and "JOB_COMPLETION_INDEX" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()
