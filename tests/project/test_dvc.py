"""Slow tier: the DVC pipeline of a generated project, driven as a user would after copying.

The project is copied with its tasks (git repository, first commit), installed, and run
with `uv run dvc ...` so that the stages find the project's console script.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time

import pytest
import yaml

from support.commands import run

STAGES = ("prepare", "train", "evaluate")
RUN_QUERY = """
import json, sys
from mlflow.tracking import MlflowClient
run = MlflowClient().get_run(sys.argv[1])
print(json.dumps({"params": run.data.params, "tags": run.data.tags}))
"""


def ran(output: str) -> set[str]:
    return {stage for stage in STAGES if f"Running stage '{stage}'" in output}


def skipped(output: str) -> set[str]:
    return {stage for stage in STAGES if f"Stage '{stage}' didn't change, skipping" in output}


def dvc(project, *args: str) -> str:
    result = project.uv("dvc", *args)
    return result.stdout + result.stderr


def run_data(project, run_id: str) -> dict:
    python = project.root / ".venv" / "bin" / "python"
    result = run([python, "-c", RUN_QUERY, run_id], cwd=project.root, env=project.env)
    return json.loads(result.stdout)


def cached_outputs(project) -> dict[str, str]:
    """sha256 of every file DVC caches (all outputs but the `cache: false` metrics)."""
    lock = yaml.safe_load((project.root / "dvc.lock").read_text())
    metrics = {"reports/metrics.json"}  # `cache: false`: git keeps it, DVC does not
    digests = {}
    for stage in lock["stages"].values():
        for out in stage.get("outs", []):
            if out["path"] in metrics:
                continue
            path = project.root / out["path"]
            for file in sorted([path] if path.is_file() else path.rglob("*")):
                if file.is_file():
                    digests[str(file.relative_to(project.root))] = hashlib.sha256(
                        file.read_bytes()
                    ).hexdigest()
    return digests


@pytest.fixture(scope="module")
def project(make_project):
    return make_project({}, name="dvc-project", tasks=True)


@pytest.fixture(scope="module")
def first_repro(project):
    """The first `dvc repro` right after copying and installing: its output and the run it made."""
    started = time.perf_counter()
    output = dvc(project, "repro")
    elapsed = time.perf_counter() - started
    print(f"\nfull dvc repro: {elapsed:.1f} s")
    return {
        "output": output,
        "run_id": json.loads((project.root / "models/run.json").read_text())["run_id"],
        "lock": yaml.safe_load((project.root / "dvc.lock").read_text()),
    }


def test_repro_runs_every_stage_then_nothing(project, first_repro):
    assert ran(first_repro["output"]) == set(STAGES), first_repro["output"]
    for path in ("data/processed/train.parquet", "models/model/MLmodel", "reports/metrics.json"):
        assert (project.root / path).is_file(), path
    assert set(first_repro["lock"]["stages"]) == set(STAGES)

    started = time.perf_counter()
    again = dvc(project, "repro")
    print(f"\nno-op dvc repro: {time.perf_counter() - started:.1f} s")
    assert ran(again) == set() and skipped(again) == set(STAGES), again
    assert "Data and pipelines are up to date" in dvc(project, "status")


def test_a_model_parameter_reruns_train_and_evaluate_but_not_the_data(project, first_repro):
    params_file = project.root / "params.yaml"
    original = params_file.read_text()
    splits = {
        p: (project.root / p).read_bytes()
        for p in ("data/processed/train.parquet", "data/processed/test.parquet")
    }
    params = yaml.safe_load(original)
    params["model"]["params"]["max_iter"] = 50
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        output = dvc(project, "repro")
        assert ran(output) == {"train", "evaluate"}, output
        assert skipped(output) == {"prepare"}, output
        assert {p: (project.root / p).read_bytes() for p in splits} == splits
        run_id = json.loads((project.root / "models/run.json").read_text())["run_id"]
        tracked = run_data(project, run_id)
        assert tracked["params"]["model.params.max_iter"] == "50"
        assert tracked["tags"]["git.dirty"] == "true"  # params.yaml differs from the commit
    finally:
        params_file.write_text(original)
    dvc(project, "repro")  # back to the committed parameters (restored from DVC's run cache)
    assert "Data and pipelines are up to date" in dvc(project, "status")


def test_metrics_show_lists_the_metrics(project, first_repro):
    output = dvc(project, "metrics", "show", "--json")
    metrics = json.loads(output[output.index("{") :])
    values = next(iter(metrics.values()))["data"]["reports/metrics.json"]["data"]
    assert {"accuracy", "f1_macro", "balanced_accuracy"} <= set(values)
    assert values["accuracy"] > 0.9


def test_the_mlflow_run_carries_git_and_dvc_provenance(project, first_repro):
    tracked = run_data(project, first_repro["run_id"])
    head = run(["git", "rev-parse", "HEAD"], cwd=project.root).stdout.strip()
    assert tracked["tags"]["git.commit"] == head
    assert tracked["tags"]["git.dirty"] == "false"  # nothing but dvc.lock changed since the copy
    prepared = {out["path"]: out["md5"] for out in first_repro["lock"]["stages"]["prepare"]["outs"]}
    assert set(prepared) == {"data/processed/train.parquet", "data/processed/test.parquet"}
    for path, md5 in prepared.items():
        assert tracked["tags"][f"dvc.lock.{path}"] == md5
    # The params logged are params.yaml's, every leaf of it.
    params = yaml.safe_load((project.root / "params.yaml").read_text())

    def leaves(tree, prefix=""):
        for key, value in tree.items():
            if isinstance(value, dict):
                yield from leaves(value, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}", "null" if value is None else str(value)

    assert dict(leaves(params)).items() <= tracked["params"].items()


def test_push_then_pull_restores_outputs_byte_for_byte(project, first_repro):
    assert "Data and pipelines are up to date" in dvc(project, "status")
    before = cached_outputs(project)
    assert "models/model/MLmodel" in before and "reports/figures/evaluation.png" in before
    dvc(project, "push")
    storage = project.root.parent / "dvc-project-dvc-storage"  # the default local remote
    assert any(p.is_file() for p in storage.rglob("*"))

    shutil.rmtree(project.root / ".dvc" / "cache")
    for path in before:
        (project.root / path).unlink()
    shutil.rmtree(project.root / "models" / "model")
    assert "deleted" in dvc(project, "status")

    dvc(project, "pull")
    assert cached_outputs(project) == before
    assert "Data and pipelines are up to date" in dvc(project, "status")
