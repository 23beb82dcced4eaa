"""English and Korean: every message, hint and heading exists in both, with the same placeholders."""
from __future__ import annotations

import re

import pytest
from conftest import ROOT

from autograder import i18n
from autograder.grading import catalog

SOURCES = sorted((ROOT / "autograder").rglob("*.py"))
# t("namespace.key" ...) with a literal key; a computed key must be listed in the messages file anyway.
T_CALL = re.compile(r"""\bt\(\s*f?["']([a-z0-9_]+\.[A-Za-z0-9_.-]+)["']""")


def _messages() -> list[tuple[str, str, dict[str, str]]]:
    return [(name, key, texts) for name in i18n.namespaces() for key, texts in i18n.namespace(name).items()]


@pytest.mark.parametrize("name,key,texts", _messages(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_message_has_every_language_with_the_same_placeholders(name, key, texts):
    """Does this message exist in English and Korean, non-empty, filling in the same {names}?"""
    variants = {f"{lang}-one" for lang in i18n.LANGUAGES}  # the count == 1 forms
    assert set(i18n.LANGUAGES) <= set(texts) <= set(i18n.LANGUAGES) | variants, f"{name}.{key}: has {sorted(texts)}"
    for lang, text in texts.items():
        assert text.strip(), f"{name}.{key}: empty {lang}"
        assert i18n.placeholders(text) == i18n.placeholders(texts["en"]), f"{name}.{key}: {lang}'s placeholders"


def test_every_message_key_the_code_uses_exists():
    """Does every t("namespace.key") in autograder/ name a message that is in the messages files?"""
    missing = [f"{path.relative_to(ROOT)}: {key}" for path in SOURCES
               for key in T_CALL.findall(path.read_text(encoding="utf-8")) if not i18n.has(key)]
    assert not missing, "messages without a translation entry:\n" + "\n".join(missing)


@pytest.mark.parametrize("exercise", catalog.exercises())
def test_every_catalogued_mistake_is_named_and_explained_in_both_languages(exercise):
    for mistake in catalog.load(exercise).mistakes.values():
        for lang in i18n.LANGUAGES:
            assert mistake.title_text(lang).strip() and mistake.hint_text(lang).strip()
        assert mistake.title_text("ko") != mistake.title_text("en"), f"{mistake.code}: title not translated"
        assert mistake.hint_text("ko") != mistake.hint_text("en"), f"{mistake.code}: hint not translated"


def test_korean_is_really_korean():
    """A ko text copied from en would pass the key checks; most Korean texts must hold Hangul."""
    hangul = re.compile("[\uac00-\ud7a3]")
    texts = [(f"{name}.{key}", v["ko"]) for name, key, v in _messages() if v["ko"] != v["en"]]
    without = [k for k, text in texts if not hangul.search(text)]
    assert not without, f"ko texts without Hangul: {without}"


@pytest.mark.parametrize("environ,expected", [
    ({"LANG": "ko_KR.UTF-8"}, "ko"), ({"LANG": "en_US.UTF-8"}, "en"), ({}, "en"),
    ({"LC_ALL": "C", "LANG": "ko_KR.UTF-8"}, "en"), ({"NNGRADE_LANG": "ko", "LANG": "C"}, "ko"),
    ({"NNGRADE_LANG": "fr", "LANG": "ko_KR"}, "ko"),
])
def test_language_defaults_from_the_locale(environ, expected):
    assert i18n.detect_language(environ) == expected


def test_a_missing_key_is_named():
    with pytest.raises(KeyError, match="core.no-such-message"):
        i18n.t("core.no-such-message")


def test_a_count_of_one_takes_the_singular():
    assert i18n.t("report.test-count", "en", count=1) == "(1 test)"
    assert i18n.t("report.test-count", "en", count=6) == "(6 tests)"
    assert i18n.t("report.test-count", "ko", count=1) == "(테스트 1개)"


def test_messages_fill_in_their_placeholders():
    assert i18n.t("core.value-mismatch", "ko", what="sigmoid(x)").startswith("sigmoid(x): ")
    assert "sigmoid(x)" in i18n.t("core.value-mismatch", "en", what="sigmoid(x)")


def test_the_course_is_translated(course):
    """Does every exercise and task title, and every rung of every hint ladder in course.toml, have Korean?"""
    untranslated = []
    for exercise in course.exercises:
        if exercise.localized_title("ko") == exercise.title:
            untranslated.append(f"{exercise.id}: title_ko")
        for task in exercise.tasks:
            if task.localized_title("ko") == task.title:
                untranslated.append(f"{task.key}: title_ko")
            if task.hints and task.localized_hints("ko") == task.hints:
                untranslated.append(f"{task.key}: hints_ko")
    assert not untranslated, "course.toml lacks Korean for:\n" + "\n".join(untranslated)


def test_a_translated_ladder_needs_the_same_rungs(tmp_path):
    from autograder.course import CourseError, load_course

    text = ('format = 1\nname = "demo"\n[[exercises]]\nid = "gates"\ntitle = "Gates"\ntitle_ko = "게이트"\n'
            '[[exercises.tasks]]\nid = "and"\npoints = 2\nhints = ["one", "two"]\nhints_ko = ["{}"]\n')
    (tmp_path / "course.toml").write_text(text.format("하나\", \"둘"), encoding="utf-8")
    task = load_course(tmp_path / "course.toml").exercises[0].tasks[0]
    assert task.localized_hints("ko") == ("하나", "둘") and task.localized_hints("en") == ("one", "two")
    assert load_course(tmp_path / "course.toml").exercises[0].localized_title("ko") == "게이트"
    (tmp_path / "course.toml").write_text(text.format("하나"), encoding="utf-8")
    with pytest.raises(CourseError, match=r"hints_ko.*same rungs"):
        load_course(tmp_path / "course.toml")


def test_keys_built_at_run_time_exist():
    """Keys made from a value (a status, a column) are invisible to the literal scan: check them here."""
    from autograder.grading.results import Status

    keys = [f"report.hidden-status-{status.value}" for status in Status]
    keys += [f"cli.status-{column}" for column in ("exercise", "best", "last", "last-run", "attempts", "still-open")]
    keys += [f"report.{label}" for label in ("checked", "input", "expected", "got")]
    keys += [f"cli.list-{column}" for column in ("exercise", "module", "task", "points", "visibility", "title",
                                                 "public", "hidden")]
    # Every fault a worker or the sandbox can report has a message of its own (plugin.fault_result).
    keys += [f"core.fault-{kind}" for kind in ("sandbox-refused", "memory-limit", "recursion-limit", "exit-called",
                                               "cpu-limit", "worker-crashed", "protocol", "bad-return",
                                               "binary-source", "not-utf8")]
    assert [key for key in keys if not i18n.has(key)] == []


def test_a_runaway_recursion_is_explained_in_korean(grade, tmp_path):
    """Does a perceptron that recurses forever get a Korean explanation under --lang ko, the worker's own words
    kept as the detail?"""
    source = (ROOT / "solutions" / "gates.py").read_text(encoding="utf-8")
    (tmp_path / "gates.py").write_text(source + "\n\ndef perceptron(x, w, b):\n    return perceptron(x, w, b)\n",
                                       encoding="utf-8")
    i18n.set_language("ko")
    card = grade(tmp_path, "gates", include_hidden=False)
    recursed = [t for t in card.tests if t.code == "recursion-limit"]
    assert recursed and all("재귀 호출이 너무 깊습니다" in t.message and "RecursionError" in t.message
                            for t in recursed)


def test_check_speaks_korean_with_lang_ko_and_english_by_default(cli):
    """Do `nngrade check --lang ko` headings, messages and totals come in Korean, and without it in English?"""
    korean = cli("check", "gates", "--lang", "ko")
    assert korean.exit_code == 0, korean.output
    assert "아직 구현하지 않은 함수" in korean.output and "합계" in korean.output and "Total" not in korean.output
    english = cli("check", "gates", "--lang", "en")
    assert "Not implemented yet" in english.output and "Total" in english.output and "합계" not in english.output


def test_the_locale_chooses_the_language(cli, monkeypatch):
    monkeypatch.delenv(i18n.ENV)
    monkeypatch.setenv("LC_ALL", "ko_KR.UTF-8")
    assert "합계" in cli("check", "gates").output


def test_a_catalogued_mistake_is_explained_in_korean(grade, course, tmp_path, monkeypatch):
    """Does a submission making a catalogued mistake get the catalog's Korean title and hint under --lang ko?"""
    from autograder.grading.catalog import patched_source

    mistake = catalog.load("activations")["leaky-relu-alpha"]
    source = (ROOT / "solutions" / "activations.py").read_text(encoding="utf-8")
    (tmp_path / "activations.py").write_text(patched_source(source, mistake.wrong), encoding="utf-8")
    i18n.set_language("ko")
    card = grade(tmp_path, "activations", include_hidden=False)
    matched = [t for t in card.tests if t.code == "leaky-relu-alpha"]
    assert matched and all(t.hint == mistake.hint_text("ko") for t in matched)
    assert all(mistake.title_text("ko") in t.message for t in matched)


def test_every_help_text_has_its_translation_and_english_matches_the_code():
    """Does messages/help.toml hold every command's and option's help, its en equal to the code's text?"""
    import inspect

    from autograder.cli.main import _ENGLISH_HELP, help_texts, localize_help, main

    localize_help("en")
    texts = {key: inspect.cleandoc(_ENGLISH_HELP.get(key) or getattr(holder, attribute))
             for key, holder, attribute in help_texts(main) if getattr(holder, attribute)}
    table = i18n.namespace("help")
    assert sorted(set(texts) - set(table)) == [], "help texts without a translation entry"
    assert sorted(set(table) - set(texts)) == [], "translations of help texts that no longer exist"
    stale = [key for key, text in texts.items() if table[key]["en"] != text]
    assert not stale, f"the code's help changed; update messages/help.toml: {stale}"


def test_help_speaks_the_chosen_language(cli):
    korean = cli("check", "--lang", "ko", "--help")
    assert korean.exit_code == 0 and "공개 테스트" in korean.output
    english = cli("check", "--lang", "en", "--help")
    assert "Grade your work with the public tests" in english.output and "공개 테스트" not in english.output


def test_choosing_a_language_leaves_the_environment_alone(monkeypatch):
    """Does set_language change this process's language only, not os.environ (the CLI tells its judges)?"""
    import os

    monkeypatch.setenv(i18n.ENV, "en")
    i18n.set_language("ko")
    assert i18n.language() == "ko" and os.environ[i18n.ENV] == "en"


def test_score_speaks_the_language_it_is_given(course):
    """Does scoring put the task titles and course hints of the language passed to it, whatever is current?"""
    from autograder.grading.results import RunResult, Status, TestResult
    from autograder.grading.scoring import score

    gates = course.select(["gates"])
    task = gates.exercises[0].tasks[0]
    run = RunResult((TestResult("gates", task.id, "t", Status.FAILED, None, "x"),), 0)
    korean, english = score(run, gates, lang="ko"), score(run, gates, lang="en")
    assert i18n.language() == "en"
    assert korean.exercises[0].tasks[0].title == task.localized_title("ko") != task.title
    assert english.exercises[0].tasks[0].title == task.title
    assert korean.tests[0].hint == task.localized_hints("ko")[0] != english.tests[0].hint


def test_grade_all_judges_are_told_the_language(tmp_path):
    """Do the judges of `nngrade --lang ko grade-all` write Korean results, though --lang no longer sets
    NNGRADE_LANG for the whole process?"""
    import json
    import os
    import subprocess
    import sys

    submissions = tmp_path / "subs"
    (submissions / "alice").mkdir(parents=True)
    (submissions / "alice" / "gates.py").write_text("def perceptron(x, w, b):\n    return 0\n", encoding="utf-8")
    env = {**os.environ, i18n.ENV: "en", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "autograder", "--course", str(ROOT / "course.toml"), "--lang", "ko",
                           "grade-all", str(submissions), "-e", "gates", "-j", "1", "--public-only",
                           "--out", str(tmp_path / "out")], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "out" / "alice.json").read_text(encoding="utf-8"))
    text = json.dumps(result, ensure_ascii=False)
    assert "퍼셉트론" in text, text[:500]
