"""The answer matrix, derived from copier.yml alone: one place drives every option test.

Every choice and yes/no question is read from copier.yml. While the full product is small it is
used whole; past MAX_PRODUCT, a greedy all-pairs cover keeps every value at least once
and every pair of values of two questions at least once.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
MAX_PRODUCT = 32


def _load_config() -> dict[str, Any]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!include", lambda loader, node: {})
    merged: dict[str, Any] = {}
    for document in yaml.load_all((ROOT / "copier.yml").read_text(), Loader=Loader):
        if isinstance(document, dict):
            merged.update(document)
    return merged


CONFIG = _load_config()


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


def all_pairs(options: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """A small set of combinations covering every pair of values of any two questions."""
    names = list(options)
    uncovered = {
        (a, va, b, vb)
        for a, b in itertools.combinations(names, 2)
        for va in options[a]
        for vb in options[b]
    }
    rows: list[dict[str, Any]] = []
    while uncovered:
        best, best_gain = None, -1
        # Seed each candidate with an uncovered pair, then fill the rest greedily.
        for a, va, b, vb in sorted(uncovered, key=repr)[:50]:
            row = {a: va, b: vb}
            for name in names:
                if name in row:
                    continue
                row[name] = max(
                    options[name],
                    key=lambda value: sum(
                        (x, row[x], name, value) in uncovered or (name, value, x, row[x]) in uncovered
                        for x in row
                    ),
                )
            gain = sum(
                (x, row[x], y, row[y]) in uncovered for x, y in itertools.combinations(names, 2)
            )
            if gain > best_gain:
                best, best_gain = row, gain
        rows.append(best)
        uncovered -= {(x, best[x], y, best[y]) for x, y in itertools.combinations(names, 2)}
    return rows


def combinations() -> list[dict[str, Any]]:
    """The answer sets the render tests use."""
    options = choices()
    size = 1
    for values in options.values():
        size *= len(values)
    if size <= MAX_PRODUCT:
        return [dict(zip(options, values)) for values in itertools.product(*options.values())]
    return all_pairs(options)


def combination_id(answers: dict[str, Any]) -> str:
    return "-".join(f"{key}={value}" for key, value in answers.items())
