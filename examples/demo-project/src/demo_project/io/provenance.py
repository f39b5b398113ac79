"""Where a run's code and data came from: the git commit and the dvc.lock hashes.

An edge module (it runs git and reads dvc.lock); `train` attaches its tags to MLflow runs.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

DVC_LOCK = Path("dvc.lock")
# Files the pipeline rewrites while it runs: they do not make the code differ from the commit.
PIPELINE_RECORDS = (str(DVC_LOCK),)


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def git_tags() -> dict[str, str]:
    """`git.commit` and `git.dirty` (uncommitted or untracked changes), when in a repository."""
    commit = _git("rev-parse", "--verify", "--quiet", "HEAD")
    if commit is None:
        log.debug("Not in a git repository with a commit: runs carry no git tags")
        return {}
    excluded = [f":(exclude){path}" for path in PIPELINE_RECORDS]
    status = _git("status", "--porcelain", "--", ".", *excluded)
    dirty = "unknown" if status is None else str(bool(status)).lower()
    return {"git.commit": commit, "git.dirty": dirty}


def _locked_hashes(lock: dict[str, Any]) -> dict[str, str]:
    """Every path dvc.lock records (dependencies and outputs of every stage) with its md5."""
    hashes: dict[str, str] = {}
    for stage in (lock.get("stages") or {}).values():
        for entry in [*(stage.get("deps") or []), *(stage.get("outs") or [])]:
            if "md5" in entry:
                hashes[entry["path"]] = entry["md5"]
    return hashes


def _md5(path: Path) -> str:
    import hashlib

    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dvc_tags(inputs: list[Path]) -> dict[str, str]:
    """`dvc.lock.<input>`: the md5 dvc.lock records for each input file of the run.

    A file that differs from its dvc.lock entry (changed outside `dvc repro`) is tagged
    "modified"; a file dvc.lock does not know gets no tag.
    """
    if not DVC_LOCK.is_file():
        return {}
    try:
        locked = _locked_hashes(yaml.safe_load(DVC_LOCK.read_text(encoding="utf-8")) or {})
    except (yaml.YAMLError, AttributeError) as error:
        log.warning("Cannot read %s (%s): runs carry no DVC tags", DVC_LOCK, error)
        return {}
    tags = {}
    for path in inputs:
        key = path.as_posix()
        if key in locked and path.is_file():
            tags[f"dvc.lock.{key}"] = locked[key] if _md5(path) == locked[key] else "modified"
    return tags


def run_tags(inputs: list[Path]) -> dict[str, str]:
    """The tags every training run carries."""
    return git_tags() | dvc_tags(inputs)
