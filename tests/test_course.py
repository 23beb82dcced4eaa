"""course.toml is the single registry: the repository's file loads, and every mistake in one is named."""
from __future__ import annotations

import pytest
from conftest import ROOT

from autograder.course import CourseError, Visibility, load_course

GOOD = '''format = 1
name = "demo"
[defaults]
timeout = 2
[[exercises]]
id = "gates"
title = "Gates"
rtol = 1e-5
[[exercises.tasks]]
id = "and"
points = 2
hints = ["one", "two"]
[[exercises.tasks]]
id = "secret"
points = 1
visibility = "hidden"
atol = 0.5
'''


def write(tmp_path, text):
    path = tmp_path / "course.toml"
    path.write_text(text)
    return path


def test_repository_course_loads_with_public_and_hidden_tasks():
    """Does the shipped course.toml load, with both public and hidden tasks and hints for every task?"""
    course = load_course(ROOT / "course.toml")
    tasks = course.tasks()
    assert {t.visibility for t in tasks} == {Visibility.PUBLIC, Visibility.HIDDEN}
    assert all(t.hints for t in tasks)
    assert [e.id for e in course.exercises][:2] == ["gates", "activations"]


def test_limits_inherit_and_override(tmp_path):
    """Do defaults flow to exercises and tasks, each level overriding its parent?"""
    course = load_course(write(tmp_path, GOOD))
    first, secret = course.exercises[0].tasks
    assert first.limits.timeout == 2.0 and first.limits.rtol == 1e-5
    assert secret.limits.atol == 0.5 and secret.visibility is Visibility.HIDDEN
    assert first.hints == ("one", "two")
    assert course.exercises[0].module == "gates" and course.exercises[0].max_points == 3


@pytest.mark.parametrize("change,key,problem", [
    (("format = 1", "format = 2"), "format", "reads format 1"),
    (('id = "and"\n', ""), "tasks[0].id", "required"),
    (("points = 2", "points = -2"), "points", "at least 0 and at most 10000"),
    (('visibility = "hidden"', 'visibility = "secret"'), "visibility", "'public' or 'hidden'"),
    (('id = "secret"', 'id = "and"'), "tasks", "appears twice"),
    (("timeout = 2", "timeout = 0"), "defaults.timeout", "positive"),
    (('hints = ["one", "two"]', "hints = [1]"), "hints", "list of strings"),
    (('title = "Gates"', 'title = "Gates"\ncolour = "red"'), "colour", "unknown key"),
    (("format = 1", "format = 1\n[[["), "", "not valid TOML"),
])
def test_errors_name_the_file_key_and_problem(tmp_path, change, key, problem):
    """Does each kind of mistake in course.toml raise CourseError naming the file, the key and the problem?"""
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(CourseError) as info:
        load_course(path)
    message = str(info.value)
    assert str(path) in message and key in message and problem in message


def test_missing_file_says_how_to_fix(tmp_path):
    """Does a missing course.toml say which file and how to point at one?"""
    with pytest.raises(CourseError, match="--course"):
        load_course(tmp_path / "course.toml")
