"""The tuning job: a hyperparameter search, each trial an MLflow run, the best one trained."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import asdict

from ..core.tuning import build_search, scorer_name, trial_count, trials
from ..errors import ProjectError
from ..io import cluster, provenance, tracking
from ..records import TuneRecord
from ..settings import Settings
from .prepare import load_and_split
from .progress import Progress, Steps
from .train import planned_pipeline, train

log = logging.getLogger(__name__)


def tune(
    settings: Settings,
    *,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> TuneRecord:
    """Search tune.space on the training split, then train the best arguments like `train`.

    Each trial is scored by cross-validation (tune.folds) with tune.metric, the trials run in
    parallel through joblib: local processes, or the Dask cluster at `scheduler` ("local",
    an address, or DASK_SCHEDULER_ADDRESS). One MLflow run named "tune" holds
    a nested run per trial; the best arguments then go through `train` (over model.params),
    so the model is registered as a challenger only if it beats the baseline, and `evaluate`
    decides whether it becomes the champion.
    """
    steps = Steps(progress, ["connecting to MLflow", "loading data", "searching", "training"])
    steps.start("connecting to MLflow")
    tracking.connect()
    steps.start("loading data")
    split, task = load_and_split(settings)
    _, pipeline = planned_pipeline(settings, split.x_train, task)
    search = build_search(pipeline, task, settings.split.seed, **asdict(settings.tune))
    metric = scorer_name(task, settings.tune.metric)
    count = trial_count(settings.tune.method, settings.tune.budget, settings.tune.space)
    log.info("Searching %d trial(s) of %d folds, scored by %s", count, settings.tune.folds, metric)
    steps.start("searching")
    inputs = [settings.data.path] if settings.data.path else []
    with tracking.run(name="tune", tags=provenance.run_tags(inputs)) as parent:
        tracking.log_params({"tune.method": settings.tune.method, "tune.metric": metric})
        address = cluster.scheduler_address(scheduler)
        with ExitStack() as stack:
            if address:
                stack.enter_context(cluster.joblib_on(address))
            _fit(search, split)
        found = trials(search)
        for number, trial in enumerate(found, start=1):
            scores = {metric: trial["score"], f"{metric}_std": trial["score_std"]}
            tracking.log_trial(f"trial-{number}", trial["params"], scores)
        best = min(found, key=lambda trial: trial["rank"])
        tracking.log_params({f"best.{name}": value for name, value in best["params"].items()})
        tracking.log_metrics({f"best_{metric}": best["score"]})
    log.info("Best of %d trials: %s (%s %.4f)", len(found), best["params"], metric, best["score"])
    steps.start("training")
    params = dict(settings.model.params) | best["params"]
    trained = train(settings.override({"model.params": params}))
    with tracking.run(run_id=parent.info.run_id):
        tracking.set_tags(
            {"trained_run_id": trained.run_id, "trained_version": str(trained.version)}
        )
    steps.finish()
    return TuneRecord(
        run_id=parent.info.run_id,
        metric=metric,
        trials=len(found),
        best_params=best["params"],
        best_score=best["score"],
        trained=trained,
    )


def _fit(search, split) -> None:
    try:
        search.fit(split.x_train, split.y_train)
    except (ValueError, TypeError) as error:
        message = str(error).strip().splitlines()[0]
        raise ProjectError(f"the search failed: {message}") from error
