import numpy as np
import pandas as pd
import pytest

from demo_project.core.columns import Normaliser, plan_columns
from demo_project.core.features import (
    build_preprocessor,
    categorical_mask,
    infer_task,
    split_features_target,
)
from demo_project.errors import ProjectError


def test_split_features_target_drops_unlabelled_rows(classification_frame):
    classification_frame.loc[0, "churned"] = None
    features, target = split_features_target(classification_frame, "churned")
    assert "churned" not in features.columns
    assert len(features) == len(target) == len(classification_frame) - 1


def test_split_features_target_names_the_missing_column(classification_frame):
    with pytest.raises(ProjectError, match="target column 'nope' not found"):
        split_features_target(classification_frame, "nope")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["a", "b", "a"], "classification"),
        ([True, False, True], "classification"),
        ([0, 1, 2, 1], "classification"),
        ([0.5, 1.25, 3.75, 9.0], "regression"),
        (list(range(100)), "regression"),
    ],
)
def test_infer_task(values, expected):
    assert infer_task(pd.Series(values)) == expected


def test_infer_task_respects_an_explicit_choice():
    assert infer_task(pd.Series([0, 1, 0]), "regression") == "regression"


def test_native_encoding_keeps_gaps_for_the_estimator(classification_frame):
    features = classification_frame.drop(columns=["churned"])
    normalised = Normaliser(plan_columns(features).as_dict()).fit_transform(features)
    transformed = build_preprocessor(max_categories=30, native=True).fit_transform(normalised)
    assert np.isnan(transformed).any()


def test_categories_are_bounded_whatever_the_data_holds():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "title": [f"job {value}" for value in rng.zipf(1.5, 3000) % 2000],
            "size": rng.normal(size=3000),
        }
    )
    plan = plan_columns(frame, max_categories=10)
    normalised = Normaliser(plan.as_dict()).fit_transform(frame)
    one_hot = build_preprocessor(max_categories=10, native=False).fit_transform(normalised)
    assert one_hot.shape[1] <= 1 + 10
    codes = build_preprocessor(max_categories=10, native=True).fit_transform(normalised)
    assert np.nanmax(codes[:, 1]) < 10
    assert categorical_mask(plan) == [False, True]


def test_preprocessor_imputes_and_encodes(classification_frame):
    raw = classification_frame.drop(columns=["churned"])
    features = Normaliser(plan_columns(raw).as_dict()).fit_transform(raw)
    transformed = build_preprocessor(max_categories=30, native=False).fit_transform(features)
    assert transformed.shape[0] == len(features)
    assert not pd.isna(transformed).any()
