"""The real history: a project from every recorded release updates to the working tree.

For each release in releases.yml × (defaults, a non-default answer set) × (oldest supported,
latest Copier): copy the project at that release (its tasks run, with no git identity),
commit, make user edits, update to the working tree (a temporary clone, committed and
tagged above the newest release) and check: no edit lost, no conflict, the answers file at
the new version, the project equal to a fresh copy apart from the edits.

Releases keep coming, so what costs minutes runs once per answer set, from the newest
release on the latest Copier: the updated project installs, passes its own unit tests and
its own hooks, and trains with the user's edited params.yaml. (Every update is byte-equal to
a fresh copy plus the edits, and tests/project runs a fresh copy's whole suite, so the
integration tests would pass the same.)
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


def final_places(path: str, moved: dict[str, str | list[str]]) -> list[str]:
    """Where a file of an old release is at HEAD, following every later release's move."""
    targets = moved.get(path)
    if targets is None:
        return [path]
    targets = [targets] if isinstance(targets, str) else targets
    return [place for target in targets for place in final_places(target, moved)]


# Moved files whose end a later release rewrote: text a user appended to them cannot merge
# cleanly, so the update stops and lists them, with the user's text inside the conflict.
# (test_model.py: its last test builds a pipeline, whose arguments gained the column plan.)
REWRITTEN_ENDS = {
    "tests/integration/test_files.py",
    "tests/unit/test_architecture.py",
    "tests/unit/test_model.py",
}
CONFLICT_MARKER = "<<<<<<< before updating"


def listed_conflicts(stderr: str) -> list[str]:
    """The files `finish` lists after "conflicts to resolve in these files:"."""
    listing = stderr.split("conflicts to resolve in these files:")[1].split("Resolve them")[0]
    return sorted(line.strip() for line in listing.splitlines() if line.strip())


def user_edits(project: Path, package: str, release: str) -> dict[str, Callable[[str], str]]:
    features = next(  # the features module, wherever the release keeps it
        path
        for path in (f"src/{package}/core/features.py", f"src/{package}/features.py")
        if (project / path).is_file()
    )
    edits = {
        features: append(
            '\n\ndef user_feature() -> int:\n    """Added by the user."""\n    return 42'
        ),
        "README.md": append("\n## Our notes\n\nWritten by the team, kept by every update."),
        "params.yaml": replace(r"^(\s*test_size:) 0.2$", r"\1 0.25", "# user: tuned"),
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
            recorded = yaml.safe_load((root / ".copier-answers.yml").read_text())
            moved = {s.format_map(recorded): d for s, d in moved_paths_after(release).items()}
            places = {
                path: [place.format_map(recorded) for place in final_places(path, moved)]
                for path in edits
            }
            conflicted = sorted(
                {place for path in edits for place in places[path] if place != path}
                & REWRITTEN_ENDS
            )
            updates[key] = {
                "root": root,
                "edits": edits,
                "places": places,
                "conflicted": conflicted,
                "result": copier.update(root),
            }
        return updates[key]

    return update


def expected_after(update: dict[str, Any], fresh_files: dict[str, bytes]) -> dict[str, bytes]:
    """A fresh copy of the working tree with the user's edits applied where they now live."""
    expected = dict(fresh_files)
    for path, edit in update["edits"].items():
        for target in update["places"][path]:
            if target in fresh_files:
                expected[target] = edit(fresh_files[target].decode()).encode()
    return expected


def check_and_resolve_conflicts(update: dict[str, Any], expected: dict[str, bytes]) -> None:
    """The update stops exactly on the expected conflicts, the user's text inside each;
    resolved as a user would (the new file with their addition)."""
    root, result, conflicted = update["root"], update["result"], update["conflicted"]
    if not conflicted:
        assert result.returncode == 0, result.stderr[-6000:]
        assert find_conflicts(root) == []
        return
    assert result.returncode != 0
    assert listed_conflicts(result.stderr) == conflicted
    for target in conflicted:
        merged = (root / target).read_text()
        if CONFLICT_MARKER in merged:  # not resolved yet by an earlier test
            assert "user note kept by the update" in merged, target
            (root / target).write_bytes(expected[target])
    assert find_conflicts(root) == []


@pytest.mark.parametrize("copier_version", COPIER_VERSIONS, ids=lambda v: f"copier-{v}")
@pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
@pytest.mark.parametrize("release", RELEASES, ids=[f"from-v{r}" for r in RELEASES])
def test_update_from_release_keeps_every_edit(
    template, fresh, updated, release, answer_set, copier_version
):
    _, version = template
    update = updated(release, answer_set, copier_version)
    project_root = update["root"]
    expected = expected_after(update, fresh(answer_set))
    check_and_resolve_conflicts(update, expected)
    recorded = yaml.safe_load((project_root / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == f"v{version}"
    if (project_root / UNTRACKED_SECRETS).exists():
        env_before = (project_root / UNTRACKED_SECRETS).read_text()
        assert "JUPYTER_TOKEN=" in env_before  # the update kept the user's secrets

    updated_files = files(project_root)
    assert sorted(updated_files) == sorted(expected), "file sets differ"
    different = [p for p in expected if updated_files[p] != expected[p]]
    assert not different, f"differs from a fresh copy plus the user's edits: {different}"


@pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
def test_the_update_from_the_newest_release_installs_and_passes_its_tests_and_hooks(
    fresh, updated, answer_set, tmp_path
):
    """The updated project installs from its lock, its unit tests (which import every edited
    module) and its hooks pass. Its integration tests are left to tests/project: the update
    tests prove the updated files equal a fresh copy plus the user's edits byte for byte, and
    tests/project runs a fresh copy's whole suite for each answer set. `train` runs on the
    user's edited params.yaml."""
    update = updated(NEWEST, answer_set, LATEST)
    check_and_resolve_conflicts(update, expected_after(update, fresh(answer_set)))
    project = Project(update["root"], tmp_path)
    project.install()
    outcome = project.uv("pytest", "-q", "-p", "no:cacheprovider", "tests/unit")
    assert " passed" in outcome.stdout and "failed" not in outcome.stdout
    assert_hooks_pass_unchanged(project)
    trained = project.cli("train")
    assert "registered version 1" in trained.stdout + trained.stderr


# ─── v0.2.0 -> HEAD: edits where the new layers reshape the package ─────────

USER_COMMAND = """

@main.command()
def hello() -> None:
    \"\"\"Our own command.\"\"\"
    click.echo("hello from the team")"""
USER_TEST = """

def test_a_perfect_prediction_scores_one():
    assert compute_metrics("classification", ["a", "b"], ["a", "b"])["accuracy"] == 1.0"""
USER_MODULE = """\"\"\"The team's own helpers.\"\"\"


def churn_band(probability: float) -> str:
    return "high" if probability >= 0.5 else "low"
"""


@pytest.mark.skipif("0.2.0" not in RELEASES, reason="v0.2.0 is not recorded")
def test_update_from_v0_2_0_keeps_edits_across_the_new_layers(template, tmp_path):
    """The CLI (rewritten: a loud conflict), a unit test and params.yaml (merged), a module
    of the user's own (untouched); resolved, the project's tests and the command pass."""
    template_root, version = template
    copier = Copier(LATEST, tmp_path / "home")
    answers = CUSTOM_ANSWERS
    root = copier.copy(template_root, tmp_path / "demo-project", "v0.2.0", answers, tasks=True)
    package = yaml.safe_load((root / ".copier-answers.yml").read_text())["package_name"]
    cli, extras = f"src/{package}/cli.py", f"src/{package}/extras.py"
    edits = {
        cli: append(USER_COMMAND),
        "tests/unit/test_metrics.py": append(USER_TEST),
        "params.yaml": replace(r"^(\s*test_size:) 0.2$", r"\1 0.25", "# user: tuned"),
    }
    for path, edit in edits.items():
        (root / path).write_text(edit((root / path).read_text()))
    (root / extras).write_text(USER_MODULE)
    commit_all(root, "User edits")

    result = copier.update(root)
    assert result.returncode != 0
    assert listed_conflicts(result.stderr) == find_conflicts(root) == [cli]
    fresh = files(
        Copier(LATEST, tmp_path / "fresh-home").copy(
            template_root, tmp_path / "fresh" / "demo-project", f"v{version}", answers
        )
    )
    merged = (root / cli).read_text()
    assert CONFLICT_MARKER in merged and 'click.echo("hello from the team")' in merged
    for path in ("tests/unit/test_metrics.py", "params.yaml"):
        assert (root / path).read_text() == edits[path](fresh[path].decode()), path
    assert (root / extras).read_text() == USER_MODULE

    # Resolved as a user would (the new cli.py plus their command), the project works.
    (root / cli).write_text(edits[cli](fresh[cli].decode()))
    project = Project(root, tmp_path)
    project.install()
    assert project.cli("hello").stdout.strip() == "hello from the team"
    outcome = project.uv("pytest", "-q", "-p", "no:cacheprovider", "tests/unit")
    project.cli("train")
    assert " passed" in outcome.stdout and "failed" not in outcome.stdout
