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


def test_is_better_uses_the_task_direction():
    assert is_better("classification", {"f1_macro": 0.9}, {"f1_macro": 0.8})
    assert not is_better("classification", {"f1_macro": 0.7}, {"f1_macro": 0.8})
    assert is_better("regression", {"rmse": 1.0}, {"rmse": 2.0})
    assert not is_better("regression", {"rmse": 3.0}, {"rmse": 2.0})
