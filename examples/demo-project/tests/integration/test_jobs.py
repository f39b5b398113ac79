"""The jobs called as functions, as a notebook calls them: records returned, outputs written."""

import json

import mlflow.sklearn
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from demo_project import jobs
from demo_project.io import files, tracking
from demo_project.io.params import read_params


@pytest.fixture
def settings(project):
    """params.yaml of the temporary project (a small forest, for speed)."""
    return read_params("params.yaml")


@pytest.fixture
def trained(settings):
    return settings, jobs.train(settings)


def champion_version() -> str:
    client = MlflowClient()
    version = client.get_model_version_by_alias(
        tracking.REGISTERED_MODEL_NAME, tracking.CHAMPION_ALIAS
    )
    return str(version.version)


def test_prepare_writes_the_splits(settings):
    steps = []
    split = jobs.prepare(settings, progress=steps.append)
    assert split.task == "classification"
    assert split.train_rows + split.test_rows == 344  # every penguin has its species
    assert len(pd.read_parquet(split.train_split)) == split.train_rows
    assert len(pd.read_parquet(split.test_split)) == split.test_rows
    assert steps[-1] == jobs.Step("done", 2, 2)


def test_train_records_the_run_and_saves_the_model(settings):
    steps = []
    run = jobs.train(settings, progress=steps.append)
    assert run == files.read_run_record(settings.outputs.run_info)
    assert (run.task, run.target, run.version) == ("classification", "species", 1)
    assert run.train_metrics["accuracy"] > 0.9
    assert (settings.outputs.model_dir / "MLmodel").is_file()
    logged = MlflowClient().get_run(run.run_id).data
    assert logged.params["model.params.n_estimators"] == "20"
    assert logged.metrics["train_rows"] == run.train_rows
    assert [step.done for step in steps] == sorted(step.done for step in steps)
    assert steps[-1] == jobs.Step("done", 4, 4)  # the progress bar reaches its end


def test_prepare_then_train_from_splits_is_train_in_two_steps(settings):
    one_step = jobs.train(settings)
    splits = [settings.outputs.train_split, settings.outputs.test_split]
    written_by_train = [path.read_bytes() for path in splits]
    jobs.prepare(settings)
    assert [path.read_bytes() for path in splits] == written_by_train
    two_steps = jobs.train(settings, from_splits=True)
    assert [path.read_bytes() for path in splits] == written_by_train  # inputs stay untouched
    client = MlflowClient()
    first, second = (client.get_run(run.run_id).data for run in (one_step, two_steps))
    assert first.params == second.params
    assert first.metrics == second.metrics


def test_evaluate_reports_and_crowns_the_first_champion(trained):
    settings, run = trained
    evaluation = jobs.evaluate(settings)
    assert (evaluation.run_id, evaluation.rows) == (run.run_id, run.test_rows)
    assert evaluation.metrics["accuracy"] > 0.9
    assert json.loads(evaluation.metrics_file.read_text())["rows"] == run.test_rows
    assert evaluation.plot_file.read_bytes()[:4] == b"\x89PNG"
    assert evaluation.decision.promote
    assert champion_version() == str(run.version)
    tracked = MlflowClient().get_run(run.run_id).data.metrics
    assert tracked["test_f1_macro"] == evaluation.metrics["f1_macro"]


def test_a_worse_model_leaves_the_champion_in_place(trained):
    settings, first = trained
    jobs.evaluate(settings)
    weak = settings.override({"model.params": {"n_estimators": 1, "max_depth": 1}})
    jobs.train(weak)
    evaluation = jobs.evaluate(weak)
    assert not evaluation.decision.promote
    assert evaluation.decision.reason.startswith("worse: f1_macro")
    assert champion_version() == str(first.version)


def test_a_champion_for_another_target_gives_way(trained, regression_frame):
    settings, _ = trained
    jobs.evaluate(settings)
    regression_frame.to_csv("own.csv", index=False)
    own = settings.override({"data.path": "own.csv", "data.target": "spend"})
    run = jobs.train(own)
    evaluation = jobs.evaluate(own)
    assert run.task == "regression" and "rmse" in evaluation.metrics
    assert evaluation.decision.promote
    assert champion_version() == str(run.version)


def test_predict_scores_the_table_users_have(trained):
    settings, _ = trained
    raw = files.load_dataset(None).drop(columns=["species"])  # integers, gaps, text
    raw.to_csv("raw.csv", index=False)
    steps = []
    record = jobs.predict(settings, "raw.csv", "predictions.csv", progress=steps.append)
    predictions = pd.read_csv(record.output)
    assert record.rows == len(predictions) == len(raw)
    assert list(predictions.columns) == [*raw.columns, "prediction"]
    assert predictions["prediction"].isin(["Adelie", "Chinstrap", "Gentoo"]).all()
    assert steps[-1].done == steps[-1].total
    # Any client of the logged model gets the same normalisation: it is in the pipeline.
    model = mlflow.sklearn.load_model(str(settings.outputs.model_dir))
    assert (model.predict(raw) == predictions["prediction"]).all()


def test_predict_with_the_champion_from_the_registry(trained):
    settings, _ = trained
    jobs.evaluate(settings)
    source = settings.outputs.test_split
    record = jobs.predict(settings, source, "out.parquet", model=tracking.champion_uri())
    assert record.model == tracking.champion_uri()
    assert len(pd.read_parquet("out.parquet")) == len(pd.read_parquet(source))
