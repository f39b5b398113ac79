"""A generated project with its own environment, driven like a user would."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from berth_tools import standins
from support.commands import run, uv_bin
from support.environments import NATIVE_PYTHON, environment


class Project:
    """A generated project: `uv sync --locked`, `uv run`, its console script, its Python."""

    def __init__(self, root: Path, tmp: Path, python: str = NATIVE_PYTHON):
        self.root = root
        self.env = environment(python, tracking=tmp / "tracking")
        answers = yaml.safe_load((root / ".copier-answers.yml").read_text())
        self.slug = answers["project_slug"]
        self.package = answers["package_name"]

    def install(self) -> None:
        """`uv sync --locked`: the committed lock must already describe the project."""
        run([uv_bin(), "sync", "--locked"], cwd=self.root, env=self.env)

    def uv(self, *args: str, check: bool = True):
        return run([uv_bin(), "run", "--locked", *args], cwd=self.root, env=self.env, check=check)

    def cli(self, *args: str, check: bool = True):
        """The console script, as installed into the project's environment."""
        script = self.root / ".venv" / "bin" / self.slug
        return run([script, *args], cwd=self.root, env=self.env, check=check)

    def python(self, code: str):
        python = self.root / ".venv" / "bin" / "python"
        return run([python, "-c", code], cwd=self.root, env=self.env)


def pre_commit(root: Path, *args: str):
    """The project's real pre-commit config, with git redirected to local stand-in hook repos."""
    env = standins.environment([root / ".pre-commit-config.yaml"])
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never", *args]
    return run(command, cwd=root, env=env, check=False, timeout=1800)


def assert_hooks_pass_unchanged(project: Project) -> None:
    """Every hook passes on the project and changes no file (all files staged first)."""
    run(["git", "add", "--all"], cwd=project.root)
    result = pre_commit(project.root)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    changed = run(["git", "diff", "--name-only"], cwd=project.root).stdout.strip()
    assert changed == "", f"hooks modified the project: {changed}"
