"""Docker tier: the compose `serve` service on a real engine, a new champion and a rollback.

The README's steps: MLflow up, train and evaluate with the prod image, `docker compose
--profile serve up --wait serve` (healthy, locked down, answering); a second promoted model
is served after `restart`; the alias moved back (the REST call MlflowClient and the UI
make) is served after another restart. Same project name as test_docker.py, so the image
layers come from the build cache; the stack is removed at both ends.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from support.docker import free_port
from support.rendering import render
from support.stack import SharedStack, http, require_engine

pytestmark = pytest.mark.docker

SLUG = "berth-e2e"
HOST_UID = 1000
ROW = {"island": "Biscoe", "bill_length_mm": 40.1, "bill_depth_mm": 18.0, "sex": "male"}
ROW |= {"flipper_length_mm": 190.0, "body_mass_g": 3900.0, "year": 2008}


class ServeStack(SharedStack):
    def __init__(self, root: Path, slug: str):
        super().__init__(root, slug)
        self.serve_port = free_port()
        self.env["SERVE_PORT"] = str(self.serve_port)
        self.network = ""

    def job(self, folder: Path, *args: str):
        """A command in the prod image beside the compose MLflow server, on `folder`."""
        return self.docker(
            "run", "--rm", "--network", self.network,
            "--env", "MLFLOW_TRACKING_URI=http://mlflow:5000",
            "--volume", f"{folder}:/work", f"{self.slug}:prod", *args,
        )  # fmt: skip

    def train_and_promote(self, folder: Path) -> str:
        self.job(folder, "train")
        self.job(folder, "evaluate")
        return str(json.loads((folder / "models" / "run.json").read_text())["version"])

    def wait_healthy(self, service: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = self.compose("--profile", "serve", "ps", "--format", "json", service).stdout
            state = json.loads(states.splitlines()[0]) if states.strip() else {}
            if state.get("Health") == "healthy":
                return
            time.sleep(2)
        logs = self.compose("--profile", "serve", "logs", service, check=False).stdout
        raise AssertionError(f"{service} not healthy within {timeout} s:\n{logs[-3000:]}")

    def invoke(self, data: dict, **options) -> tuple[int, str, str | None]:
        """(status, body, X-Model-Version) of one POST /invocations."""
        import urllib.error
        import urllib.request

        body = json.dumps(data).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.serve_port}/invocations",
            data=body,
            headers=options.get("headers", {"Content-Type": "application/json"}),
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return (
                    response.status,
                    response.read().decode(),
                    response.headers["x-model-version"],
                )
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.headers["x-model-version"]

    def served_version(self) -> str:
        status, body, version = self.invoke({"dataframe_records": [ROW]})
        assert status == 200, body
        assert json.loads(body)["predictions"] in (["Adelie"], ["Chinstrap"], ["Gentoo"])
        return version


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require_engine()
    root = render(tmp_path_factory.mktemp("serve") / SLUG, skip_tasks=False)
    for path in [root, *root.rglob("*")]:
        os.chown(path, HOST_UID, HOST_UID, follow_symlinks=False)
    stack = ServeStack(root, SLUG)
    stack.remove_everything()
    yield stack
    stack.remove_everything()


def test_serve_follows_the_champion_across_restarts_and_rolls_back(stack, tmp_path):
    stack.compose("--profile", "serve", "build", "mlflow", "serve")
    stack.compose("up", "--detach", "--wait", "--wait-timeout", "300", "mlflow")
    stack.network = stack.docker(
        "network", "ls", "--quiet", "--filter", f"label=com.docker.compose.project={SLUG}"
    ).stdout.split()[0]
    folder = tmp_path / "work"
    folder.mkdir()
    os.chown(folder, HOST_UID, HOST_UID)
    first = stack.train_and_promote(folder)

    stack.compose(
        "--profile", "serve", "up", "--detach", "--wait", "--wait-timeout", "300", "serve"
    )
    assert stack.served_version() == first
    [container] = stack.compose("--profile", "serve", "ps", "--quiet", "serve").stdout.split()
    inspected = json.loads(stack.docker("inspect", container).stdout)[0]
    assert inspected["HostConfig"]["ReadonlyRootfs"] is True
    assert inspected["Config"]["User"] not in ("", "0", "root", "0:0")
    assert {b["HostIp"] for b in inspected["HostConfig"]["PortBindings"]["8080/tcp"]} == {
        "127.0.0.1"
    }
    status, body, _ = stack.invoke({"dataframe_records": [ROW]}, headers={})
    assert status == 415 and "Traceback" not in body and json.loads(body)["message"]

    second = stack.train_and_promote(folder)  # as good as the first: promoted
    assert second != first
    assert stack.served_version() == first  # resolved at start: a restart picks it up
    stack.compose("--profile", "serve", "restart", "serve")
    stack.wait_healthy("serve")
    assert stack.served_version() == second

    alias = {"name": SLUG, "alias": "champion", "version": first}
    status, body = http(
        f"http://127.0.0.1:{stack.mlflow_port}/api/2.0/mlflow/registered-models/alias", alias
    )
    assert status == 200, body
    stack.compose("--profile", "serve", "restart", "serve")
    stack.wait_healthy("serve")
    assert stack.served_version() == first
