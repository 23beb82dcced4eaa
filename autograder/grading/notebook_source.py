"""Notebooks as submissions: .ipynb -> one module per exercise, for the sandbox to grade.

A notebook belongs to an exercise by its metadata (`{"nngrade": {"exercise": "gates"}}`, written
by `nngrade nbgrader export`) or else by its file name (`gates.ipynb`). Its code cells, in order,
become the module: test cells, IPython magics, shell escapes and help lines are left out, and each
cell runs as it does in a notebook, where an error stops that cell only.

Here, in the grading layer, because `grading.submission` turns notebook submissions into modules;
`autograder.notebooks.notebook` (check_task inside a kernel) builds on it.
"""
from __future__ import annotations

import ast
import contextlib
import io
import json
import shutil
import tempfile
import tokenize
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.course import Course
from autograder.sandbox.files import TooLarge, UnsafeFile, read_regular
from autograder.sandbox.process import MAX_SOURCE_BYTES
from autograder.sandbox.protocol import CodecError, check_json_shape

MARKER = "nngrade"
"""Notebook metadata key naming the exercise: {"nngrade": {"exercise": "<id>"}}."""
TEST_MODULE = "autograder.notebooks.notebook"
"""A code cell mentioning this is a test cell, never part of the student's module."""
_BODY_MAGICS = {"time", "capture"}
"""Cell magics whose body is ordinary Python (the body is kept, the magic line dropped)."""

# The judge reads notebooks itself, so a notebook must never cost it unbounded time or memory:
# each limit is far above any real exercise notebook and refused with a message saying what to do.
MAX_NOTEBOOK_BYTES = 5 * 1024 * 1024
"""A notebook file, outputs included (a few plots are ~1 MB; clearing outputs shrinks it)."""
MAX_JSON_DEPTH = 64
"""Nesting of the notebook's JSON (nbformat 4 nests ~8 deep; json.loads recurses once per level)."""
MAX_JSON_TOKENS = 2_000_000
"""Commas, colons and brackets in the JSON: bounds the objects json.loads builds."""
MAX_CELLS = 2_000
"""Cells of one notebook."""
MAX_CELL_CHARS = 200_000
"""Characters of one code cell's source (a whole exercise solution is ~10,000)."""
MAX_CELL_LINES = 5_000
"""Lines of one code cell."""
MAX_CODE_LINES = 20_000
"""Lines of code in all cells of a notebook: turning them into a module costs ~0.1 ms a line."""


class NotebookError(Exception):
    """A file that cannot be read as a notebook; the message names it and says what to do."""


@dataclass(frozen=True)
class NotebookSubmission:
    """A notebook submission turned into modules the sandbox can load."""

    folder: Path
    """Temporary folder with one <module>.py per exercise found."""
    notes: tuple[str, ...]
    """What was left out or changed, one line each (magics dropped, cells skipped, ...)."""
    exercises: tuple[str, ...] = ()
    """The ids of the exercises the notebooks answer, in course order."""


@dataclass(frozen=True)
class Cell:
    """One code cell to put in a module."""

    label: str
    """Where it came from, for messages: "cell 3" or "In [3]"."""
    source: str


# --- reading notebooks ------------------------------------------------------

def read_notebook(path: Path) -> dict[str, Any]:
    """The notebook's JSON (format 4), or NotebookError naming the file and the problem."""
    try:
        raw = read_regular(path, MAX_NOTEBOOK_BYTES)
        text = raw.decode("utf-8")
    except TooLarge:
        raise NotebookError(f"{path} is larger than {MAX_NOTEBOOK_BYTES // (1024 * 1024)} MiB, more than a notebook "
                            "of this course can be. Clear its outputs (Edit > Clear Outputs of All Cells), save it "
                            "and submit it again.") from None
    except UnsafeFile as exc:
        raise NotebookError(f"{exc}.") from None
    except OSError as exc:
        raise NotebookError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    except UnicodeDecodeError:
        raise NotebookError(f"{path} is not a Jupyter notebook: it is not UTF-8 text. "
                            "Submit the .ipynb file Jupyter saved.") from None
    try:
        check_json_shape(raw, MAX_JSON_DEPTH, MAX_JSON_TOKENS)
    except CodecError as exc:
        raise NotebookError(f"{path} is not a Jupyter notebook: its {exc}. "
                            "Submit the .ipynb file Jupyter saved.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{path} is not a valid notebook: its JSON breaks at line {exc.lineno}, column {exc.colno} "
            f"({exc.msg}). This happens when a notebook is edited by hand or saved while being written; "
            "open it in Jupyter and save it again, or restore it from .ipynb_checkpoints.") from None
    if isinstance(data, dict) and "worksheets" in data:
        raise NotebookError(f"{path} is written in the old notebook format {data.get('nbformat')!r}; nngrade reads "
                            "format 4. Open it in a current Jupyter and save it again.")
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError(f"{path} is JSON but not a Jupyter notebook (it has no list of \"cells\"). "
                            "Submit the .ipynb file Jupyter saved.")
    if len(data["cells"]) > MAX_CELLS:
        raise NotebookError(f"{path} has {len(data['cells']):,} cells, more than the {MAX_CELLS:,} a notebook may "
                            "have. Submit the exercise's notebook with your answers only.")
    return data


def _text(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return value if isinstance(value, str) else ""


def is_test_cell(cell: dict[str, Any]) -> bool:
    """An nbgrader autograder-test cell, or a cell that calls the kit's checks."""
    metadata = cell.get("metadata")
    meta = metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}
    graded_test = isinstance(meta, dict) and meta.get("grade") is True and not meta.get("solution")
    return graded_test or TEST_MODULE in _text(cell.get("source"))


def code_cells(notebook: dict[str, Any], origin: str = "the notebook") -> list[Cell]:
    """The code cells that make up the student's module, in order; NotebookError for a cell over the limits."""
    cells = [
        Cell(f"cell {number}", _text(cell.get("source")))
        for number, cell in enumerate(notebook["cells"], start=1)
        if isinstance(cell, dict) and cell.get("cell_type") == "code" and not is_test_cell(cell)
    ]
    for cell in cells:
        if len(cell.source) > MAX_CELL_CHARS or cell.source.count("\n") >= MAX_CELL_LINES:
            raise NotebookError(f"{cell.label} of {origin} has {len(cell.source):,} characters in "
                                f"{cell.source.count(chr(10)) + 1:,} lines, more than a cell may have "
                                f"({MAX_CELL_CHARS:,} characters, {MAX_CELL_LINES:,} lines). Split it, or load "
                                "data from a file instead of pasting it into the cell.")
    lines = sum(cell.source.count("\n") + 1 for cell in cells)
    if lines > MAX_CODE_LINES:
        raise NotebookError(f"{origin} has {lines:,} lines of code, more than the {MAX_CODE_LINES:,} a notebook of "
                            "this course may have. Submit the exercise's notebook with your answers only.")
    return cells


def exercise_of(notebook: dict[str, Any], path: Path, course: Course) -> str | None:
    """The exercise a notebook answers: its nngrade metadata, else its file name (id or module)."""
    metadata = notebook.get("metadata")
    marker = metadata.get(MARKER, {}) if isinstance(metadata, dict) else {}
    named = marker.get("exercise") if isinstance(marker, dict) else None
    if isinstance(named, str) and course.exercise(named):
        return named
    for exercise in course.exercises:
        if path.stem in (exercise.id, exercise.module):
            return exercise.id
    return None


# --- cells -> module ----------------------------------------------------------

def _continues(chunk: str) -> bool:
    """True when `chunk` is an unfinished logical line (open bracket, string or backslash)."""
    try:
        for _ in tokenize.generate_tokens(io.StringIO(chunk).readline):
            pass
    except tokenize.TokenError:
        return True
    except SyntaxError:
        return False
    return False


def logical_starts(lines: Sequence[str]) -> list[bool]:
    """For each line: does it start a logical line (not inside brackets, a string or after a backslash)?

    One pass of the tokenizer over the whole cell, so linear in its size; a cell the tokenizer stops
    on part-way (a bad dedent, say) has its other lines judged one logical line at a time.
    """
    starts = [False] * len(lines)
    expect, depth, row = True, 0, 0
    source = iter([line + "\n" for line in lines])
    try:
        for token in tokenize.generate_tokens(lambda: next(source, "")):
            row = token.start[0]
            if expect and row <= len(lines) and token.type != tokenize.ENDMARKER:
                starts[row - 1], expect = True, False
            if token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}":
                depth = max(0, depth - 1)
            elif token.type == tokenize.NEWLINE or (token.type == tokenize.NL and depth == 0):
                expect = True
    except tokenize.TokenError:
        pass  # the end came inside brackets or a string: the lines after the last start continue it
    except SyntaxError:
        rest = lines[max(row, 1) - 1:]
        if sum(map(len, rest)) <= _BY_LINE_CHARS:
            starts[len(lines) - len(rest):] = _logical_starts_by_line(rest)
        else:  # such a cell does not compile anyway (it is left out); only the cost must stay bounded
            starts[len(lines) - len(rest):] = [True] * len(rest)
    return starts


_BY_LINE_CHARS = 5_000
"""Above this, the rest of a cell the tokenizer stopped on is not judged line by line (quadratic)."""


def _logical_starts_by_line(lines: Sequence[str]) -> list[bool]:
    """logical_starts line by line, for a cell the tokenizer cannot read whole (quadratic in a long continuation,
    so only for the few lines of _BY_LINE_CHARS)."""
    starts, chunk = [], ""
    for line in lines:
        starts.append(not chunk)
        chunk += line + "\n"
        if not _continues(chunk):
            chunk = ""
    return starts


def _ipython_only(line: str) -> bool:
    """`%magic`, `!shell`, `x = !shell`, `x = %magic`, `obj?`: lines IPython rewrites before Python sees them."""
    text = line.strip()
    if text[:1] in ("%", "!") or (text.startswith("?") and len(text) > 1):
        return True
    if text.endswith("?") and text.rstrip("?").replace(".", "").replace("_", "").isalnum():
        return True
    head, sep, tail = text.partition("=")
    return bool(sep) and tail.lstrip()[:1] in ("%", "!") and head.strip().replace(".", "").replace("_", "") \
        .replace(",", "").replace(" ", "").isalnum()


def without_ipython(source: str) -> tuple[str | None, int]:
    """The cell as plain Python, IPython-only lines turned into `pass`, and how many lines were dropped.

    None for a cell magic whose body is not Python (%%bash, %%writefile, ...).
    """
    lines = source.split("\n")
    dropped = 0
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    if lines[first].lstrip().startswith("%%"):
        name = lines[first].lstrip()[2:].split(maxsplit=1)
        if not name or name[0] not in _BODY_MAGICS:
            return None, 1
        lines[first], dropped = "", 1
    for i, start in enumerate(logical_starts(lines)):
        if start and _ipython_only(lines[i]):
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            lines[i] = f"{indent}pass  # nngrade: IPython line left out"
            dropped += 1
    return "\n".join(lines), dropped


def _future_imports(code: str) -> tuple[str, list[str]]:
    """The code without its `from __future__ import ...` lines, and those lines."""
    tree = ast.parse(code)
    lines = code.split("\n")
    found = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            assert node.end_lineno is not None
            found.append(ast.get_source_segment(code, node) or "")
            for n in range(node.lineno - 1, node.end_lineno):
                lines[n] = ""
    return "\n".join(lines), found


def _guarded(code: str, label: str) -> str:
    """The cell inside try/except, so an error stops this cell only; string and bracket continuations untouched."""
    lines = code.split("\n")
    body = "\n".join("    " + line if start and line.strip() else line
                     for line, start in zip(lines, logical_starts(lines)))
    return f"try:\n{body}\nexcept (Exception, SystemExit):\n    _nngrade_cell_failed({label!r})\n"


def module_source(cells: Sequence[Cell], origin: str) -> tuple[str, tuple[str, ...]]:
    """A module that runs the cells in order, as a notebook does; and notes on what was left out."""
    with warnings.catch_warnings():  # SyntaxWarnings belong to the student's run; on stderr nbgrader zeroes a cell
        warnings.simplefilter("ignore")
        return _module_source(cells, origin)


def _module_source(cells: Sequence[Cell], origin: str) -> tuple[str, tuple[str, ...]]:
    notes: list[str] = []
    futures: list[str] = []
    parts: list[str] = []
    magics = 0
    for cell in cells:
        code, dropped = without_ipython(cell.source)
        magics += dropped
        if code is None:
            notes.append(f"left out {cell.label} of {origin}: a cell magic ({cell.source.split()[0]}) is not Python")
            continue
        try:
            code, found = _future_imports(code)
            if not ast.parse(code).body:
                continue
            compile(code, cell.label, "exec", dont_inherit=True)
        except SyntaxError as exc:
            notes.append(f"left out {cell.label} of {origin}: SyntaxError at line {exc.lineno}: {exc.msg} "
                         "(in a notebook that cell fails alone, the others still run)")
            continue
        futures += [f for f in found if f not in futures]
        guarded = _guarded(code, cell.label)
        try:
            compile("\n".join(futures) + "\n" + guarded, cell.label, "exec", dont_inherit=True)
        except SyntaxError:
            guarded = code + "\n"  # cannot happen for code that compiles alone; kept unguarded if it does
        parts.append(f"# --- {cell.label}\n{guarded}")
    if magics:
        notes.append(f"dropped {magics} IPython magic/shell line{'s' if magics > 1 else ''} from {origin}")
    header = (
        f"# Made by nngrade from {' '.join(origin.split())}: its code cells in order, without test cells,\n"
        "# IPython magics and shell lines. Each cell runs as in the notebook: an error stops that cell only.\n"
        + "".join(f"{line}\n" for line in futures)
        + "\n\ndef _nngrade_cell_failed(cell):\n    import sys\n    import traceback\n\n"
        f"    print('nngrade:', cell, 'of', {origin!r}, 'raised an error; the cells after it still ran:', "
        "file=sys.stderr)\n    traceback.print_exc()\n\n\n"
    )
    return header + "\n".join(parts), tuple(notes)


# --- notebook submissions -------------------------------------------------------

def _module_bytes(path: Path) -> bytes | None:
    """A .py beside the notebooks, read as copy_submission reads modules: None if too large (left out, as
    copy_submission leaves it out), NotebookError for a hard link, FIFO or device."""
    try:
        return read_regular(path, MAX_SOURCE_BYTES)
    except TooLarge:
        return None
    except UnsafeFile as exc:
        raise NotebookError(f"{exc}.") from None
    except OSError as exc:
        raise NotebookError(f"{path} cannot be read ({exc.strerror or exc}).") from None


def _notebooks(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        # A symlinked notebook may point at a classmate's or the instructor's: left out, as copy_submission does.
        return sorted(p for p in path.glob("*.ipynb") if p.is_file() and not p.is_symlink())
    raise NotebookError(f"{path} does not exist: pass a .ipynb file or a folder that holds the notebooks.")


@contextlib.contextmanager
def notebook_submission(path: Path, course: Course) -> Iterator[NotebookSubmission]:
    """path is one .ipynb or a folder holding .ipynb files; yields a temp folder of <module>.py files.

    A folder's own .py modules are copied too, unless a notebook provides the same module.
    """
    notebooks = _notebooks(path)
    modules: dict[str, tuple[Path, str]] = {}
    notes: list[str] = []
    answered: set[str] = set()
    for notebook_path in notebooks:
        notebook = read_notebook(notebook_path)
        exercise_id = exercise_of(notebook, notebook_path, course)
        if exercise_id is None and path.is_file() and len(course.exercises) == 1:
            exercise_id = course.exercises[0].id  # one exercise chosen: the notebook answers it, whatever its name
            notes.append(f"graded {notebook_path.name} as the exercise {exercise_id}")
        if exercise_id is None:
            known = ", ".join(f"{e.id}.ipynb" for e in course.exercises)
            message = f"{notebook_path.name} is not one of the course's exercises (name it one of: {known})"
            if path.is_file():
                raise NotebookError(f"{message[:-1]}, or choose its exercise with -e).")
            notes.append(f"skipped {message}")
            continue
        exercise = course.exercise(exercise_id)
        assert exercise is not None
        if exercise.module in modules:
            other = modules[exercise.module][0].name
            raise NotebookError(f"{path}: both {other} and {notebook_path.name} answer the exercise {exercise_id}; "
                                "keep one of them.")
        source, cell_notes = module_source(code_cells(notebook, str(notebook_path)), notebook_path.name)
        modules[exercise.module] = (notebook_path, source)
        answered.add(exercise.id)
        notes += cell_notes
    if not modules and not (path.is_dir() and any(path.glob("*.py"))):
        known = ", ".join(f"{e.id}.ipynb" for e in course.exercises)
        raise NotebookError(f"{path} holds no notebook of the course's exercises ({known}).")
    folder = Path(tempfile.mkdtemp(prefix="nngrade-notebooks-"))
    try:
        if path.is_dir():
            for module in sorted(path.glob("*.py")):
                if module.stem in modules:
                    notes.append(f"{module.name} was not used: {modules[module.stem][0].name} provides {module.stem}")
                elif not module.is_symlink() and not module.is_dir() \
                        and (data := _module_bytes(module)) is not None:
                    (folder / module.name).write_bytes(data)
        for module_name, (_, source) in modules.items():
            (folder / f"{module_name}.py").write_text(source, encoding="utf-8")
        yield NotebookSubmission(folder, tuple(notes), tuple(e.id for e in course.exercises if e.id in answered))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
