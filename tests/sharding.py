"""Helpers of the scale-out tests: a small class, the `nngrade` command on PATH, shards run concurrently."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from conftest import CASES, ROOT, case_source

SOLUTION = (ROOT / "solutions" / "gates.py").read_text()
STUB = (ROOT / "exercises" / "gates.py").read_text()
BUGGY = case_source(CASES / "gates" / "xor_is_or", "gates")  # XOR written as OR: loses points
HOSTILE = "=1+1\n\x1b[31mzed"
"""A submission folder named to run a formula in a spreadsheet, break a line and colour a terminal."""


def make_class(root: Path) -> Path:
    """root/submissions: nine students (full marks, none, part, a loose .py, one who forgot the code, a folder
    whose name is a formula with a newline and a terminal escape in it, and one whose name is not UTF-8)."""
    folder = root / "submissions"
    folder.mkdir(parents=True)
    for name, source in {"alice": SOLUTION, "bob": STUB, "carol": BUGGY, "erin": BUGGY, "gwen": SOLUTION}.items():
        (folder / name).mkdir()
        (folder / name / "gates.py").write_text(source)
    (folder / "dave.py").write_text(SOLUTION)
    (folder / HOSTILE).mkdir()
    (folder / HOSTILE / "gates.py").write_text(SOLUTION)
    os.mkdir(bytes(folder) + b"/caf\xe9")  # Latin-1 bytes: a surrogate to Python
    (folder / os.fsdecode(b"caf\xe9") / "gates.py").write_text(SOLUTION)
    (folder / "frank").mkdir()
    (folder / "frank" / "README.txt").write_text("forgot the code")
    return folder


def shim(folder: Path) -> dict[str, str]:
    """An environment whose PATH has `nngrade` = this worktree's kit, on the kit's course, for one exercise."""
    folder.mkdir(parents=True, exist_ok=True)
    command = folder / "nngrade"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m autograder "$@"\n')
    command.chmod(0o755)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLURM_", "NNGRADE_SHARD")) and k != "JOB_COMPLETION_INDEX"}
    env.update(PATH=f"{folder}{os.pathsep}{env.get('PATH', '')}", PYTHONPATH=str(ROOT),
               NNGRADE_COURSE=str(ROOT / "course.toml"), NNGRADE_LANG="en")
    return env


def run_concurrently(commands: Sequence[Sequence[str]], envs: Sequence[Mapping[str, str]], cwd: Path,
                     ) -> list[subprocess.CompletedProcess[str]]:
    """Start every command at once (the shards of one array), then wait for all of them."""
    started = [subprocess.Popen(list(c), env=dict(e), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for c, e in zip(commands, envs)]
    done = []
    for command, process in zip(commands, started):
        out, err = process.communicate(timeout=600)
        done.append(subprocess.CompletedProcess(list(command), process.returncode, out, err))
    return done


def nngrade(*args: str, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["nngrade", *args], env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=600)


def reference(root: Path, env: Mapping[str, str], *options: str) -> bytes:
    """One machine's grade-all of the whole class (run from `root`, on `submissions`): its CSV's bytes."""
    done = nngrade("grade-all", "submissions", "--out", "reference", "--csv", "reference.csv", "--jobs", "2",
                   *options, env=env, cwd=root)
    assert done.returncode == 0, done.stderr
    return (root / "reference.csv").read_bytes()
