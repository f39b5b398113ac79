import pytest

from demo_project.core.columns import plan_columns
from demo_project.core.features import split_features_target
from demo_project.core.model import build_pipeline
from demo_project.core.tuning import build_search, trial_count, trials
from demo_project.errors import ProjectError

SEARCH = {"method": "grid", "metric": None, "budget": 8, "folds": 2}


@pytest.fixture
def pipeline_and_data(classification_frame):
    features, target = split_features_target(classification_frame, "churned")
    plan = plan_columns(features)
    return build_pipeline("classification", "random_forest", {"n_estimators": 5}, 0, plan), (
        features,
        target,
    )


def test_a_grid_search_scores_every_combination(pipeline_and_data):
    pipeline, (features, target) = pipeline_and_data
    space = {"max_depth": [2, 4], "min_samples_leaf": [1, 5]}
    search = build_search(pipeline, "classification", 0, **SEARCH, space=space)
    search.set_params(n_jobs=1).fit(features, target)
    found = trials(search)
    assert sorted((t["params"]["max_depth"], t["params"]["min_samples_leaf"]) for t in found) == [
        (2, 1),
        (2, 5),
        (4, 1),
        (4, 5),
    ]
    assert all(0 <= trial["score"] <= 1 for trial in found)
    assert min(trial["rank"] for trial in found) == 1


def test_a_random_search_runs_its_budget_at_most_the_grid():
    assert trial_count("random", 3, {"a": [1, 2, 3], "b": [1, 2]}) == 3
    assert trial_count("random", 30, {"a": [1, 2, 3], "b": [1, 2]}) == 6


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"space": {}}, "tune.space is empty"),
        ({"space": {"depth": [2]}}, "depth not an argument of RandomForestClassifier"),
        ({"space": {"max_depth": [2, 4, 8]}, "budget": 2}, "3 combinations, more than"),
        ({"space": {"max_depth": [2]}, "metric": "goodness"}, "not a scikit-learn scorer"),
    ],
)
def test_a_search_that_cannot_run_says_why(pipeline_and_data, changes, message):
    pipeline, _ = pipeline_and_data
    with pytest.raises(ProjectError, match=message):
        build_search(pipeline, "classification", 0, **(SEARCH | changes))
