"""Docker on this machine: the CLI, an engine, and what a test does without them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Figures the Docker tier measures (image sizes, build and start times), printed at the end.
FIGURES: dict[str, str] = {}


def cli_available() -> bool:
    """The docker CLI with the Compose v2 plugin (enough for `docker compose config`)."""
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    return result.returncode == 0


def engine_available() -> bool:
    """An engine answers `docker info` (and the CLI has Compose v2)."""
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0 and cli_available()


def image_exists(image: str) -> bool:
    """The engine holds `image` (a name:tag or an id)."""
    return (
        subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0
    )


def free_port() -> int:
    """A free TCP port on 127.0.0.1, for a service the test publishes there."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def skip_without(what: str) -> None:
    """Skip locally; in CI (CI=true) a missing Docker prerequisite fails the test."""
    import pytest

    message = f"{what} not available (bash .ci/docker-engine.sh installs and starts it)"
    if IN_CI:
        pytest.fail(f"{message}; CI=true, so this test may not be skipped")
    pytest.skip(message)
