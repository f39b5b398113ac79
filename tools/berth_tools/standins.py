"""Run pre-commit with local stand-ins for the hook repositories (our machines reach no GitHub).

A `.pre-commit-config.yaml` names each hook repository by its GitHub URL and a `rev`. For
every repository a config names, this builds a local git repository that pre-commit can
clone instead, from its entry in .ci/standins/hooks/hooks.yaml: the upstream hook
definitions (same ids, entries, languages and file filters) and a `pyproject.toml` whose
only dependency is the real tool at the version the `rev` names, installed from the
package index. The repository is tagged with the `rev`, and git is redirected to it with
`url.<stand-in>.insteadOf <upstream URL>` passed through `GIT_CONFIG_COUNT` /
`GIT_CONFIG_KEY_<n>` / `GIT_CONFIG_VALUE_<n>` (pre-commit strips most `GIT_*` variables but
keeps these). The config itself is never changed, so what runs here is what users run.

    uv run berth-hooks [--config FILE ...] -- pre-commit run --all-files

Stand-ins and pre-commit's environments are cached under `$BERTH_HOOK_CACHE` (default
`~/.cache/berth/hooks`), in folders named after a hash of the definitions, so a change to
them never reuses a stale environment. Used by `.ci/run` for Berth's own config and by the
tests for the generated project's config.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from berth_tools import ROOT
from berth_tools.git import git

DEFINITIONS = ROOT / ".ci" / "standins" / "hooks" / "hooks.yaml"


@dataclass(frozen=True)
class Upstream:
    """A hook repository: the distribution that provides its tools, and its hooks."""

    package: str
    hooks: tuple[dict[str, Any], ...]
    extras: tuple[str, ...] = field(default=())

    def version(self, rev: str) -> str:
        """Every repository we use tags releases as the tool's version, with or without a `v`."""
        return rev[1:] if rev.startswith("v") else rev


@cache
def upstreams() -> dict[str, Upstream]:
    """The stand-in definitions, by upstream URL (.ci/standins/hooks/hooks.yaml)."""
    data = yaml.safe_load(DEFINITIONS.read_text())
    return {
        url: Upstream(
            package=entry["package"],
            hooks=tuple(
                {"id": hook["id"], "name": hook.get("name", hook["id"]), "language": "python"}
                | hook
                for hook in entry["hooks"]
            ),
            extras=tuple(entry.get("extras", ())),
        )
        for url, entry in data.items()
    }


def definitions_hash() -> str:
    """Names the cache folders: a change to any definition gets fresh stand-ins."""
    described = {
        url: [u.package, u.hooks, *([u.extras] if u.extras else [])]
        for url, u in upstreams().items()
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:12]


def cache_root() -> Path:
    configured = os.environ.get("BERTH_HOOK_CACHE")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "berth" / "hooks"


def repos_in(config: Path) -> list[tuple[str, str, list[str]]]:
    """(url, rev, hook ids) for every remote repository of a pre-commit config."""
    data = yaml.safe_load(config.read_text())
    found = []
    for repo in data.get("repos", []):
        if repo["repo"] in {"local", "meta"}:
            continue
        found.append((repo["repo"], str(repo["rev"]), [hook["id"] for hook in repo["hooks"]]))
    return found


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise builders (parallel test workers share the cache)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _standin_files(url: str, rev: str, upstream: Upstream) -> dict[str, str]:
    name = "berth-standin-" + url.rstrip("/").rsplit("/", 1)[-1].lower()
    requirement = f"{upstream.package}=={upstream.version(rev)}"
    pyproject = (
        "# Stand-in for "
        f"{url} at {rev}: installs the real tool from the package index.\n"
        "[build-system]\n"
        'requires = ["setuptools>=61"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        "[project]\n"
        f'name = "{name}"\n'
        'version = "0"\n'
        f"dependencies = {json.dumps([requirement, *upstream.extras])}\n\n"
        "[tool.setuptools]\n"
        "packages = []\n"
    )
    manifest = yaml.safe_dump(list(upstream.hooks), sort_keys=False)
    return {".pre-commit-hooks.yaml": manifest, "pyproject.toml": pyproject}


def build(configs: list[Path], root: Path | None = None) -> dict[str, Path]:
    """Build (or reuse) the stand-ins every config needs; returns upstream URL -> local repo."""
    root = (root or cache_root()) / f"repos-{definitions_hash()}"
    wanted: dict[str, set[str]] = {}
    for config in configs:
        for url, rev, ids in repos_in(config):
            upstream = upstreams().get(url)
            if upstream is None:
                raise SystemExit(
                    f"{config}: no stand-in is defined for {url}; add it to {DEFINITIONS}"
                )
            missing = set(ids) - {hook["id"] for hook in upstream.hooks}
            if missing:
                raise SystemExit(f"{config}: {url} has no stand-in for hook(s) {sorted(missing)}")
            wanted.setdefault(url, set()).add(rev)

    mapping: dict[str, Path] = {}
    with _locked(root / ".lock"):
        for url, revs in sorted(wanted.items()):
            repo = root / url.removeprefix("https://").replace("/", "__")
            if not (repo / ".git").is_dir():
                repo.mkdir(parents=True, exist_ok=True)
                git("init", "--quiet", "--initial-branch=main", cwd=repo)
            tags = set(git("tag", "--list", cwd=repo).split())
            for rev in sorted(revs - tags):
                for name, text in _standin_files(url, rev, upstreams()[url]).items():
                    (repo / name).write_text(text)
                git("add", "--all", cwd=repo)
                git(
                    "commit",
                    "--quiet",
                    "--allow-empty",
                    "-m",
                    f"stand-in for {url} {rev}",
                    cwd=repo,
                    identity=True,
                )
                git("tag", rev, cwd=repo)
            mapping[url] = repo
    return mapping


def redirect_env(mapping: Mapping[str, Path]) -> dict[str, str]:
    """The variables that make git fetch each upstream URL from its stand-in."""
    env = {"GIT_CONFIG_COUNT": str(len(mapping))}
    for index, (url, path) in enumerate(sorted(mapping.items())):
        env[f"GIT_CONFIG_KEY_{index}"] = f"url.{path.resolve().as_uri()}.insteadOf"
        env[f"GIT_CONFIG_VALUE_{index}"] = url
    return env


def pre_commit_home(root: Path | None = None) -> Path:
    """One pre-commit cache shared by every run, keyed by the stand-in definitions."""
    return (root or cache_root()) / f"pre-commit-{definitions_hash()}"


def environment(configs: list[Path], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: os.environ) plus the redirection and the shared PRE_COMMIT_HOME."""
    env = dict(os.environ if base is None else base)
    for key in [k for k in env if k.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))]:
        del env[key]
    env.update(redirect_env(build(configs)))
    env["PRE_COMMIT_HOME"] = str(pre_commit_home())
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config",
        action="append",
        type=Path,
        help="pre-commit config to serve (default: .pre-commit-config.yaml); repeatable",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- the command to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    env = environment(args.config or [Path(".pre-commit-config.yaml")])
    return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    raise SystemExit(main())
