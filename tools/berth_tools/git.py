"""git for the maintainer tools: one call, output as text, a failure as a ToolError."""

from __future__ import annotations

import subprocess
from pathlib import Path

from berth_tools import ROOT, ToolError

# For the commits and tags the tools make in repositories of their own (never Berth's).
IDENTITY = ("-c", "user.name=Berth tools", "-c", "user.email=tools@localhost")
NO_SIGNING = ("-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false")


def git(*args: str, cwd: Path = ROOT, check: bool = True, identity: bool = False) -> str:
    """Run git in `cwd`; with `identity`, as the tools' own author, unsigned."""
    options = [*IDENTITY, *NO_SIGNING] if identity else []
    result = subprocess.run(["git", *options, *args], cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise ToolError(f"git {' '.join(args)} failed in {cwd}: {result.stderr.strip()}")
    return result.stdout.strip()
