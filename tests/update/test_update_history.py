"""The real history: a project from every recorded release updates to the working tree.

For each release in releases.yml × (defaults, a non-default answer set) × (oldest supported,
latest Copier): copy the project at that release (its tasks run, with no git identity),
commit, make user edits, update to the working tree (a temporary clone, committed and
tagged above the newest release) and check: no edit lost, no conflict, the answers file at
the new version, the project equal to a fresh copy apart from the edits.

Releases keep coming, so what costs minutes runs once per answer set, from the newest
release on the latest Copier: the updated project installs, passes its own tests and its
own hooks. (Every older release's update is byte-equal to a fresh copy plus the edits, so
it would install and pass the same.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.version import Version

from berth_migrations.git import find_conflicts
from berth_tools import ROOT
from berth_tools.releases import load_migration
from support.git import commit_all
from support.projects import Project, assert_hooks_pass_unchanged
from support.rendering import CUSTOM_ANSWERS
from support.updates import COPIER_VERSIONS, LATEST, Copier, release_working_tree
from support.versions import migrations, releases

RELEASES = releases()
NEWEST = RELEASES[-1]
ANSWER_SETS = {"defaults": {}, "custom": CUSTOM_ANSWERS}
COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> tuple[Path, str]:
    """The working tree as the next release, in a clone whose tags come from releases.yml."""
    return release_working_tree(tmp_path_factory.mktemp("template") / "berth")


# ─── user edits: text -> text, applied at the release and to a fresh copy alike ──


def append(text: str) -> Callable[[str], str]:
    return lambda content: content.rstrip("\n") + "\n" + text + "\n"


def replace(pattern: str, new: str, fallback: str) -> Callable[[str], str]:
    def edit(content: str) -> str:
        changed, count = re.subn(pattern, new, content, count=1, flags=re.M)
        return changed if count else append(fallback)(content)

    return edit


def comment_for(path: str) -> str:
    if path.endswith((".md", ".txt")):
        return "User note kept by the update."
    if path.endswith(".py"):
        return "\n\n# user note kept by the update"  # black wants two blank lines there
    return "# user note kept by the update"


def moved_paths_after(release: str) -> dict[str, str | list[str]]:
    """What the migrations of later releases move, old path -> new path(s)."""
    moved: dict[str, str | list[str]] = {}
    for version in migrations():
        if Version(version) > Version(release):
            migration = load_migration(ROOT / "migrations" / f"v{version}.py").MIGRATION
            moved.update(migration.files_moved)
    return moved


def user_edits(project: Path, package: str, release: str) -> dict[str, Callable[[str], str]]:
    edits = {
        f"src/{package}/features.py": append(
            '\n\ndef user_feature() -> int:\n    """Added by the user."""\n    return 42'
        ),
        "README.md": append("\n## Our notes\n\nWritten by the team, kept by every update."),
        "params.yaml": replace(r"^(\s*n_estimators:) 200$", r"\1 150", "# user: tuned"),
    }
    edits.update(
        {name: append(comment_for(name)) for name in COMPOSE_FILES if (project / name).is_file()}
    )
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    for source in moved_paths_after(release):
        source = source.format_map(answers)
        if (project / source).is_file() and not source.endswith(".json"):
            edits.setdefault(source, append(comment_for(source)))
    return edits


# Written by the copy task with fresh random secrets, untracked: present, never compared.
UNTRACKED_SECRETS = ".env"


def files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file()
        and ".git" not in p.relative_to(root).parts
        and str(p.relative_to(root)) != UNTRACKED_SECRETS
    }


@pytest.fixture(scope="session")
def fresh(template, tmp_path_factory) -> Callable[[str], dict[str, bytes]]:
    """A fresh copy of the working tree per answer set (latest Copier), made once."""
    template_root, version = template
    copies: dict[str, dict[str, bytes]] = {}

    def copy(answer_set: str) -> dict[str, bytes]:
        if answer_set not in copies:
            tmp = tmp_path_factory.mktemp(f"fresh-{answer_set}")
            root = Copier(LATEST, tmp / "home").copy(
                template_root, tmp / "demo-project", f"v{version}", ANSWER_SETS[answer_set]
            )
            copies[answer_set] = files(root)
        return copies[answer_set]

    return copy


@pytest.fixture(scope="module")
def updated(template, tmp_path_factory) -> Callable[..., dict[str, Any]]:
    """A project copied at `release` with user edits, updated to the working tree (made once)."""
    template_root, _ = template
    updates: dict[tuple[str, str, str], dict[str, Any]] = {}

    def update(release: str, answer_set: str, copier_version: str) -> dict[str, Any]:
        key = (release, answer_set, copier_version)
        if key not in updates:
            tmp = tmp_path_factory.mktemp(f"from-{release}-{answer_set}")
            copier = Copier(copier_version, tmp / "home")
            # Tasks run (no --skip-tasks) in an environment without any git identity.
            answers = ANSWER_SETS[answer_set]
            root = copier.copy(
                template_root, tmp / "demo-project", f"v{release}", answers, tasks=True
            )
            package = yaml.safe_load((root / ".copier-answers.yml").read_text())["package_name"]
            edits = user_edits(root, package, release)
            for path, edit in edits.items():
                (root / path).write_text(edit((root / path).read_text()))
            commit_all(root, "User edits")
            updates[key] = {"root": root, "edits": edits, "result": copier.update(root)}
        return updates[key]

    return update


@pytest.mark.parametrize("copier_version", COPIER_VERSIONS, ids=lambda v: f"copier-{v}")
@pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
@pytest.mark.parametrize("release", RELEASES, ids=[f"from-v{r}" for r in RELEASES])
def test_update_from_release_keeps_every_edit(
    template, fresh, updated, release, answer_set, copier_version
):
    _, version = template
    update = updated(release, answer_set, copier_version)
    project_root, edits, result = update["root"], update["edits"], update["result"]
    assert result.returncode == 0, result.stderr[-6000:]
    assert find_conflicts(project_root) == []
    recorded = yaml.safe_load((project_root / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == f"v{version}"
    if (project_root / UNTRACKED_SECRETS).exists():
        env_before = (project_root / UNTRACKED_SECRETS).read_text()
        assert "JUPYTER_TOKEN=" in env_before  # the update kept the user's secrets

    expected, updated_files = dict(fresh(answer_set)), files(project_root)
    moved = {src.format_map(recorded): dst for src, dst in moved_paths_after(release).items()}
    for path, edit in edits.items():
        targets = moved.get(path, path)
        for target in [targets] if isinstance(targets, str) else targets:
            target = target.format_map(recorded)
            if target in fresh(answer_set):
                expected[target] = edit(fresh(answer_set)[target].decode()).encode()
    assert sorted(updated_files) == sorted(expected), "file sets differ"
    different = [p for p in expected if updated_files[p] != expected[p]]
    assert not different, f"differs from a fresh copy plus the user's edits: {different}"


@pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
def test_the_update_from_the_newest_release_installs_and_passes_its_tests_and_hooks(
    updated, answer_set, tmp_path
):
    update = updated(NEWEST, answer_set, LATEST)
    assert update["result"].returncode == 0, update["result"].stderr[-6000:]
    project = Project(update["root"], tmp_path)
    project.install()
    outcome = project.uv("pytest", "-q", "-p", "no:cacheprovider")
    assert " passed" in outcome.stdout and "failed" not in outcome.stdout
    assert_hooks_pass_unchanged(project)
