"""Running a command: its output when it fails, and a time-out so that nothing hangs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

TAIL = 6000  # characters of each stream a failure shows


class CommandFailed(Exception):
    """A command exited non-zero or ran out of time; the message carries its output."""


def run(
    args: Sequence[str | PathLike[str] | Any],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float | None = 900,
) -> subprocess.CompletedProcess[str]:
    """Run `args` (captured, as text); with `check`, a failure raises CommandFailed."""
    command = [str(arg) for arg in args]
    try:
        result = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as expired:
        raise CommandFailed(
            f"timed out after {timeout} s: {' '.join(command)}\n"
            + _streams(_text(expired.stdout), _text(expired.stderr))
        ) from None
    if check and result.returncode != 0:
        raise CommandFailed(
            f"exit status {result.returncode}: {' '.join(command)}\n"
            + _streams(result.stdout, result.stderr)
        )
    return result


def python(*args: str | PathLike[str]) -> list[str]:
    """A command run by the Python of this environment (`python -m copier ...`)."""
    return [sys.executable, *map(str, args)]


def uv_bin() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def _text(stream: bytes | str | None) -> str:
    if isinstance(stream, bytes):
        return stream.decode(errors="replace")
    return stream or ""


def _streams(stdout: str, stderr: str) -> str:
    return f"--- stdout ---\n{stdout[-TAIL:]}\n--- stderr ---\n{stderr[-TAIL:]}"
