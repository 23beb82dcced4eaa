"""Where the MNIST files live: --dir, else $NNGRADE_DATA, else a per-user cache folder.

Separate from mnist_data (which needs urllib) so every command can find the folder cheaply.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_VAR = "NNGRADE_DATA"


def data_dir(explicit: str | Path | None = None) -> Path:
    """The folder holding the MNIST files: `explicit`, else $NNGRADE_DATA, else a per-user cache folder."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return _cache_root() / "nngrade" / "mnist"


def _cache_root() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec says a relative value is invalid and must be ignored.
    if xdg and os.path.isabs(xdg):
        return Path(xdg)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"])
    return Path.home() / ".cache"


def existing_data_dir() -> Path | None:
    """`data_dir()` if it is a folder, else None: grading without it reports the tests that need it as not run."""
    folder = data_dir()
    return folder if folder.is_dir() else None
