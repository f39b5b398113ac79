"""The training job: fit the pipeline, log and register it in MLflow, record the run."""

from __future__ import annotations

import logging

import pandas as pd
from sklearn.pipeline import Pipeline

from ..core.columns import ColumnPlan, plan_columns
from ..core.metrics import compute_metrics
from ..core.model import Split, build_pipeline, fit
from ..core.promotion import against_baseline, baseline_model
from ..core.schema import input_columns
from ..errors import ProjectError
from ..io import files, provenance, tracking
from ..records import RunRecord
from ..settings import Settings, flatten
from .prepare import load_and_split, read_splits, write_splits
from .progress import Progress, Steps

log = logging.getLogger(__name__)
# Training metrics are computed on at most this many training rows (a seeded sample): a
# check that the model learned, which needs no prediction over a million rows.
TRAIN_METRICS_ROWS = 10_000


def train(
    settings: Settings, *, from_splits: bool = False, progress: Progress | None = None
) -> RunRecord:
    """Fit the pipeline, log it to MLflow, register a new version, and record the run.

    Checks that the tracking store answers before any work. Loads and splits the data; with
    `from_splits`, fits on the files `prepare` wrote and leaves them untouched. A model that
    does not beat the baseline on the held-out rows (`core.promotion`) is refused, and
    nothing is logged or written. Only a run that succeeded writes the splits, the model
    (outputs.model_dir) and the returned record (outputs.run_info), which names the
    held-out split by its SHA-256 so that `evaluate` never scores a model on other rows.
    """
    first = "reading the splits" if from_splits else "loading data"
    steps = Steps(
        progress,
        [
            "connecting to MLflow",
            first,
            "fitting the model",
            "comparing with the baseline",
            "logging to MLflow",
            "saving the splits",
        ],
    )
    outputs = settings.outputs
    steps.start("connecting to MLflow")
    tracking.connect()
    steps.start(first)
    if from_splits:
        split, task = read_splits(settings)
        inputs = [outputs.train_split, outputs.test_split]
    else:
        split, task = load_and_split(settings)
        inputs = [settings.data.path] if settings.data.path else []
    steps.start("fitting the model")
    plan, pipeline = planned_pipeline(settings, split.x_train, task)
    for decision in plan.decisions:
        log.info("%s", decision)
    fit(pipeline, split.x_train, split.y_train)
    sample = split.x_train.sample(
        min(len(split.x_train), TRAIN_METRICS_ROWS), random_state=settings.split.seed
    )
    train_metrics = compute_metrics(task, split.y_train[sample.index], pipeline.predict(sample))
    steps.start("comparing with the baseline")
    baseline_metrics = _check_baseline(task, pipeline, split)
    steps.start("logging to MLflow")
    source = settings.data.path.as_posix() if settings.data.path else files.BUILTIN_DATASET
    with tracking.run(tags=provenance.run_tags(inputs)) as active:
        tracking.log_params(flatten(settings) | {"task.resolved": task, "data.source": source})
        tracking.log_metrics(
            {f"train_{name}": value for name, value in train_metrics.items()}
            | {f"baseline_{name}": value for name, value in baseline_metrics.items()}
            | {"train_rows": len(split.x_train), "test_rows": len(split.x_test)}
        )
        tracking.log_text("\n".join(plan.decisions) + "\n", "columns.txt")
        model_uri, version = tracking.log_model(
            pipeline, split.x_train, input_columns(split.x_train, plan), outputs.model_dir
        )
        steps.start("saving the splits")
        if not from_splits:
            write_splits(split, settings)
        digest = files.file_digest(outputs.test_split)
        tracking.set_tags({"heldout_split_sha256": digest})
        record = RunRecord(
            run_id=active.info.run_id,
            model_uri=model_uri,
            registered_model=tracking.REGISTERED_MODEL_NAME,
            version=version,
            task=task,
            target=settings.data.target,
            train_rows=len(split.x_train),
            test_rows=len(split.x_test),
            test_split_sha256=digest,
            train_metrics=train_metrics,
            baseline_metrics=baseline_metrics,
        )
        files.write_run_record(record, outputs.run_info)
    steps.finish()
    log.info(
        "Trained a %s model on %d rows (run %s, registered version %s, alias '%s')",
        task,
        record.train_rows,
        record.run_id,
        version,
        tracking.CHALLENGER_ALIAS,
    )
    return record


def planned_pipeline(
    settings: Settings, x_train: pd.DataFrame, task: str
) -> tuple[ColumnPlan, Pipeline]:
    """The column plan of the training rows and the unfitted pipeline `settings` describe."""
    data = settings.data
    plan = plan_columns(x_train, drop=data.drop, ids=data.id, max_categories=data.max_categories)
    pipeline = build_pipeline(
        task,
        settings.model.estimator,
        settings.model.params,
        settings.split.seed,
        plan,
        data.max_categories,
    )
    return plan, pipeline


def _check_baseline(task: str, pipeline, split: Split) -> dict[str, float]:
    """The baseline's held-out scores; a model no better than it is refused in one line."""
    baseline = baseline_model(task).fit(split.x_train, split.y_train)
    baseline_metrics = compute_metrics(task, split.y_test, baseline.predict(split.x_test))
    heldout = compute_metrics(task, split.y_test, pipeline.predict(split.x_test))
    verdict = against_baseline(task, heldout, baseline_metrics, len(split.y_test))
    if not verdict.promote:
        raise ProjectError(f"the model was not registered: it {verdict.reason}")
    log.info("The model %s", verdict.reason)
    return baseline_metrics
