"""The student edition's README and .gitignore templates: every command they name exists, with its options."""
from __future__ import annotations

import re
from pathlib import Path

import click

from autograder.cli.main import main

TEMPLATES = Path(__file__).resolve().parent.parent / "autograder" / "templates" / "release"


def _command(words: list[str]) -> click.Command:
    command: click.Command = main
    for word in words:
        if not isinstance(command, click.Group) or word not in command.commands:
            break
        command = command.commands[word]
    return command


def test_every_command_the_edition_readme_names_exists_with_its_options():
    text = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    uses = re.findall(r"`nngrade ([^`]+)`|^nngrade ([^#\n]+)", text, re.MULTILINE)
    assert len(uses) >= 8
    for use in uses:
        words = (use[0] or use[1]).split()
        command = _command(words)
        assert command is not main, f"`nngrade {' '.join(words)}` names no command"
        options = {opt for param in command.params for opt in getattr(param, "opts", ())}
        for word in words:
            if word.startswith("-"):
                assert word in options, f"`nngrade {' '.join(words)}`: {command.name} has no {word}"


def test_the_edition_ignores_progress_and_submission_zips():
    ignored = (TEMPLATES / "gitignore").read_text(encoding="utf-8").splitlines()
    assert ".nngrade/" in ignored and "submission.zip" in ignored
