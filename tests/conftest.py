"""Shared helpers: render the template from the working tree, run generated projects."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from matrix import combination_id, combinations

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))  # maintainer scripts the tests reuse (standin_hooks)
NATIVE_PYTHON = "3.11"  # the only interpreter our machines have


def run(
    args: list[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    check=True,
    timeout=900,
):
    """Run a command, failing the test with its output when it fails."""
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"command failed ({result.returncode}): {' '.join(map(str, args))}\n"
            f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
        )
    return result


def copier_command() -> list[str]:
    return [sys.executable, "-m", "copier"]


# Copier renders a git template's latest tag unless told otherwise; tests render the working
# tree (HEAD plus uncommitted changes).
WORKING_TREE = ["--vcs-ref", "HEAD"]


def render(
    destination: Path, answers: dict[str, Any] | None = None, skip_tasks: bool = True
) -> Path:
    """Render the working tree of the template into `destination` with --defaults."""
    args = [*copier_command(), "copy", *WORKING_TREE, "--trust", "--defaults", "--quiet"]
    if skip_tasks:
        args.append("--skip-tasks")
    for key, value in (answers or {}).items():
        args += ["--data", f"{key}={value}"]
    run([*args, ROOT, destination])
    return destination


def uv_bin() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def project_env(tmp: Path) -> dict[str, str]:
    """Environment for generated projects: shared uv cache, native Python, own MLflow store."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_", "PYTEST_"))
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as on users' machines: bytecode is cached
    env.update(
        UV_PYTHON=NATIVE_PYTHON,
        UV_PYTHON_DOWNLOADS="never",
        UV_CACHE_DIR=str(shared_uv_cache()),
        MLFLOW_TRACKING_URI=f"sqlite:///{tmp / 'tracking' / 'mlflow.db'}",
        DVC_NO_ANALYTICS="1",  # no usage reports from test runs
        PYENV_VERSION=pyenv_version(),
    )
    (tmp / "tracking").mkdir(exist_ok=True)
    return env


def pyenv_version() -> str:
    """pyenv shims honour .python-version; point them at the interpreter we have."""
    return f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"


def shared_uv_cache() -> Path:
    """One package cache for every generated project (never a fresh download per test)."""
    configured = os.environ.get("BERTH_UV_CACHE")
    if configured:
        return Path(configured)
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "uv"
    return default


COMBINATIONS = combinations()

# Non-default answers that every release since v0.1.0 asks for, on the interpreter our
# machines run natively; suites add the questions later releases brought.
CUSTOM_ANSWERS = {
    "project_name": "Churn Radar",
    "package_name": "churn_core",
    "python_version": "3.11",
    "license": "Apache-2.0",
    "author_name": "Ada Lovelace",
}


@pytest.fixture(scope="session", params=COMBINATIONS, ids=[combination_id(c) for c in COMBINATIONS])
def rendered(request, tmp_path_factory):
    """Every answer combination, rendered once per session (tests must not modify it)."""
    answers = request.param
    destination = tmp_path_factory.mktemp("render") / "demo-project"
    render(destination, answers)
    return answers, destination


@pytest.fixture(scope="session")
def copier_available() -> None:
    if shutil.which("git") is None:
        pytest.fail("git is required to render the template")


class Project:
    """A generated project with its own environment, driven like a user would."""

    def __init__(self, root: Path, tmp: Path):
        self.root = root
        self.env = project_env(tmp)
        answers = __import__("yaml").safe_load((root / ".copier-answers.yml").read_text())
        self.slug = answers["project_slug"]
        self.package = answers["package_name"]

    def install(self) -> None:
        """`uv sync --locked`: the committed lock must already describe the project."""
        run([uv_bin(), "sync", "--locked"], cwd=self.root, env=self.env)

    def uv(self, *args: str, check: bool = True):
        return run([uv_bin(), "run", "--locked", *args], cwd=self.root, env=self.env, check=check)

    def cli(self, *args: str, check: bool = True):
        """The console script, as installed into the project's environment."""
        return run(
            [self.root / ".venv" / "bin" / self.slug, *args],
            cwd=self.root,
            env=self.env,
            check=check,
        )

    def python(self, code: str):
        return run(
            [self.root / ".venv" / "bin" / "python", "-c", code], cwd=self.root, env=self.env
        )


@pytest.fixture(scope="module")
def make_project(tmp_path_factory):
    """Render and install a project once per module and answer set."""
    cache: dict[str, Project] = {}

    def factory(
        answers: dict[str, Any] | None = None, name: str = "demo-project", tasks: bool = False
    ) -> Project:
        """`tasks=True` also runs the copy-time tasks (git init and the first commit)."""
        key = repr(sorted((answers or {}).items())) + name + repr(tasks)
        if key not in cache:
            tmp = tmp_path_factory.mktemp("project")
            project = Project(render(tmp / name, answers, skip_tasks=not tasks), tmp)
            project.install()
            cache[key] = project
        return cache[key]

    return factory


# ----------------------------------------------------------------------------- Docker
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def docker_cli_available() -> bool:
    """The docker CLI with the Compose v2 plugin (enough for `docker compose config`)."""
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    return result.returncode == 0


def docker_engine_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0 and docker_cli_available()


def skip_without(what: str) -> None:
    """Skip locally; in CI (CI=true) a missing Docker prerequisite fails the test."""
    message = f"{what} not available (bash .ci/docker-engine.sh installs and starts it)"
    if IN_CI:
        pytest.fail(f"{message}; CI=true, so this test may not be skipped")
    pytest.skip(message)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped Docker test is a failure, whatever skipped it."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and item.get_closest_marker("docker") is not None:
        report.outcome = "failed"
        report.longrepr = (
            f"skipped under CI=true, which is not allowed for Docker tests: {report.longrepr}"
        )


# Figures the Docker tier measures (image sizes, build and start times), printed at the end.
DOCKER_FIGURES: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter):
    if DOCKER_FIGURES:
        terminalreporter.section("Docker tier figures")
        for name, value in DOCKER_FIGURES.items():
            terminalreporter.write_line(f"{name:<55} {value}")


def pre_commit(root: Path, *args: str):
    """The project's real pre-commit config, with git redirected to local stand-in hook repos."""
    import standin_hooks

    env = standin_hooks.environment([root / ".pre-commit-config.yaml"])
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never", *args]
    return run(command, cwd=root, env=env, check=False, timeout=1800)


def run_pre_commit(project: Project) -> None:
    """Every hook passes on the project and changes no file (all files staged first)."""
    run(["git", "add", "--all"], cwd=project.root)
    result = pre_commit(project.root)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    changed = run(["git", "diff", "--name-only"], cwd=project.root).stdout.strip()
    assert changed == "", f"hooks modified the project: {changed}"
