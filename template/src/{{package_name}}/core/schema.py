"""Check a data frame against a model's input schema: pure, one readable message."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import ProjectError
from .features import as_text

NUMERIC_TYPES = {"double", "float", "long", "integer"}
TEXT_TYPES = {"string"}


def _compatible(expected: str, column: pd.Series) -> bool:
    if column.isna().all():
        return True  # an empty column carries no type; imputation fills it
    if expected in NUMERIC_TYPES:
        return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if expected in TEXT_TYPES:
        return not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)
    if expected == "boolean":
        return pd.api.types.is_bool_dtype(column)
    return True


def _converted(frame: pd.DataFrame, schema: list[dict[str, Any]]) -> pd.DataFrame:
    """Compatible columns in the schema's own types: numbers as float, text with None gaps."""
    columns = {}
    for spec in schema:
        name, expected = spec["name"], spec["type"]
        if name in frame.columns and expected in {"double", "float"}:
            columns[name] = frame[name].astype("float64")
        elif name in frame.columns and expected in TEXT_TYPES:
            columns[name] = as_text(frame[name])
    return frame.assign(**columns)


def check_against_schema(frame: pd.DataFrame, schema: list[dict[str, Any]]) -> pd.DataFrame:
    """Return the schema's columns of `frame` in the schema's types, or raise ProjectError.

    `schema` is a list of {"name", "type", "required"} entries, as in an MLflow signature.
    Extra columns (an id, the target) are ignored. The error names every mismatch. MLflow
    refuses a column of another type before the model sees it, even integers for a double
    column, so compatible columns come back converted.
    """
    problems = []
    for spec in schema:
        name, expected = spec["name"], spec["type"]
        if name not in frame.columns:
            if spec.get("required", True):
                problems.append(f"missing column {name!r}")
            continue
        if not _compatible(expected, frame[name]):
            problems.append(f"column {name!r} should be {expected}, got {frame[name].dtype}")
    if problems:
        raise ProjectError("input does not match the model's signature: " + "; ".join(problems))
    frame = _converted(frame, schema)
    present = [spec["name"] for spec in schema if spec["name"] in frame.columns]
    return frame[present]
