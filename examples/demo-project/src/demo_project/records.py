"""What the jobs return: typed, frozen records (pure; `io.files` stores the run record)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .core.promotion import Decision


@dataclass(frozen=True)
class SplitRecord:
    """`prepare`: the data split into the train and test files."""

    task: str
    train_rows: int
    test_rows: int
    train_split: Path
    test_split: Path


@dataclass(frozen=True)
class RunRecord:
    """`train`: the MLflow run and registered model version; `evaluate` starts from it.

    Stored as JSON at outputs.run_info (models/run.json).
    """

    run_id: str
    model_uri: str
    registered_model: str
    version: int | None  # None when the tracking store has no model registry
    task: str
    target: str
    train_rows: int
    test_rows: int
    test_split_sha256: str  # the held-out split this model belongs to; `evaluate` checks it
    train_metrics: dict[str, float] = field(default_factory=dict)
    baseline_metrics: dict[str, float] = field(default_factory=dict)  # the baseline, held out


@dataclass(frozen=True)
class EvaluationRecord:
    """`evaluate`: held-out scores, the files written, and the champion decision."""

    run_id: str
    version: int | None
    task: str
    rows: int
    split_sha256: str  # the rows scored (the challenger's and the champion's alike)
    metrics: dict[str, float]
    primary_metric: str
    metrics_file: Path
    plot_file: Path
    decision: Decision | None  # None with --no-promote, or for an unregistered model


@dataclass(frozen=True)
class PredictionRecord:
    """`predict`: how many rows were scored, by which model, and where they went."""

    rows: int
    model: str
    output: Path


@dataclass(frozen=True)
class TuneRecord:
    """`tune`: the search's MLflow run, its best trial, and the model `train` made of it."""

    run_id: str
    metric: str
    trials: int
    best_params: dict
    best_score: float
    trained: RunRecord
