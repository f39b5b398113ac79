"""Check a data frame against a model's input schema: pure, one readable message."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import ProjectError
from .columns import BOOLEAN, CATEGORICAL, DATE, ColumnPlan, as_text

NUMERIC_TYPES = {"double", "float", "long", "integer"}
# Whole numbers and booleans with gaps in training: any type (MLflow refuses int64 for a
# double column, a gap in a long or boolean one), converted by the model itself.
ANY = "any"


def input_columns(features: pd.DataFrame, plan: ColumnPlan) -> list[dict[str, Any]]:
    """The model's input schema, from the whole training frame: types and required columns.

    A column is required when the training data has a value in every row; whole numbers
    are `long` (clients send int64), or `any` when the training data has gaps.
    """
    columns = []
    for name, kind in plan.kinds.items():
        column = features[name]
        complete = bool(column.notna().all())
        if kind == CATEGORICAL or (
            kind == DATE and not pd.api.types.is_datetime64_any_dtype(column)
        ):
            expected = "string"
        elif kind == DATE:
            expected = "datetime"
        elif kind == BOOLEAN:  # MLflow cannot hold a gap in a boolean column
            expected = "boolean" if complete else ANY
        elif pd.api.types.is_integer_dtype(column):
            expected = "long"
        elif not complete and bool((column.dropna() % 1 == 0).all()):
            expected = ANY
        else:
            expected = "double"
        columns.append({"name": name, "type": expected, "required": complete})
    return columns


TEXT_TYPES = {"string"}


def _compatible(expected: str, column: pd.Series) -> bool:
    if column.isna().all():
        return expected != "long"  # an empty column carries no type; imputation fills it
    if expected == "long":
        return pd.api.types.is_integer_dtype(column) or (
            pd.api.types.is_float_dtype(column) and bool((column % 1 == 0).all())
        )
    if expected == ANY:
        return True
    if expected in NUMERIC_TYPES:
        return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if expected in TEXT_TYPES:
        return not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)
    if expected == "boolean":
        return pd.api.types.is_bool_dtype(column) or bool(
            column.dropna().map(lambda value: isinstance(value, (bool, np.bool_))).all()
        )
    return True


def _converted(frame: pd.DataFrame, schema: list[dict[str, Any]]) -> pd.DataFrame:
    """Compatible columns in the schema's own types: numbers as float, text with None gaps."""
    columns = {}
    for spec in schema:
        name, expected = spec["name"], spec["type"]
        if name in frame.columns and expected in {"double", "float"}:
            columns[name] = frame[name].astype("float64")
        elif name in frame.columns and expected == "long":
            columns[name] = frame[name].astype("int64")
        elif name in frame.columns and expected == "datetime":
            columns[name] = pd.to_datetime(frame[name], format="ISO8601", errors="coerce")
        elif name in frame.columns and expected in TEXT_TYPES:
            columns[name] = as_text(frame[name])
    return frame.assign(**columns)


def schema_problems(frame: pd.DataFrame, schema: list[dict[str, Any]]) -> list[str]:
    """What keeps `frame` from matching `schema`, one phrase per column (empty: it matches).

    `schema` is a list of {"name", "type", "required"} entries, as in an MLflow signature.
    Extra columns (an id, the target) are ignored. Nothing is converted: a check only.
    """
    problems = []
    for spec in schema:
        name, expected = spec["name"], spec["type"]
        if name not in frame.columns:
            if spec.get("required", True):
                problems.append(f"missing column {name!r}")
            continue
        column = frame[name]
        if expected == "long" and column.isna().any():
            problems.append(
                f"column {name!r} has missing values (the model requires whole numbers)"
            )
        elif not _compatible(expected, column):
            problems.append(f"column {name!r} should be {expected}, got {column.dtype}")
    return problems


def require_schema(frame: pd.DataFrame, schema: list[dict[str, Any]]) -> None:
    """Raise ProjectError naming every mismatch between `frame` and `schema`."""
    problems = schema_problems(frame, schema)
    if problems:
        raise ProjectError("input does not match the model's signature: " + "; ".join(problems))


def check_against_schema(frame: pd.DataFrame, schema: list[dict[str, Any]]) -> pd.DataFrame:
    """Return the schema's columns of `frame` in the schema's types, or raise ProjectError.

    MLflow refuses a column of another type before the model sees it, even integers for a
    double column, so compatible columns come back converted (see `require_schema`).
    """
    require_schema(frame, schema)
    frame = _converted(frame, schema)
    present = [spec["name"] for spec in schema if spec["name"] in frame.columns]
    return frame[present]
