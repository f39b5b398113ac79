"""The champion rule: whether a newly trained model takes the `champion` alias (pure).

1. At `train`, a model must beat a trivial baseline (the most frequent class, or the mean)
   on its held-out rows, or it is not registered at all (`against_baseline`).
2. At `evaluate`, the challenger and the champion are scored on the same rows, the
   challenger's held-out split (its SHA-256 is logged with each evaluation); the challenger
   takes the alias when it is at least as good on the task's primary metric (`decide`).
3. When the champion cannot be scored on those rows (other columns, another target or
   task), nothing moves: the champion keeps the alias until someone promotes by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sklearn.dummy import DummyClassifier, DummyRegressor

from .metrics import PRIMARY_METRIC, is_better

BASELINES = {"classification": "the most frequent class", "regression": "the mean"}


@dataclass(frozen=True)
class Decision:
    """Promote the challenger or keep the champion, and why (for the logs and the record)."""

    promote: bool
    reason: str


def baseline_model(task: str):
    """The trivial model every candidate must beat: the most frequent class, or the mean."""
    if task == "classification":
        return DummyClassifier(strategy="most_frequent")
    return DummyRegressor(strategy="mean")


def against_baseline(
    task: str, model: Mapping[str, float], baseline: Mapping[str, float], rows: int
) -> Decision:
    """Whether a model is worth registering: strictly better than the baseline on held-out rows."""
    name, direction = PRIMARY_METRIC[task]
    comparison = (
        f"{name} {model[name]:.4f} vs {baseline[name]:.4f} for {BASELINES[task]}, "
        f"on {rows} held-out rows"
    )
    better = model[name] > baseline[name] if direction == "max" else model[name] < baseline[name]
    if better:
        return Decision(True, f"beats the baseline: {comparison}")
    return Decision(False, f"does not beat the baseline: {comparison}")


def decide(
    task: str,
    challenger: Mapping[str, float],
    champion: Mapping[str, float] | None,
    incomparable: str | None = None,
) -> Decision:
    """Compare the challenger's and the champion's scores on the same held-out rows.

    `champion` is None when there is no champion yet: the challenger takes the alias.
    `incomparable` says why an existing champion cannot be scored on these rows (it was
    trained for other columns, another target or task): the champion then keeps the alias,
    since no comparison backs a change. Otherwise the challenger must be at least as good
    on the task's primary metric.
    """
    name, _ = PRIMARY_METRIC[task]
    if incomparable is not None:
        return Decision(False, f"no comparison on the same rows: {incomparable}")
    if champion is None:
        return Decision(True, "no champion yet")
    comparison = f"{name} {challenger[name]:.4f} vs the champion's {champion[name]:.4f}"
    if is_better(task, challenger, champion):
        return Decision(True, f"at least as good: {comparison}")
    return Decision(False, f"worse: {comparison}")
