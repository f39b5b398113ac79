"""Batch predictions on parquet data larger than memory, partition by partition.

Each partition (a row group of a file) is read, checked against the model's signature,
scored and written as one part of the output folder, so no process holds more than one
partition. With a Dask scheduler the partitions run on its workers; without one, one after
the other in this process. The same `score` as single-file `predict` scores each partition,
so the output parts, read in order, equal its output row for row.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ..io import cluster, partitions, tracking
from ..records import PredictionRecord
from ..settings import Settings
from .predict import score
from .progress import Progress, Step

log = logging.getLogger(__name__)


def predict_partitions(
    settings: Settings,
    input_path: Path | str,
    output_path: Path | str,
    *,
    model: str | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> PredictionRecord:
    """Score the parquet folder, glob or file `input_path` into the folder `output_path`.

    `scheduler`: a Dask scheduler address, "local" for a local cluster of processes, or
    None for DASK_SCHEDULER_ADDRESS (this process alone when that is unset too). The output
    folder (part-00000.parquet, ...) replaces an earlier one only when every part is written.
    """
    output_path = Path(output_path)
    report = progress or (lambda step: None)
    report(Step("listing the partitions", 0, 1))
    found = partitions.partitions(input_path)
    staging = partitions.staging_folder(output_path, input_path)  # checks the output first
    uri = str(model or settings.outputs.model_dir)
    address = cluster.scheduler_address(scheduler)
    try:
        with ExitStack() as stack:
            client = stack.enter_context(cluster.client(address)) if address else None
            report(Step("loading the model", 0, len(found)))
            if ":/" in uri:
                tracking.connect()
            loaded = tracking.load_model(uri)
            if client is None:
                rows = _in_this_process(loaded, found, staging, report)
            else:
                rows = _on_cluster(client, loaded, found, staging, report)
        partitions.publish(staging, output_path)
    except BaseException:
        partitions.discard(staging)
        raise
    report(Step("done", len(found), len(found)))
    log.info("Wrote %d predictions in %d parts to %s", rows, len(found), output_path)
    return PredictionRecord(rows=rows, model=uri, output=output_path)


def score_partition(model: Any, partition: partitions.Partition, folder: Path) -> int:
    """Read, score and write one partition; the number of rows it held."""
    frame = partitions.read_partition(partition)
    predictions = score(model, frame)
    partitions.write_part(frame.assign(prediction=list(predictions)), folder, partition)
    return len(frame)


def _in_this_process(model, found, staging: Path, report) -> int:
    rows = 0
    for done, partition in enumerate(found):
        report(Step(f"partition {done + 1} of {len(found)}", done, len(found)))
        rows += score_partition(model, partition, staging)
    return rows


def _on_cluster(client, model, found, staging: Path, report) -> int:
    from distributed import as_completed

    shared = client.scatter(model, broadcast=True)  # sent once to each worker
    futures = [
        client.submit(score_partition, shared, partition, staging, pure=False)
        for partition in found
    ]
    rows = 0
    try:
        for done, future in enumerate(as_completed(futures), start=1):
            rows += future.result()
            report(Step(f"{done} of {len(found)} partitions", done, len(found)))
    finally:
        client.cancel(futures)
    return rows
