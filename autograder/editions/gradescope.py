"""Gradescope: the autograder zip (`nngrade gradescope build`) and the grading inside its container (`run`).

The zip holds `setup.sh`, `run_autograder`, `requirements.txt` (pinned) and
`kit/`: the autograder package, course.toml and the reference solutions (hidden
tests compare with them), never the kit's own tests. Gradescope unpacks it into
`/autograder/source`; `run_autograder` grades `/autograder/submission` with
`python -m autograder` and the kit on PYTHONPATH, so exactly the zipped kit
grades, and writes `/autograder/results/results.json`.
"""
from __future__ import annotations

import importlib.metadata
import io
import json
import re
import shlex
import zipfile
from pathlib import Path

from autograder.atomic import write_bytes
from autograder.course import Course, CoursePaths, kit_root
from autograder.tomlcompat import tomllib

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "gradescope"
FALLBACK_REQUIREMENTS = ("numpy", "pytest", "rich", "click")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same kit always builds the same zip


def declared_requirements() -> list[str]:
    """The kit's runtime dependencies as pyproject.toml declares them (else as installed, else the core four)."""
    try:
        project = tomllib.loads((kit_root() / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        return [str(d) for d in project["dependencies"]]
    except (OSError, KeyError, ValueError):
        pass
    try:
        return importlib.metadata.requires("nngrade") or []
    except importlib.metadata.PackageNotFoundError:
        return list(FALLBACK_REQUIREMENTS)


def pinned_requirements() -> list[str]:
    """The kit's runtime dependencies pinned to the versions installed here (the ones its tests passed with)."""
    declared = declared_requirements()
    lines = []
    for requirement in declared:
        spec, _, marker = requirement.partition(";")
        if "extra" in marker:
            continue
        name = re.split(r"[<>=!~\[ ]", spec.strip(), maxsplit=1)[0]
        try:
            pinned = f"{name}=={importlib.metadata.version(name)}"
        except importlib.metadata.PackageNotFoundError:
            pinned = spec.strip()  # e.g. tomli, needed only on Python 3.10: keep the declared range
        lines.append(f"{pinned}; {marker.strip()}" if marker.strip() else pinned)
    return lines


def kit_files(course: Course) -> list[tuple[str, Path]]:
    """(name in the zip, file) for the kit: the autograder package, course.toml, solutions, pyproject, README."""
    package = Path(__file__).resolve().parent.parent
    root = kit_root()
    files = [(f"kit/autograder/{p.relative_to(package).as_posix()}", p) for p in sorted(package.rglob("*"))
             if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")]
    files.append(("kit/course.toml", course.path))
    files += [(f"kit/solutions/{p.name}", p) for p in sorted(CoursePaths.of(course).solutions.glob("*.py"))]
    files += [(f"kit/{name}", root / name) for name in ("pyproject.toml", "README.md") if (root / name).is_file()]
    return files


def _script(name: str, **values: str) -> str:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def build(course: Course, output: Path, *, exercises: tuple[str, ...] = (), requirements: list[str] | None = None,
          fetch_data: bool = True) -> list[str]:
    """Write the autograder zip atomically; returns the names it holds. Raises OSError when it cannot be written."""
    chosen = "".join(f" -e {shlex.quote(e)}" for e in exercises)
    fetch = ('/autograder/nngrade-venv/bin/python -m autograder data fetch --dir /autograder/source/mnist'
             if fetch_data else "# built with --no-data: the MNIST files are not fetched")
    scripts = {
        "setup.sh": _script("setup.sh", FETCH_DATA=fetch),
        "run_autograder": _script("run_autograder", EXERCISES=chosen),
        "requirements.txt": "\n".join(requirements if requirements is not None else pinned_requirements()) + "\n",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in scripts.items():
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = (0o755 if name != "requirements.txt" else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
        for name, path in kit_files(course):
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
        names = archive.namelist()
    write_bytes(output, buffer.getvalue())
    return names


def results_path(root: Path) -> Path:
    return root / "results" / "results.json"


def dump(results: dict[str, object]) -> str:
    return json.dumps(results, indent=2, ensure_ascii=False) + "\n"
