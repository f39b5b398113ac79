"""Column roles: what each column of the training table becomes, decided once, applied always.

`plan_columns` reads the training features and decides, column by column, what the model
uses and how (numbers, booleans, categories, calendar features from dates) and what it
leaves out (the columns of `data.drop` and `data.id`, identifiers, empty columns). Each
decision comes with one line for the log. `Normaliser`, the first step of every model
pipeline, holds the plan and applies it to whatever scores the model (the commands,
`mlflow.pyfunc.load_model`, `mlflow models serve`), so they all see the same features.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import ProjectError

NUMERIC, BOOLEAN, CATEGORICAL, DATE = "numeric", "boolean", "categorical", "date"
# Calendar features a date column becomes (never one column per date seen).
CALENDAR = ("year", "month", "day", "day_of_week")
# A column whose every value differs is an identifier only with at least this many rows.
MIN_ROWS_FOR_IDS = 20
# How many values are tried to recognise dates written as text.
DATE_SAMPLE = 200
TRUE_VALUES = {True: 1.0, False: 0.0, "True": 1.0, "False": 0.0, "true": 1.0, "false": 0.0}


@dataclass(frozen=True)
class ColumnPlan:
    """The feature columns by kind (in the table's order), and the decisions taken."""

    kinds: dict[str, str] = field(default_factory=dict)  # column -> NUMERIC, BOOLEAN, ...
    date_formats: dict[str, str] = field(default_factory=dict)  # date column -> format
    decisions: list[str] = field(default_factory=list)  # one line each, for the log

    def columns(self, kind: str) -> list[str]:
        return [name for name, found in self.kinds.items() if found == kind]

    def as_dict(self) -> dict[str, Any]:
        """Plain values: stored inside the model (skops loads only trusted types)."""
        return {"kinds": dict(self.kinds), "date_formats": dict(self.date_formats)}


def check_columns(frame: pd.DataFrame, names: Iterable[str], setting: str) -> None:
    """Refuse a column name that the table does not have, naming the ones it has."""
    for name in names:
        if name not in frame.columns:
            raise ProjectError(
                f"{setting}: no column {name!r}; columns are: {', '.join(map(str, frame.columns))}"
            )


def plan_columns(
    features: pd.DataFrame,
    *,
    drop: Iterable[str] = (),
    ids: Iterable[str] = (),
    max_categories: int = 30,
) -> ColumnPlan:
    """Decide the role of every column of the training features (pure, deterministic)."""
    drop, ids = list(drop), list(ids)
    check_columns(features, drop, "data.drop")
    check_columns(features, ids, "data.id")
    kinds: dict[str, str] = {}
    formats: dict[str, str] = {}
    decisions: list[str] = []
    for name, column in features.items():
        name = str(name)
        if name in drop:
            decisions.append(f"column {name!r}: not used (data.drop)")
            continue
        if name in ids:
            decisions.append(f"column {name!r}: an identifier, kept in predictions (data.id)")
            continue
        values = column.dropna()
        if values.empty:
            decisions.append(f"column {name!r}: empty in the training data, not a feature")
            continue
        if _is_boolean(column, values):
            kinds[name] = BOOLEAN
            continue
        date_format = _date_format(column, values)
        if date_format is not None:
            kinds[name], formats[name] = DATE, date_format
            decisions.append(
                f"column {name!r}: dates, used as {', '.join(CALENDAR).replace('_', ' ')}"
            )
            continue
        distinct = values.nunique()
        integral = pd.api.types.is_integer_dtype(column) or not pd.api.types.is_numeric_dtype(
            column
        )
        if integral and distinct == len(column) >= MIN_ROWS_FOR_IDS:
            decisions.append(
                f"column {name!r}: a different value in every row (an identifier), not a feature"
            )
            continue
        if pd.api.types.is_numeric_dtype(column):
            kinds[name] = NUMERIC
            continue
        kinds[name] = CATEGORICAL
        if distinct > max_categories:
            decisions.append(
                f"column {name!r}: {distinct:,} distinct values, encoded as its"
                f" {max_categories} most frequent and 'other' (data.max_categories)"
            )
    if not kinds:
        raise ProjectError("no feature columns left: " + "; ".join(decisions))
    return ColumnPlan(kinds, formats, decisions)


def _is_boolean(column: pd.Series, values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(column):
        return True
    return column.dtype == object and values.map(type).eq(bool).all()


def _date_format(column: pd.Series, values: pd.Series) -> str | None:
    """The format of a date column (by dtype, or text that parses as dates), else None."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return "ISO8601"  # how dates come back from CSV files and JSON requests
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return None
    sample = values.astype(str).head(DATE_SAMPLE)
    if not sample.str.contains(r"\d", regex=True).all():
        return None
    guessed = guess_datetime_format(sample.iloc[0])
    for candidate in filter(None, (guessed, "ISO8601")):
        try:
            pd.to_datetime(sample, format=candidate, errors="raise")
        except (ValueError, TypeError, OverflowError):
            continue
        return candidate
    return None


def refuse_too_many_classes(target: pd.Series, max_classes: int) -> None:
    """A classification target with classes in the thousands is a number: say so, fit nothing."""
    classes = target.nunique()
    if classes > max_classes:
        raise ProjectError(
            f"target {target.name!r} has {classes:,} distinct values in {len(target):,} rows,"
            f" more classes than the limit ({max_classes}, data.max_classes): use"
            " `task: regression`, or group the values into fewer classes"
        )


class Normaliser(TransformerMixin, BaseEstimator):
    """The plan applied to any input: the feature columns in the types the pipeline expects.

    Numbers and booleans as float (missing: NaN), categories as text with NaN where a
    value is missing (whether the client sent None, NaN or an empty cell), dates as
    calendar numbers. Columns outside the plan (ids, dropped, extra) are ignored.
    """

    def __init__(self, plan: dict[str, Any] | None = None):
        self.plan = plan

    def fit(self, features: pd.DataFrame, target: Any = None) -> Normaliser:
        self.n_features_in_ = len(self.plan["kinds"])
        return self

    def transform(self, features: pd.DataFrame) -> pd.DataFrame:
        columns: dict[str, pd.Series] = {}
        for name, kind in self.plan["kinds"].items():
            column = (
                features[name] if name in features.columns else pd.Series(np.nan, features.index)
            )
            if kind == NUMERIC:
                columns[name] = pd.to_numeric(column).astype("float64")
            elif kind == BOOLEAN:
                columns[name] = column.map(TRUE_VALUES).astype("float64")
            elif kind == DATE:
                columns.update(calendar(name, column, self.plan["date_formats"][name]))
            else:
                columns[name] = as_text(column)
        return pd.DataFrame(columns, index=features.index).reset_index(drop=True)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        names = []
        for name, kind in self.plan["kinds"].items():
            names += [f"{name}_{part}" for part in CALENDAR] if kind == DATE else [name]
        return np.asarray(names, dtype=object)


def as_text(column: pd.Series) -> pd.Series:
    """Values as text objects ("True" for True), NaN where a value is missing."""
    text = column.astype("string").astype(object)
    return text.where(column.notna(), np.nan)


def calendar(name: str, column: pd.Series, date_format: str) -> dict[str, pd.Series]:
    """A date column as numbers: year, month, day and day of the week (NaN when missing)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        dates = column
    else:
        dates = pd.to_datetime(column.astype(object), format=date_format, errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert(None)
    parts = {"year": dates.dt.year, "month": dates.dt.month, "day": dates.dt.day}
    parts["day_of_week"] = dates.dt.day_of_week
    return {f"{name}_{part}": parts[part].astype("float64") for part in CALENDAR}
