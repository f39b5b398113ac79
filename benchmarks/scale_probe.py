"""The scale-out benchmark's measurements, run with a generated project's Python.

Usage:  .venv/bin/python scale_probe.py sample --log FILE [--watch PID ...] -- COMMAND ...
        .venv/bin/python scale_probe.py floor PACKAGE MODEL FOLDER
        .venv/bin/python scale_probe.py limit WORKERS
        .venv/bin/python scale_probe.py wait SCHEDULER_FILE WORKERS [--warm MODULE ...]

Each prints one JSON object:

- sample: runs COMMAND, samples its process tree every 0.2 s (psutil, which the project has
  through distributed) and reports the wall time, the command's own peak RSS (exact, from
  the kernel's accounting when it exits) and each Dask worker process's sampled peak RSS;
  its output goes to FILE. With --watch, the process trees of those PIDs (a running
  `dask worker`, not a child of COMMAND) are sampled too: their worker processes are
  reported as workers, with the CPU seconds they used while COMMAND ran.
- floor: the model's predictions on each partition of FOLDER in this process, with the
  project's own reader and `score` (the signature check, then the pipeline), timing only
  `score`: no I/O, no orchestration. Partitions are read one at a time.
- limit: the memory limit each worker of `--scheduler local` gets with WORKERS workers
  (Dask's "auto": LocalCluster shares the machine's memory among its workers), in MB and
  in bytes (what a running cluster's `dask worker --memory-limit` is given).
- wait: connects to the scheduler of SCHEDULER_FILE and waits until WORKERS workers are up;
  prints its address. With --warm, each worker imports MODULE (what a job runs), as a
  cluster that already took a job has: a cluster's start-up is not a job's cost.
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
from contextlib import suppress
from pathlib import Path

INTERVAL = 0.2  # seconds between samples
MB = 2**20


def _workers_of(root, exclude: set[int] = frozenset()) -> list:
    """The Dask worker processes under `root` (spawned by a nanny or by LocalCluster)."""
    import psutil

    found = []
    try:
        children = root.children(recursive=True)
    except psutil.NoSuchProcess:
        return found
    for child in children:
        try:
            if child.pid in exclude or "spawn_main" not in " ".join(child.cmdline()):
                continue  # multiprocessing's resource tracker and the like
        except psutil.Error:
            continue
        found.append(child)
    return found


def _cpu_seconds(process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def sample(command: list[str], log: Path, watch: list[int] = ()) -> dict:
    import psutil

    workers: dict[int, float] = {}  # pid: peak MB
    cpu_start: dict[int, float] = {}  # watched worker pid: CPU seconds when first seen
    cpu_last: dict[int, float] = {}
    watched = []
    for pid in watch:
        try:
            watched.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            sys.exit(f"--watch {pid}: no such process")
    for tree in watched:
        for worker in _workers_of(tree):
            try:
                cpu_start[worker.pid] = _cpu_seconds(worker)
            except psutil.Error:
                continue
    own_sampled = 0.0
    start = time.perf_counter()
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        root = psutil.Process(process.pid)
        while True:
            done, status, usage = os.wait4(process.pid, os.WNOHANG)
            if done:
                break
            with suppress(psutil.NoSuchProcess):
                own_sampled = max(own_sampled, root.memory_info().rss / MB)
            found = _workers_of(root)
            for tree in watched:
                remote = _workers_of(tree)
                found += remote
                for worker in remote:
                    try:
                        cpu_last[worker.pid] = _cpu_seconds(worker)
                    except psutil.Error:
                        continue
            for worker in found:
                try:
                    rss = worker.memory_info().rss / MB
                except psutil.Error:
                    continue
                workers[worker.pid] = max(workers.get(worker.pid, 0.0), rss)
            time.sleep(INTERVAL)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = sum(cpu_last[pid] - cpu_start.get(pid, 0.0) for pid in cpu_last)
    return {
        "seconds": seconds,
        "returncode": process.returncode,
        "client_mb": max(own_sampled, usage.ru_maxrss / 1024),  # ru_maxrss: KiB on Linux
        "client_cpu_seconds": usage.ru_utime + usage.ru_stime,
        "workers_mb": sorted(workers.values(), reverse=True),
        "watched_cpu_seconds": cpu if watched else None,
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
    return {"worker_limit_mb": share / MB, "worker_limit_bytes": int(share)}


def wait(scheduler_file: Path, workers: int, modules: list[str]) -> dict:
    from distributed import Client

    with Client(scheduler_file=str(scheduler_file), timeout="60s") as client:
        client.wait_for_workers(workers, timeout=120)
        for module in modules:
            client.run(importlib.import_module, module)
        return {"address": client.scheduler.address}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="what", required=True)
    sampled = commands.add_parser("sample")
    sampled.add_argument("--log", type=Path, required=True)
    sampled.add_argument("--watch", type=int, action="append", default=[], metavar="PID")
    sampled.add_argument("command", nargs="+")
    floored = commands.add_parser("floor")
    floored.add_argument("package")
    floored.add_argument("model")
    floored.add_argument("folder", type=Path)
    commands.add_parser("limit").add_argument("workers", type=int)
    waited = commands.add_parser("wait")
    waited.add_argument("scheduler_file", type=Path)
    waited.add_argument("workers", type=int)
    waited.add_argument("--warm", action="append", default=[], metavar="MODULE")
    options = parser.parse_args()
    if options.what == "sample":
        figures = sample(options.command, options.log, options.watch)
    elif options.what == "floor":
        figures = floor(options.package, options.model, options.folder)
    elif options.what == "limit":
        figures = limit(options.workers)
    else:
        figures = wait(options.scheduler_file, options.workers, options.warm)
    json.dump(figures, sys.stdout)


if __name__ == "__main__":
    main()
