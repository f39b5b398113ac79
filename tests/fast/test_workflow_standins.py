"""The stand-ins berth_tools.run_workflows gives the act runner, checked without Docker: the
rules each one shares with the real action or tool (metadata-action's tags, actions/cache's
keys, gh's pull requests), run as the runner runs them (inputs and GITHUB_* files in the
environment). tests/docker/test_workflows.py runs them inside real workflow jobs.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from berth_tools import ROOT
from support.commands import run

RUNNER = ROOT / ".ci" / "standins" / "runner"
SHA = "0c59da6f00ddba11f00ddba11f00ddba11f00dd0"


def outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT's `name<<delimiter ... delimiter` records."""
    found, text = {}, path.read_text() if path.exists() else ""
    for name, _delimiter, value in re.findall(r"^([^\n<]+)<<(\S+)\n(.*?)\n\2$", text, re.M | re.S):
        found[name] = value
    return found


def action(tmp_path: Path, script: str, *args: str, **env: str) -> dict[str, str]:
    """Run a stand-in action's script as a step would; returns its outputs."""
    files = {
        name: tmp_path / name.lower() for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STATE")
    }
    for path in files.values():
        path.unlink(missing_ok=True)
        path.touch()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "STATE_"))},
        **{name: str(path) for name, path in files.items()},
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_REPOSITORY": "berth-act/demo",
        "GITHUB_SHA": SHA,
        "HOME": str(tmp_path / "home"),
        **env,
    }
    run([sys.executable, RUNNER / "actions" / script, *args], env=environment, cwd=tmp_path)
    return outputs(files["GITHUB_OUTPUT"])


RELEASE_TAGS = "\n".join(
    [
        "type=semver,pattern={{version}}",
        "type=semver,pattern={{major}}.{{minor}}",
        "type=semver,pattern={{major}},enable=ENABLE",
        "type=sha",
    ]
)


@pytest.mark.parametrize(
    ("ref", "major", "tags"),
    [
        ("refs/tags/v1.2.0", "true", ["1.2.0", "1.2", "1", "latest", "sha-0c59da6"]),
        ("refs/tags/v0.3.1", "false", ["0.3.1", "0.3", "latest", "sha-0c59da6"]),
        ("refs/tags/v2.0.0-rc.1", "true", ["2.0.0-rc.1", "sha-0c59da6"]),
        ("refs/heads/main", "true", ["sha-0c59da6"]),
    ],
)
def test_metadata_tags_follow_the_release_workflows_rules(tmp_path, ref, major, tags):
    out = action(
        tmp_path,
        "metadata.py",
        GITHUB_REF=ref,
        INPUT_IMAGES="ghcr.io/Berth-Act/demo",
        INPUT_TAGS=RELEASE_TAGS.replace("ENABLE", major),
    )
    assert out["tags"].splitlines() == [f"ghcr.io/berth-act/demo:{tag}" for tag in tags]
    labels = dict(line.split("=", 1) for line in out["labels"].splitlines())
    assert labels["org.opencontainers.image.version"] == tags[0]
    assert labels["org.opencontainers.image.revision"] == SHA
    assert labels["org.opencontainers.image.source"] == "https://github.com/berth-act/demo"


def test_cache_restores_by_key_then_prefix_and_saves_only_on_a_miss(tmp_path):
    store = tmp_path / "store"
    cached = tmp_path / "home" / ".cache" / "tool"
    cached.mkdir(parents=True)
    (cached / "env.txt").write_text("built once")
    common = {"BERTH_ACTIONS_CACHE": str(store), "INPUT_PATH": "~/.cache/tool"}

    first = action(tmp_path, "cache.py", "restore", INPUT_KEY="tool-a", **common)
    assert first["cache-hit"] == "false"
    action(tmp_path, "cache.py", "save", INPUT_KEY="tool-a", STATE_CACHE_KEY="tool-a", **common)
    (cached / "env.txt").unlink()

    exact = action(tmp_path, "cache.py", "restore", INPUT_KEY="tool-a", **common)
    assert exact["cache-hit"] == "true" and (cached / "env.txt").read_text() == "built once"
    fallback = action(
        tmp_path,
        "cache.py",
        "restore",
        INPUT_KEY="tool-b",
        **{"INPUT_RESTORE-KEYS": "tool-"},
        **common,
    )
    assert (fallback["cache-hit"], fallback["cache-matched-key"]) == ("false", "tool-a")
    entries = sorted(p.name for p in store.rglob("*.tar.zst"))
    action(
        tmp_path,
        "cache.py",
        "save",
        STATE_CACHE_KEY="tool-a",
        STATE_CACHE_RESULT="tool-a",
        **common,
    )
    assert sorted(p.name for p in store.rglob("*.tar.zst")) == entries  # an exact hit saves nothing


def test_gh_records_pull_requests_for_pushed_branches(tmp_path):
    origin, clone = tmp_path / "origin.git", tmp_path / "clone"
    run(["git", "init", "--quiet", "--bare", "--initial-branch=main", origin])
    run(["git", "clone", "--quiet", origin, clone])
    identity = ["-c", "user.name=t", "-c", "user.email=t@localhost"]
    run(["git", *identity, "commit", "--quiet", "--allow-empty", "-m", "first"], cwd=clone)
    run(["git", "push", "--quiet", "origin", "HEAD:main", "HEAD:refs/heads/update"], cwd=clone)
    env = {
        **os.environ,
        "GH_TOKEN": "ghs_test",
        "BERTH_GITHUB_API": str(tmp_path / "api"),
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{origin.as_uri()}.insteadOf",
        "GIT_CONFIG_VALUE_0": "https://github.com/berth-act/demo.git",
    }
    run(["git", "remote", "set-url", "origin", "https://github.com/berth-act/demo.git"], cwd=clone)
    body = tmp_path / "body.md"
    body.write_text("Updates the project.")

    def gh(*args: str, check: bool = True, token: bool = True):
        environment = env if token else {k: v for k, v in env.items() if k != "GH_TOKEN"}
        command = [sys.executable, RUNNER / "bin" / "gh", *args]
        return run(command, cwd=clone, env=environment, check=check)

    def create(head: str):
        args = ["--base", "main", "--head", head, "--title", "Update", "--body-file", body]
        return gh("pr", "create", *args, check=False)

    assert gh("pr", "view", "update", "--json", "state", check=False).returncode == 1
    missing = create("gone")
    assert missing.returncode == 1 and "does not exist on the remote" in missing.stderr
    assert create("update").stdout.strip() == "https://github.com/berth-act/demo/pull/1"
    assert gh("pr", "view", "update", "--json", "state", "--jq", ".state").stdout.strip() == "OPEN"
    gh("label", "create", "conflicts", "--color", "B60205", "--force")
    gh("pr", "edit", "update", "--body-file", body, "--add-label", "conflicts")
    assert '"conflicts"' in gh("pr", "view", "update", "--json", "labels").stdout
    assert create("update").returncode == 1  # one open pull request per branch
    assert gh("pr", "view", "update", check=False, token=False).returncode == 4
