"""The champion rule: whether a newly trained model takes the `champion` alias (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .metrics import PRIMARY_METRIC, is_better


@dataclass(frozen=True)
class Decision:
    """Promote the challenger or keep the champion, and why (for the logs and the record)."""

    promote: bool
    reason: str


def decide(
    task: str, challenger: Mapping[str, float], champion: Mapping[str, float] | None
) -> Decision:
    """Compare the challenger's and the champion's scores on the same held-out rows.

    `champion` is None when there is no champion, or none that can score these rows (a
    model for other columns, another target or another task): the challenger then takes
    the alias. Otherwise it must be at least as good on the task's primary metric.
    """
    name, _ = PRIMARY_METRIC[task]
    if champion is None:
        return Decision(True, "no champion to compare with")
    comparison = f"{name} {challenger[name]:.4f} vs the champion's {champion[name]:.4f}"
    if is_better(task, challenger, champion):
        return Decision(True, f"at least as good: {comparison}")
    return Decision(False, f"worse: {comparison}")
