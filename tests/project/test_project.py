"""Slow tier: generated projects are installed, pass their own tests, and really train."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest
import yaml

from support.commands import run, uv_bin
from support.rendering import CUSTOM_ANSWERS

# The defaults, and the shared custom answers plus the questions later releases brought.
ANSWER_SETS = {
    "defaults": {},
    "custom": {
        **CUSTOM_ANSWERS,
        "author_email": "ada@example.org",
        "use_dvc": False,
        "use_dask": False,
    },
}

MLFLOW_RUN_QUERY = """
import json, sys
from mlflow.tracking import MlflowClient
client = MlflowClient()
run = client.get_run(sys.argv[1] if len(sys.argv) > 1 else {run_id!r})
models = client.search_logged_models(experiment_ids=[run.info.experiment_id])
print(json.dumps({{
    "params": run.data.params,
    "metrics": run.data.metrics,
    "experiment": client.get_experiment(run.info.experiment_id).name,
    "models": [m.source_run_id for m in models],
    "artifacts": [a.path for a in client.list_artifacts(run.info.run_id, "evaluation")],
}}))
"""

RUN_STATUSES = """
import json
from mlflow.tracking import MlflowClient
client = MlflowClient()
runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
print(json.dumps([run.info.status for run in runs]))
"""


@pytest.fixture(scope="module", params=list(ANSWER_SETS), ids=list(ANSWER_SETS))
def project(request, make_project):
    return make_project(ANSWER_SETS[request.param])


def test_generated_test_suite_passes(request, project, workflows_run_default_suite):
    answers = yaml.safe_load((project.root / ".copier-answers.yml").read_text())
    installed = project.root / ".venv" / "bin" / "dvc"
    assert installed.exists() == answers["use_dvc"]
    assert (project.root / "dvc.yaml").exists() == answers["use_dvc"]
    if request.node.callspec.id == "defaults" and workflows_run_default_suite:
        pytest.skip(
            "the default answers' generated suite runs in this session as ci.yml's test job "
            "(tests/docker/test_workflows.py, under act)"
        )
    result = project.uv("pytest", "-q", "-p", "no:cacheprovider")
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_module_entry_point_and_help(project):
    for args in (["--help"], ["train", "--help"], ["evaluate", "--help"], ["predict", "--help"]):
        result = project.cli(*args)
        assert "Usage:" in result.stdout
    result = project.uv("python", "-m", project.package, "--help")
    assert "train" in result.stdout


def test_train_evaluate_predict_through_the_console_script(project):
    project.cli("train")
    project.cli("evaluate")
    run_info = json.loads((project.root / "models/run.json").read_text())
    metrics = json.loads((project.root / "reports/metrics.json").read_text())
    assert metrics["accuracy"] > 0.9
    assert (project.root / "reports/figures/evaluation.png").stat().st_size > 10_000

    source = project.root / "data/processed/test.parquet"
    project.cli("predict", "--input", str(source), "--output", "data/predictions.csv")
    rows = (project.root / "data/predictions.csv").read_text().strip().splitlines()
    expected = project.python(f"import pandas as pd; print(len(pd.read_parquet({str(source)!r})))")
    assert len(rows) - 1 == int(expected.stdout)

    tracked = json.loads(project.python(MLFLOW_RUN_QUERY.format(run_id=run_info["run_id"])).stdout)
    assert tracked["experiment"] == project.slug
    assert tracked["params"]["model.estimator"] == "hist_gradient_boosting"
    assert {"train_accuracy", "test_accuracy", "test_f1_macro"} <= set(tracked["metrics"])
    assert run_info["run_id"] in tracked["models"]
    assert {"evaluation/metrics.json", "evaluation/evaluation.png"} <= set(tracked["artifacts"])


def test_bring_your_own_data(project, tmp_path):
    csv = project.root / "data/raw/own.csv"
    lines = ["age,income,region,member,label"]
    regions = ["north", "south", "", "east"]
    for i in range(160):
        age = "" if i % 17 == 0 else str(20 + i % 50)
        income = "" if i % 23 == 0 else f"{1000 + (i * 37) % 900}.5"
        region = regions[i % 4]
        member = "yes" if i % 3 else "no"
        label = "high" if (i * 37) % 900 > 450 else "low"
        lines.append(f"{age},{income},{region},{member},{label}")
    csv.write_text("\n".join(lines) + "\n")
    project.cli("train", "--data", "data/raw/own.csv", "--target", "label")
    project.cli("evaluate")
    assert json.loads((project.root / "models/run.json").read_text())["target"] == "label"
    project.cli(
        "predict", "--input", "data/raw/own.csv", "--output", "data/own-predictions.parquet"
    )
    count = project.python(
        "import pandas as pd; print(len(pd.read_parquet('data/own-predictions.parquet')))"
    )
    assert int(count.stdout) == 160


def test_bad_predict_input_is_one_line_and_writes_nothing(project):
    project.cli("train")
    bad = project.root / "data/raw/bad.csv"
    bad.write_text("island,bill_length_mm\nDream,long\n")
    result = project.cli(
        "predict", "--input", str(bad), "--output", "data/bad-out.csv", check=False
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Error: input does not match")
    assert not (project.root / "data/bad-out.csv").exists()


def test_lock_is_current(project):
    project.uv("python", "-c", "print('lock ok')")
    result = run_uv_lock_check(project)
    assert result.returncode == 0, result.stderr


def run_uv_lock_check(project):
    return run([uv_bin(), "lock", "--check"], cwd=project.root, env=project.env, check=False)


def run_is_active(database: Path) -> bool:
    """Whether the project's SQLite tracking store holds a RUNNING run (read-only, no MLflow)."""
    if not database.is_file():
        return False
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1)) as db:
            return db.execute("SELECT 1 FROM runs WHERE status = 'RUNNING'").fetchone() is not None
    except sqlite3.OperationalError:  # locked or not created yet: look again
        return False


def test_a_killed_train_ends_killed_and_leaves_the_last_run_to_evaluate(project):
    """SIGTERM (`docker stop`) in the middle of `train`: KILLED in MLflow, the last run intact."""
    project.cli("train")
    record = (project.root / "models/run.json").read_bytes()
    script = project.root / ".venv" / "bin" / project.slug
    args = [str(script), "train", "--target", "island"]
    with subprocess.Popen(args, cwd=project.root, env=project.env) as train:
        # Killed while its MLflow run is active (logging and registering the model): the
        # store is read directly, every 20 ms, so a fast machine cannot finish in between.
        store = Path(project.env["MLFLOW_TRACKING_URI"].removeprefix("sqlite:///"))
        while train.poll() is None and not run_is_active(store):
            time.sleep(0.02)
        assert train.poll() is None, "train ended before its MLflow run was seen active"
        train.send_signal(signal.SIGTERM)
        assert train.wait() != 0
    assert (project.root / "models/run.json").read_bytes() == record
    statuses = json.loads(project.python(RUN_STATUSES).stdout)
    assert statuses[0] == "KILLED" and "RUNNING" not in statuses
    result = project.cli("evaluate", "--no-promote")
    assert result.returncode == 0
    assert json.loads((project.root / "reports/metrics.json").read_text())["accuracy"] > 0.9
