"""Versions above the recorded releases: what HEAD would be released as next."""

from __future__ import annotations

from pathlib import Path

from packaging.version import Version

from berth_tools import ROOT
from berth_tools.releases import load


def releases(root: Path = ROOT) -> list[str]:
    """The recorded releases, oldest first (releases.yml)."""
    return [str(release["version"]) for release in load(root)]


def migrations(root: Path = ROOT) -> list[str]:
    """The versions that have a migration (migrations/vX.Y.Z.py), oldest first."""
    versions = [Version(path.stem[1:]) for path in (root / "migrations").glob("v*.py")]
    return [str(version) for version in sorted(versions)]


def next_versions(root: Path = ROOT) -> tuple[str, str]:
    """A minor and a patch release above the newest recorded one."""
    newest = Version(releases(root)[-1])
    return (
        f"{newest.major}.{newest.minor + 1}.0",
        f"{newest.major}.{newest.minor}.{newest.micro + 1}",
    )


def head_version(root: Path = ROOT) -> str:
    """A version above every release and every migration: HEAD as the next release.

    Copier runs the migrations of the destination's copier.yml up to the destination's
    version, so HEAD must be tagged at least at its newest migration for that to run.
    """
    patch = Version(next_versions(root)[1])
    return str(max([patch, *(Version(v) for v in migrations(root))]))
