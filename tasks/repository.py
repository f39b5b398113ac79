"""The project becomes a git repository with one commit by the answered author.

The identity is passed to that one `git commit` only, so no git identity needs to be
configured and none is written anywhere. A destination already inside a git work tree (a
monorepo, or the project itself on a recopy) is left alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

MESSAGE = "Initial commit from the Berth template"


def initialise(project: Path, answers_file: Path) -> int:
    """0 when the project is (or already was) a repository; git's own error otherwise."""
    # Whoever owns an enclosing repository, it is one: leave it alone.
    inside = ["git", "-c", "safe.directory=*", "rev-parse", "--is-inside-work-tree"]
    try:
        if subprocess.run(inside, cwd=project, capture_output=True).returncode == 0:
            return 0
    except FileNotFoundError:
        print(
            "Warning: git is not installed; the project is not a git repository.", file=sys.stderr
        )
        return 0
    answers = yaml.safe_load(answers_file.read_text(encoding="utf-8"))
    # Root writing into a folder of yours (`sudo copier copy`): git must accept the folder.
    settings = ["-c", f"safe.directory={project}", "-c", "commit.gpgsign=false"]
    identity = ["-c", f"user.name={answers['author_name']}"]
    identity += ["-c", f"user.email={answers['author_email']}"]
    for command in (
        ["init", "--quiet", "--initial-branch=main"],
        ["add", "--all"],
        [*identity, "commit", "--quiet", "--no-verify", "-m", MESSAGE],
    ):
        done = subprocess.run(["git", *settings, *command], cwd=project)
        if done.returncode != 0:
            return done.returncode
    return 0
