"""The real history: a project from every recorded release updates to the working tree.

For each release in releases.yml × (defaults, a non-default answer set) × (oldest supported,
latest Copier): copy the project at that release, commit, make user edits, update to the
working tree (a temporary clone, committed and tagged above the newest release) and check:
no edit lost, no conflict, the answers file at the new version, the project equal to a
fresh copy apart from the edits, and the project's own tests pass.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from packaging.version import Version
from updating import COPIER_VERSIONS, LATEST, Copier, commit_all, git

import conftest
from conftest import ROOT, Project, run

sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "migrations"))
import releases  # noqa: E402
from _helpers import find_conflicts, load_copier_config  # noqa: E402

pytestmark = pytest.mark.project

RELEASES = [str(r["version"]) for r in releases.load()]
ANSWER_SETS = {"defaults": {}, "custom": conftest.CUSTOM_ANSWERS}
COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def head_version() -> str:
    """A version above every release and every migration in the working tree."""
    latest = Version(RELEASES[-1])
    candidates = [Version(f"{latest.major}.{latest.minor}.{latest.micro + 1}")]
    for entry in load_copier_config(ROOT).get("_migrations", []):
        if isinstance(entry, dict) and "version" in entry:
            candidates.append(Version(str(entry["version"])))
    return str(max(candidates))


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> tuple[Path, str]:
    """The working tree committed in a clone without tags; tags recreated from releases.yml."""
    clone = tmp_path_factory.mktemp("template") / "berth"
    run(["git", "clone", "-q", "--no-tags", ROOT, clone])
    tracked = set(run(["git", "ls-files", "-z"], cwd=clone).stdout.split("\0")) - {""}
    current = set(
        run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT
        ).stdout.split("\0")
    ) - {""}
    for name in tracked - current:
        (clone / name).unlink(missing_ok=True)
    for name in current:
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    commit_all(clone, "The working tree under test")
    assert releases.create_tags(clone)  # the release tags, from the list alone
    version = head_version()
    git(clone, "tag", f"v{version}")
    return clone, version


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
    for path in sorted((ROOT / "migrations").glob("v*.py"), key=lambda p: Version(p.stem[1:])):
        if Version(path.stem[1:]) <= Version(release):
            continue
        spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        moved.update(module.MIGRATION.files_moved)
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
REWRITTEN_ENDS = {"tests/integration/test_files.py", "tests/unit/test_architecture.py"}
CONFLICT_MARKER = "<<<<<<< before updating"


def listed_conflicts(stderr: str) -> list[str]:
    """The files `finish` lists after "conflicts to resolve in these files:"."""
    listing = stderr.split("conflicts to resolve in these files:")[1].split("Resolve them")[0]
    return sorted(line.strip() for line in listing.splitlines() if line.strip())


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


def quality_gate(project: Project) -> None:
    """The updated project passes its own pre-commit hooks, once the template ships them."""
    if not (project.root / ".pre-commit-config.yaml").exists():
        return
    runner = getattr(conftest, "run_pre_commit", None)
    if runner is None:
        pytest.fail("the template ships .pre-commit-config.yaml: call its pre-commit runner here")
    runner(project)


@pytest.mark.parametrize(
    "copier_version", COPIER_VERSIONS, ids=[f"copier-{v}" for v in COPIER_VERSIONS]
)
@pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
@pytest.mark.parametrize("release", RELEASES, ids=[f"from-v{r}" for r in RELEASES])
def test_update_from_release_keeps_every_edit(
    template, release, answer_set, copier_version, tmp_path
):
    template_root, version = template
    copier = Copier(copier_version, tmp_path / "home")
    answers = ANSWER_SETS[answer_set]
    # Tasks run (no --skip-tasks) in an environment without any git identity.
    project_root = copier.copy(
        template_root, tmp_path / "demo-project", f"v{release}", answers, tasks=True
    )
    package = yaml.safe_load((project_root / ".copier-answers.yml").read_text())["package_name"]
    edits = user_edits(project_root, package, release)
    for path, edit in edits.items():
        (project_root / path).write_text(edit((project_root / path).read_text()))
    commit_all(project_root, "User edits")

    recorded = yaml.safe_load((project_root / ".copier-answers.yml").read_text())
    moved = {src.format_map(recorded): dst for src, dst in moved_paths_after(release).items()}
    places = {path: [p.format_map(recorded) for p in final_places(path, moved)] for path in edits}
    conflicted = sorted(
        {place for path in edits for place in places[path] if place != path} & REWRITTEN_ENDS
    )
    result = copier.update(project_root)
    if conflicted:
        assert result.returncode != 0
        assert listed_conflicts(result.stderr) == conflicted
    else:
        assert result.returncode == 0, result.stderr[-6000:]
    assert find_conflicts(project_root) == conflicted
    recorded = yaml.safe_load((project_root / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == f"v{version}"

    fresh_root = Copier(LATEST, tmp_path / "fresh-home").copy(
        template_root, tmp_path / "fresh" / "demo-project", f"v{version}", answers
    )
    fresh = files(fresh_root)
    if (project_root / UNTRACKED_SECRETS).exists():
        env_before = (project_root / UNTRACKED_SECRETS).read_text()
        assert "JUPYTER_TOKEN=" in env_before  # the update kept the user's secrets
    expected = dict(fresh)
    for path, edit in edits.items():
        for target in places[path]:
            if target in fresh:
                expected[target] = edit(fresh[target].decode()).encode()
    for target in conflicted:
        # The user's text is in the conflict; resolve it as a user would: the new file
        # with their addition.
        merged = (project_root / target).read_text()
        assert CONFLICT_MARKER in merged and "user note kept by the update" in merged, target
        (project_root / target).write_bytes(expected[target])
    updated = files(project_root)
    assert sorted(updated) == sorted(expected), "file sets differ"
    different = [p for p in expected if updated[p] != expected[p]]
    assert not different, f"differs from a fresh copy plus the user's edits: {different}"

    if copier_version != LATEST:
        # The tree is byte-identical to the latest Copier's (both equal the same fresh copy
        # plus the same edits), whose own tests run in the sibling case.
        return
    project = Project(project_root, tmp_path)
    project.install()
    outcome = project.uv("pytest", "-q", "-p", "no:cacheprovider")
    assert " passed" in outcome.stdout and "failed" not in outcome.stdout
    quality_gate(project)


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
    answers = conftest.CUSTOM_ANSWERS
    root = copier.copy(template_root, tmp_path / "demo-project", "v0.2.0", answers, tasks=True)
    package = yaml.safe_load((root / ".copier-answers.yml").read_text())["package_name"]
    cli, extras = f"src/{package}/cli.py", f"src/{package}/extras.py"
    edits = {
        cli: append(USER_COMMAND),
        "tests/unit/test_metrics.py": append(USER_TEST),
        "params.yaml": replace(r"^(\s*n_estimators:) 200$", r"\1 150", "# user: tuned"),
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
    assert " passed" in outcome.stdout and "failed" not in outcome.stdout
