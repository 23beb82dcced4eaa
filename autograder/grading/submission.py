"""What a submission is, where its modules are, and how it becomes a folder the sandbox can copy.

A submission is one of:

- a **folder** of modules named like `exercises/` (`gates.py`, ...); a student
  repository works too: the modules may sit in `exercises/`, or in the one
  folder a zip unpacked into;
- **one `.py` file**, graded as a single exercise's module: the exercise named
  by the file (`softmax.py`) or, when the course (as selected with `-e`) has
  one exercise, that one, whatever the file is called (`alice.py`);
- a **notebook** (`.ipynb`), graded as the one exercise it answers (named by its
  nngrade metadata or its file name), or a folder of notebooks, graded against the
  course; both turned into modules by `autograder.grading.notebook_source`.
"""
from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from autograder.course import Course
from autograder.grading.notebook_source import NotebookError, notebook_submission
from autograder.sandbox.files import UnsafeFile, read_regular
from autograder.sandbox.process import MAX_SOURCE_BYTES, SubmissionError, WorkspaceError

HASHED_SUFFIXES = (".py", ".ipynb")


class Kind(str, Enum):
    FOLDER = "folder"
    MODULE = "module"
    NOTEBOOK = "notebook"


@dataclass(frozen=True)
class Located:
    """Where a submission's files are and what they are."""

    kind: Kind
    path: Path
    """The folder holding the modules or notebooks, or the one file."""


@dataclass(frozen=True)
class Prepared:
    """A submission ready for the sandbox."""

    folder: Path
    """A folder of modules named like exercises/."""
    course: Course
    """The course to grade it against (one exercise for a lone .py file)."""
    notes: tuple[str, ...] = ()
    """What the conversion wants the instructor to know (from notebooks)."""


def _visible_dirs(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and p.name[:1] not in (".", "_")]


def locate(path: Path, course: Course) -> Located:
    """Find the modules (or notebooks) of a submission; raises SubmissionError for what cannot be one."""
    if not path.exists():
        raise SubmissionError(f"{path} does not exist: pass a folder that holds the student's .py files")
    if path.is_file():
        if path.suffix == ".py":
            return Located(Kind.MODULE, path)
        if path.suffix == ".ipynb":
            return Located(Kind.NOTEBOOK, path)
        raise SubmissionError(f"{path} is not a folder, a .py file or an .ipynb notebook")
    if not path.is_dir():
        raise SubmissionError(f"{path} is not a folder, a .py file or an .ipynb notebook")
    modules = {f"{e.module}.py" for e in course.exercises}
    candidates = [path, path / "exercises"]
    try:
        inner = _visible_dirs(path)
    except OSError as exc:
        raise SubmissionError(f"{path} cannot be read ({exc.strerror})") from None
    if len(inner) == 1:  # a zip that unpacked into one folder
        candidates += [inner[0], inner[0] / "exercises"]
    folders = [c for c in candidates if c.is_dir() and not c.is_symlink()]
    for folder in folders:
        if any((folder / m).is_file() for m in modules):
            return Located(Kind.FOLDER, folder)
    for folder in folders:
        if any(folder.glob("*.ipynb")):
            return Located(Kind.NOTEBOOK, folder)
    return Located(Kind.FOLDER, path)  # the sandbox says which modules it expected


def module_for_file(path: Path, course: Course, *, by_name: bool = True) -> str:
    """The module a lone .py file is graded as; SubmissionError when that is ambiguous."""
    if len(course.exercises) == 1:
        return course.exercises[0].module
    if by_name and any(e.module == path.stem for e in course.exercises):
        return path.stem
    modules = ", ".join(f"{e.module}.py" for e in course.exercises)
    raise SubmissionError(
        f"{path.name} is one file, so it is graded as one exercise: name it after the exercise's module "
        f"({modules}) or choose the exercise with -e" if by_name else
        f"{path.name} is a loose .py file: it can only be graded when one exercise is chosen with -e "
        "(put a student's modules in a folder of their own to grade several exercises)")


@contextlib.contextmanager
def prepare(path: Path, course: Course, *, by_name: bool = True) -> Iterator[Prepared]:
    """A folder of modules for `path`, whatever kind of submission it is (temporary ones are removed after).

    by_name (`nngrade grade`): a lone .py file or notebook is graded as the exercise it names; False (grade-all):
    a lone .py file needs one exercise chosen, a lone notebook is graded against the whole course given.
    """
    located = locate(path, course)
    if located.kind is Kind.FOLDER:
        yield Prepared(located.path, course)
        return
    if located.kind is Kind.MODULE:
        module = module_for_file(located.path, course, by_name=by_name)
        chosen = course.select([e.id for e in course.exercises if e.module == module])
        try:
            source = read_regular(located.path, MAX_SOURCE_BYTES)
        except UnsafeFile as exc:
            raise SubmissionError(str(exc)) from None
        except OSError as exc:
            raise SubmissionError(f"{located.path} cannot be read ({exc.strerror or exc})") from None
        try:
            folder = Path(tempfile.mkdtemp(prefix="nngrade-module-"))
        except OSError as exc:
            raise WorkspaceError(f"cannot create a folder in {tempfile.gettempdir()}: {exc.strerror or exc}; "
                                 "set TMPDIR to a writable folder with free space") from None
        try:
            try:
                (folder / f"{module}.py").write_bytes(source)
            except OSError as exc:
                raise WorkspaceError(f"cannot copy {located.path.name} into {folder}: {exc.strerror or exc}") from None
            yield Prepared(folder, chosen)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    with contextlib.ExitStack() as stack:
        try:
            notebook = stack.enter_context(notebook_submission(located.path, course))
        except NotebookError as exc:
            raise SubmissionError(str(exc).rstrip(".")) from None
        # One notebook is one exercise's work: `grade gates.ipynb` grades that exercise alone, not a course missing
        # the rest. grade-all (by_name False) keeps the course it was given: every row of its CSV has the same columns.
        alone = by_name and located.path.is_file() and notebook.exercises
        chosen = course.select(list(notebook.exercises)) if alone else course
        yield Prepared(notebook.folder, chosen, tuple(notebook.notes))


def content_hash(path: Path) -> str:
    """sha256 of what grading reads: the .py and .ipynb files of a folder (top level and exercises/), or the file.

    Names and bytes both count, so a renamed module is a new submission; symlinks
    are left out, as the sandbox leaves them out.
    """
    digest = hashlib.sha256()
    if path.is_file():
        files = [(path.name, path)]
    else:
        files = []
        for folder in (path, *sorted(_visible_dirs(path))):
            for sub in (folder, folder / "exercises"):
                if sub.is_dir() and not sub.is_symlink():
                    files += [(str(p.relative_to(path)), p) for p in sorted(sub.iterdir())
                              if p.suffix in HASHED_SUFFIXES and p.is_file() and not p.is_symlink()]
    for name, file in sorted(set(files)):
        data = file.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode("utf-8", "surrogateescape"))
        digest.update(data)
    return digest.hexdigest()
