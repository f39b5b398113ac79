"""The data step: load the data, split it (seeded), write the train and test files."""

from __future__ import annotations

import logging

import pandas as pd

from ..core.columns import refuse_too_many_classes
from ..core.features import infer_task, split_features_target
from ..core.model import Split, split_data
from ..errors import ProjectError
from ..io import files
from ..records import SplitRecord
from ..settings import Settings
from .progress import Progress, Steps

log = logging.getLogger(__name__)


def prepare(settings: Settings, progress: Progress | None = None) -> SplitRecord:
    """Load the configured data, split it, and write outputs.train_split and outputs.test_split.

    `train(settings, from_splits=True)` then fits on those files; `train` alone does both.
    """
    steps = Steps(progress, ["loading data", "writing the splits"])
    steps.start("loading data")
    split, task = load_and_split(settings)
    steps.start("writing the splits")
    write_splits(split, settings)
    steps.finish()
    outputs = settings.outputs
    log.info(
        "Split %d rows for %s into %d train rows (%s) and %d test rows (%s)",
        len(split.x_train) + len(split.x_test),
        task,
        len(split.x_train),
        outputs.train_split,
        len(split.x_test),
        outputs.test_split,
    )
    return SplitRecord(
        task, len(split.x_train), len(split.x_test), outputs.train_split, outputs.test_split
    )


def load_and_split(settings: Settings) -> tuple[Split, str]:
    """The configured data, split (seeded, stratified for classes), and the resolved task."""
    frame = files.load_dataset(settings.data.path)
    features, labels = split_features_target(frame, settings.data.target)
    task = infer_task(labels, settings.task)
    if task == "classification":
        refuse_too_many_classes(labels, settings.data.max_classes)
        _check_classes(labels, settings.data.target, "the data")
        rare = labels.value_counts()
        rare = rare[rare < 2]
        if len(rare):
            log.warning(
                "The split is not stratified: %d class(es) have a single row (%s)",
                len(rare),
                ", ".join(map(str, rare.index[:5])) + (", ..." if len(rare) > 5 else ""),
            )
    split = split_data(features, labels, task, settings.split.test_size, settings.split.seed)
    if task == "classification":
        _check_classes(split.y_train, settings.data.target, "the training split")
    return split, task


def _check_classes(labels: pd.Series, target: str, where: str) -> None:
    """Refuse a classification target with fewer than two classes: nothing to learn."""
    classes = labels.dropna().unique()
    if len(classes) < 2:
        found = f"only the class {classes[0]!r}" if len(classes) else "no class"
        raise ProjectError(
            f"target {target!r}: {where} has {found} in {len(labels)} rows; a classifier "
            "needs at least two classes (choose another target or add rows)"
        )


def write_splits(split: Split, settings: Settings) -> None:
    target, outputs = settings.data.target, settings.outputs
    files.write_split(split.x_train, split.y_train, target, outputs.train_split)
    files.write_split(split.x_test, split.y_test, target, outputs.test_split)


def read_splits(settings: Settings) -> tuple[Split, str]:
    """The splits `prepare` wrote, and the task their labels imply."""
    target, outputs = settings.data.target, settings.outputs
    hint = "run `prepare` first"
    x_train, y_train = files.read_split(outputs.train_split, target, hint)
    x_test, y_test = files.read_split(outputs.test_split, target, hint)
    # The task is inferred from every labelled row, as `train` alone does before splitting.
    labels = pd.concat([y_train, y_test], ignore_index=True)
    task = infer_task(labels, settings.task)
    if task == "classification":
        refuse_too_many_classes(labels, settings.data.max_classes)
        _check_classes(y_train, target, "the training split")
    return Split(x_train, x_test, y_train, y_test), task
