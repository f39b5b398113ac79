"""The jobs called as functions, as a notebook calls them: records returned, outputs written."""

import json
import os
import signal
import time
import warnings

import mlflow.sklearn
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from demo_project import jobs
from demo_project.errors import ProjectError
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
    assert steps[-1] == jobs.Step("done", 6, 6)  # the progress bar reaches its end
    assert logged.tags["heldout_split_sha256"] == run.test_split_sha256
    assert files.file_digest(settings.outputs.test_split) == run.test_split_sha256
    # Registered only because it beats the baseline, scored on the same held-out rows.
    assert run.baseline_metrics["f1_macro"] < 0.5 < logged.metrics["train_f1_macro"]


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


def test_a_champion_that_cannot_compete_keeps_its_alias_until_promoted_by_hand(
    trained, regression_frame, caplog
):
    settings, first = trained
    jobs.evaluate(settings)
    regression_frame.to_csv("own.csv", index=False)
    own = settings.override({"data.path": "own.csv", "data.target": "spend"})
    run = jobs.train(own)
    evaluation = jobs.evaluate(own)
    assert run.task == "regression" and "rmse" in evaluation.metrics
    assert not evaluation.decision.promote
    assert "no comparison on the same rows" in evaluation.decision.reason
    assert champion_version() == str(first.version)
    advice = [record.getMessage() for record in caplog.records if "by hand" in record.getMessage()]
    assert len(advice) == 1 and f"promote --version {run.version}" in advice[0]
    decision = jobs.promote_version(own)
    assert decision.promote and f"was version {first.version}" in decision.reason
    assert champion_version() == str(run.version)


def test_the_evaluation_records_the_rows_it_compared_on(trained):
    settings, run = trained
    evaluation = jobs.evaluate(settings)
    assert evaluation.split_sha256 == run.test_split_sha256
    assert json.loads(evaluation.metrics_file.read_text())["split_sha256"] == run.test_split_sha256
    tags = MlflowClient().get_run(run.run_id).data.tags
    assert tags["evaluation.split_sha256"] == run.test_split_sha256


def test_a_model_no_better_than_the_baseline_is_not_registered(project, classification_frame):
    classification_frame.assign(height=1.0, visits=1, city="Oslo", plan="pro").to_csv(
        "flat.csv", index=False
    )  # nothing to learn from: the model can only guess the most frequent class
    flat = read_params("params.yaml").override({"data.path": "flat.csv", "data.target": "churned"})
    with pytest.raises(ProjectError, match="not registered: it does not beat the baseline"):
        jobs.train(flat)
    assert not flat.outputs.run_info.exists() and not flat.outputs.test_split.exists()
    assert not MlflowClient().search_registered_models()


def test_a_single_class_target_is_refused(project, classification_frame):
    classification_frame.assign(churned="yes").to_csv("one.csv", index=False)
    one = read_params("params.yaml").override({"data.path": "one.csv", "data.target": "churned"})
    with pytest.raises(ProjectError, match="only the class 'yes' in 120 rows"):
        jobs.train(one)


def test_rare_classes_turn_stratification_off_in_one_line(project, classification_frame, caplog):
    frame = classification_frame.copy()
    frame.loc[0, "churned"] = "maybe"  # a class with a single row
    frame.to_csv("rare.csv", index=False)
    rare = read_params("params.yaml").override({"data.path": "rare.csv", "data.target": "churned"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # metrics over absent classes: no warning
        jobs.prepare(rare)
    notes = [
        record.getMessage() for record in caplog.records if "not stratified" in record.getMessage()
    ]
    assert notes == ["The split is not stratified: 1 class(es) have a single row (maybe)"]


def test_evaluate_refuses_a_split_that_is_not_the_models(trained):
    settings, run = trained
    jobs.prepare(settings.override({"split.test_size": 0.3}))
    with pytest.raises(ProjectError, match=f"not the split model run {run.run_id} held out"):
        jobs.evaluate(settings)


@pytest.mark.parametrize(
    ("interruption", "status"),
    [
        (RuntimeError("disk full"), "FAILED"),
        ("SIGTERM", "KILLED"),  # `docker stop`, `kill`; Ctrl+C takes the same path
    ],
)
def test_a_broken_or_interrupted_train_leaves_the_last_run_intact(
    trained, monkeypatch, interruption, status
):
    settings, first = trained
    record, split = settings.outputs.run_info.read_bytes(), settings.outputs.test_split.read_bytes()

    def fail(*args, **kwargs):
        if interruption == "SIGTERM":
            os.kill(os.getpid(), signal.SIGTERM)
        raise interruption

    monkeypatch.setattr(tracking, "log_model", fail)
    with pytest.raises(BaseException) as raised:
        jobs.train(settings.override({"split.test_size": 0.3}))
    assert not isinstance(raised.value, AssertionError)
    client = MlflowClient()
    runs = client.search_runs(
        [client.get_experiment_by_name(tracking.EXPERIMENT_NAME).experiment_id]
    )
    assert [run.info.status for run in runs] == [status, "FINISHED"]
    assert settings.outputs.run_info.read_bytes() == record  # the last good run, untouched
    assert settings.outputs.test_split.read_bytes() == split
    assert jobs.evaluate(settings).run_id == first.run_id  # still evaluates its own model


def test_sigterm_in_a_store_write_waits_for_it_and_ends_the_run_killed(settings, monkeypatch):
    write = mlflow.log_params

    def interrupted_write(params):
        os.kill(os.getpid(), signal.SIGTERM)  # `docker stop` in the middle of the write
        return write(params)

    monkeypatch.setattr(mlflow, "log_params", interrupted_write)
    with pytest.raises(tracking.Terminated):
        jobs.train(settings)
    client = MlflowClient()
    [run] = client.search_runs(
        [client.get_experiment_by_name(tracking.EXPERIMENT_NAME).experiment_id]
    )
    assert run.info.status == "KILLED"
    assert run.data.params  # the write finished before the interruption took effect


def test_a_tracking_store_that_does_not_answer_fails_before_the_fit(settings, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # nothing listens there
    started = time.monotonic()
    with pytest.raises(ProjectError, match="cannot reach MLflow at http://127.0.0.1:9"):
        jobs.train(settings)
    assert time.monotonic() - started < 30
    assert not settings.outputs.test_split.exists()


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


def test_tune_logs_each_trial_and_trains_the_best(settings):
    settings = settings.override(
        {"tune.method": "grid", "tune.folds": 2, "tune.space": {"min_samples_leaf": [1, 20]}}
    )
    record = jobs.tune(settings)  # the trials in local processes
    assert record.trials == 2 and record.best_params["min_samples_leaf"] in (1, 20)
    client = MlflowClient()
    experiment = client.get_run(record.run_id).info.experiment_id
    children = client.search_runs([experiment], f"tags.mlflow.parentRunId = '{record.run_id}'")
    assert sorted(run.data.params["min_samples_leaf"] for run in children) == ["1", "20"]
    assert record.trained == files.read_run_record(settings.outputs.run_info)
    logged = client.get_run(record.trained.run_id).data.params
    assert logged["model.params.min_samples_leaf"] == str(record.best_params["min_samples_leaf"])
