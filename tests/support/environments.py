"""The environment uv, Copier and generated projects run in: a user's, not ours."""

from __future__ import annotations

import os
import sys
from pathlib import Path

NATIVE_PYTHON = "3.11"  # the only interpreter our machines have (nothing can download one)


def environment(
    python: str = NATIVE_PYTHON, home: Path | None = None, tracking: Path | None = None
) -> dict[str, str]:
    """os.environ without our virtual environment, uv and pytest settings, plus:

    uv on `python` (never downloading one) with the one package cache every generated
    project shares, bytecode cached as on users' machines, no DVC usage reports.
    home: an isolated HOME (created) in which git has no identity and refuses to guess one.
    tracking: a folder (created) for the project's own MLflow store.
    """
    drop = ("VIRTUAL_ENV", "UV_", "PYTEST_", *(("GIT_",) if home else ()))
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        UV_PYTHON=python,
        UV_PYTHON_DOWNLOADS="never",
        UV_CACHE_DIR=str(shared_uv_cache()),
        DVC_NO_ANALYTICS="1",
        PYENV_VERSION=pyenv_version(python),
    )
    if home is not None:
        home.mkdir(parents=True, exist_ok=True)
        env.pop("EMAIL", None)
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_CONFIG_COUNT="1",
            GIT_CONFIG_KEY_0="user.useConfigOnly",
            GIT_CONFIG_VALUE_0="true",
        )
    if tracking is not None:
        tracking.mkdir(parents=True, exist_ok=True)
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{tracking / 'mlflow.db'}"
    return env


def pyenv_version(python: str) -> str:
    """pyenv shims honour .python-version; point them at the interpreter we have."""
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"{running}.{sys.version_info.micro}" if python == running else python


def shared_uv_cache() -> Path:
    """One package cache for every generated project (never a fresh download per test)."""
    configured = os.environ.get("BERTH_UV_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "uv"
