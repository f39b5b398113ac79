"""Feature preparation: pure functions on data frames (no files, no tracking).

The column roles (`core.columns`) decide what each column becomes; the preprocessing here
turns those kinds into numbers for the chosen estimator, with a bounded number of columns
whatever the data holds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from ..errors import ProjectError
from .columns import CALENDAR, CATEGORICAL, DATE, ColumnPlan

# Integer targets with at most this many distinct values are treated as classes.
MAX_CLASSES_FOR_INTEGER_TARGET = 20
# A category seen in fewer training rows than this joins the 'other' category.
MIN_CATEGORY_ROWS = 5
# Histogram gradient boosting bins a category per value: at most this many.
MAX_NATIVE_CATEGORIES = 250


def split_features_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """Separate the target column and drop rows where it is missing."""
    if target not in frame.columns:
        raise ProjectError(
            f"target column {target!r} not found; columns are: {', '.join(map(str, frame.columns))}"
        )
    labelled = frame[frame[target].notna()]
    if len(labelled) < 10:
        raise ProjectError(f"need at least 10 rows with a target value, found {len(labelled)}")
    features = labelled.drop(columns=[target]).reset_index(drop=True)
    if features.shape[1] == 0:
        raise ProjectError("the data has no feature columns besides the target")
    features.columns = [str(name) for name in features.columns]
    return features, labelled[target].reset_index(drop=True)


def infer_task(target: pd.Series, task: str = "auto") -> str:
    """Decide classification or regression: text, booleans and small integer sets are classes."""
    if task != "auto":
        return task
    if not pd.api.types.is_numeric_dtype(target) or pd.api.types.is_bool_dtype(target):
        return "classification"
    integral = pd.api.types.is_integer_dtype(target) or bool((target.dropna() % 1 == 0).all())
    if integral and target.nunique() <= MAX_CLASSES_FOR_INTEGER_TARGET:
        return "classification"
    return "regression"


def numeric_columns(plan: ColumnPlan) -> list[str]:
    """The columns the normalising step returns as numbers (dates as calendar numbers)."""
    names = []
    for name, kind in plan.kinds.items():
        if kind == DATE:
            names += [f"{name}_{part}" for part in CALENDAR]
        elif kind != CATEGORICAL:
            names.append(name)
    return names


def categorical_mask(plan: ColumnPlan) -> list[bool]:
    """Which of the preprocessor's output columns are category codes (native encoding)."""
    return [False] * len(numeric_columns(plan)) + [True] * len(plan.columns(CATEGORICAL))


def build_preprocessor(max_categories: int, native: bool) -> ColumnTransformer:
    """Numbers and categories for the estimator, categories bounded to `max_categories`.

    `native`: for estimators that handle missing values and categories themselves
    (histogram gradient boosting): numbers pass through, categories become codes.
    Otherwise numbers are imputed and scaled, categories imputed and one-hot encoded.
    Rare values (fewer than MIN_CATEGORY_ROWS rows) and values beyond the most frequent
    `max_categories` share one 'other' category; unseen values are ignored.
    """
    if native:
        numeric = "passthrough"
        categorical = OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            encoded_missing_value=np.nan,
            min_frequency=MIN_CATEGORY_ROWS,
            max_categories=min(max_categories, MAX_NATIVE_CATEGORIES),
        )
    else:
        numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        categorical = make_pipeline(
            SimpleImputer(strategy="most_frequent"),
            OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                min_frequency=MIN_CATEGORY_ROWS,
                max_categories=max_categories,
                sparse_output=False,
            ),
        )
    # After the normalising step, numbers are floats and categories text (objects).
    return ColumnTransformer(
        [
            ("numeric", numeric, make_column_selector(dtype_include="number")),
            ("categorical", categorical, make_column_selector(dtype_exclude="number")),
        ]
    )
