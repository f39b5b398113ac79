"""The evaluation job: score the last trained model on its held-out split, then promote it."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from ..core.metrics import PRIMARY_METRIC, compute_metrics
from ..core.plots import evaluation_figure
from ..core.promotion import Decision, decide
from ..errors import ProjectError
from ..io import files, tracking
from ..records import EvaluationRecord, RunRecord
from ..settings import Settings
from .predict import score
from .progress import Progress, Steps

log = logging.getLogger(__name__)


def evaluate(
    settings: Settings, *, promote: bool = True, progress: Progress | None = None
) -> EvaluationRecord:
    """Score the model of the last `train` (outputs.run_info) on its held-out split.

    Writes the metrics (JSON) and the evaluation plot, logs both to the training run and,
    with `promote`, applies the champion rule (`core.promotion`): the model takes the
    `champion` alias when it is at least as good as the champion on the same rows.
    """
    steps = Steps(
        progress,
        [
            "scoring the model",
            "writing the report",
            "logging to MLflow",
            "challenging the champion",
        ],
    )
    outputs = settings.outputs
    steps.start("scoring the model")
    run = files.read_run_record(outputs.run_info)
    x_test, y_test = files.read_split(outputs.test_split, run.target)
    y_pred = score(tracking.load_model(outputs.model_dir), x_test)
    scores = compute_metrics(run.task, y_test, y_pred)
    steps.start("writing the report")
    title = run.registered_model + (f", version {run.version}" if run.version else "")
    files.write_json({"task": run.task, "rows": len(y_test)} | scores, outputs.metrics)
    files.save_figure(evaluation_figure(run.task, y_test, y_pred, title), outputs.plot)
    steps.start("logging to MLflow")
    client = tracking.connect()
    with tracking.run(run_id=run.run_id):
        tracking.log_metrics({f"test_{name}": value for name, value in scores.items()})
        tracking.log_artifact(outputs.metrics, "evaluation")
        tracking.log_artifact(outputs.plot, "evaluation")
    primary, _ = PRIMARY_METRIC[run.task]
    log.info("Held-out %s: %.4f (%s)", primary, scores[primary], outputs.metrics)
    decision = None
    if promote and run.version is not None:
        steps.start("challenging the champion")
        decision = _challenge(client, run, x_test, y_test, scores)
    steps.finish()
    return EvaluationRecord(
        run_id=run.run_id,
        version=run.version,
        task=run.task,
        rows=len(y_test),
        metrics=scores,
        primary_metric=primary,
        metrics_file=outputs.metrics,
        plot_file=outputs.plot,
        decision=decision,
    )


def _challenge(
    client: Any, run: RunRecord, x_test: pd.DataFrame, y_test: pd.Series, scores: dict
) -> Decision:
    """Apply the champion rule and move the alias when it says so."""
    champion = tracking.champion_version(client)
    if champion is not None and str(champion.version) == str(run.version):
        decision = Decision(True, "already the champion")
    else:
        rival = (
            None if champion is None else _champion_scores(client, champion, run, x_test, y_test)
        )
        decision = decide(run.task, scores, rival)
    if decision.promote:
        tracking.promote(client, run.version)
        log.info("Version %s is '%s' (%s)", run.version, tracking.CHAMPION_ALIAS, decision.reason)
    else:
        log.info("Champion (version %s) keeps its alias (%s)", champion.version, decision.reason)
    return decision


def _champion_scores(
    client: Any, champion: Any, run: RunRecord, x_test: pd.DataFrame, y_test: pd.Series
) -> dict[str, float] | None:
    """The champion's scores on the same rows, or None when it cannot compete."""
    if tracking.trained_for(client, champion.run_id) != (run.task, run.target):
        log.warning("The champion (version %s) predicts another target or task", champion.version)
        return None
    try:
        predictions = score(tracking.load_model(tracking.champion_uri()), x_test)
    except ProjectError as error:
        log.warning(
            "The champion (version %s) cannot score these rows: %s", champion.version, error
        )
        return None
    return compute_metrics(run.task, y_test, predictions)
