"""Docker tier: a generated project's images and compose stack on a real engine.

One project (the defaults) goes through the issue's steps in order: build every image
(BASE_IMAGE = a local stand-in, CA_BUNDLE set), `up --wait`, train and evaluate in the
`bash` service against the compose MLflow server, the security checks, down/up
persistence, the example notebook inside `jupyter`, the `prod` image on a mounted folder,
its contents (the runtime only), its commands against the compose MLflow server and its
one-line error without one, the PostgreSQL profile, and removal of everything the tier created. Needs an engine
(`bash .ci/docker-engine.sh`); under CI=true it may not be skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.parse
from pathlib import Path

import pytest

from support.docker import FIGURES
from support.rendering import render
from support.stack import BASE_IMAGE, CA_BUNDLE, SharedStack, http, require_engine

pytestmark = pytest.mark.docker

SLUG = "berth-e2e"  # the folder name, so the defaults derive every name from it
HOST_UID = 1000  # the "host user" owning the project (the tests run as root)
IMAGES = (f"{SLUG}-dev", f"{SLUG}-mlflow", f"{SLUG}:prod")


class Stack(SharedStack):
    """The shared stack, plus the prod image's build and the runs of the project's experiment."""

    def build_prod(self, tag: str = f"{SLUG}:prod", *build_args: str):
        return self.docker(
            "build",
            "--progress=plain",
            "--target",
            "prod",
            "--tag",
            tag,
            *(arg for value in build_args for arg in ("--build-arg", value)),
            "--build-arg",
            f"BASE_IMAGE={BASE_IMAGE}",
            "--secret",
            f"id=ca_bundle,src={CA_BUNDLE}",
            ".",
        )

    def runs(self) -> list[dict]:
        """The runs of the project's experiment (none when the store has no such experiment)."""
        status, body = http(
            f"http://127.0.0.1:{self.mlflow_port}/api/2.0/mlflow/experiments/get-by-name?experiment_name={SLUG}"
        )
        if status == 404 and "RESOURCE_DOES_NOT_EXIST" in body:
            return []
        assert status == 200, body[:500]
        experiment_id = json.loads(body)["experiment"]["experiment_id"]
        return self.api("/api/2.0/mlflow/runs/search", {"experiment_ids": [experiment_id]}).get(
            "runs", []
        )


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require_engine()
    root = render(tmp_path_factory.mktemp("docker") / SLUG, skip_tasks=False)  # tasks: .env
    # The project belongs to an ordinary user, as on a laptop or a CI runner.
    for path in [root, *root.rglob("*")]:
        os.chown(path, HOST_UID, HOST_UID, follow_symlinks=False)
    stack = Stack(root, SLUG)
    stack.remove_everything()  # leftovers of an interrupted earlier run
    yield stack
    stack.remove_everything()


def dependency_layer_cached(log: str) -> bool:
    """In a `--progress=plain` log: the `uv sync --no-install-project` step came from the cache."""
    steps = {
        line.split()[0]
        for line in log.splitlines()
        if line.startswith("#") and "--no-install-project" in line and "RUN" in line
    }
    return bool(steps) and all(f"{step} CACHED" in log for step in steps)


def test_1_images_build_with_a_stand_in_base_and_a_ca_bundle(stack):
    start = time.monotonic()
    stack.compose("--progress=plain", "build")
    stack.build_prod()
    FIGURES["build (all images, this run's cache state)"] = f"{time.monotonic() - start:.0f} s"
    for image in IMAGES:
        stack.docker("image", "inspect", image)
    sizes = {
        image: int(stack.docker("image", "inspect", "--format", "{{.Size}}", image).stdout)
        for image in (BASE_IMAGE, *IMAGES)
    }
    for image, size in sizes.items():
        FIGURES[f"size {image}"] = f"{size / 1e6:.0f} MB"
    assert sizes[f"{SLUG}:prod"] < sizes[f"{SLUG}-dev"]
    assert sizes[f"{SLUG}-mlflow"] < sizes[f"{SLUG}-dev"]
    config = json.loads(stack.docker("image", "inspect", f"{SLUG}:prod").stdout)[0]["Config"]
    assert config["Entrypoint"] == [SLUG] and config["User"] not in ("", "0", "root")

    # A one-line source change: the dependency layers come from the cache.
    for image in IMAGES:
        stack.replaced_images.add(
            stack.docker("image", "inspect", "--format", "{{.Id}}", image).stdout.strip()
        )
    init = next((stack.root / "src").glob("*/__init__.py"))
    init.write_text(init.read_text() + "# a one-line change\n")
    start = time.monotonic()
    dev = stack.compose("--progress=plain", "build", "jupyter")
    middle = time.monotonic()
    prod = stack.build_prod()
    end = time.monotonic()
    FIGURES["rebuild dev after a one-line source change"] = f"{middle - start:.0f} s"
    FIGURES["rebuild prod after a one-line source change"] = f"{end - middle:.0f} s"
    for result in (dev, prod):
        assert dependency_layer_cached(result.stdout + result.stderr), (
            result.stdout + result.stderr
        )[-3000:]


def test_2_up_wait_makes_every_service_healthy(stack):
    FIGURES["docker compose up --wait (built images)"] = f"{stack.wait_until_up():.0f} s"
    states = [
        json.loads(line) for line in stack.compose("ps", "--format", "json").stdout.splitlines()
    ]
    assert {s["Service"] for s in states} == {"mlflow", "jupyter"}
    assert all(s["State"] == "running" and s["Health"] == "healthy" for s in states), states


def test_3_train_and_evaluate_in_the_bash_service_track_to_compose_mlflow(stack):
    stack.compose("run", "--rm", "bash", SLUG, "train")
    stack.compose("run", "--rm", "bash", SLUG, "evaluate")
    run_info = json.loads((stack.root / "models" / "run.json").read_text())
    assert (stack.root / "models" / "run.json").stat().st_uid == HOST_UID  # the host user's file
    tracked = stack.api(f"/api/2.0/mlflow/runs/get?run_id={run_info['run_id']}")["run"]
    metrics = {m["key"]: m["value"] for m in tracked["data"]["metrics"]}
    assert metrics["test_accuracy"] > 0.9 and "train_accuracy" in metrics
    versions = stack.api(
        "/api/2.0/mlflow/model-versions/search?filter=" + urllib.parse.quote(f"name='{SLUG}'")
    )
    assert run_info["run_id"] in {v["run_id"] for v in versions["model_versions"]}
    experiment_id = tracked["info"]["experiment_id"]
    listing = stack.api(
        f"/api/2.0/mlflow-artifacts/artifacts?path={experiment_id}/{run_info['run_id']}/artifacts/evaluation"
    )
    assert {"evaluation.png", "metrics.json"} <= {Path(f["path"]).name for f in listing["files"]}
    stack.run_id = run_info["run_id"]


def test_4_jupyter_needs_its_token_and_nothing_runs_as_root_or_listens_beyond_localhost(stack):
    env = dict(
        line.split("=", 1)
        for line in (stack.root / ".env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    token = env["JUPYTER_TOKEN"]
    base = f"http://127.0.0.1:{stack.jupyter_port}/api/contents"
    assert http(f"{base}?token={token}")[0] == 200
    assert http(base)[0] == 403
    assert http(f"{base}?token=wrong-{token}")[0] == 403

    # MLflow 3's DNS-rebinding protection is on: a foreign Host header is refused.
    experiments = f"http://127.0.0.1:{stack.mlflow_port}/api/2.0/mlflow/experiments/get-by-name?experiment_name={SLUG}"
    assert http(experiments)[0] == 200
    assert http(experiments, headers={"Host": "attacker.example"})[0] in (400, 403)

    containers = stack.containers()
    assert len(containers) == 2
    for container in containers:
        info = json.loads(stack.docker("inspect", container).stdout)[0]
        status = Path(f"/proc/{info['State']['Pid']}/status").read_text()
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        assert uid != 0, f"{info['Name']}: main process runs as root"
        for bindings in (info["NetworkSettings"]["Ports"] or {}).values():
            for binding in bindings or []:
                assert binding["HostIp"] == "127.0.0.1", f"{info['Name']} publishes on {binding}"
    assert stack.compose("run", "--rm", "bash", "id", "-u").stdout.strip() == str(HOST_UID)


def test_5_runs_survive_down_and_up(stack):
    stack.compose("down")
    stack.wait_until_up()
    assert (
        stack.api(f"/api/2.0/mlflow/runs/get?run_id={stack.run_id}")["run"]["info"]["status"]
        == "FINISHED"
    )


def test_6_the_example_notebook_runs_inside_jupyter(stack):
    stack.compose(
        "exec",
        "-T",
        "jupyter",
        "jupyter",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--output-dir",
        "/tmp",
        "--output",
        "executed",
        "notebooks/example.ipynb",
    )
    executed = json.loads(
        stack.compose("exec", "-T", "jupyter", "cat", "/tmp/executed.ipynb").stdout
    )
    outputs = [o for cell in executed["cells"] for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    # The notebook trained and evaluated through the jobs, tracking to the compose server.
    run_id = json.loads((stack.root / "models" / "run.json").read_text())["run_id"]
    assert run_id != stack.run_id and any(run_id in json.dumps(o) for o in outputs)
    tracked = stack.api(f"/api/2.0/mlflow/runs/get?run_id={run_id}")["run"]
    assert "test_accuracy" in {m["key"] for m in tracked["data"]["metrics"]}


def test_7_the_prod_image_predicts_on_a_mounted_folder(stack, tmp_path):
    folder = tmp_path / "batch"
    shutil.copytree(stack.root / "models" / "model", folder / "models" / "model")
    shutil.copy(stack.root / "data" / "processed" / "test.parquet", folder / "input.parquet")
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, HOST_UID, HOST_UID)
    stack.docker(
        "run",
        "--rm",
        "--network",
        "none",
        "--volume",
        f"{folder}:/work",
        f"{SLUG}:prod",
        "predict",
        "--input",
        "input.parquet",
        "--output",
        "out/predictions.csv",
    )
    rows = (folder / "out" / "predictions.csv").read_text().strip().splitlines()
    assert rows[0].split(",")[-1] == "prediction" and len(rows) > 50
    assert (folder / "out" / "predictions.csv").stat().st_uid == HOST_UID
    assert "train" in stack.docker("run", "--rm", f"{SLUG}:prod").stdout  # CMD --help


PROD_INVENTORY = """
import importlib.util, json, pathlib, sysconfig
site = pathlib.Path(sysconfig.get_path("purelib"))
names = ["flask", "sqlalchemy", "alembic", "gunicorn", "pyarrow", "dvc", "jupyterlab", "pytest",
         "mlflow", "skops", "fastparquet", "matplotlib", "sklearn"]
print(json.dumps({
    "importable": {name: importlib.util.find_spec(name) is not None for name in names},
    "distributions": sorted(p.name.split("-")[0].lower() for p in site.glob("*.dist-info")),
    "ui_bundle": (site / "mlflow" / "server" / "js").exists(),
    "test_suites": sorted(str(p.relative_to(site)) for p in site.glob("*/tests")),
}))
"""


def test_7b_the_prod_image_holds_the_runtime_only(stack):
    """No MLflow server, UI, database store, DVC, Arrow or dev tools; no test suites."""
    inventory = json.loads(
        stack.docker(
            "run", "--rm", "--entrypoint", "python", f"{SLUG}:prod", "-c", PROD_INVENTORY
        ).stdout
    )
    importable = inventory["importable"]
    server = ("flask", "sqlalchemy", "alembic", "gunicorn")  # MLflow's server and SQL store
    absent = [*server, "pyarrow", "dvc", "jupyterlab", "pytest"]
    assert not [name for name in absent if importable[name]], importable
    assert all(importable[name] for name in ("mlflow", "skops", "fastparquet", "matplotlib"))
    assert "mlflow_skinny" in inventory["distributions"]
    assert "mlflow" not in inventory["distributions"]
    assert not inventory["ui_bundle"]
    assert inventory["test_suites"] == []


def test_7c_prod_commands_track_to_the_compose_mlflow_server(stack, tmp_path):
    folder = tmp_path / "job"
    folder.mkdir()
    os.chown(folder, HOST_UID, HOST_UID)
    network = stack.docker(
        "network", "ls", "--quiet", "--filter", f"label=com.docker.compose.project={SLUG}"
    ).stdout.split()
    assert len(network) == 1
    job = [
        "run",
        "--rm",
        "--network",
        network[0],
        "--env",
        "MLFLOW_TRACKING_URI=http://mlflow:5000",
        "--volume",
        f"{folder}:/work",
        f"{SLUG}:prod",
    ]
    stack.docker(*job, "train")
    stack.docker(*job, "evaluate", "--no-promote")
    run_id = json.loads((folder / "models" / "run.json").read_text())["run_id"]
    tracked = stack.api(f"/api/2.0/mlflow/runs/get?run_id={run_id}")["run"]
    metrics = {m["key"]: m["value"] for m in tracked["data"]["metrics"]}
    assert metrics["test_accuracy"] > 0.9
    experiment_id = tracked["info"]["experiment_id"]
    listing = stack.api(
        f"/api/2.0/mlflow-artifacts/artifacts?path={experiment_id}/{run_id}/artifacts/evaluation"
    )
    assert {"evaluation.png", "metrics.json"} <= {Path(f["path"]).name for f in listing["files"]}
    # The local model is the logged one, downloaded from the server; it pins the MLflow version.
    logged = (folder / "models" / "model" / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("mlflow==") for line in logged), logged


def test_7d_the_prod_image_alone_says_to_point_it_at_a_server(stack):
    result = stack.docker("run", "--rm", f"{SLUG}:prod", "train", check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    error = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and "MLFLOW_TRACKING_URI" in error[0], result.stderr[-2000:]


PYC_COUNT = "import pathlib, sys; print(sum(1 for _ in pathlib.Path(sys.prefix).rglob('*.pyc')))"


def test_7e_prod_bytecode_is_a_build_argument(stack):
    """By default the dependencies carry no bytecode; PROD_BYTECODE=1 compiles it ahead."""
    stack.replaced_images.add(f"{SLUG}:prod-bytecode")  # removed with the others at the end
    stack.build_prod(f"{SLUG}:prod-bytecode", "PROD_BYTECODE=1")
    counts = {
        tag: int(
            stack.docker(
                "run", "--rm", "--entrypoint", "python", f"{SLUG}:{tag}", "-c", PYC_COUNT
            ).stdout
        )
        for tag in ("prod", "prod-bytecode")
    }
    # Only the project's own modules are compiled by default (a handful, not thousands).
    assert counts["prod"] < 50 and counts["prod-bytecode"] > 1000, counts
    assert "train" in stack.docker("run", "--rm", f"{SLUG}:prod-bytecode", "--help").stdout


def test_8_the_postgres_profile_keeps_runs_in_postgresql(stack):
    stack.compose("down")
    stack.compose("--profile", "postgres", "up", "--detach", "--wait", "--wait-timeout", "300")
    assert "backend store: PostgreSQL" in stack.compose("logs", "mlflow").stdout
    assert stack.runs() == []  # a new store: the SQLite runs stay in their own volume
    stack.compose("--profile", "postgres", "run", "--rm", "bash", SLUG, "train")
    runs = stack.runs()
    assert len(runs) == 1 and runs[0]["info"]["status"] == "FINISHED"
    assert {m["key"] for m in runs[0]["data"]["metrics"]} >= {"train_accuracy"}
    postgres = stack.compose("--profile", "postgres", "ps", "--quiet", "postgres").stdout.strip()
    pid = stack.docker("inspect", "--format", "{{.State.Pid}}", postgres).stdout.strip()
    status = Path(f"/proc/{pid}/status").read_text()
    assert next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1] != "0"


def test_9_cleanup_removes_what_the_tier_created(stack):
    stack.remove_everything()
    label = f"label=com.docker.compose.project={SLUG}"
    assert not stack.docker("ps", "--all", "--quiet", "--filter", label).stdout.strip()
    assert not stack.docker("volume", "ls", "--quiet", "--filter", label).stdout.strip()
    assert not stack.docker("network", "ls", "--quiet", "--filter", label).stdout.strip()
    for image in (*IMAGES, *stack.replaced_images):
        assert stack.docker("image", "inspect", image, check=False).returncode != 0
