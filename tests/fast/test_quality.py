"""Fast tier: the quality gates a project gets (and Berth's own) are valid and hardened.

Every answer combination's workflows and Dependabot file pass check-jsonschema's built-in
schemas and zizmor's offline audit with no finding; the hardening rules (pinned SHAs,
least privilege, no persisted credentials, timeouts, concurrency) hold; every hook has a
stand-in, and the formatters the Makefile runs are the versions the hooks pin.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from berth_tools import ROOT, relock, standins
from support.commands import run
from support.updates import min_copier_version

BIN = Path(sys.executable).parent
SHA_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def workflows(root: Path) -> list[Path]:
    return sorted((root / ".github" / "workflows").glob("*.yml"))


def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess:
    return run([BIN / "check-jsonschema", "--builtin-schema", schema, *files], check=False)


def zizmor(path: Path) -> subprocess.CompletedProcess:
    return run(
        [BIN / "zizmor", "--offline", "--no-progress", "--format", "plain", path], check=False
    )


def assert_hardened(workflow: Path) -> None:
    """The rules zizmor does not all enforce by default, read from the file itself."""
    text = workflow.read_text()
    data = yaml.safe_load(text)
    name = workflow.name
    assert data["permissions"] == {}, f"{name}: top-level permissions must be empty"
    assert data["concurrency"]["group"], f"{name}: no concurrency group"
    for job_id, job in data["jobs"].items():
        assert "permissions" in job, f"{name}:{job_id} has no permissions of its own"
        assert isinstance(job.get("timeout-minutes"), int), f"{name}:{job_id} has no timeout"
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, f"{name}:{job_id}"
    for line in text.splitlines():
        if line.strip().startswith(("uses:", "- uses:")):
            action = line.split("uses:", 1)[1].strip()
            assert SHA_PINNED.match(action), f"{name}: not pinned to a SHA with a version: {action}"


# ─── Generated projects, every answer combination ────────────────────────────
def test_workflows_and_dependabot_match_the_schemas(rendered):
    answers, root = rendered
    if answers["ci_provider"] != "github":
        assert not (root / ".github").exists()
        return
    result = check_jsonschema("vendor.github-workflows", *workflows(root))
    assert result.returncode == 0, result.stdout + result.stderr
    result = check_jsonschema("vendor.dependabot", root / ".github" / "dependabot.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing(rendered):
    answers, root = rendered
    if answers["ci_provider"] != "github":
        return
    result = zizmor(root / ".github")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_workflows_are_hardened(rendered):
    answers, root = rendered
    for workflow in workflows(root):
        assert_hardened(workflow)


def test_ci_uses_the_projects_python_and_both_targets(rendered):
    answers, root = rendered
    if answers["ci_provider"] != "github":
        return
    ci = yaml.safe_load((root / ".github/workflows/ci.yml").read_text())
    steps = [step for job in ci["jobs"].values() for step in job["steps"]]
    pythons = {s["with"]["python-version"] for s in steps if "setup-uv" in s.get("uses", "")}
    assert pythons == {answers["python_version"]}
    targets = {s["with"]["target"] for s in steps if "build-push-action" in s.get("uses", "")}
    assert targets == {"dev", "prod"}
    runs = "\n".join(s.get("run", "") for s in steps)
    for command in (
        "docker compose up --detach --wait",
        "docker compose run --rm bash demo-project train",
        "docker compose run --rm bash demo-project evaluate",
        "docker compose --profile serve up --detach --wait serve",
        "/invocations",
        "docker compose --profile serve down",
    ):
        assert command in runs


def test_release_pushes_to_the_chosen_registry(rendered):
    answers, root = rendered
    release = root / ".github/workflows/release.yml"
    if answers.get("registry", "none") == "none" or answers["ci_provider"] != "github":
        assert not release.exists()
        return
    data = yaml.safe_load(release.read_text())
    assert data[True]["push"]["tags"] == ["v*"]  # YAML 1.1 reads the key `on` as True
    (job,) = data["jobs"].values()
    steps = {step.get("uses", "").split("@")[0]: step for step in job["steps"]}
    build = steps["docker/build-push-action"]["with"]
    assert (build["target"], build["push"], build["sbom"]) == ("prod", True, True)
    assert build["provenance"] == "mode=max"
    assert "type=semver,pattern={{version}}" in steps["docker/metadata-action"]["with"]["tags"]
    if answers["registry"] == "ghcr":
        assert job["permissions"] == {"contents": "read", "packages": "write"}
        assert "ghcr.io/" in steps["docker/metadata-action"]["with"]["images"]
    else:
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        assert "role-to-assume" in steps["aws-actions/configure-aws-credentials"]["with"]
        assert "aws-access-key-id" not in release.read_text()


def test_pre_commit_config_uses_the_tools_own_repositories(rendered):
    _, root = rendered
    config = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())
    for repo in config["repos"]:
        assert repo["repo"].startswith("https://github.com/"), repo["repo"]
        assert repo["rev"], repo["repo"]
    hooks = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    expected = {"check-added-large-files", "check-merge-conflict", "detect-private-key"}
    expected |= {"check-yaml", "check-toml", "end-of-file-fixer", "trailing-whitespace"}
    expected |= {"black", "isort", "ruff-check", "nbstripout", "hadolint", "zizmor"}
    expected |= {"check-github-workflows", "check-dependabot", "detect-secrets"}
    assert expected <= hooks


def test_makefile_targets_are_thin_calls_of_the_real_tools(rendered):
    _, root = rendered
    text = (root / "Makefile").read_text()
    assert ".DEFAULT_GOAL := help" in text
    recipes: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if match := re.match(r"^([a-z]+):.*## ", line):
            current = match.group(1)
            recipes[current] = []
        elif line.startswith("\t") and current:
            recipes[current].append(line.strip())
    assert set(recipes) == {"help", "format", "lint", "test", "up", "down", "bash", "lab", "logs"}
    tools = ("uv run ", "docker compose ")
    for target, commands in recipes.items():
        if target != "help":
            assert commands and all(c.startswith(tools) for c in commands), (target, commands)
    readme = (root / "README.md").read_text()
    for command in {c for commands in recipes.values() for c in commands if c.startswith(tools)}:
        assert command in readme, f"README does not give the command behind make: {command}"


# ─── The template itself ─────────────────────────────────────────────────────
def test_every_hook_has_a_stand_in():
    for config in (ROOT / "template/.pre-commit-config.yaml", ROOT / ".pre-commit-config.yaml"):
        for url, _, ids in standins.repos_in(config):
            assert url in standins.upstreams(), f"{config.name}: {url}"
            known = {hook["id"] for hook in standins.upstreams()[url].hooks}
            assert set(ids) <= known, (url, set(ids) - known)


def test_formatter_versions_match_the_hooks():
    """`make format` (the locked dev tools) and the hooks must format the same way."""
    lock = relock.rendered((ROOT / "includes/locks/base.lock").read_text(), "x")
    locked = {package["name"]: package["version"] for package in tomllib.loads(lock)["package"]}
    config = yaml.safe_load((ROOT / "template/.pre-commit-config.yaml").read_text())
    revs = {repo["repo"].rsplit("/", 1)[-1]: repo["rev"].lstrip("v") for repo in config["repos"]}
    assert revs["black-pre-commit-mirror"] == locked["black"]
    assert revs["isort"] == locked["isort"]


@pytest.mark.parametrize("workflow", workflows(ROOT), ids=lambda p: p.name)
def test_berths_own_workflows(workflow):
    result = check_jsonschema("vendor.github-workflows", workflow)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_hardened(workflow)


def test_berths_own_workflows_pass_zizmor():
    assert workflows(ROOT), "Berth has no workflows"
    result = zizmor(ROOT / ".github")
    assert result.returncode == 0, result.stdout + result.stderr
    result = check_jsonschema("vendor.dependabot", ROOT / ".github" / "dependabot.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_berths_ci_tests_the_oldest_supported_copier():
    """The CI matrix runs the Copier that copier.yml declares as the minimum, and the latest."""
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    matrices = [
        job.get("strategy", {}).get("matrix", {}).get("copier") for job in workflow["jobs"].values()
    ]
    assert [min_copier_version(), "latest"] in matrices


@pytest.mark.parametrize(
    "lock", sorted((ROOT / "includes/locks").glob("*.lock")), ids=lambda p: p.stem
)
def test_stored_locks_are_raw_blocks_around_the_project_name(lock):
    """Jinja must not scan ~1 MB of lock as template text: only the project's name is Jinja."""
    text = lock.read_text()
    assert text.startswith("{% raw %}") and text.endswith("{% endraw %}")
    assert text.count("{% raw %}") == 2 and text.count("{% endraw %}") == 2
    assert text.count(relock.SLUG) == 1
    packages = tomllib.loads(relock.rendered(text, "churn-forecast"))["package"]
    assert [p["name"] for p in packages if p["source"].get("editable") == "."] == ["churn-forecast"]


def test_relock_refuses_a_lock_that_would_break_out_of_the_raw_block():
    good = f'[[package]]\nname = "{relock.PLACEHOLDER_PROJECT}"\n'
    assert relock.rendered(relock.stored(good), "demo") == '[[package]]\nname = "demo"\n'
    with pytest.raises(SystemExit, match="endraw"):
        relock.stored(good + "# {% endraw %}\n")
    with pytest.raises(SystemExit, match="placeholder"):
        relock.stored('[[package]]\nname = "other"\n')
