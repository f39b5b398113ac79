"""How a job reports its progress: a plain callable that receives each step as it starts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """`done` of `total` steps are finished; `label` says what runs now ("done" at the end)."""

    label: str
    done: int
    total: int


Progress = Callable[[Step], None]


class Steps:
    """A job's steps, declared up front so that the last report always says total of total."""

    def __init__(self, progress: Progress | None, labels: Sequence[str]):
        self._progress = progress
        self._labels = list(labels)

    def start(self, label: str) -> None:
        """Report that the step `label` starts (a job may skip steps it does not need)."""
        self._report(label, self._labels.index(label))

    def finish(self) -> None:
        self._report("done", len(self._labels))

    def _report(self, label: str, done: int) -> None:
        if self._progress is not None:
            self._progress(Step(label, done, len(self._labels)))
