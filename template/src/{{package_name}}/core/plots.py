"""Evaluation plots: build matplotlib figures from values; saving happens in `io`."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display needed: figures are written to files

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay, PredictionErrorDisplay  # noqa: E402


def evaluation_figure(task: str, y_true, y_pred, title: str) -> Figure:
    """A confusion matrix for classification, predicted-vs-actual and residuals for regression."""
    if task == "classification":
        figure = Figure(figsize=(6, 5), layout="constrained")
        axes = figure.add_subplot()
        labels = np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_pred)]))
        ConfusionMatrixDisplay.from_predictions(
            y_true, y_pred, labels=labels, ax=axes, cmap="Blues", colorbar=False
        )
        axes.set_title(f"{title}: confusion matrix")
        return figure
    figure = Figure(figsize=(11, 5), layout="constrained")
    left, right = figure.subplots(1, 2)
    PredictionErrorDisplay.from_predictions(
        y_true, y_pred, kind="actual_vs_predicted", ax=left, scatter_kwargs={"alpha": 0.6}
    )
    left.set_title("Predicted vs actual")
    PredictionErrorDisplay.from_predictions(
        y_true, y_pred, kind="residual_vs_predicted", ax=right, scatter_kwargs={"alpha": 0.6}
    )
    right.set_title("Residuals")
    figure.suptitle(title)
    return figure
