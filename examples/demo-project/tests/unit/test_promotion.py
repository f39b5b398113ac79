import pandas as pd
import pytest

from demo_project.core import promotion


def test_without_a_champion_the_challenger_is_promoted():
    decision = promotion.decide("classification", {"f1_macro": 0.4}, None)
    assert decision.promote
    assert "no champion yet" in decision.reason


@pytest.mark.parametrize(
    ("task", "metric", "challenger", "champion", "promote"),
    [
        ("classification", "f1_macro", 0.9, 0.8, True),
        ("classification", "f1_macro", 0.8, 0.8, True),
        ("classification", "f1_macro", 0.7, 0.8, False),
        ("regression", "rmse", 1.0, 2.0, True),
        ("regression", "rmse", 2.0, 2.0, True),
        ("regression", "rmse", 3.0, 2.0, False),
    ],
)
def test_the_challenger_must_score_at_least_as_well(task, metric, challenger, champion, promote):
    decision = promotion.decide(task, {metric: challenger}, {metric: champion})
    assert decision.promote is promote
    assert f"{challenger:.4f} vs the champion's {champion:.4f}" in decision.reason


def test_a_champion_that_cannot_be_compared_keeps_the_alias():
    decision = promotion.decide("classification", {"f1_macro": 0.99}, None, "it needs column 'age'")
    assert not decision.promote
    assert "it needs column 'age'" in decision.reason


@pytest.mark.parametrize(
    ("task", "metric", "model", "baseline", "registered"),
    [
        ("classification", "f1_macro", 0.9, 0.3, True),
        ("classification", "f1_macro", 0.3, 0.3, False),  # a tie is no better than guessing
        ("classification", "f1_macro", 0.2, 0.3, False),
        ("regression", "rmse", 1.0, 2.0, True),
        ("regression", "rmse", 2.0, 2.0, False),
    ],
)
def test_a_model_must_beat_the_baseline(task, metric, model, baseline, registered):
    decision = promotion.against_baseline(task, {metric: model}, {metric: baseline}, rows=40)
    assert decision.promote is registered
    assert f"{metric} {model:.4f} vs {baseline:.4f}" in decision.reason
    assert "on 40 held-out rows" in decision.reason


def test_the_baselines_are_the_most_frequent_class_and_the_mean():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    classes = promotion.baseline_model("classification").fit(frame, ["a", "a", "a", "b"])
    assert list(classes.predict(frame)) == ["a"] * 4
    values = promotion.baseline_model("regression").fit(frame, [1.0, 2.0, 3.0, 6.0])
    assert list(values.predict(frame)) == [3.0] * 4
