"""Evaluation plots: build matplotlib figures from values; saving happens in `io`."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display needed: figures are written to files

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay, PredictionErrorDisplay  # noqa: E402

MAX_CLASSES = 30  # beyond this, the matrix shows the most frequent classes, row-normalised
OTHER = "(other classes)"
ROUND_STEPS = [1, 2, 2.5, 5, 10]  # ticks at round values: 0.5, 1, 2.5, 20, 250...


def evaluation_figure(task: str, y_true, y_pred, title: str) -> Figure:
    """A confusion matrix for classification, predicted-vs-actual and residuals for regression.

    `title` names the model and its main metric; every figure carries it.
    """
    if task == "classification":
        return confusion_figure(y_true, y_pred, title)
    return regression_figure(y_true, y_pred, title)


def confusion_figure(y_true, y_pred, title: str) -> Figure:
    """The confusion matrix, sized and labelled for up to MAX_CLASSES labels of 40 characters.

    With more classes, it shows the MAX_CLASSES most frequent true classes, each row
    normalised (predictions of any other class gathered in one column), and says so.
    """
    y_true = pd.Series(np.asarray(y_true)).astype(str)
    y_pred = pd.Series(np.asarray(y_pred)).astype(str)
    classes = sorted(set(y_true) | set(y_pred))
    note, normalize = None, None
    if len(classes) > MAX_CLASSES:
        top = y_true.value_counts().sort_index().sort_values(ascending=False, kind="stable")
        kept = sorted(top.index[:MAX_CLASSES])
        rows = y_true.isin(kept).to_numpy()
        y_true = y_true[rows]
        y_pred = y_pred[rows].where(y_pred[rows].isin(kept), OTHER)
        note = (
            f"The {MAX_CLASSES} most frequent of {len(classes)} classes; each row sums to 1; "
            f"{OTHER}: predictions of any other class"
        )
        classes, normalize = kept + ([OTHER] if (y_pred == OTHER).any() else []), "true"
    count = len(classes)
    longest = max(len(label) for label in classes)
    font = 10 if count <= 10 else 8 if count <= 20 else 7
    # Room for the cells and for the labels (about 0.6 of the font size per character).
    label_room = longest * font * 0.6 / 72
    side = max(5.0, 0.3 * count + 1.5)
    figure = Figure(figsize=(side + label_room, side + label_room), layout="constrained")
    axes = figure.add_subplot()
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=classes,
        normalize=normalize,
        ax=axes,
        cmap="Blues",
        colorbar=count > 12,
        include_values=count <= 12,
        values_format=".2f" if normalize else None,
    )
    rotation = 0 if count <= 6 and longest <= 8 else 90 if count > 12 or longest > 20 else 45
    axes.tick_params(axis="both", labelsize=font)
    for label in axes.get_xticklabels():
        label.set_rotation(rotation)
        label.set_horizontalalignment("center" if rotation in (0, 90) else "right")
        label.set_rotation_mode("anchor" if rotation == 45 else "default")
    axes.set_title("Confusion matrix (held-out rows)", fontsize=10)
    figure.suptitle(title)
    if note:
        figure.supxlabel(note, fontsize=8)
    return figure


def regression_figure(y_true, y_pred, title: str) -> Figure:
    """Predicted against actual values, and the residuals, with ticks at round values."""
    figure = Figure(figsize=(11, 5), layout="constrained")
    left, right = figure.subplots(1, 2)
    PredictionErrorDisplay.from_predictions(
        y_true, y_pred, kind="actual_vs_predicted", ax=left, scatter_kwargs={"alpha": 0.6}
    )
    left.set_title("Predicted vs actual (held-out rows)")
    PredictionErrorDisplay.from_predictions(
        y_true, y_pred, kind="residual_vs_predicted", ax=right, scatter_kwargs={"alpha": 0.6}
    )
    right.set_title("Residuals (held-out rows)")
    for axes in (left, right):
        axes.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=ROUND_STEPS))
        axes.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=ROUND_STEPS))
    figure.suptitle(title)
    return figure
