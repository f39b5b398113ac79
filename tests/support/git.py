"""git in the repositories tests and benchmarks make, with an identity of their own."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from support.commands import run

IDENTITY = ("-c", "user.name=Test User", "-c", "user.email=user@example.org")


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """git in `cwd` as the test identity (works where no identity is configured)."""
    return run(["git", *IDENTITY, *args], cwd=cwd, env=env).stdout


def commit_all(
    cwd: Path, message: str, env: Mapping[str, str] | None = None, tag: str | None = None
) -> None:
    """Commit everything in `cwd` (an empty commit when nothing changed), then tag it."""
    git(cwd, "add", "-A", env=env)
    git(cwd, "commit", "-q", "--allow-empty", "--no-verify", "-m", message, env=env)
    if tag:
        git(cwd, "tag", tag, env=env)
