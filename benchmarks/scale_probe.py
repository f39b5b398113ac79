"""The scale-out benchmark's measurements, run with a generated project's Python.

Usage:  .venv/bin/python scale_probe.py sample --log FILE -- COMMAND ...
        .venv/bin/python scale_probe.py floor PACKAGE MODEL FOLDER
        .venv/bin/python scale_probe.py limit WORKERS

Each prints one JSON object:

- sample: runs COMMAND, samples its process tree every 0.2 s (psutil, which the project has
  through distributed) and reports the wall time, the command's own peak RSS (exact, from
  the kernel's accounting when it exits) and each Dask worker process's sampled peak RSS;
  its output goes to FILE.
- floor: the model's predictions on each partition of FOLDER in this process, with the
  project's own reader and `score` (the signature check, then the pipeline), timing only
  `score`: no I/O, no orchestration. Partitions are read one at a time.
- limit: the memory limit each worker of `--scheduler local` gets with WORKERS workers
  (Dask's "auto": LocalCluster shares the machine's memory among its workers).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

INTERVAL = 0.2  # seconds between samples
MB = 2**20


def sample(command: list[str], log: Path) -> dict:
    import psutil

    workers: dict[int, float] = {}  # pid: peak MB
    own_sampled = 0.0
    start = time.perf_counter()
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        root = psutil.Process(process.pid)
        while True:
            done, status, usage = os.wait4(process.pid, os.WNOHANG)
            if done:
                break
            try:
                own_sampled = max(own_sampled, root.memory_info().rss / MB)
                children = root.children(recursive=True)
            except psutil.NoSuchProcess:
                children = []
            for child in children:
                try:
                    if "spawn_main" not in " ".join(child.cmdline()):
                        continue  # multiprocessing's resource tracker and the like
                    rss = child.memory_info().rss / MB
                except psutil.Error:
                    continue
                workers[child.pid] = max(workers.get(child.pid, 0.0), rss)
            time.sleep(INTERVAL)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": seconds,
        "returncode": process.returncode,
        "client_mb": max(own_sampled, usage.ru_maxrss / 1024),  # ru_maxrss: KiB on Linux
        "workers_mb": sorted(workers.values(), reverse=True),
    }


def floor(package: str, model: str, folder: Path) -> dict:
    partitions = importlib.import_module(f"{package}.io.partitions")
    tracking = importlib.import_module(f"{package}.io.tracking")
    score = importlib.import_module(f"{package}.jobs.predict").score
    loaded = tracking.load_model(model)
    seconds, rows = 0.0, 0
    for partition in partitions.partitions(folder):
        frame = partitions.read_partition(partition)  # not timed: I/O
        start = time.perf_counter()
        predictions = score(loaded, frame)
        seconds += time.perf_counter() - start
        rows += len(predictions)
        del frame, predictions
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rows": rows, "client_mb": peak, "workers_mb": []}


def limit(workers: int) -> dict:
    import logging

    from distributed.worker_memory import parse_memory_limit

    share = parse_memory_limit("auto", 1, workers, logger=logging.getLogger(__name__))
    return {"worker_limit_mb": share / MB}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="what", required=True)
    sampled = commands.add_parser("sample")
    sampled.add_argument("--log", type=Path, required=True)
    sampled.add_argument("command", nargs="+")
    floored = commands.add_parser("floor")
    floored.add_argument("package")
    floored.add_argument("model")
    floored.add_argument("folder", type=Path)
    commands.add_parser("limit").add_argument("workers", type=int)
    options = parser.parse_args()
    if options.what == "sample":
        figures = sample(options.command, options.log)
    elif options.what == "floor":
        figures = floor(options.package, options.model, options.folder)
    else:
        figures = limit(options.workers)
    json.dump(figures, sys.stdout)


if __name__ == "__main__":
    main()
