"""`nngrade watch`: saving an exercise file re-grades that exercise, in the same process."""
from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

from conftest import ROOT, wait_for

from autograder.course import load_course
from autograder.grading.runner import run
from autograder.grading.scoring import score
from autograder.student.watch import exercises_touched, watch

COURSE = load_course(ROOT / "course.toml")
STUB = (ROOT / "exercises" / "gates.py").read_text()
SOLUTION = (ROOT / "solutions" / "gates.py").read_text()


def test_changed_paths_map_to_exercises_in_course_order():
    """Do saved file paths name the exercises whose modules they are, and nothing else?"""
    changed = ["/x/activations.py", "/x/gates.py", "/x/notes.txt", "/x/gates.py~"]
    assert exercises_touched(COURSE, changed) == ["gates", "activations"]


def test_saving_a_file_regrades_its_exercise(tmp_path):
    """After saving gates.py with a solution, does watch produce a new, full-marks public grade?"""
    (tmp_path / "gates.py").write_text(STUB)
    results: queue.Queue = queue.Queue()
    stop = threading.Event()

    def grade(course, folder):
        return score(run(course, Path(folder), include_hidden=False), course)

    thread = threading.Thread(target=watch, args=(COURSE, tmp_path, grade, lambda e, c: results.put((e, c))),
                              kwargs={"only": "gates", "stop": stop}, daemon=True)
    thread.start()
    try:
        first = results.get(timeout=60)  # the initial grade of the stub
        assert first[0] == "gates" and first[1].score == 0

        def save_and_see_a_grade():  # saved again until graded: the watcher may not be watching yet at first
            (tmp_path / "gates.py").write_text(SOLUTION)
            try:
                return results.get(timeout=1)
            except queue.Empty:
                return None

        exercise, card = wait_for(save_and_see_a_grade, 60, "watch to re-grade gates.py after it was saved")
        assert exercise == "gates" and card.score == card.max_score > 0
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def _terminal_kit(tmp_path: Path):
    from conftest import make_kit

    make_kit(tmp_path / "kit")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NNGRADE_PROGRESS_HOME": str(tmp_path / "home")}
    env.pop("NNGRADE_COURSE", None)
    return tmp_path / "kit", env


def test_watch_on_a_terminal_clears_offers_the_next_exercise_and_stops_on_ctrl_c(tmp_path):
    """On an 80-column terminal: does `watch gates` show one "watching" line, clear the screen before each
    grade, offer the next unfinished exercise once gates passes (Enter takes it), and end on Ctrl-C with a
    Korean line and exit code 130, not click's "Aborted!" or a traceback?"""
    from terminal import Terminal, words

    kit, env = _terminal_kit(tmp_path)
    screen = Terminal(["watch", "gates"], kit, {**env, "NNGRADE_LANG": "ko"})
    try:
        seen = screen.expect(words("gates 감시 중 — Ctrl-C로 멈춥니다"))
        offer = words("Enter를 누르면 다음 연습 문제 activations를 감시")

        def save_and_see_the_offer():  # saved again until graded: the watcher may not be watching yet at first
            (kit / "exercises" / "gates.py").write_text(SOLUTION)
            try:
                return screen.expect(offer, timeout=2, start=seen)
            except AssertionError:
                return None

        seen = wait_for(save_and_see_the_offer, 60, "watch to offer activations once gates passes")
        assert "\x1b[2J" in screen.raw and "\x1b[H" in screen.raw  # cleared, cursor home
        screen.type("\n")
        seen = screen.expect(words("activations 감시 중"), start=seen)
        screen.type("\x03")
        assert screen.wait() == 130
    finally:
        screen.close()
    text = screen.text
    assert text.rstrip().endswith("nngrade: 중단했습니다 (Ctrl-C).")
    assert "Aborted" not in text and "Traceback" not in text and "KeyboardInterrupt" not in text
    assert "감시합니다" not in text  # the one "watching" line only, never a second wording
    assert all(len(line) <= 80 for line in text.splitlines())
    from autograder.student.progress import history

    assert any(a.exercise == "gates" and a.score == a.max_score > 0 for a in history(tmp_path / "home"))
