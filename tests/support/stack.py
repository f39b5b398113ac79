"""A generated project's compose stack on the real engine, driven as its README says.

The Docker tier's modules share it: the stand-in base images and CA bundle it builds with,
free localhost ports for MLflow and JupyterLab, the docker and compose commands run in the
project, MLflow's REST API, and removing everything the stack created.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from support.commands import run
from support.docker import engine_available, free_port, image_exists, skip_without

BASE_IMAGE = os.environ.get("BERTH_BASE_IMAGE", "local/python:3.13")
POSTGRES_IMAGE = os.environ.get("BERTH_POSTGRES_IMAGE", "local/postgres:17")
CA_BUNDLE = os.environ.get("BERTH_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")


def http(
    url: str,
    data: dict | None = None,
    timeout: float = 30,
    headers: dict | None = None,
    method: str | None = None,
) -> tuple[int, str]:
    """The status and body of a request (JSON `data`: a POST unless `method` says otherwise)."""
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": "application/json", **(headers or {})},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def require_engine() -> None:
    """Skip (fail under CI=true) without an engine or the stand-in images."""
    if not engine_available():
        skip_without("a running Docker engine")
    for image in (BASE_IMAGE, POSTGRES_IMAGE):
        if not image_exists(image):
            skip_without(f"the stand-in image {image}")


class SharedStack:
    """The generated project and the docker/compose commands a user would type in it."""

    def __init__(self, root: Path, slug: str):
        self.root = root
        self.slug = slug
        self.images = (f"{slug}-dev", f"{slug}-mlflow", f"{slug}:prod")
        self.mlflow_port = free_port()
        self.jupyter_port = free_port()
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("COMPOSE_", "DOCKER_BUILDKIT"))
            },
            "BASE_IMAGE": BASE_IMAGE,
            "CA_BUNDLE": CA_BUNDLE,
            "POSTGRES_IMAGE": POSTGRES_IMAGE,
            "MLFLOW_PORT": str(self.mlflow_port),
            "JUPYTER_PORT": str(self.jupyter_port),
        }
        self.replaced_images: set[str] = set()  # ids a rebuild untagged, extra tags

    def compose(self, *args: str, check: bool = True, timeout: int = 1800):
        return run(
            ["docker", "compose", *args], cwd=self.root, env=self.env, check=check, timeout=timeout
        )

    def docker(self, *args: str, check: bool = True, timeout: int = 1800):
        return run(["docker", *args], cwd=self.root, env=self.env, check=check, timeout=timeout)

    def api(self, path: str, data: dict | None = None) -> dict:
        url = f"http://127.0.0.1:{self.mlflow_port}{path}"
        for attempt in range(5):
            try:
                status, body = http(url, data)
                break
            except ConnectionError:  # http.client.RemoteDisconnected among them
                # Right after `up --wait` on a loaded machine, the server's workers may still
                # be replacing each other and drop a connection: reads are retried, as an
                # MLflow client does; a write (data) fails at once.
                if data is not None or attempt == 4:
                    raise
                time.sleep(2)
        assert status == 200, f"{path}: HTTP {status}: {body[:500]}"
        return json.loads(body)

    def containers(self) -> list[str]:
        out = self.docker(
            "ps", "--quiet", "--filter", f"label=com.docker.compose.project={self.slug}"
        ).stdout
        return out.split()

    def wait_until_up(self) -> float:
        start = time.monotonic()
        self.compose("up", "--detach", "--wait", "--wait-timeout", "300")
        return time.monotonic() - start

    def remove_everything(self) -> None:
        self.compose(
            "--profile", "*", "down", "--volumes", "--remove-orphans", "--timeout", "5", check=False
        )
        for image in (*self.images, *self.replaced_images):
            self.docker("image", "rm", "--force", image, check=False)
