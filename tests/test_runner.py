"""The suites and course.toml must agree: a disagreement is the grader's fault, never the student's."""
from __future__ import annotations

import pytest
from conftest import ROOT

from autograder.course import CoursePaths, load_course
from autograder.grading.runner import InternalError, run

GATES_BLOCK_END = '[[exercises]]\nid = "activations"'


def course_with(tmp_path, text):
    (tmp_path / "course.toml").write_text(text)
    (tmp_path / "solutions").symlink_to(ROOT / "solutions")
    return load_course(tmp_path / "course.toml").select(["gates"])


def test_a_task_without_a_test_is_an_internal_error(tmp_path):
    """Does a course.toml task that no suite test grades stop the run as an internal error?"""
    text = (ROOT / "course.toml").read_text().replace(
        GATES_BLOCK_END, '[[exercises.tasks]]\nid = "nand-only"\npoints = 1\nhints = ["h"]\n\n' + GATES_BLOCK_END, 1)
    course = course_with(tmp_path, text)
    with pytest.raises(InternalError, match="gates.nand-only"):
        run(course, ROOT / "solutions", include_hidden=True, paths=CoursePaths.of(course))


def test_a_test_with_an_unknown_task_is_an_internal_error(tmp_path):
    """Does a suite test whose task course.toml does not list stop the run as an internal error?"""
    text = (ROOT / "course.toml").read_text()
    start = text.index('id = "gate-inputs"')
    block_start = text.rindex("[[exercises.tasks]]", 0, start)
    block_end = text.index(GATES_BLOCK_END)
    course = course_with(tmp_path, text[:block_start] + text[block_end:])
    with pytest.raises(InternalError, match="gate-inputs"):
        run(course, ROOT / "solutions", include_hidden=True, paths=CoursePaths.of(course))


def test_a_missing_suite_is_an_internal_error(tmp_path):
    """Does an exercise with no suite file stop the run as an internal error naming the file?"""
    text = (ROOT / "course.toml").read_text().replace('id = "gates"\nmodule = "gates"', 'id = "gatez"\nmodule = "gates"')
    (tmp_path / "course.toml").write_text(text)
    (tmp_path / "solutions").symlink_to(ROOT / "solutions")
    course = load_course(tmp_path / "course.toml").select(["gatez"])
    with pytest.raises(InternalError, match="test_gatez.py"):
        run(course, ROOT / "solutions", include_hidden=True, paths=CoursePaths.of(course))


def test_two_suite_folders_in_one_process_each_run_their_own_tests(tmp_path):
    """After grading with the kit's suites, does a run with another suites folder use that folder's test_gates.py?"""
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "test_gates.py").write_text(
        "import pytest\n\n@pytest.mark.task('only')\ndef test_the_only_one(student):\n    assert student.AND(1, 1) == 1\n")
    (tmp_path / "course.toml").write_text(
        'format = 1\nname = "tiny"\n[[exercises]]\nid = "gates"\n[[exercises.tasks]]\nid = "only"\npoints = 1\n')
    tiny = load_course(tmp_path / "course.toml")
    kit = load_course(ROOT / "course.toml").select(["gates"])
    first = run(kit, ROOT / "solutions", include_hidden=False)
    second = run(tiny, ROOT / "solutions", include_hidden=False,
                 paths=CoursePaths(exercises=ROOT / "exercises", solutions=ROOT / "solutions", suites=suites))
    assert len(first.tests) > 1
    assert [t.name for t in second.tests] == ["test_the_only_one"]
