"""The answer matrix: the answer sets every option test renders, from the options manifest.

The values come from the manifest (berth_tools.options), which a test keeps equal to
copier.yml's choices; whether a question is asked comes from its `when:` in copier.yml. A
question not asked for a combination is dropped from it (the validity filter) and
duplicates merge. While the valid combinations are few they are used whole; past
MAX_PRODUCT, a greedy cover keeps every value at least once and every pair of values of two
questions, as far as they can meet, at least once.
"""

from __future__ import annotations

import itertools
from functools import cache
from typing import Any

import jinja2
import yaml

from berth_migrations.config import load_copier_config, questions
from berth_tools import ROOT
from berth_tools.options import OPTIONS

MAX_PRODUCT = 32


@cache
def asked() -> dict[str, dict[str, Any]]:
    """copier.yml's questions (the one loader the migrations use too)."""
    return questions(load_copier_config(ROOT))


def choices() -> dict[str, list[Any]]:
    """Every question of the manifest with its values, in manifest order."""
    return {name: list(values) for name, values in OPTIONS.items()}


@cache
def _condition(when: str) -> jinja2.Template:
    return jinja2.Environment().from_string(when)


def applies(name: str, answers: dict[str, Any]) -> bool:
    """Whether copier asks `name` given the other answers (its `when:`, rendered)."""
    when = asked()[name].get("when", True)
    if isinstance(when, bool):
        return when
    rendered = _condition(str(when)).render(**answers).strip()
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
