"""Rendering the template's working tree (HEAD plus uncommitted changes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from berth_tools import ROOT
from support.commands import python, run

# Copier renders a git template's latest tag unless told otherwise.
WORKING_TREE = ("--vcs-ref", "HEAD")
# Non-default answers that every release since v0.1.0 asks for, on the interpreter our
# machines run natively; suites add the questions later releases brought.
CUSTOM_ANSWERS = {
    "project_name": "Churn Radar",
    "package_name": "churn_core",
    "python_version": "3.11",
    "license": "Apache-2.0",
    "author_name": "Ada Lovelace",
}


def copy_command(*options: str, answers: dict[str, Any] | None = None) -> list[str]:
    """`copier copy` of the working tree with --defaults, answers as --data."""
    data = [arg for key, value in (answers or {}).items() for arg in ("--data", f"{key}={value}")]
    return python("-m", "copier", "copy", *WORKING_TREE, "--trust", "--defaults", *options, *data)


def render(
    destination: Path, answers: dict[str, Any] | None = None, skip_tasks: bool = True
) -> Path:
    """Render the working tree into `destination` with --defaults and `answers`."""
    options = ["--quiet", *(["--skip-tasks"] if skip_tasks else [])]
    run([*copy_command(*options, answers=answers), ROOT, destination])
    return destination
