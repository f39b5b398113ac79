import warnings

import pytest

from demo_project.core.metrics import compute_metrics, is_better


def test_classification_metrics():
    scores = compute_metrics("classification", ["a", "b", "b", "a"], ["a", "b", "a", "a"])
    assert scores["accuracy"] == pytest.approx(0.75)
    assert set(scores) >= {"f1_macro", "precision_macro", "recall_macro", "balanced_accuracy"}


def test_regression_metrics():
    scores = compute_metrics("regression", [1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    assert scores["mae"] == pytest.approx(2 / 3)
    assert scores["rmse"] == pytest.approx((4 / 3) ** 0.5)


def test_classes_absent_from_the_held_out_rows_cause_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        scores = compute_metrics("classification", ["a", "a", "b"], ["a", "c", "b"])
    assert scores["balanced_accuracy"] == pytest.approx((1 / 2 + 1) / 2)  # recall of a and b
    assert scores["accuracy"] == pytest.approx(2 / 3)


def test_is_better_uses_the_task_direction():
    assert is_better("classification", {"f1_macro": 0.9}, {"f1_macro": 0.8})
    assert not is_better("classification", {"f1_macro": 0.7}, {"f1_macro": 0.8})
    assert is_better("regression", {"rmse": 1.0}, {"rmse": 2.0})
    assert not is_better("regression", {"rmse": 3.0}, {"rmse": 2.0})
