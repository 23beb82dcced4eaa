"""The worked examples the kit ships (autograder/docs/): every number in them is the one the suites grade with,
English and Korean agree, and every "worked examples §N" or "course note 00N" the kit cites is a part of both."""
from __future__ import annotations

import importlib
import json
import re
import runpy
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import ROOT
from test_mnist_real import CLASSIC_ACCURACY

from autograder.student import docs

DOCS = {lang: path.read_text(encoding="utf-8") for lang, path in docs.DOCUMENTS.items()}
SHIPPED = [*ROOT.glob("exercises/*.py"), *ROOT.glob("solutions/*.py"), ROOT / "course.toml",
           *(p for p in (ROOT / "autograder").rglob("*") if p.suffix in {".py", ".toml", ".md", ".json", ".yml", ""}
             and p.is_file() and "__pycache__" not in p.parts and "answers" not in p.parts)]
CITED_SECTION = re.compile(r"(?:worked examples|Worked examples|풀이 예제) §(\d+)")
CITED_NOTES = re.compile(r"(?:[Cc]ourse notes?|강의 노트) (\d{3}(?:(?:, | and |, and )\d{3})*)")
NUMBER = re.compile(r"^-?\d+(?:\.\d+)?(?:e[-+]?\d+)?$")


@pytest.fixture(autouse=True)
def suites_importable(pytestconfig) -> None:
    """The suites mark their tests with `task`, a marker their own plugin declares when it grades."""
    pytestconfig.addinivalue_line("markers", "task(key): the course task a suite's test belongs to")


def suite(name: str) -> SimpleNamespace:
    """A suite's module, for its constants and the oracles it computes expected values with."""
    return SimpleNamespace(**vars(importlib.import_module(f"autograder.suites.test_{name}")))


def reference(module: str) -> SimpleNamespace:
    """solutions/<module>.py's functions (solutions/ is not a package)."""
    return SimpleNamespace(**runpy.run_path(str(ROOT / "solutions" / f"{module}.py")))


def tables(markdown: str) -> dict[str, list[float]]:
    """Every labelled row of numbers in the Markdown's tables: a row whose first cell is `name`, or a column whose
    header is `name`; cells that are not numbers (a shape, a word) are left out of the row."""
    found: dict[str, list[float]] = {}
    for block in re.findall(r"(?:^\|.*\|\n)+", markdown, flags=re.MULTILINE):
        rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in block.splitlines()]
        header, body = rows[0], [r for r in rows[2:]]
        columns = [j for j, cell in enumerate(header) if j and cell.startswith("`")]
        for j in columns:
            found[header[j].strip("`")] = [float(r[j]) for r in body]
        for row in body:
            if row[0].startswith("`"):
                found[row[0].strip("`")] = [float(c) for c in row[1:] if NUMBER.match(c)]
    return found


def assignments(markdown: str) -> dict[str, np.ndarray]:
    """`name = [...]` lines of the fenced blocks: the inputs and weights written out."""
    found = {}
    for block in re.findall(r"```text\n(.*?)```", markdown, flags=re.DOTALL):
        for name, value in re.findall(r"^(\w+) = (.+)$", block, flags=re.MULTILINE):
            found[name] = np.array(json.loads(value), dtype=float)
    return found


def section(lang: str, number: str) -> str:
    part = docs.find(DOCS[lang], number)
    assert part is not None, (lang, number)
    return part.text


@pytest.fixture(params=sorted(DOCS))
def lang(request) -> str:
    return request.param


def close(got, want, atol=1e-8) -> bool:
    return np.allclose(np.asarray(got, dtype=float).ravel(), np.asarray(want, dtype=float).ravel(), rtol=0, atol=atol)


def test_both_languages_have_the_same_sections_notes_and_numbers():
    """Do the English and Korean documents have the same §1..§8, the same course notes, and, section by section,
    the same numbers in the same tables and fenced blocks?"""
    en, ko = DOCS["en"], DOCS["ko"]
    assert [s.key for s in docs.sections(en)] == [s.key for s in docs.sections(ko)] == [str(n) for n in range(1, 9)]
    assert [n.key for n in docs.notes(en)] == [n.key for n in docs.notes(ko)] == ["000", "001", "002", "003", "004"]
    for number in range(1, 8):
        english, korean = section("en", str(number)), section("ko", str(number))
        assert tables(english) == tables(korean), number
        assert assignments(english).keys() == assignments(korean).keys(), number
        assert all(np.array_equal(assignments(english)[k], assignments(korean)[k]) for k in assignments(english))


def test_gates_are_the_suites_classic_weights_and_truth_tables(lang):
    gates, rows = suite("gates"), tables(section(lang, "1"))
    for gate, ((w1, w2), b) in gates.CLASSIC.items():
        assert rows[gate] == [w1, w2, b, *gates.TRUTH[gate]]


def test_activation_values_and_derivatives_are_the_suites(lang):
    """Are §2's values the suite's VALUES, and its derivatives the suite's derivatives at the same points, which the
    reference computes too?"""
    activations, rows = suite("activations"), tables(section(lang, "2"))
    solutions = reference("activations")
    for name, values in activations.VALUES.items():
        assert close(rows[name], values), name
        assert close(rows[name], getattr(solutions, name)(activations.X)), name
    for name in activations.DERIVATIVES:
        assert close(rows[name], activations.derivative_at_reference(name), atol=activations.DERIVED_ATOL), name
        assert close(rows[name], getattr(solutions, name)(activations.X), atol=5e-9), name


def test_forward_pass_numbers_are_the_suites(lang):
    forward, rows, written = suite("forward"), tables(section(lang, "3")), assignments(section(lang, "3"))
    assert close(rows["x @ W1"], forward.Z004)
    for hidden, output in forward.Y004.items():
        assert close(rows[hidden], output), hidden
    assert close(rows["identity"], forward.Y_TEXTBOOK)
    assert close(rows["softmax"], reference("softmax").softmax(forward.Y_TEXTBOOK))
    for i, (W, b) in enumerate(forward.classic_network(), start=1):
        assert np.array_equal(written[f"W{i}"], W) and np.array_equal(written[f"b{i}"], b)
    solutions = reference("forward")
    W1, _ = solutions.init_params([3, 4, 2], 0)[0]
    assert close(rows["x @ W1"], forward.X004 @ W1)


def test_softmax_and_loss_numbers_are_the_suites(lang):
    softmax, rows = suite("softmax"), tables(section(lang, "4"))
    assert close(rows["a"], softmax.A) and close(rows["softmax(a)"], softmax.SOFTMAX_A)
    assert close(rows["big"], softmax.BIG) and close(rows["softmax(big)"], softmax.SOFTMAX_BIG, atol=1e-15)
    assert close(rows["y"], softmax.Y) and close(rows["y_moved"], softmax.Y_MOVED)
    assert rows["cross_entropy"] == [softmax.CE["Y"], softmax.CE["Y_MOVED"]]
    assert rows["mean_squared_error"] == [softmax.MSE["Y"], softmax.MSE["Y_MOVED"]]
    solutions = reference("softmax")
    assert close(rows["cross_entropy"], [solutions.cross_entropy_error(y, softmax.T) for y in (softmax.Y,
                                                                                                softmax.Y_MOVED)])


def test_backprop_numbers_are_the_suites(lang):
    """Are §5's network, every step, both deltas, each weight's gradient and update, and the graph example the
    suite's constants?"""
    backprop, text = suite("backprop"), section(lang, "5")
    rows, written = tables(text), assignments(text)
    for name, value in (("x", backprop.X), ("t", backprop.T), ("W_h", backprop.W_H), ("W_o", backprop.W_O)):
        assert np.array_equal(written[name], value), name
    for key in ("z_h", "h", "z_o", "o", "E_o", "E_total"):
        assert close(rows[key], backprop.TABLE[key]), key
    o, h = backprop.TABLE["o"], backprop.TABLE["h"]
    delta_o = (o - backprop.T) * o * (1 - o)
    assert close(rows["delta_o"], delta_o, atol=1e-7)
    assert close(rows["delta_h"], (backprop.W_O.T @ delta_o) * h * (1 - h), atol=1e-7)
    weights = np.concatenate([backprop.W_H.ravel(), backprop.W_O.ravel()])
    gradients = np.concatenate([backprop.TABLE["dW_h"].ravel(), backprop.TABLE["dW_o"].ravel()])
    updated = np.concatenate([backprop.TABLE["W_h_new"].ravel(), backprop.TABLE["W_o_new"].ravel()])
    for i in range(8):
        assert rows[f"W{i + 1}"] == [weights[i], gradients[i], updated[i]], i
    assert rows["graph_example(-2, 5, -4)"] == list(reference("backprop").graph_example(-2, 5, -4))


def test_mnist_numbers_are_the_suites_and_the_kits_weights(lang):
    mnist, rows = suite("mnist"), tables(section(lang, "6"))
    assert rows["t_train[:10]"] == mnist.LABELS.tolist()
    assert rows["labels"][0] == mnist.KNOWN["labels"][1] and rows["images"][0] == mnist.KNOWN["images"][1]
    record = json.loads((ROOT / "autograder" / "weights" / "mnist_784_50_100_10.json").read_text())
    assert rows["kit"] == [record["test_correct"], record["accuracy"]]
    assert rows["classic"] == [round(CLASSIC_ACCURACY * 10_000), CLASSIC_ACCURACY]  # the reference reaches it there


def cited(text: str) -> tuple[set[str], set[str]]:
    sections = set(CITED_SECTION.findall(text))
    notes = {n for chain in CITED_NOTES.findall(text) for n in re.findall(r"\d{3}", chain)}
    return sections, notes


def test_every_citation_in_the_kit_names_a_part_of_both_documents():
    """Does every "worked examples §N" / "풀이 예제 §N" and "course note 00N" / "강의 노트 00N" in the exercises,
    course.toml, messages, mistakes and suites name a section and a course note both documents have?"""
    sections = {lang: {s.key for s in docs.sections(text)} for lang, text in DOCS.items()}
    notes = {lang: {n.key for n in docs.notes(text)} for lang, text in DOCS.items()}
    seen_sections, seen_notes = set(), set()
    for path in SHIPPED:
        cited_sections, cited_notes = cited(path.read_text(encoding="utf-8"))
        for lang in DOCS:
            assert cited_sections <= sections[lang], (path, cited_sections - sections[lang])
            assert cited_notes <= notes[lang], (path, cited_notes - notes[lang])
        seen_sections |= cited_sections
        seen_notes |= cited_notes
    assert seen_sections >= {"1", "2", "3", "4", "5", "6"} and seen_notes == {"000", "001", "002", "003", "004"}


def test_the_first_hint_of_the_values_task_points_to_a_section_docs_shows(course):
    """Does rung 1 of activations/values cite §2 in both languages, the section `nngrade docs activations` shows?"""
    task = course.task("activations", "values")
    assert "worked examples §2" in task.hints[0] and "풀이 예제 §2" in task.localized_hints("ko")[0]
    assert docs.exercise_section(course, "activations") == "2"


def test_no_reference_to_documents_the_kit_does_not_ship():
    """Is "WORKED_EXAMPLES" (the developers' file) or a "seed 00N" (the notes' old name) left anywhere shipped?"""
    stale = re.compile(r"WORKED_EXAMPLES|\b[Ss]eeds? 00\d|seed-00\d|시드 00\d")
    found = [(path.relative_to(ROOT), line) for path in SHIPPED
             for line in path.read_text(encoding="utf-8").splitlines() if stale.search(line)]
    assert found == []


@pytest.mark.parametrize("query,key", [("2", "2"), ("§5", "5"), ("softmax", "4"), ("exercises/mnist.py", "6"),
                                       ("004", "004"), ("note 001", "001"), ("강의 노트 002", "002")])
def test_a_section_is_found_by_number_exercise_or_note(course, query, key):
    part = docs.find(DOCS["en"], query, course)
    assert part is not None and part.key == key
    assert docs.find(DOCS["en"], "9", course) is None and docs.find(DOCS["en"], "xor", course) is None


def nngrade_docs(*args: str, lang: str = "en"):
    """`nngrade docs ARGS` on an 80-column terminal, in the kit."""
    from click.testing import CliRunner

    from autograder.cli.main import main

    return CliRunner().invoke(main, ["--course", str(ROOT / "course.toml"), "docs", *args], prog_name="nngrade",
                              env={"COLUMNS": "80", "NNGRADE_LANG": lang}, catch_exceptions=False)


def test_docs_lists_the_sections_and_notes_and_where_the_file_is(lang):
    listed = nngrade_docs(lang=lang)
    assert listed.exit_code == 0, listed.output
    text = " ".join(listed.output.split())
    assert str(docs.document(lang).name) in text
    for part in (*docs.sections(DOCS[lang]), *docs.notes(DOCS[lang])):
        assert part.title in text, part.title


@pytest.mark.parametrize("query", [*map(str, range(1, 9)), "000", "001", "002", "003", "004"])
def test_every_part_reads_whole_at_80_columns(lang, query):
    """Is every section and note shown with its heading and every number of its tables, no cell cut short ("…"),
    no line wider than 80 columns (a Hangul syllable counts two)?"""
    from autograder.cli.clicktext import cells

    shown = nngrade_docs(query, lang=lang)
    assert shown.exit_code == 0, shown.output
    part = docs.find(DOCS[lang], query)
    assert part is not None and part.title in " ".join(shown.output.split())
    assert "…" not in shown.output and max(cells(line.rstrip()) for line in shown.output.splitlines()) <= 80
    for row in tables(part.text).values():
        for number in row:
            assert re.search(rf"(?<![\d.]){re.escape(repr_of(number))}(?![\d])", shown.output), number


def repr_of(number: float) -> str:
    return str(int(number)) if number == int(number) and abs(number) < 1e6 else repr(number)


def test_an_exercise_shows_its_section_and_an_unknown_name_is_a_usage_error():
    shown = nngrade_docs("exercises/backprop.py")
    assert shown.exit_code == 0 and "§5. Backpropagation by hand" in shown.output
    unknown = nngrade_docs("9")
    assert unknown.exit_code == 2 and "names no section" in unknown.output and "004" in unknown.output
