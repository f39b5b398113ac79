"""Evaluation metrics: pure functions of true and predicted values."""

from __future__ import annotations

import numpy as np
from sklearn import metrics

# The metric that decides whether a new model replaces the champion, and its direction.
PRIMARY_METRIC = {"classification": ("f1_macro", "max"), "regression": ("rmse", "min")}


def compute_metrics(task: str, y_true, y_pred) -> dict[str, float]:
    """Standard metrics for the task, as plain floats."""
    if task == "classification":
        return {
            "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
            # Balanced accuracy is the mean recall over the classes present in y_true;
            # computed this way, a class that only the predictions hold causes no warning.
            "balanced_accuracy": float(
                metrics.recall_score(
                    y_true, y_pred, labels=np.unique(y_true), average="macro", zero_division=0
                )
            ),
            "f1_macro": float(metrics.f1_score(y_true, y_pred, average="macro", zero_division=0)),
            "precision_macro": float(
                metrics.precision_score(y_true, y_pred, average="macro", zero_division=0)
            ),
            "recall_macro": float(
                metrics.recall_score(y_true, y_pred, average="macro", zero_division=0)
            ),
        }
    return {
        "rmse": float(np.sqrt(metrics.mean_squared_error(y_true, y_pred))),
        "mae": float(metrics.mean_absolute_error(y_true, y_pred)),
        "r2": float(metrics.r2_score(y_true, y_pred)),
    }


def is_better(task: str, candidate: dict[str, float], incumbent: dict[str, float]) -> bool:
    """True when the candidate's primary metric is at least as good as the incumbent's."""
    name, direction = PRIMARY_METRIC[task]
    if direction == "max":
        return candidate[name] >= incumbent[name]
    return candidate[name] <= incumbent[name]
