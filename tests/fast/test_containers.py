"""Fast tier: the container files of every answer combination, checked without an engine.

hadolint lints every Dockerfile, `docker compose config` (the CLI alone, no engine) and the
compose-spec schema validate compose.yaml, and the rules the Docker tier relies on are
checked statically: overridable base images, localhost-only ports, non-root users.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from support.commands import run
from support.docker import cli_available, skip_without
from support.rendering import render

SERVICES = {"mlflow", "jupyter", "bash", "serve", "postgres"}
DASK_SERVICES = {"scheduler", "worker"}


def services_of(answers: dict) -> set[str]:
    return SERVICES | (DASK_SERVICES if answers.get("use_dask") else set())


BIN = Path(sys.executable).parent


def dockerfiles(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and (p.name == "Dockerfile" or p.suffix == ".Dockerfile")
    )


def compose_config(root: Path, *args: str) -> subprocess.CompletedProcess:
    if not cli_available():
        skip_without("the docker CLI with Compose v2")
    # No .env in a render without tasks: the file must work with its defaults alone.
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(root),
    }
    return run(["docker", "compose", "--profile", "*", "config", *args], cwd=root, env=env)


def test_container_files_exist(rendered):
    _, root = rendered
    for name in (
        "Dockerfile",
        ".dockerignore",
        "compose.yaml",
        "docker/mlflow/Dockerfile",
        "docker/mlflow/requirements.in",
        "docker/mlflow/requirements.txt",
        "docker/mlflow/start.sh",
        "docker/jupyter/start.sh",
        "docker/dev/entrypoint.sh",
        "notebooks/example.ipynb",
    ):
        assert (root / name).is_file(), name
    assert {p.relative_to(root).as_posix() for p in dockerfiles(root)} == {
        "Dockerfile",
        "docker/mlflow/Dockerfile",
    }


def test_hadolint_finds_nothing(rendered):
    _, root = rendered
    for dockerfile in dockerfiles(root):
        result = run(
            [BIN / "hadolint", "--no-color", "--failure-threshold", "warning", dockerfile],
            check=False,
        )
        findings = [
            line for line in result.stdout.splitlines() if re.search(r" DL\d+ | SC\d+ ", line)
        ]
        blocking = [line for line in findings if re.search(r" (error|warning): ", line)]
        assert result.returncode == 0 and not blocking, result.stdout + result.stderr


def test_every_from_takes_the_base_image_argument(rendered):
    answers, root = rendered
    for dockerfile in dockerfiles(root):
        text = dockerfile.read_text()
        assert not re.search(
            r"^#\s*syntax\s*=", text, re.MULTILINE | re.IGNORECASE
        ), f"{dockerfile}: a syntax directive makes BuildKit pull its frontend from a registry"
        assert f"ARG BASE_IMAGE=python:{answers['python_version']}-slim" in text
        stages: set[str] = set()
        for line in text.splitlines():
            match = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
            if match:
                image, stage = match.groups()
                assert image == "${BASE_IMAGE}" or image in stages, f"{dockerfile}: {line}"
                if stage:
                    stages.add(stage)
        assert re.search(r"^USER \S+", text, re.MULTILINE), f"{dockerfile}: no non-root USER"
    dev_prod = (root / "Dockerfile").read_text()
    assert re.search(r"^FROM \S+ AS dev$", dev_prod, re.MULTILINE)
    assert re.search(r"^FROM \S+ AS prod$", dev_prod, re.MULTILINE)
    assert 'ENTRYPOINT ["demo-project"]' in dev_prod
    assert "uv sync --locked --no-install-project" in dev_prod


def test_compose_file_validates(rendered):
    answers, root = rendered
    raw = yaml.safe_load((root / "compose.yaml").read_text())
    assert "version" not in raw and raw["name"] == "demo-project"
    assert set(raw["services"]) == services_of(answers)
    compose_config(root, "--quiet")
    run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", root / "compose.yaml"]
    )


def test_compose_model_is_safe_by_default(rendered):
    answers, root = rendered
    model = json.loads(compose_config(root, "--format", "json").stdout)
    services = model["services"]
    assert set(services) == services_of(answers)
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.get("host_ip") == "127.0.0.1", f"{name} publishes {port} beyond 127.0.0.1"
        assert not service.get("privileged"), name
    for name in ("jupyter", "bash"):
        assert services[name]["user"] == "1000:1000"
        assert services[name]["build"]["target"] == "dev"
        assert services[name]["environment"]["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
    # A command in `bash` needs a healthy server first; JupyterLab starts beside it.
    assert services["bash"]["depends_on"]["mlflow"]["condition"] == "service_healthy"
    assert services["jupyter"]["depends_on"]["mlflow"]["condition"] == "service_started"
    for name in ("mlflow", "jupyter", "bash"):
        build_args = services[name]["build"]["args"]
        assert build_args["BASE_IMAGE"] == f"python:{answers['python_version']}-slim"
        assert services[name]["build"]["secrets"][0]["source"] == "ca_bundle"
    assert services["postgres"]["image"] == "postgres:17"
    assert services["postgres"]["profiles"] == ["postgres"]
    optional = services["mlflow"]["depends_on"]["postgres"]
    assert optional["condition"] == "service_healthy" and optional["required"] is False
    for name in ("mlflow", "jupyter", "serve", "postgres"):
        assert services[name]["healthcheck"]["test"], name
    assert services["serve"]["build"]["secrets"][0]["source"] == "ca_bundle"
    assert {"mlflow-db", "mlflow-artifacts", "postgres-data"} <= set(model["volumes"])


def test_serve_runs_the_prod_image_locked_down(rendered):
    answers, root = rendered
    serve = json.loads(compose_config(root, "--format", "json").stdout)["services"]["serve"]
    assert serve["profiles"] == ["serve"] and serve["command"] == ["serve"]
    assert serve["build"]["target"] == "prod"
    assert serve["build"]["args"]["BASE_IMAGE"] == f"python:{answers['python_version']}-slim"
    [port] = serve["ports"]
    assert (port["host_ip"], port["published"], port["target"]) == ("127.0.0.1", "8080", 8080)
    assert serve["read_only"] is True and serve["tmpfs"] == ["/tmp"]
    assert serve["environment"]["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
    assert serve["depends_on"]["mlflow"]["condition"] == "service_healthy"
    assert "/ping" in " ".join(serve["healthcheck"]["test"])
    assert "user" not in serve  # the prod image's own non-root user
    dockerfile = (root / "Dockerfile").read_text()
    prod = dockerfile.partition("AS prod\n")[2].partition("\nFROM ")[0]
    assert "SERVE_HOST=0.0.0.0" in prod and "EXPOSE 8080" in prod


def test_dask_profile_runs_the_prod_image_non_root_within_limits(rendered):
    answers, root = rendered
    services = json.loads(compose_config(root, "--format", "json").stdout)["services"]
    if not answers["use_dask"]:
        assert not DASK_SERVICES & set(services)
        assert "DASK_SCHEDULER_ADDRESS" not in services["bash"]["environment"]
        return
    scheduler, worker = services["scheduler"], services["worker"]
    for service in (scheduler, worker):
        assert service["profiles"] == ["dask"] and service["entrypoint"] == ["dask"]
        assert service["build"]["target"] == "prod" and service["image"] == "demo-project:prod"
        assert service["read_only"] is True and service["mem_limit"]
        assert "/health" in " ".join(service["healthcheck"]["test"])
    assert "user" not in scheduler  # the prod image's own non-root user
    assert worker["user"] == "1000:1000"  # writes the predictions into the project folder
    [port] = scheduler["ports"]  # the dashboard, on this machine only
    assert (port["host_ip"], port["target"]) == ("127.0.0.1", 8787)
    assert (
        "--memory-limit=3GiB" in worker["command"] and "tcp://scheduler:8786" in worker["command"]
    )
    assert worker["depends_on"]["scheduler"]["condition"] == "service_healthy"
    for name in ("bash", "jupyter"):
        assert services[name]["environment"]["DASK_SCHEDULER_ADDRESS"] == "tcp://scheduler:8786"


def test_dockerignore_keeps_secrets_and_outputs_out(rendered):
    _, root = rendered
    entries = {line.strip() for line in (root / ".dockerignore").read_text().splitlines()}
    assert {
        ".git",
        ".env",
        ".venv",
        "data",
        "models",
        "mlruns",
        "mlartifacts",
        "mlflow.db",
    } <= entries


def test_notebook_is_stored_without_outputs(rendered):
    _, root = rendered
    notebook = json.loads((root / "notebooks" / "example.ipynb").read_text())
    assert notebook["nbformat"] == 4
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code and all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
    source = "\n".join("".join(cell["source"]) for cell in code)
    assert "from demo_project import jobs" in source and "jobs.train(" in source
    compile(source, "notebook", "exec")


def test_mlflow_server_matches_the_client_version(rendered):
    _, root = rendered
    lock = tomllib.loads((root / "uv.lock").read_text())
    client = next(p["version"] for p in lock["package"] if p["name"] == "mlflow")
    pinned = (root / "docker/mlflow/requirements.in").read_text()
    assert f"mlflow=={client}\n" in pinned
    compiled = (root / "docker/mlflow/requirements.txt").read_text()
    assert f"mlflow=={client} \\" in compiled and "--hash=sha256:" in compiled


def test_copy_writes_a_fresh_untracked_env(tmp_path):
    first = render(tmp_path / "one", skip_tasks=False)
    second = render(tmp_path / "two", skip_tasks=False)
    values = []
    for root in (first, second):
        env = dict(
            line.split("=", 1)
            for line in (root / ".env").read_text().splitlines()
            if line and not line.startswith("#")
        )
        assert len(env["JUPYTER_TOKEN"]) >= 32 and len(env["POSTGRES_PASSWORD"]) >= 24
        assert int(env["HOST_UID"]) > 0 and int(env["HOST_GID"]) > 0
        assert (root / ".env").stat().st_mode & 0o077 == 0
        assert ".env" in (root / ".gitignore").read_text().splitlines()
        answers = (root / ".copier-answers.yml").read_text()
        assert env["JUPYTER_TOKEN"] not in answers and "JUPYTER_TOKEN" not in answers
        values.append(env["JUPYTER_TOKEN"])
    assert values[0] != values[1]
