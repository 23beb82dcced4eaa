"""Every exit code of the nngrade command, in one place."""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Grading happened, whatever the score."""
    BELOW_THRESHOLD = 1
    """--fail-under was given and the score is below it."""
    TESTS_FAILED = 1
    """`check --exit-code` and a test that ran did not pass (the same code: "the work is not there yet")."""
    USAGE = 2
    """Wrong command-line usage (click's own code), an exercise or task the course does not have."""
    COURSE_INVALID = 3
    """course.toml is missing or wrong."""
    SUBMISSION_INVALID = 4
    """The submission cannot be graded at all (no such folder, none of the course's modules)."""
    DATA_MISSING = 5
    """Data the grading needs (MNIST) is absent or corrupt."""
    OUTPUT_FAILED = 6
    """The results could not be written (or the progress kept in .nngrade/ read or written)."""
    WORKSPACE = 7
    """The grader cannot set up its temporary workspace (disk full, temp folder not writable)."""
    EXTRA_MISSING = 8
    """An optional extra the command needs is not installed (matplotlib for `nngrade plot`)."""
    ISOLATION_UNAVAILABLE = 9
    """--isolation strict, and no kernel wall (namespaces, or Landlock with seccomp) holds on this machine."""
    MERGE_REFUSED = 10
    """`nngrade merge` found the shards incomplete or inconsistent (absent shard, missing or twice-graded
    submission, different graders, corrupt result) and wrote nothing; --allow-partial merges anyway."""
    EXERCISES_NOT_STUBS = 11
    """`nngrade release`: exercises/ holds worked code, not stubs; --allow-worked-exercises ships rebuilt stubs."""
    INTERNAL = 70
    """The grader itself failed (EX_SOFTWARE): not the student's fault."""
    INTERRUPTED = 130
    """Ctrl-C (or SIGTERM for grade-all): the command stopped; grade-all's results written so far are complete,
    a re-run resumes."""
