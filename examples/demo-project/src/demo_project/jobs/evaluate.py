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

    Refuses a split that is not the one this model held out (compared by SHA-256). Writes
    the metrics (JSON) and the evaluation plot, logs both to the training run and, with
    `promote`, applies the champion rule (`core.promotion`): the model takes the
    `champion` alias when it is at least as good as the champion on the same rows; a
    champion that cannot score those rows keeps the alias (`promote_version` overrides).
    """
    steps = Steps(
        progress,
        [
            "loading the model",
            "scoring the model",
            "writing the report",
            "logging to MLflow",
            "challenging the champion",
        ],
    )
    outputs = settings.outputs
    steps.start("loading the model")
    run = files.read_run_record(outputs.run_info)
    digest = _check_split(outputs.test_split, run)
    x_test, y_test = files.read_split(outputs.test_split, run.target)
    model = tracking.load_model(outputs.model_dir)
    steps.start("scoring the model")
    y_pred = score(model, x_test)
    scores = compute_metrics(run.task, y_test, y_pred)
    primary, _ = PRIMARY_METRIC[run.task]
    steps.start("writing the report")
    version = f"version {run.version}" if run.version else f"run {run.run_id[:8]}"
    title = f"{run.registered_model} {version}: {primary} {scores[primary]:.3f}"
    files.write_json(
        {"task": run.task, "rows": len(y_test), "split_sha256": digest} | scores, outputs.metrics
    )
    files.save_figure(evaluation_figure(run.task, y_test, y_pred, title), outputs.plot)
    steps.start("logging to MLflow")
    client = tracking.connect()
    with tracking.run(run_id=run.run_id):
        tracking.log_metrics({f"test_{name}": value for name, value in scores.items()})
        tracking.set_tags({"evaluation.split_sha256": digest})
        tracking.log_artifact(outputs.metrics, "evaluation")
        tracking.log_artifact(outputs.plot, "evaluation")
    log.info(
        "Held-out %s: %.4f on %d rows (%s)", primary, scores[primary], len(y_test), outputs.metrics
    )
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
        split_sha256=digest,
        metrics=scores,
        primary_metric=primary,
        metrics_file=outputs.metrics,
        plot_file=outputs.plot,
        decision=decision,
    )


def _check_split(path, run: RunRecord) -> str:
    """The split's SHA-256, refused unless it is the split this run's model held out."""
    if not path.is_file():
        raise ProjectError(f"{path}: no split found; run `train` first")
    digest = files.file_digest(path)
    if digest != run.test_split_sha256:
        raise ProjectError(
            f"{path} is not the split model run {run.run_id} held out (a later `prepare` "
            "or an interrupted `train` wrote it); run `train` again"
        )
    return digest


def promote_version(
    settings: Settings, version: int | str | None = None, progress: Progress | None = None
) -> Decision:
    """Give the `champion` alias by hand: to `version`, or to the last trained model.

    For what the champion rule cannot decide (the champion cannot score the new model's
    rows, after a change of columns or target): a person decides, and the log says so.
    """
    steps = Steps(progress, ["moving the alias"])
    steps.start("moving the alias")
    client = tracking.connect()
    if version is None:
        version = files.read_run_record(settings.outputs.run_info).version
        if version is None:
            raise ProjectError("the last trained model is not registered; pass --version")
    previous = tracking.champion_version(client)
    tracking.promote(client, version)
    before = f"was version {previous.version}" if previous is not None else "no champion before"
    steps.finish()
    log.info("Version %s is '%s' (promoted by hand; %s)", version, tracking.CHAMPION_ALIAS, before)
    return Decision(True, f"promoted by hand; {before}")


def _challenge(
    client: Any, run: RunRecord, x_test: pd.DataFrame, y_test: pd.Series, scores: dict
) -> Decision:
    """Apply the champion rule and move the alias when it says so."""
    champion, rival = tracking.champion_version(client), None
    if champion is not None and str(champion.version) == str(run.version):
        decision = Decision(True, "already the champion")
    elif champion is None:
        decision = decide(run.task, scores, None)
    else:
        rival, problem = _champion_scores(client, champion, run, x_test, y_test)
        decision = decide(run.task, scores, rival, problem)
    rows = f"on the same {len(y_test)} held-out rows, split sha256 {run.test_split_sha256[:12]}"
    if decision.promote:
        tracking.promote(client, run.version)
        log.info(
            "Version %s is '%s' (%s, %s)",
            run.version,
            tracking.CHAMPION_ALIAS,
            decision.reason,
            rows,
        )
    elif rival is None:
        log.warning(
            "Champion (version %s) keeps its alias: %s; to promote version %s by hand: "
            "`python -m %s promote --version %s`",
            champion.version,
            decision.reason,
            run.version,
            __package__.partition(".")[0],
            run.version,
        )
    else:
        log.info(
            "Champion (version %s) keeps its alias (%s, %s)",
            champion.version,
            decision.reason,
            rows,
        )
    return decision


def _champion_scores(
    client: Any, champion: Any, run: RunRecord, x_test: pd.DataFrame, y_test: pd.Series
) -> tuple[dict[str, float] | None, str | None]:
    """The champion's scores on the same rows, or why it cannot be scored on them."""
    task, target = tracking.trained_for(client, champion.run_id)
    if (task, target) != (run.task, run.target):
        return None, f"the champion (version {champion.version}) predicts {target!r} ({task})"
    try:
        predictions = score(tracking.load_model(tracking.champion_uri()), x_test)
    except ProjectError as error:
        return None, f"the champion (version {champion.version}) cannot score them ({error})"
    return compute_metrics(run.task, y_test, predictions), None
