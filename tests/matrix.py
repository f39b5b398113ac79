"""The answer matrix, derived from copier.yml alone: one place drives every option test.

Every choice and yes/no question is read from copier.yml. A question whose `when:` is
false for a combination is not asked, so it is dropped from that combination (the validity
filter) and duplicates merge. While the valid combinations are few they are used whole;
past MAX_PRODUCT, a greedy cover keeps every value at least once and every pair of values
of two questions, as far as they can meet, at least once.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import jinja2
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "migrations"))
from _helpers import load_copier_config  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MAX_PRODUCT = 32


CONFIG = load_copier_config(ROOT)  # the same loader the migrations use


def questions() -> dict[str, dict[str, Any]]:
    """Questions asked of users (settings and computed values left out)."""
    return {
        name: spec
        for name, spec in CONFIG.items()
        if not name.startswith("_") and isinstance(spec, dict) and spec.get("when") is not False
    }


def choices() -> dict[str, list[Any]]:
    """Every choice question (yes/no questions included) with its values, in copier.yml order."""
    result = {}
    for name, spec in questions().items():
        values = spec.get("choices")
        if isinstance(values, dict):
            values = list(values.values())
        if not values and spec.get("type") == "bool":
            values = [bool(spec.get("default", False)), not spec.get("default", False)]
        if values:
            result[name] = list(values)
    return result


def applies(name: str, answers: dict[str, Any]) -> bool:
    """Whether copier asks `name` given the other answers (its `when:`, rendered)."""
    when = questions()[name].get("when", True)
    if isinstance(when, bool):
        return when
    rendered = jinja2.Environment().from_string(str(when)).render(**answers).strip()
    return yaml.safe_load(rendered) not in (False, None, "")


def valid_combinations(options: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The full product, each row without the questions it would not ask, deduplicated."""
    rows: list[dict[str, Any]] = []
    for values in itertools.product(*options.values()):
        row = dict(zip(options, values, strict=True))
        row = {name: value for name, value in row.items() if applies(name, row)}
        if row not in rows:
            rows.append(row)
    return rows


def _pairs(row: dict[str, Any]) -> set[tuple[str, Any, str, Any]]:
    return {(a, row[a], b, row[b]) for a, b in itertools.combinations(sorted(row), 2)}


def pair_cover(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Greedily pick rows until every pair of values that occurs in `rows` is covered."""
    uncovered = set().union(*(_pairs(row) for row in rows))
    chosen: list[dict[str, Any]] = []
    while uncovered:
        best = max(rows, key=lambda row: len(_pairs(row) & uncovered))
        chosen.append(best)
        uncovered -= _pairs(best)
    return chosen


def combinations() -> list[dict[str, Any]]:
    """The answer sets the render tests use."""
    rows = valid_combinations(choices())
    if len(rows) <= MAX_PRODUCT:
        return rows
    return pair_cover(rows)


def combination_id(answers: dict[str, Any]) -> str:
    return "-".join(f"{key}={value}" for key, value in answers.items())
