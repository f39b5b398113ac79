import pytest

from demo_project.core.promotion import decide


def test_without_a_champion_the_challenger_is_promoted():
    decision = decide("classification", {"f1_macro": 0.4}, None)
    assert decision.promote
    assert "no champion" in decision.reason


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
    decision = decide(task, {metric: challenger}, {metric: champion})
    assert decision.promote is promote
    assert f"{challenger:.4f} vs the champion's {champion:.4f}" in decision.reason
