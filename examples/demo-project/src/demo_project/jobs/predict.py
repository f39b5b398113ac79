"""The batch prediction job: score a table with a logged model, checked against its signature."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.schema import check_against_schema
from ..errors import ProjectError
from ..io import files, tracking
from ..records import PredictionRecord
from ..settings import Settings
from .progress import Progress, Steps

log = logging.getLogger(__name__)


def predict(
    settings: Settings,
    input_path: Path | str,
    output_path: Path | str,
    *,
    model: str | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> PredictionRecord:
    """Write the rows of a CSV or parquet file with a `prediction` column (.csv or .parquet).

    `model` is any MLflow model URI (models:/NAME@champion, runs:/RUN_ID/model) or folder;
    by default the model `train` saved (outputs.model_dir). Input that does not match the
    model's signature is refused with every mismatch named, and nothing is written.

    A folder or glob of parquet files, or a `scheduler` ("local" or a Dask address), scores
    the data partition by partition into the folder `output_path` (`predict_partitions`).
    """
    from . import partitioned

    if scheduler is not None or partitioned.partitions.is_partitioned(input_path):
        return partitioned.predict_partitions(
            settings, input_path, output_path, model=model, scheduler=scheduler, progress=progress
        )
    input_path, output_path = Path(input_path), Path(output_path)
    steps = Steps(progress, ["reading the input", "loading the model", "predicting", "writing"])
    files.check_table_suffix(output_path, "output")
    if output_path.resolve() == input_path.resolve():
        raise ProjectError(
            f"{output_path}: this is the input file; write the predictions elsewhere"
        )
    steps.start("reading the input")
    frame = files.read_table(input_path)
    steps.start("loading the model")
    uri = str(model or settings.outputs.model_dir)
    if ":/" in uri:
        tracking.connect()
    loaded = tracking.load_model(uri)
    steps.start("predicting")
    predictions = score(loaded, frame)
    steps.start("writing")
    files.write_table(frame.assign(prediction=list(predictions)), output_path)
    steps.finish()
    log.info("Wrote %d predictions to %s", len(frame), output_path)
    return PredictionRecord(rows=len(frame), model=uri, output=output_path)


def score(model: Any, frame: pd.DataFrame) -> Any:
    """The model's predictions for `frame`, checked against (and converted to) its signature."""
    checked = check_against_schema(frame, tracking.input_schema(model))
    try:
        return model.predict(checked)
    except Exception as error:  # the model's libraries raise many types for unusable input
        log.debug("The model failed on its input", exc_info=True)
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ProjectError(f"the model cannot score these rows: {detail}") from error
