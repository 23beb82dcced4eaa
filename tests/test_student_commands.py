"""A student's first evening with the kit, driven through the CLI at 80 columns: where progress is kept,
names of exercises and tasks, exit codes, Ctrl-C, click's texts in Korean, and reset / next / submit."""
from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, make_kit

from autograder.cli.main import main
from autograder.course import load_course
from autograder.errors import ExitCode
from autograder.student import progress

COURSE = load_course(ROOT / "course.toml")
STUB = (ROOT / "exercises" / "gates.py").read_text(encoding="utf-8")
SOLUTION = (ROOT / "solutions" / "gates.py").read_text(encoding="utf-8")


def nngrade(*args: str, cwd: Path, lang: str = "en"):
    """`nngrade ARGS` typed in `cwd`, on an 80-column terminal, no --course: the kit is found from `cwd`."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), prog_name="nngrade", env={"COLUMNS": "80", "NNGRADE_LANG": lang,
                                                         "NNGRADE_COURSE": None}, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def kit(tmp_path, monkeypatch) -> Path:
    """A downloaded student kit whose progress is kept where a student's is: in its own .nngrade/."""
    monkeypatch.delenv(progress.HOME_ENV)
    make_kit(tmp_path / "kit")
    return tmp_path / "kit"


# --- item 6: progress lives at the kit's root ---------------------------------------------------------------

def test_progress_is_kept_at_the_kit_root_wherever_the_student_stands(kit, tmp_path):
    """Does `check` inside exercises/ write the kit's .nngrade/ (not a second one), and does `status` from
    the kit's top, or from anywhere with --course, show that check?"""
    assert nngrade("check", "gates", cwd=kit / "exercises").exit_code == 0
    assert (kit / ".nngrade" / "history.jsonl").is_file()
    assert not (kit / "exercises" / ".nngrade").exists()
    at_top = nngrade("status", cwd=kit)
    assert "0/7" in at_top.output and at_top.output.count("never checked") == 5, at_top.output
    elsewhere = nngrade("--course", str(kit / "course.toml"), "status", cwd=tmp_path)
    assert "0/7" in elsewhere.output


def test_the_kits_own_tests_never_write_into_the_kit_they_run_from(cli, tmp_path):
    """Does a check (in-process, and as a subprocess) made by the kit's tests leave the repository's own
    .nngrade/ exactly as it was?"""
    import subprocess
    import sys

    state = ROOT / ".nngrade"

    def snapshot() -> dict[str, bytes]:
        return {str(p.relative_to(state)): p.read_bytes() for p in state.rglob("*") if p.is_file()} \
            if state.is_dir() else {}

    before = snapshot()
    assert cli("check", "gates").exit_code == 0
    assert cli("hint", "gates", "xor").exit_code == 0
    done = subprocess.run([sys.executable, "-m", "autograder", "check", "gates"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert snapshot() == before
    assert progress.history(Path(os.environ[progress.HOME_ENV]))  # the checks were recorded, elsewhere


# --- item 9: exit codes and arguments -------------------------------------------------------------------------

@pytest.mark.parametrize("args,words", [
    (["check", "gatez"], ["'gatez' is not an exercise", "Did you mean gates?", "activations"]),
    (["check", "gates", "xr"], ["'xr' is neither a task of gates", "Did you mean xor?"]),
    (["hint", "gates", "xr"], ["gates has no task 'xr'", "Did you mean xor?"]),
    (["check", "gates.xr"], ["gates has no task 'xr'"]),
    (["check", "xor"], ["xor is a task of gates: nngrade check gates xor"]),
    (["watch", "softmx"], ["Did you mean softmax?"]),
    (["reset", "nope"], ["'nope' is not an exercise"]),
    (["grade", str(ROOT / "solutions"), "-e", "gatez"], ["Did you mean gates?"]),
])
def test_an_unknown_exercise_or_task_is_a_usage_error_that_lists_the_names(kit, args, words):
    """Is a mistyped exercise or task exit code 2 (usage), not 3 (broken course.toml), with the valid names
    and the closest one?"""
    result = nngrade(*args, cwd=kit)
    assert result.exit_code == ExitCode.USAGE, result.output
    text = " ".join(result.output.split())
    for word in words:
        assert word in text, text
    assert "Usage: nngrade" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("name", ["exercises/gates.py", "gates.py", "exercises/gates", "exercises/gates/",
                                  "./exercises/gates.py"])
def test_a_path_from_tab_completion_names_its_exercise(kit, name):
    """Does `nngrade check exercises/gates.py` (and the other forms tab completion gives) check gates?"""
    result = nngrade("check", name, cwd=kit)
    assert result.exit_code == 0, result.output
    assert "gates.perceptron()" in result.output and "activations" not in result.output


def test_check_one_task(kit):
    """Does `check EX TASK` grade that task alone (and `check EX.TASK` too), without counting it as the
    exercise's score in the history?"""
    (kit / "exercises" / "gates.py").write_text(SOLUTION, encoding="utf-8")
    for args in (["gates", "xor"], ["gates.xor"], ["exercises/gates.py", "xor"]):
        result = nngrade("check", *args, cwd=kit)
        assert result.exit_code == 0, result.output
        assert "Total: 2 / 2 points (100.0%)" in result.output
        assert "basic-gates" not in result.output and "perceptron-batch" not in result.output
    assert progress.history(kit) == []
    hidden = nngrade("check", "gates", "gate-inputs", cwd=kit)
    assert hidden.exit_code == 0 and "Total" not in hidden.output
    assert "gates.gate-inputs: hidden, so its tests run only when your work is graded." in hidden.output
    both = nngrade("check", "softmax", "softmax", "gates", "xor", cwd=kit)  # a task named like its exercise
    softmax_points = COURSE.task("softmax", "softmax").points  # type: ignore[union-attr]
    assert both.exit_code == 0 and f"Total: 2 / {2 + softmax_points:g} points" in both.output, both.output


def test_solutions_is_offered_only_in_a_kit_that_has_them(kit, tmp_path):
    """In a student's kit (no solutions/), is --solutions left out of `check --help` and refused with a
    clear usage error? In the instructor's kit is it there?"""
    help_text = nngrade("check", "--help", cwd=kit).output
    assert "--solutions" not in help_text and "--exit-code" in help_text
    refused = nngrade("check", "--solutions", "gates", cwd=kit)
    assert refused.exit_code == ExitCode.USAGE
    assert "This kit has no reference solutions" in " ".join(refused.output.split())
    assert "is not a folder" not in refused.output
    teacher = make_kit(tmp_path / "teacher", solutions=True).parent
    assert "--solutions" in nngrade("check", "--help", cwd=teacher).output


def test_exit_code_fails_when_a_test_fails(kit):
    """Does `check --exit-code` exit 1 (and say why) when a test fails, 0 when all pass, and plain `check`
    exit 0 either way?"""
    failing = nngrade("check", "--exit-code", "gates", cwd=kit)
    assert failing.exit_code == ExitCode.TESTS_FAILED == 1
    assert "did not pass (--exit-code)" in failing.output
    assert nngrade("check", "gates", cwd=kit).exit_code == 0
    (kit / "exercises" / "gates.py").write_text(SOLUTION, encoding="utf-8")
    assert nngrade("check", "--exit-code", "gates", cwd=kit).exit_code == 0


# --- item 8: click's own texts in Korean ----------------------------------------------------------------------

def test_clicks_own_texts_are_korean(kit):
    """With --lang ko or NNGRADE_LANG=ko, are Usage:, Options:, the help option's text and click's error lines
    Korean, and none of the English left?"""
    assert "Usage:" in nngrade("check", "--help", cwd=kit).output  # English stays English
    shown = nngrade("--lang", "ko", "check", "--help", cwd=kit).output
    assert "사용법: nngrade check" in shown and "옵션:" in shown and "이 도움말을 보여 주고 끝냅니다." in shown
    for english in ("Usage:", "Options:", "Show this message and exit."):
        assert english not in shown
    commands = nngrade("--help", cwd=kit, lang="ko").output
    assert "명령:" in commands and "Commands:" not in commands
    wrong = nngrade("check", "--nope", cwd=kit, lang="ko")
    assert wrong.exit_code == ExitCode.USAGE
    assert "오류: '--nope' 옵션은 없습니다." in wrong.output and "도움말은 'nngrade check --help'로" in wrong.output
    assert "Error" not in wrong.output and "No such option" not in wrong.output


# --- item 10: reset, next, submit -----------------------------------------------------------------------------

def test_reset_restores_the_stub_and_keeps_a_backup(kit):
    """After a check (which keeps the shipped stub) and some work, does `reset gates` put back the exact
    stub and keep the work in .nngrade/backups/? Is a second reset a no-op?"""
    assert nngrade("check", "gates", cwd=kit).exit_code == 0
    work = STUB.replace('raise NotImplementedError("gates.AND: not implemented yet")', "return 1")
    (kit / "exercises" / "gates.py").write_text(work, encoding="utf-8")
    result = nngrade("reset", "gates", cwd=kit / "exercises")
    assert result.exit_code == 0, result.output
    assert (kit / "exercises" / "gates.py").read_text(encoding="utf-8") == STUB
    backups = list((kit / ".nngrade" / "backups").glob("gates-*.py"))
    assert [b.read_text(encoding="utf-8") for b in backups] == [work]
    assert "exercises/gates.py is the stub again" in result.output and backups[0].name in result.output
    again = nngrade("reset", "gates", cwd=kit)
    assert again.exit_code == 0 and "already the stub" in again.output
    assert len(list((kit / ".nngrade" / "backups").iterdir())) == 1


def test_reset_without_a_kept_stub_rebuilds_it_from_the_students_file(kit):
    """With no kept copy and no git, is the stub rebuilt from the student's file (same signatures and
    docstrings, every body raising) and said so; and is a file that does not parse refused with exit 4?"""
    (kit / "exercises" / "forward.py").write_text("def dense(:\n", encoding="utf-8")  # before any command
    work = re.sub(r'raise NotImplementedError\("gates\.\w+: not implemented yet"\)', "y = 1\n    return y", STUB)
    assert work.count("return y") == 5
    (kit / "exercises" / "gates.py").write_text(work, encoding="utf-8")
    result = nngrade("reset", "gates", cwd=kit)
    assert result.exit_code == 0, result.output
    assert (kit / "exercises" / "gates.py").read_text(encoding="utf-8") == STUB
    assert "rebuilt from your file" in " ".join(result.output.split())
    broken = nngrade("reset", "forward", cwd=kit)
    assert broken.exit_code == ExitCode.SUBMISSION_INVALID and "Cannot reset" in broken.output
    assert (kit / "exercises" / "forward.py").read_text(encoding="utf-8") == "def dense(:\n"


def test_next_shows_the_order_and_what_is_done(kit):
    """Does `next` list the exercises in course order with done / open / not started, and suggest the first
    one not done?"""
    (kit / "exercises" / "gates.py").write_text(SOLUTION, encoding="utf-8")
    assert nngrade("check", "gates", "activations", cwd=kit).exit_code == 0
    result = nngrade("next", cwd=kit)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines)
    row = {line.split("│")[2].strip(): line for line in lines if line.count("│") > 3}
    assert list(row) == ["gates", "activations", "forward", "softmax", "backprop", "mnist"]
    assert "done" in row["gates"] and "tasks open" in row["activations"] and "not started" in row["forward"]
    assert "Next: nngrade check activations" in result.output


def _hashes(archive: zipfile.ZipFile) -> dict[str, str]:
    return {n: hashlib.sha256(archive.read(n)).hexdigest() for n in archive.namelist() if n != "MANIFEST.json"}


def test_submit_then_grade_the_zip_and_see_a_change_made_after(kit, tmp_path):
    """Does `submit` write submission.zip with exercises/*.py and a manifest of their SHA-256 (course, kit
    version), does `grade` of it say the files match, and flag (console and JSON) a file changed after?"""
    (kit / "exercises" / "gates.py").write_text(SOLUTION, encoding="utf-8")
    made = nngrade("submit", cwd=kit / "exercises")
    assert made.exit_code == 0, made.output
    zipped = kit / "submission.zip"
    with zipfile.ZipFile(zipped) as archive:
        manifest = json.loads(archive.read("MANIFEST.json"))
        assert sorted(archive.namelist()) == sorted(["MANIFEST.json", *(f"exercises/{p.name}" for p in
                                                                        (ROOT / "exercises").glob("*.py"))])
        assert manifest["files"] == _hashes(archive)
    assert manifest["course"].startswith("Neural-network fundamentals") and manifest["kit_version"]
    assert "Still the stub (not started): exercises/activations.py" in " ".join(made.output.split())

    graded = CliRunner().invoke(main, ["--course", str(ROOT / "course.toml"), "grade", str(zipped), "-e", "gates",
                                       "-f", "json"], catch_exceptions=False)
    assert graded.exit_code == 0, graded.output + graded.stderr
    card = json.loads(graded.stdout)
    assert card["score"] == card["max_score"] == 10
    assert card["submission_manifest"]["status"] == "matches"
    assert "are those `nngrade submit` packed" in graded.stderr

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(zipped) as source, zipfile.ZipFile(tampered, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, data + b"\n# changed after submitting\n" if name.endswith("gates.py") else data)
    again = CliRunner().invoke(main, ["--course", str(ROOT / "course.toml"), "grade", str(tampered), "-e", "gates",
                                      "-f", "json"], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    flag = json.loads(again.stdout)["submission_manifest"]
    assert flag["status"] == "tampered" and flag["changed"] == ["exercises/gates.py"]
    assert "WARNING: the submission was changed after" in again.stderr and "exercises/gates.py (changed)" in \
        again.stderr
    console = CliRunner().invoke(main, ["--course", str(ROOT / "course.toml"), "grade", str(tampered), "-e",
                                        "gates"], catch_exceptions=False)
    assert "WARNING" in console.stderr and "Total" in console.stdout


# --- item 9: Ctrl-C during check --------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,line", [("en", "nngrade: stopped (Ctrl-C)."), ("ko", "nngrade: 중단했습니다 (Ctrl-C).")])
def test_ctrl_c_during_check_ends_with_one_line_and_130(tmp_path, lang, line):
    """On a terminal, does Ctrl-C while a check runs (student code in an endless loop) end `nngrade check`
    with one line in the student's language and exit code 130: no "Aborted!", no traceback, no worker left?"""
    from conftest import alive, processes, wait_for
    from terminal import Terminal

    kit = make_kit(tmp_path / "kit").parent
    gates = kit / "exercises" / "gates.py"
    gates.write_text(STUB.replace('raise NotImplementedError("gates.perceptron: not implemented yet")',
                                  "while True:\n        pass"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NNGRADE_LANG": lang}
    screen = Terminal(["check", "gates"], kit, env)
    try:
        def children() -> list[int]:
            return processes(lambda proc: (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
                             == str(screen.pid))

        workers = wait_for(children, 60, "the sandbox worker to start")  # grading is under way
        screen.type("\x03")
        assert screen.wait() == ExitCode.INTERRUPTED == 130
    finally:
        screen.close()
    assert screen.text.rstrip().endswith(line), screen.text
    assert "Aborted" not in screen.text and "Traceback" not in screen.text
    wait_for(lambda: not any(alive(pid) for pid in workers), 30, "the sandbox worker to be gone")


def _command_paths(command, path=()):
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _command_paths(sub, (*path, name))


@pytest.mark.parametrize("path", list(_command_paths(main)), ids=lambda p: " ".join(p) or "nngrade")
def test_korean_help_fits_80_columns(kit, path):
    """Does every command's --help in Korean fit an 80-column terminal, counting a Hangul syllable as the two
    columns it takes (click counts characters), and keep every word?"""
    from autograder.cli.clicktext import cells

    korean = nngrade("--lang", "ko", *path, "--help", cwd=kit)
    assert korean.exit_code == 0, korean.output
    assert max(cells(line) for line in korean.output.splitlines()) <= 80, korean.output
    assert "사용법:" in korean.output and "이 도움말을 보여 주고 끝냅니다." in korean.output


def test_reset_in_a_git_clone_takes_the_stub_as_first_committed(kit):
    """In a kit that is a git clone (GitHub Classroom) with no kept copy, is the stub the file as first
    committed, even after the student changed a docstring and committed their work?"""
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(kit), "-c", "user.name=s", "-c", "user.email=s@example.org", *args],
                       check=True, capture_output=True, timeout=30)

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "the assignment")
    work = STUB.replace("AND gate with one perceptron", "my notes").replace(
        'raise NotImplementedError("gates.AND: not implemented yet")', "return x1 & x2")
    (kit / "exercises" / "gates.py").write_text(work, encoding="utf-8")
    git("commit", "-qam", "my work")
    result = nngrade("reset", "gates", cwd=kit)
    assert result.exit_code == 0, result.output
    assert (kit / "exercises" / "gates.py").read_text(encoding="utf-8") == STUB
    assert "rebuilt" not in result.output


@pytest.mark.parametrize("args,words", [
    (["check", "--help", "--lang", "ko"], "사용법: nngrade check"),  # --help before --lang on the line
    (["check", "--nope", "--lang=ko"], "오류: '--nope' 옵션은 없습니다."),
])
def test_lang_anywhere_on_the_line_is_honoured(kit, args, words):
    """Does `--lang ko` given after --help (or after a mistyped option) still make click's texts Korean, as
    the command a student types is run (python -m autograder)?"""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", "NNGRADE_LANG": "en"}
    done = subprocess.run([sys.executable, "-m", "autograder", *args], cwd=kit, capture_output=True, text=True,
                          env=env, timeout=60)
    assert words in done.stdout + done.stderr, done.stdout + done.stderr
    assert "Usage:" not in done.stdout + done.stderr
