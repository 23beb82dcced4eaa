"""`nngrade watch`: saving an exercise file re-grades that exercise, in the same process."""
from __future__ import annotations

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
