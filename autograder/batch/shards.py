"""`--shard auto`: which part of the class this process grades, read from the engine it runs under.

Slurm job arrays and Kubernetes Indexed Jobs tell each task its index in environment variables; the kit
reads them instead of making the instructor work K and N out by hand on every engine:

- Slurm: `SLURM_ARRAY_TASK_ID`, counted from `SLURM_ARRAY_TASK_MIN` in steps of `SLURM_ARRAY_TASK_STEP`
  (`--array=0-15`, `--array=1-16`, `--array=0-30:2` all work); N is `SLURM_ARRAY_TASK_COUNT`, or the
  array's `(MAX - MIN) / STEP + 1`. An array with holes (`--array=1,5,9`) has no K/N: refused.
- Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` (0-based); Kubernetes does not tell a pod the Job's
  `completions`, so N comes from `--shards N` or `NNGRADE_SHARDS` set in the manifest.

GitHub Actions matrices have no such variables: the workflow passes `--shard K/N` itself.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from autograder.i18n import t

SLURM = ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX",
         "SLURM_ARRAY_TASK_STEP")
KUBERNETES = ("JOB_COMPLETION_INDEX",)
COUNT_VARIABLE = "NNGRADE_SHARDS"
"""The shard count an Indexed Job's manifest sets (equal to its `completions`)."""


class ShardError(ValueError):
    """No engine found, or its variables do not make a K/N: the message names what was looked for."""


@dataclass(frozen=True)
class Shard:
    """This process's part of the class: the K-th of N, and where K and N came from."""

    index: int
    """K, 1-based."""
    count: int
    """N."""
    engine: str
    """"slurm", "kubernetes" or "given" (an explicit K/N)."""

    @property
    def pair(self) -> tuple[int, int]:
        return self.index, self.count

    def describe(self) -> str:
        return t("batch.shard-found", engine=self.engine, index=self.index, count=self.count)


def _integer(env: Mapping[str, str], name: str) -> int | None:
    text = env.get(name, "").strip()
    if not text:
        return None
    if not text.lstrip("-").isdigit():
        raise ShardError(t("batch.shard-not-number", name=name, value=text))
    return int(text)


def _checked(index: int, count: int, engine: str, shards: int | None) -> Shard:
    if shards is not None and shards != count:
        raise ShardError(t("batch.shard-count-differs", engine=engine, count=count, shards=shards))
    if not 1 <= index <= count:
        raise ShardError(t("batch.shard-out-of-range", engine=engine, index=index, count=count))
    return Shard(index, count, engine)


def _slurm(env: Mapping[str, str], shards: int | None) -> Shard:
    task = _integer(env, "SLURM_ARRAY_TASK_ID")
    low, high = _integer(env, "SLURM_ARRAY_TASK_MIN"), _integer(env, "SLURM_ARRAY_TASK_MAX")
    step = _integer(env, "SLURM_ARRAY_TASK_STEP") or 1
    count = _integer(env, "SLURM_ARRAY_TASK_COUNT")
    assert task is not None
    if low is None or step < 1:
        raise ShardError(t("batch.shard-slurm-incomplete"))
    span = None if high is None else (high - low) // step + 1
    if count is None:
        count = span
    if count is None or (span is not None and span != count) or (task - low) % step:
        # --array=1,5,9 or a %limit-free list: task ids that are not one arithmetic run cannot be K/N.
        raise ShardError(t("batch.shard-slurm-holes", task=task, low=low, high=high, count=count))
    return _checked((task - low) // step + 1, count, "slurm", shards)


def _kubernetes(env: Mapping[str, str], shards: int | None) -> Shard:
    index = _integer(env, "JOB_COMPLETION_INDEX")
    assert index is not None
    declared = _integer(env, COUNT_VARIABLE)
    count = shards if shards is not None else declared
    if count is None:
        raise ShardError(t("batch.shard-kubernetes-count", variable=COUNT_VARIABLE))
    if shards is not None and declared is not None and declared != shards:
        raise ShardError(t("batch.shard-count-differs", engine="kubernetes", count=declared, shards=shards))
    return _checked(index + 1, count, "kubernetes", None)


def detect(env: Mapping[str, str], shards: int | None = None) -> Shard:
    """The shard the engine in `env` assigns this process; ShardError naming the variables otherwise."""
    found = [name for name, variable in (("slurm", "SLURM_ARRAY_TASK_ID"), ("kubernetes", "JOB_COMPLETION_INDEX"))
             if env.get(variable, "").strip()]
    if len(found) > 1:
        raise ShardError(t("batch.shard-ambiguous", engines=", ".join(found)))
    if found == ["slurm"]:
        return _slurm(env, shards)
    if found == ["kubernetes"]:
        return _kubernetes(env, shards)
    raise ShardError(t("batch.shard-no-engine", variables=", ".join((*SLURM, *KUBERNETES, COUNT_VARIABLE))))
