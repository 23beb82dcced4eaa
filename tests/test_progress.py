"""Progress in .nngrade/: history that survives crashes and concurrent runs, and the hint ladder."""
from __future__ import annotations

import json
import multiprocessing
import os
from datetime import datetime, timezone
from pathlib import Path

from conftest import ROOT

from autograder.course import load_course
from autograder.grading.results import RunResult, Status, TestResult
from autograder.grading.scoring import score
from autograder.student import progress

COURSE = load_course(ROOT / "course.toml").select(["gates"])


def card(passed: set[str]):
    tests = tuple(TestResult("gates", t.id, "t", Status.PASSED if t.id in passed else Status.FAILED,
                             None if t.id in passed else "x", "") for t in COURSE.exercises[0].tasks)
    return score(RunResult(tests, 0), COURSE)


def test_best_and_last_scores_with_open_tasks(tmp_path):
    """After two checks, does status keep the best score, the last one, when, and what is still open?"""
    progress.record(tmp_path, card({"perceptron", "basic-gates", "xor"}), datetime(2026, 1, 1, tzinfo=timezone.utc))
    progress.record(tmp_path, card({"perceptron"}), datetime(2026, 1, 2, tzinfo=timezone.utc))
    entry = progress.summary(tmp_path)["gates"]
    assert entry.best == 7 and entry.last == 2 and entry.attempts == 2
    assert entry.last_when.startswith("2026-01-02")
    assert "xor" in entry.open_tasks and "perceptron" not in entry.open_tasks


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path):
    """Does a half-written last line (a crash mid-append) leave the earlier history readable?"""
    progress.record(tmp_path, card({"xor"}))
    with open(tmp_path / ".nngrade" / "history.jsonl", "a") as handle:
        handle.write('{"when": "2026-01-0')
    assert len(progress.history(tmp_path)) == 1
    progress.record(tmp_path, card({"xor"}))  # the next check must not be glued onto the torn line
    assert len(progress.history(tmp_path)) == 2


def _append_many(folder: str) -> None:
    for _ in range(50):
        progress.record(Path(folder), card({"perceptron"}))


def test_concurrent_checks_never_interleave_lines(tmp_path):
    """Do four processes appending at once leave exactly 200 whole JSON lines?"""
    workers = [multiprocessing.Process(target=_append_many, args=(str(tmp_path),)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    lines = (tmp_path / ".nngrade" / "history.jsonl").read_text().splitlines()
    assert len(lines) == 200 and all(json.loads(line)["exercise"] == "gates" for line in lines)


def test_hint_ladder_climbs_stops_at_the_top_and_is_remembered(tmp_path):
    """Does each call give the next hint, stay on the last one, survive a restart and reset on request?"""
    task = COURSE.task("gates", "perceptron")
    assert len(task.hints) == 3
    seen = [progress.next_hint(tmp_path, task) for _ in range(4)]
    assert [level for level, _ in seen] == [1, 2, 3, 3]
    assert [text for _, text in seen[:3]] == list(task.hints)
    assert json.loads((tmp_path / ".nngrade" / "hints.json").read_text()) == {"gates.perceptron": 3}
    progress.reset_hints(tmp_path, [task.key])
    assert progress.next_hint(tmp_path, task) == (1, task.hints[0])


def test_check_then_status_and_hint_from_the_command_line(tmp_path, monkeypatch):
    """After `nngrade check gates`, do `status` and `hint` show the kit's progress and ladder?"""
    from click.testing import CliRunner

    from autograder.cli.main import main

    monkeypatch.chdir(tmp_path)
    invoke = lambda *args: CliRunner().invoke(main, ["--course", str(ROOT / "course.toml"), *args])  # noqa: E731
    assert invoke("check", "gates").exit_code == 0
    shown = invoke("status")
    assert shown.exit_code == 0 and "0/7" in shown.output and "never checked" in shown.output
    first, second = invoke("hint", "gates"), invoke("hint", "gates")
    ladder = COURSE.task("gates", "perceptron").hints
    assert "Hint 1 of 3 for gates.perceptron" in first.output and ladder[0] in first.output
    assert "Hint 2 of 3" in second.output and ladder[1] in second.output
    assert invoke("hint", "gates", "nope").exit_code == 2


def test_hint_and_status_exit_codes_say_what_went_wrong(tmp_path, monkeypatch):
    """Do `hint` and `status` end with the exit code of their problem (never 1, which means "below
    --fail-under"): 3 for a broken course.toml, 6 with a message when .nngrade/ cannot be used?"""
    from click.testing import CliRunner

    from autograder.cli.main import main
    from autograder.errors import ExitCode

    monkeypatch.chdir(tmp_path)
    broken = tmp_path / "broken.toml"
    broken.write_text("format = 2\n", encoding="utf-8")
    home = Path(os.environ[progress.HOME_ENV])  # where conftest keeps the progress of the kit's tests
    (home / ".nngrade").write_text("a file where the folder should be", encoding="utf-8")

    def invoke(course: Path, *args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, ["--course", str(course), *args])

    for args in (["status"], ["hint", "gates", "perceptron"], ["hint", "gates", "--reset"]):
        bad_course = invoke(broken, *args)
        assert bad_course.exit_code == ExitCode.COURSE_INVALID and "format" in bad_course.output, args
        unusable = invoke(ROOT / "course.toml", *args)
        assert unusable.exit_code == ExitCode.OUTPUT_FAILED, (args, unusable.output)
        assert ".nngrade/" in unusable.output and "Traceback" not in unusable.output
        assert unusable.exception is None or isinstance(unusable.exception, SystemExit)
