"""A grade-all judge collects the suites once (SuiteSession) and forks its workers: it grades exactly as afresh.

Whatever one submission does must not change how the next one is graded: every submission of a mixed class,
graded one after another by one session and one fork server, gets the very result a fresh `nngrade grade`
gives it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import CASES, ROOT, case_folder, real_data

from autograder.course import CoursePaths
from autograder.grading.card_json import card_to_dict
from autograder.grading.grade import GraderFailed, grade_folder
from autograder.grading.runner import InternalError, SuiteSession
from autograder.sandbox.process import open_sandbox, start_forkserver

HOSTILE = ("import builtins, numpy as np\n"
           "np.allclose = lambda *a, **k: True\nbuiltins.print = None\n"
           "def perceptron(x, w, b):\n    import sys\n    sys.exit(0)\n")


def comparable(card) -> dict:
    """The scorecard as its JSON report, without what differs from run to run (temporary paths)."""
    text = json.dumps(card_to_dict(card), sort_keys=True)
    return json.loads(re.sub(r"/tmp/[^\"' ,)]*", "<tmp>", text))


def the_class(tmp_path: Path) -> list[Path]:
    """Correct, stubs, one known-wrong case of each exercise, a hostile one, and correct again at the end."""
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    (hostile / "gates.py").write_text(HOSTILE)
    wrong = [case_folder(next(c for c in sorted((CASES / e).iterdir()) if json.loads(
        (c / "expected.json").read_text()).get("lose"))) for e in sorted(p.name for p in CASES.iterdir())]
    return [ROOT / "solutions", ROOT / "exercises", *wrong, hostile, ROOT / "solutions"]


@pytest.mark.slow
def test_one_judge_grades_a_whole_class_exactly_as_fresh_runs_do(course, tmp_path):
    """Graded one after another by one suite session and one fork server, does every submission of a mixed class
    (correct, stubs, wrong, hostile, correct again) get exactly the result of grading it alone?"""
    data = real_data()
    server = start_forkserver()
    try:
        with SuiteSession(course, include_hidden=True, data_dir=data) as session:
            for folder in the_class(tmp_path):
                fresh = grade_folder(course, folder, include_hidden=True, data_dir=data)
                kept = grade_folder(course, folder, include_hidden=True, data_dir=data, forkserver=server,
                                    session=session)
                assert comparable(kept) == comparable(fresh), folder
                assert session.usable
    finally:
        server.close()


def test_a_session_grades_a_part_of_its_course(course):
    """Does a session made for the whole course grade a one-exercise submission (a loose softmax.py) just as a
    run of that exercise alone does, hidden-test count included?"""
    softmax = course.select(["softmax"])
    with SuiteSession(course, include_hidden=False) as session:
        fresh = grade_folder(softmax, ROOT / "solutions", include_hidden=False, data_dir=None)
        kept = grade_folder(softmax, ROOT / "solutions", include_hidden=False, data_dir=None, session=session)
    assert comparable(kept) == comparable(fresh)
    assert {e.id for e in kept.exercises} == {"softmax"} and kept.hidden_not_run > 0


def test_a_session_refuses_an_exercise_it_did_not_collect(course):
    """Is a submission of an exercise outside the session's course a grader failure, not a silent empty grade?"""
    with SuiteSession(course.select(["gates"]), include_hidden=True) as session:
        with pytest.raises(GraderFailed, match="not all in the suite session"):
            grade_folder(course.select(["softmax"]), ROOT / "solutions", include_hidden=True, data_dir=None,
                         session=session)


def test_suites_that_do_not_collect_stop_the_session_from_starting(course, tmp_path):
    """Does a suite with a syntax error make start() raise InternalError naming the file, not hang?"""
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "test_gates.py").write_text("def test_broken(:\n")
    paths = CoursePaths(exercises=ROOT / "exercises", solutions=ROOT / "solutions", suites=suites)
    with pytest.raises(InternalError, match="test_gates"):
        SuiteSession(course.select(["gates"]), include_hidden=True, paths=paths).start()


def test_a_failure_inside_the_grader_ends_the_session_and_says_so(course):
    """When a run fails inside the grader (here: its sandbox was closed under it), is that an InternalError, and
    is the session then unusable, so the judge starts a new one for the next submission?"""
    gates = course.select(["gates"])
    with SuiteSession(gates, include_hidden=True) as session:
        sandbox = open_sandbox(gates, ROOT / "solutions")
        sandbox.close()
        with pytest.raises(InternalError):
            session.run(gates, sandbox)
        assert not session.usable
        with pytest.raises(InternalError, match="not running"):
            session.run(gates, open_sandbox(gates, ROOT / "solutions"))


def test_a_session_made_for_other_settings_is_refused(course):
    """Is grading through a session made without hidden tests, when hidden tests are asked for, a grader failure
    rather than a grade that silently leaves them out?"""
    gates = course.select(["gates"])
    with SuiteSession(gates, include_hidden=False) as session, pytest.raises(GraderFailed, match="other settings"):
        grade_folder(gates, ROOT / "solutions", include_hidden=True, data_dir=None, session=session)


def test_a_judge_starts_a_new_session_when_its_session_ended(course):
    """After its suite session ended (a grader failure closes it), does a judge's next submission get a new,
    working session rather than an error?"""
    from autograder.batch.judge import JudgeConfig, _SuiteSessions

    gates = course.select(["gates"])
    sessions = _SuiteSessions(gates, JudgeConfig(str(course.path), ("gates",), True, None, "en"))
    first = sessions.current()
    assert first is not None and first.usable
    first.close()
    second = sessions.current()
    try:
        assert second is not None and second is not first and second.usable
        card = grade_folder(gates, ROOT / "solutions", include_hidden=True, data_dir=None, session=second)
        assert card.score == card.max_score > 0
    finally:
        second.close()


def test_tests_called_directly_grade_exactly_as_through_pytests_protocol(course, tmp_path, monkeypatch):
    """Most tests are called directly with the plugin's fixtures (grading/direct.py): does every submission of a
    mixed class get the very scorecard it gets when every test goes through pytest's own per-test protocol?"""
    from autograder.grading import runner

    data, folders = real_data(), the_class(tmp_path)
    direct = [comparable(grade_folder(course, folder, include_hidden=True, data_dir=data)) for folder in folders]
    monkeypatch.setattr(runner, "direct_call", lambda item, plugin: None)
    assert [comparable(grade_folder(course, folder, include_hidden=True, data_dir=data))
            for folder in folders] == direct
