"""Model building and training: pure functions (no files, no tracking)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from ..errors import ProjectError
from .columns import ColumnPlan, Normaliser
from .features import build_preprocessor, categorical_mask

ESTIMATORS: dict[tuple[str, str], type[BaseEstimator]] = {
    ("hist_gradient_boosting", "classification"): HistGradientBoostingClassifier,
    ("hist_gradient_boosting", "regression"): HistGradientBoostingRegressor,
    ("random_forest", "classification"): RandomForestClassifier,
    ("random_forest", "regression"): RandomForestRegressor,
    ("linear", "classification"): LogisticRegression,
    ("linear", "regression"): Ridge,
}
# Bounded defaults, under model.params: a forest of unbounded trees grows with the data
# (hundreds of MB at 100,000 rows); these keep time and size in proportion on every core.
DEFAULTS: dict[str, dict[str, Any]] = {
    "hist_gradient_boosting": {},
    "random_forest": {"n_estimators": 100, "max_depth": 16, "min_samples_leaf": 5, "n_jobs": -1},
    "linear": {},
}
LINEAR_DEFAULTS = {"classification": {"max_iter": 1000}, "regression": {}}
# Estimators that handle missing values and categories themselves.
NATIVE = {"hist_gradient_boosting"}


@dataclass(frozen=True)
class Split:
    x_train: pd.DataFrame
    x_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series


def split_data(
    features: pd.DataFrame, target: pd.Series, task: str, test_size: float, seed: int
) -> Split:
    """Seeded train/test split, stratified for classification when every class allows it."""
    stratify = None
    if task == "classification" and target.value_counts().min() >= 2:
        stratify = target
    try:
        x_train, x_test, y_train, y_test = train_test_split(
            features, target, test_size=test_size, random_state=seed, stratify=stratify
        )
    except ValueError as error:
        raise ProjectError(f"cannot split the data: {error}") from error
    return Split(
        x_train.reset_index(drop=True),
        x_test.reset_index(drop=True),
        y_train.reset_index(drop=True),
        y_test.reset_index(drop=True),
    )


def build_pipeline(
    task: str,
    estimator: str,
    params: dict[str, Any],
    seed: int,
    plan: ColumnPlan,
    max_categories: int = 30,
) -> Pipeline:
    """Normalisation (the column plan), preprocessing and the estimator, checked by scikit-learn.

    `params` apply on top of the estimator's bounded defaults (DEFAULTS).
    """
    try:
        model_class = ESTIMATORS[(estimator, task)]
    except KeyError:
        raise ProjectError(f"no estimator {estimator!r} for task {task!r}") from None
    model = model_class()
    if "random_state" in model.get_params():
        model.set_params(random_state=seed)
    defaults = DEFAULTS.get(estimator, {}) | (
        LINEAR_DEFAULTS[task] if estimator == "linear" else {}
    )
    native = estimator in NATIVE
    if native and any(categorical_mask(plan)):
        defaults = defaults | {"categorical_features": categorical_mask(plan)}
    try:
        model.set_params(**(defaults | params))
    except ValueError as error:
        message = str(error).splitlines()[0]
        raise ProjectError(f"invalid model.params for {model_class.__name__}: {message}") from error
    return Pipeline(
        [
            ("normalise", Normaliser(plan.as_dict())),
            ("preprocess", build_preprocessor(max_categories, native)),
            ("model", model),
        ]
    )


def fit(pipeline: Pipeline, x_train: pd.DataFrame, y_train: pd.Series) -> Pipeline:
    """Fit the pipeline, turning scikit-learn's parameter errors into a readable one."""
    try:
        return pipeline.fit(x_train, y_train)
    except (ValueError, TypeError) as error:
        message = str(error).splitlines()[0]
        raise ProjectError(f"training failed: {message}") from error
