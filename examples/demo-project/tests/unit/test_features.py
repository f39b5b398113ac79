import pandas as pd
import pytest

from demo_project.core.features import (
    build_preprocessor,
    infer_task,
    normalise_features,
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


def test_normalise_features_makes_numbers_float_and_the_rest_text(classification_frame):
    features = normalise_features(classification_frame.drop(columns=["churned"]))
    assert features["visits"].dtype == "float64"
    assert features["city"].dtype == object
    assert features["plan"].isna().any()


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


def test_preprocessor_imputes_and_encodes(classification_frame):
    features = normalise_features(classification_frame.drop(columns=["churned"]))
    transformed = build_preprocessor().fit_transform(features)
    assert transformed.shape[0] == len(features)
    assert not pd.isna(transformed).any()
