"""Berth's release list: recreate the `vX.Y.Z` tags, record a release, check consistency.

    uv run berth-releases tags                 # create missing tags (idempotent)
    uv run berth-releases record 0.2.0 "One-line summary" [--commit REV]
    uv run berth-releases check                # list, tags, CHANGELOG, migrations agree

releases.yml is the source of truth: tags are lightweight (no git identity needed) and
point at the listed commits, so a clone without tags gets them back with `tags`.
`record` appends the release (default: HEAD), turns CHANGELOG.md's "Unreleased" section
into the release's section, and tags the commit; commit the two files afterwards.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import jinja2
import yaml
from packaging.version import InvalidVersion, Version

from berth_migrations.config import load_copier_config
from berth_tools import ROOT, ToolError
from berth_tools.git import git


class ReleaseError(ToolError):
    """releases.yml, the tags, CHANGELOG.md or a migration disagree."""


def load(root: Path = ROOT) -> list[dict[str, Any]]:
    data = yaml.safe_load((root / "releases.yml").read_text()) or {}
    return list(data.get("releases") or [])


def resolve(rev: str, cwd: Path = ROOT) -> str | None:
    return (
        git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", cwd=cwd, check=False) or None
    )


def create_tags(root: Path = ROOT) -> list[str]:
    """Create each release's tag where missing; refuse a tag that points elsewhere."""
    created = []
    for release in load(root):
        tag, commit = f"v{release['version']}", str(release["commit"])
        if resolve(commit, root) is None:
            raise ReleaseError(f"{tag}: commit {commit} is not in this repository")
        existing = resolve(f"refs/tags/{tag}", root)
        if existing is None:
            git("tag", tag, commit, cwd=root)
            created.append(tag)
        elif existing != resolve(commit, root):
            raise ReleaseError(f"tag {tag} points at {existing}, releases.yml says {commit}")
    return created


def problems(root: Path = ROOT) -> list[str]:
    """Everything that disagrees between releases.yml, the tags, CHANGELOG.md and migrations."""
    found = []
    releases = load(root)
    versions = []
    for release in releases:
        missing = {"version", "commit", "date", "summary"} - set(release)
        if missing:
            found.append(f"{release}: missing {', '.join(sorted(missing))}")
            continue
        try:
            versions.append(Version(str(release["version"])))
        except InvalidVersion:
            found.append(f"{release['version']}: not a PEP 440 version")
        if not re.fullmatch(r"[0-9a-f]{40}", str(release["commit"])):
            found.append(f"v{release['version']}: commit must be a full 40-hex id")
    if versions != sorted(versions) or len(set(versions)) != len(versions):
        found.append("releases.yml: versions must increase, oldest first")
    changelog = (root / "CHANGELOG.md").read_text()
    for release in releases:
        section = changelog_section(changelog, str(release["version"]))
        if section is None:
            found.append(f"CHANGELOG.md: no section for v{release['version']}")
        elif "**How to update:**" not in section:
            found.append(f"CHANGELOG.md: v{release['version']} has no **How to update:** note")
    found += migration_problems(root, versions)
    return found


def changelog_section(changelog: str, version: str) -> str | None:
    match = re.search(rf"^## v{re.escape(version)}\b.*?(?=^## |\Z)", changelog, re.M | re.S)
    return match.group(0) if match else None


def migration_problems(root: Path, versions: list[Version]) -> list[str]:
    """Each migrations/vX.Y.Z.py has an entry in copier.yml, in version order, and back."""
    found = []
    entries = load_copier_config(root).get("_migrations", [])
    listed = [str(e["version"]) for e in entries if isinstance(e, dict) and "version" in e]
    files = sorted(p.stem[1:] for p in (root / "migrations").glob("v*.py"))
    for version in files:
        if version not in listed:
            found.append(f"migrations/v{version}.py: no `_migrations` entry in copier.yml")
    for entry in entries:
        if isinstance(entry, dict) and "version" in entry:
            if str(entry["version"]) not in files:
                found.append(
                    f"copier.yml: migration {entry['version']} has no migrations/v{entry['version']}.py"
                )
            if f"migrations/v{entry['version']}.py" not in " ".join(
                map(str, entry.get("command", []))
            ):
                found.append(f"copier.yml: migration {entry['version']} does not run its own file")
            elif str(entry["version"]) in files:
                found += stage_problems(root, entry)
    if [Version(v) for v in listed] != sorted(Version(v) for v in listed):
        found.append("copier.yml: release migrations must be listed oldest first")
    unversioned = [i for i, e in enumerate(entries) if not (isinstance(e, dict) and "version" in e)]
    if (
        unversioned
        and listed
        and min(unversioned)
        < max(i for i, e in enumerate(entries) if isinstance(e, dict) and "version" in e)
    ):
        found.append("copier.yml: the every-update checks must come after the release migrations")
    return found


def stage_problems(root: Path, entry: dict[str, Any]) -> list[str]:
    """A release migration runs in the stages it has work in, and only those.

    Missing its stage, a change is never made; an extra stage costs every update that
    crosses the release one more Python process that does nothing.
    """
    version = str(entry["version"])
    migration = getattr(load_migration(root / "migrations" / f"v{version}.py"), "MIGRATION", None)
    if migration is None:  # a hand-written script: its author chose its stages
        return []
    condition = str(entry.get("when", "{{ _stage == 'after' }}"))
    runs = {
        stage
        for stage in ("before", "after")
        if jinja2.Environment().from_string(condition).render(_stage=stage).strip().lower()
        not in {"", "false", "0", "no", "off", "none"}
    }
    needed = migration.stages()
    found = []
    for stage in sorted(needed - runs):
        found.append(f"copier.yml: migration {version} must run in the {stage} stage (when:)")
    for stage in sorted(runs - needed):
        found.append(
            f"copier.yml: migration {version} has nothing to do in the {stage} stage; "
            f"drop it from its `when:`"
        )
    return found


def record(version: str, summary: str, rev: str = "HEAD", root: Path = ROOT) -> str:
    releases = load(root)
    new = Version(version)
    if str(new) != version:
        raise ReleaseError(f"write the version in its normal form: {new}")
    if releases and new <= Version(str(releases[-1]["version"])):
        raise ReleaseError(f"{version} is not above the latest release {releases[-1]['version']}")
    if "\n" in summary or not summary.strip():
        raise ReleaseError("the summary is one non-empty line")
    commit = resolve(rev, root)
    if commit is None:
        raise ReleaseError(f"{rev} is not a commit")
    date = git("show", "-s", "--format=%cs", commit, cwd=root) or datetime.date.today().isoformat()
    entry = (
        f'  - version: {version}\n    commit: {commit}\n    date: "{date}"\n'
        f"    summary: {yaml.safe_dump(summary, default_style=chr(34), width=10_000).strip()}\n"
    )
    text = (root / "releases.yml").read_text()
    (root / "releases.yml").write_text(text.rstrip("\n") + "\n" + entry)
    changelog = (root / "CHANGELOG.md").read_text()
    if changelog_section(changelog, version) is None:
        heading = f"## v{version} ({date})"
        unreleased = re.search(r"^## Unreleased\n(.*?)(?=^## |\Z)", changelog, re.M | re.S)
        body = unreleased.group(1).strip() if unreleased else ""
        if "**How to update:**" not in body:
            body = (body or summary) + (
                "\n\n**How to update:** `copier update --trust` (no manual steps)."
            )
        new_section = f"## Unreleased\n\n{heading}\n\n{body.strip()}\n\n"
        if unreleased:
            changelog = (
                changelog[: unreleased.start()] + new_section + changelog[unreleased.end() :]
            )
        else:
            first = changelog.index("\n## ") + 1 if "\n## " in changelog else len(changelog)
            changelog = changelog[:first] + new_section + changelog[first:]
        (root / "CHANGELOG.md").write_text(changelog)
    create_tags(root)
    return commit


def load_migration(path: Path) -> Any:
    """A release's migration file as a module (its `MIGRATION` says what it declares)."""
    spec = importlib.util.spec_from_file_location(f"berth_migration_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("tags", help="create the missing vX.Y.Z tags from releases.yml")
    sub.add_parser("check", help="check releases.yml, tags, CHANGELOG.md and migrations agree")
    rec = sub.add_parser("record", help="record a release and tag it")
    rec.add_argument("version")
    rec.add_argument("summary")
    rec.add_argument("--commit", default="HEAD", help="the release's commit (default: HEAD)")
    args = parser.parse_args(argv)
    try:
        if args.command == "tags":
            created = create_tags()
            print("created: " + (" ".join(created) or "nothing (all tags present)"))
        elif args.command == "check":
            found = problems()
            for problem in found:
                print(problem, file=sys.stderr)
            return 1 if found else 0
        else:
            commit = record(args.version, args.summary, args.commit)
            print(
                f"recorded v{args.version} = {commit}, tagged.\n"
                "Review CHANGELOG.md's new section (its **How to update:** note), then commit:\n"
                f"  git commit -m 'Release v{args.version}' releases.yml CHANGELOG.md"
            )
    except ToolError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
