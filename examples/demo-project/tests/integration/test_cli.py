"""The commands end to end, in a temporary project with its own MLflow store."""

import gc
import json
import sys

import pandas as pd
import pytest
from click.testing import CliRunner
from mlflow.tracking import MlflowClient

from demo_project.cli import FULL_COLLECTION_THRESHOLD, main
from demo_project.tracking import (  # exploded: stays put whatever the name's length
    CHAMPION_ALIAS,
    EXPERIMENT_NAME,
    REGISTERED_MODEL_NAME,
)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_help_lists_the_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("prepare", "train", "evaluate", "predict"):
        assert command in result.output


def test_as_the_program_a_command_runs_with_fewer_full_collections(project, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["demo-project", "--help"])
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    try:
        with pytest.raises(SystemExit) as ended:
            main()
        assert ended.value.code == 0
        assert gc.get_threshold()[2] == FULL_COLLECTION_THRESHOLD
        assert gc.get_freeze_count() > frozen  # the exit skips what the command left
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_called_with_arguments_the_collector_keeps_its_settings(project):
    settings = gc.get_threshold(), gc.get_freeze_count()
    assert invoke("--help").exit_code == 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == settings


@pytest.fixture
def trained(project):
    result = invoke("train")
    assert result.exit_code == 0, result.output
    return project


def test_train_evaluate_predict(trained):
    run_info = json.loads((trained / "models/run.json").read_text())
    assert run_info["task"] == "classification"

    result = invoke("evaluate")
    assert result.exit_code == 0, result.output
    metrics = json.loads((trained / "reports/metrics.json").read_text())
    assert metrics["accuracy"] > 0.9
    assert (trained / "reports/figures/evaluation.png").read_bytes()[:4] == b"\x89PNG"

    client = MlflowClient()
    run = client.get_run(run_info["run_id"])
    assert run.data.params["split.seed"] == "42"
    assert "test_f1_macro" in run.data.metrics
    experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
    assert experiment.experiment_id == run.info.experiment_id
    champion = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    assert str(champion.version) == str(run_info["version"])

    source = trained / "data/processed/test.parquet"
    result = invoke("predict", "--input", str(source), "--output", "predictions.csv")
    assert result.exit_code == 0, result.output
    predictions = pd.read_csv(trained / "predictions.csv")
    assert len(predictions) == len(pd.read_parquet(source))
    assert predictions["prediction"].isin(["Adelie", "Chinstrap", "Gentoo"]).all()


def test_prepare_then_train_from_splits_is_train_in_two_steps(project):
    assert invoke("train").exit_code == 0
    one_step = json.loads((project / "models/run.json").read_text())
    splits = [project / "data/processed/train.parquet", project / "data/processed/test.parquet"]
    written_by_train = [path.read_bytes() for path in splits]

    result = invoke("prepare")
    assert result.exit_code == 0, result.output
    assert [path.read_bytes() for path in splits] == written_by_train
    result = invoke("train", "--from-splits")
    assert result.exit_code == 0, result.output
    assert [path.read_bytes() for path in splits] == written_by_train  # inputs stay untouched
    two_steps = json.loads((project / "models/run.json").read_text())
    assert two_steps["task"] == one_step["task"] == "classification"

    client = MlflowClient()
    first, second = (client.get_run(info["run_id"]).data for info in (one_step, two_steps))
    assert first.params == second.params
    assert first.metrics == second.metrics
    assert invoke("evaluate").exit_code == 0


def test_train_from_splits_needs_prepare(project):
    result = CliRunner().invoke(main, ["train", "--from-splits"])
    assert result.exit_code == 1
    assert "run `prepare` first" in result.output


def test_train_from_splits_refuses_another_data_file(project):
    result = CliRunner().invoke(main, ["train", "--from-splits", "--data", "own.csv"])
    assert result.exit_code == 2
    assert "--data cannot be combined with --from-splits" in result.output


def test_predict_with_a_registry_uri(trained):
    assert invoke("evaluate").exit_code == 0
    uri = f"models:/{REGISTERED_MODEL_NAME}@{CHAMPION_ALIAS}"
    result = invoke(
        "predict",
        "--input",
        "data/processed/test.parquet",
        "--output",
        "out.parquet",
        "--model",
        uri,
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(trained / "out.parquet")) == len(
        pd.read_parquet(trained / "data/processed/test.parquet")
    )


def test_champion_stays_when_the_new_model_is_worse(trained):
    assert invoke("evaluate").exit_code == 0
    first = json.loads((trained / "models/run.json").read_text())["version"]
    (trained / "params.yaml").write_text(
        "model:\n  estimator: random_forest\n  params: {n_estimators: 1, max_depth: 1}\n"
    )
    assert invoke("train").exit_code == 0
    assert invoke("evaluate").exit_code == 0
    champion = MlflowClient().get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    assert str(champion.version) == str(first)


def test_train_on_your_own_regression_data(project, regression_frame):
    regression_frame.to_csv(project / "own.csv", index=False)
    result = invoke("train", "--data", "own.csv", "--target", "spend")
    assert result.exit_code == 0, result.output
    assert json.loads((project / "models/run.json").read_text())["task"] == "regression"
    assert invoke("evaluate").exit_code == 0
    assert "rmse" in json.loads((project / "reports/metrics.json").read_text())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda frame: frame.drop(columns=["island"]), "missing column 'island'"),
        (
            lambda frame: frame.assign(bill_length_mm="long"),
            "column 'bill_length_mm' should be double",
        ),
    ],
)
def test_predict_rejects_input_that_does_not_match_the_signature(trained, mutate, message):
    bad = mutate(pd.read_parquet(trained / "data/processed/test.parquet"))
    bad.to_csv(trained / "bad.csv", index=False)
    result = CliRunner().invoke(main, ["predict", "--input", "bad.csv", "--output", "out.csv"])
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (trained / "out.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--data", "absent.csv"], "absent.csv: file not found"),
        (["train", "--target", "nope"], "target column 'nope' not found"),
        (["predict", "--input", "absent.csv", "--output", "o.csv"], "file not found"),
        (["predict", "--input", "params.yaml", "--output", "o.csv"], "unsupported file type"),
        (["evaluate"], "run `train` first"),
    ],
)
def test_bad_input_is_a_one_line_error(project, args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.strip().startswith("Error:")


def test_malformed_csv_is_a_one_line_error(project):
    (project / "broken.csv").write_bytes(b'a,b\n1,"unterminated\n')
    result = CliRunner().invoke(main, ["train", "--data", "broken.csv", "--target", "a"])
    assert result.exit_code == 1
    assert "cannot read table" in result.output


def test_invalid_params_file(project):
    (project / "params.yaml").write_text("split:\n  test_size: 2\n")
    result = CliRunner().invoke(main, ["train"])
    assert result.exit_code == 1
    assert "split.test_size" in result.output


def test_log_file_is_written(trained):
    assert "Trained a classification model" in (trained / "logs/project.log").read_text()
