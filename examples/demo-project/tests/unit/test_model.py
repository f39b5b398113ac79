import pandas as pd
import pytest

from demo_project.core.columns import plan_columns
from demo_project.core.features import split_features_target
from demo_project.core.metrics import compute_metrics
from demo_project.core.model import build_pipeline, fit, split_data
from demo_project.errors import ProjectError


def pipeline_for(task, estimator, params, features):
    return build_pipeline(task, estimator, params, seed=0, plan=plan_columns(features))


@pytest.mark.parametrize("estimator", ["hist_gradient_boosting", "random_forest", "linear"])
def test_classifier_learns_the_rule(classification_frame, estimator):
    features, target = split_features_target(classification_frame, "churned")
    split = split_data(features, target, "classification", test_size=0.25, seed=0)
    params = {"n_estimators": 30} if estimator == "random_forest" else {}
    pipeline = fit(
        pipeline_for("classification", estimator, params, split.x_train),
        split.x_train,
        split.y_train,
    )
    scores = compute_metrics("classification", split.y_test, pipeline.predict(split.x_test))
    assert scores["accuracy"] > 0.8


@pytest.mark.parametrize(("estimator", "least"), [("linear", 0.9), ("hist_gradient_boosting", 0.6)])
def test_regressor_learns_the_rule(regression_frame, estimator, least):
    features, target = split_features_target(regression_frame, "spend")
    split = split_data(features, target, "regression", test_size=0.25, seed=0)
    pipeline = fit(
        pipeline_for("regression", estimator, {}, split.x_train), split.x_train, split.y_train
    )
    scores = compute_metrics("regression", split.y_test, pipeline.predict(split.x_test))
    assert scores["r2"] > least


def test_split_is_seeded(classification_frame):
    features, target = split_features_target(classification_frame, "churned")
    first = split_data(features, target, "classification", 0.2, seed=7)
    second = split_data(features, target, "classification", 0.2, seed=7)
    assert first.x_test.equals(second.x_test)
    assert len(first.x_test) == 24


def test_the_pipeline_normalises_its_own_input(classification_frame):
    """Integer, boolean and gappy columns need no preparation by whoever calls the model."""
    frame = classification_frame.assign(vip=classification_frame["visits"] > 20)
    features, target = split_features_target(frame, "churned")
    pipeline = fit(pipeline_for("classification", "linear", {}, features), features, target)
    sent = features.assign(visits=features["visits"].astype(float), vip=features["vip"].astype(str))
    assert features["visits"].dtype == "int64" and features["vip"].dtype == bool
    assert (pipeline.predict(sent) == pipeline.predict(features)).all()


def test_unknown_estimator_parameter_is_a_project_error():
    with pytest.raises(ProjectError, match="invalid model.params"):
        pipeline_for("classification", "random_forest", {"n_trees": 3}, pd.DataFrame({"x": [1]}))
