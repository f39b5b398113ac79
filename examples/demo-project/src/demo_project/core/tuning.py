"""The hyperparameter search: which trials to run and how to score them (pure)."""

from __future__ import annotations

import math
from typing import Any

from sklearn.metrics import get_scorer
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import Pipeline

from ..errors import ProjectError

# The scikit-learn scorers of the primary metrics (core.metrics.PRIMARY_METRIC).
DEFAULT_SCORER = {"classification": "f1_macro", "regression": "neg_root_mean_squared_error"}
STEP = "model"  # the pipeline's estimator step (core.model.build_pipeline)


def scorer_name(task: str, metric: str | None) -> str:
    """tune.metric, checked, or the task's primary metric."""
    name = metric or DEFAULT_SCORER[task]
    try:
        get_scorer(name)
    except ValueError:
        raise ProjectError(
            f"tune.metric: {name!r} is not a scikit-learn scorer name (e.g. f1_macro, "
            "accuracy, r2, neg_mean_absolute_error)"
        ) from None
    return name


def trial_count(method: str, budget: int, space: dict[str, list]) -> int:
    """How many trials the search runs: the grid, or the budget (at most the grid)."""
    grid = math.prod(len(values) for values in space.values())
    if method == "grid" and grid > budget:
        raise ProjectError(
            f"tune.space has {grid} combinations, more than tune.budget ({budget}): "
            "raise the budget, shrink the space or use method: random"
        )
    return min(grid, budget)


def build_search(
    pipeline: Pipeline,
    task: str,
    seed: int,
    *,
    method: str,
    metric: str | None,
    budget: int,
    folds: int,
    space: dict[str, list],
) -> Any:
    """A scikit-learn search over the estimator arguments in `space` (tune: in params.yaml)."""
    if not space:
        raise ProjectError(
            "tune.space is empty: give the estimator arguments to try in params.yaml"
        )
    known = pipeline.named_steps[STEP].get_params()
    unknown = sorted(set(space) - set(known))
    if unknown:
        raise ProjectError(
            f"tune.space: {', '.join(unknown)} not an argument of "
            f"{type(pipeline.named_steps[STEP]).__name__}"
        )
    grid = {f"{STEP}__{name}": values for name, values in space.items()}
    common = {"scoring": scorer_name(task, metric), "cv": folds, "n_jobs": -1, "refit": False}
    count = trial_count(method, budget, space)
    if method == "grid":
        return GridSearchCV(pipeline, grid, **common)
    return RandomizedSearchCV(pipeline, grid, n_iter=count, random_state=seed, **common)


def trials(search: Any) -> list[dict[str, Any]]:
    """Each trial of a fitted search: its arguments, mean and spread of the score, rank."""
    results = search.cv_results_
    return [
        {
            "params": {name.removeprefix(f"{STEP}__"): value for name, value in params.items()},
            "score": float(results["mean_test_score"][index]),
            "score_std": float(results["std_test_score"][index]),
            "rank": int(results["rank_test_score"][index]),
        }
        for index, params in enumerate(results["params"])
    ]


def best_params(search: Any) -> dict[str, Any]:
    return {name.removeprefix(f"{STEP}__"): value for name, value in search.best_params_.items()}
