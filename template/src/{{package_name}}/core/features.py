"""Feature preparation: pure functions on data frames (no files, no tracking).

`normalise_features` is the one place that decides column types. It runs as the first step
of every model pipeline (`normalising_step`), so whatever scores the model (the commands,
`mlflow.pyfunc.load_model`, `mlflow models serve`) gets it without calling it.
"""

from __future__ import annotations

import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from ..errors import ProjectError

# Integer targets with at most this many distinct values are treated as classes.
MAX_CLASSES_FOR_INTEGER_TARGET = 20


def split_features_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """Separate the target column and drop rows where it is missing.

    The features come back normalised, so the model's signature (inferred from them)
    describes the types the pipeline works with.
    """
    if target not in frame.columns:
        raise ProjectError(
            f"target column {target!r} not found; columns are: {', '.join(map(str, frame.columns))}"
        )
    labelled = frame[frame[target].notna()]
    if len(labelled) < 10:
        raise ProjectError(f"need at least 10 rows with a target value, found {len(labelled)}")
    features = normalise_features(labelled.drop(columns=[target]))
    if features.shape[1] == 0:
        raise ProjectError("the data has no feature columns besides the target")
    return features, labelled[target].reset_index(drop=True)


def normalise_features(features: pd.DataFrame) -> pd.DataFrame:
    """Give every column a type that survives missing values: numbers as float, the rest as text.

    The model's signature is inferred from these types, so predictions accept integer
    columns with gaps and categorical columns with unseen levels alike.
    """
    columns = {}
    for name, column in features.items():
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            columns[str(name)] = as_text(column)
        else:
            columns[str(name)] = column.astype("float64")
    return pd.DataFrame(columns, index=features.index).reset_index(drop=True)


def as_text(column: pd.Series) -> pd.Series:
    """Values as text (True becomes "True"), and None where a value is missing."""
    return column.astype("string").astype(object).where(column.notna(), None)


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


def normalising_step() -> FunctionTransformer:
    """`normalise_features` as a pipeline step: the model applies it to every input itself."""
    return FunctionTransformer(normalise_features, feature_names_out="one-to-one")


def build_preprocessor() -> ColumnTransformer:
    """Impute and scale numbers; impute and one-hot encode text columns."""
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, make_column_selector(dtype_include="number")),
            ("categorical", categorical, make_column_selector(dtype_exclude="number")),
        ]
    )
