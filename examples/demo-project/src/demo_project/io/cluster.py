"""Dask at the edge: connect to a scheduler, or start a local cluster of processes.

`distributed` is imported only here and only when a command asks for a cluster, so the
commands that do not use one start as fast as before.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from ..errors import ProjectError

log = logging.getLogger(__name__)

LOCAL = "local"
ADDRESS_VARIABLE = "DASK_SCHEDULER_ADDRESS"
WORKERS_VARIABLE = "DASK_LOCAL_WORKERS"
CONNECT_SECONDS = 10
SETTINGS = Path(__file__).with_name("dask.yaml")  # the workers' settings (the images' too)


def local_workers() -> int:
    """How many worker processes "local" starts: DASK_LOCAL_WORKERS, else one per core."""
    text = os.environ.get(WORKERS_VARIABLE, "").strip()
    if not text:
        return max(1, os.cpu_count() or 1)
    try:
        workers = int(text)
    except ValueError:
        workers = 0
    if workers < 1:
        raise ProjectError(f"{WORKERS_VARIABLE}={text!r}: give a number of workers, 1 or more")
    return workers


def scheduler_address(scheduler: str | None) -> str | None:
    """The scheduler a command uses: `scheduler`, else DASK_SCHEDULER_ADDRESS, else none."""
    address = scheduler or os.environ.get(ADDRESS_VARIABLE) or None
    return address.strip() if address else None


@contextmanager
def client(scheduler: str) -> Iterator[Any]:
    """A `distributed.Client` on the scheduler at `scheduler`, or on a local cluster.

    "local" starts one worker process per core, or DASK_LOCAL_WORKERS of them (one thread
    each: the models use the cores through their own processes), with the settings of
    io/dask.yaml, and stops them afterwards. A running cluster's workers keep their own
    settings (the images read the same file). An address that does not answer within ten seconds is one error line, not a hang.
    """
    import dask
    from distributed import Client, LocalCluster

    _quiet_library()
    if scheduler == LOCAL:
        # The workers it spawns take this process's configuration.
        dask.config.update(dask.config.config, yaml.safe_load(SETTINGS.read_text()))
        workers = local_workers()
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address="127.0.0.1:0",  # a free port, on this machine only,
                host="127.0.0.1",
            ) as cluster,
            Client(cluster) as connected,
        ):
            log.info("Started a local Dask cluster of %d worker processes", workers)
            yield connected
        return
    try:
        connected = Client(scheduler, timeout=f"{CONNECT_SECONDS}s")
    except (OSError, TimeoutError, ValueError) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if scheduler == os.environ.get(ADDRESS_VARIABLE, "").strip():
            detail += f" (the {ADDRESS_VARIABLE} cluster: start it, or pass --scheduler local)"
        raise ProjectError(f"cannot reach the Dask scheduler at {scheduler}: {detail}") from error
    with connected:
        workers = len(connected.scheduler_info().get("workers", {}))
        log.info("Connected to the Dask scheduler at %s (%d workers)", scheduler, workers)
        yield connected


@contextmanager
def joblib_on(scheduler: str) -> Iterator[Any]:
    """Run joblib's parallel work (scikit-learn's searches) on the Dask cluster; its client.

    joblib counts the cluster's threads: with one in all, it runs the work in this process,
    one task after the other, which a warning says.
    """
    import joblib

    with client(scheduler) as connected, joblib.parallel_config(backend="dask"):
        threads = sum(connected.ncores().values())
        if threads < 2:
            log.warning(
                "The Dask cluster has %d worker thread: joblib runs the trials in this "
                "process, one after the other (start more workers to spread them)",
                threads,
            )
        yield connected


def _quiet_library() -> None:
    """Warnings only, as io/logging.yaml says: importing `distributed` resets it to INFO."""
    least = max(logging.WARNING, logging.getLogger().getEffectiveLevel())
    logging.getLogger("distributed").setLevel(least)
