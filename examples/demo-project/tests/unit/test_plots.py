"""The evaluation plots, checked on the figure objects as the Agg renderer lays them out."""

import itertools

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from demo_project.core import plots


def labelled_classes(count: int, length: int) -> list[str]:
    """`count` class names of `length` characters."""
    return [(f"{index:02d} " + "long class name " * 3)[:length] for index in range(count)]


def predictions(classes: list[str], rows_per_class: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    y_true = np.repeat(classes, rows_per_class)
    y_pred = np.where(rng.random(len(y_true)) < 0.8, y_true, rng.choice(classes, len(y_true)))
    return y_true, y_pred


def laid_out(figure):
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return canvas.get_renderer()


def assert_readable(figure, axes, renderer):
    """Tick labels neither overlap one another nor leave the figure."""
    page = figure.bbox
    for labels in (axes.get_xticklabels(), axes.get_yticklabels()):
        boxes = [label.get_window_extent(renderer) for label in labels if label.get_text()]
        assert boxes
        for one, other in itertools.combinations(boxes, 2):
            assert not one.overlaps(other)
        for box in boxes:
            assert (
                page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
            )


@pytest.mark.parametrize(("count", "length"), [(3, 6), (12, 40), (30, 40), (30, 6)])
def test_confusion_matrices_stay_readable(count, length, tmp_path):
    classes = labelled_classes(count, length)
    figure = plots.evaluation_figure(
        "classification", *predictions(classes, 5), "demo version 3: f1 0.9"
    )
    renderer = laid_out(figure)
    axes = figure.axes[0]
    assert_readable(figure, axes, renderer)
    assert figure._suptitle.get_text() == "demo version 3: f1 0.9"
    assert [label.get_text() for label in axes.get_xticklabels()] == sorted(classes)
    figure.savefig(tmp_path / f"confusion-{count}-{length}.png")


def test_more_classes_show_the_most_frequent_normalised_with_a_note():
    classes = labelled_classes(45, 40)
    y_true, y_pred = predictions(classes, 4)
    y_true = np.concatenate([y_true, np.repeat(classes[:3], 10)])  # three frequent classes
    y_pred = np.concatenate([y_pred, np.repeat(classes[40:43], 10)])  # predicted as rare ones
    figure = plots.evaluation_figure("classification", y_true, y_pred, "demo version 4: f1 0.5")
    renderer = laid_out(figure)
    axes = figure.axes[0]
    assert_readable(figure, axes, renderer)
    shown = [label.get_text() for label in axes.get_xticklabels()]
    assert len(shown) == plots.MAX_CLASSES + 1 and shown[-1] == plots.OTHER
    assert set(classes[:3]) <= set(shown)
    assert "30 most frequent of 45 classes" in figure._supxlabel.get_text()
    matrix = axes.images[0].get_array()
    assert np.allclose(matrix.sum(axis=1)[:-1], 1.0)  # the true classes' rows; none is "other"


def test_regression_ticks_are_round_and_titled(tmp_path):
    rng = np.random.default_rng(0)
    y_true = rng.normal(1234.567, 321.0, 200)
    y_pred = y_true + rng.normal(0, 50.0, 200)
    figure = plots.evaluation_figure("regression", y_true, y_pred, "demo version 2: rmse 49.8")
    laid_out(figure)
    assert figure._suptitle.get_text() == "demo version 2: rmse 49.8"
    for axes in figure.axes:
        for ticks in (axes.get_xticks(), axes.get_yticks()):
            steps = np.diff(ticks)
            assert np.allclose(steps, steps[0])
            mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]))
            assert min(abs(mantissa - m) for m in (1, 2, 2.5, 5, 10)) < 1e-9
    figure.savefig(tmp_path / "regression.png")
