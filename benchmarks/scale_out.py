"""The scale-out benchmark: batch `predict` in one process and on Dask workers, and `tune`.

Usage:  uv run python benchmarks/scale_out.py [--project DIR] [--rows N ...] [--partitions P]
            [--train-rows N] [--tune-rows N] [--tune-budget N] [--tune-folds N]
            [--compose] [--write-docs [--docs PAGE]]

Renders a project from the working tree with the defaults and installs it, or uses the
generated project given with --project (its own .venv). With the project's Python it trains
a model once on a sample of the synthetic table of train_scale.py (--train-rows), then for
each size writes that table (without its label) as a folder of P parquet files, one
partition at a time, and measures, each in fresh processes:

1. the floor: the project's `score` (the model's signature check and pipeline) on each
   partition in one process, partitions read before the clock starts, summed;
2. `predict --input FOLDER --output OUT` in one process (no scheduler), as shipped;
3. the same on one core (OMP_NUM_THREADS=1 and the like, as Dask's nanny sets in workers);
4. the same with `--scheduler local`, a local cluster of 2 worker processes
   (DASK_LOCAL_WORKERS=2), started and stopped inside the timed command;
5. the same with `--scheduler ADDRESS` on a running cluster (`dask scheduler` and
   `dask worker --nworkers 2 --nthreads 1` processes, started and warmed before the clock);
6. two one-core `predict` processes at once, each on half of the files, no Dask: what two
   workers could do on this machine if the cluster cost nothing (the ceiling of the 2-worker
   target here, and the yardstick of the cluster's own cost);
7. with --compose, on the compose `dask` profile's scheduler and 2 workers (Docker).

Then `tune --scheduler ADDRESS` on running clusters of 1 and of 2 workers on a training
table of --tune-rows. Each command runs under scale_probe.py, which samples its process tree
(and a running cluster's) every 0.2 s: wall time, the client's peak RSS and each worker's.
Commands run without PYTHONDONTWRITEBYTECODE (users have bytecode caches). It prints the
figures and the targets of issue 15, asserts nothing; `--write-docs` replaces the scale-out
block of docs/performance.md.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from berth_tools import ROOT
from support.commands import CommandFailed, run
from support.docker import engine_available, free_port, image_exists
from support.projects import Project
from support.rendering import render
from support.stack import BASE_IMAGE, CA_BUNDLE

DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- scale-out:begin -->", "<!-- scale-out:end -->"
TABLE = Path(__file__).with_name("synthetic_table.py")
PROBE = Path(__file__).with_name("scale_probe.py")
WORKERS = 2  # the local cluster of the targets: 2 worker processes on 2 cores
TIMEOUT = 4 * 3600  # seconds for any one command (5M rows in one process on a busy machine)
FLOOR = "floor: score in one process, no I/O"
SINGLE = "predict, one process"
ONE_CORE = "predict, one process, one core"
LOCAL = f"predict --scheduler local, {WORKERS} workers"
RUNNING = f"predict on a running cluster, {WORKERS} workers"
COMPOSE = f"predict on the compose cluster, {WORKERS} workers"
PLAIN = f"{WORKERS} one-core predict processes at once, no Dask"
ONE_THREAD = dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")
STOP_SECONDS = 60
MB = 2**20
DOCKER_LOCK = Path("/tmp/berth-docker.lock")  # shared with the Docker test tier
CONTAINER_UID = 1000  # the compose workers' user (HOST_UID)
COMPOSE_SCHEDULER = "tcp://scheduler:8786"
MEMORY_INTERVAL = 0.5  # seconds between samples of the containers' memory
# What a cluster's workers import before the clock: what the first job would otherwise pay
WARM = ("{package}.jobs.partitioned", "{package}.jobs.tune", "sklearn.ensemble", "sklearn.pipeline")


@dataclass
class Figures:
    """One measured command (or the floor): wall time, rows, peak RSS per process in MB."""

    scenario: str
    rows: int
    seconds: float
    client_mb: float
    workers_mb: list[float] = field(default_factory=list)
    limit_mb: float | None = None
    search_seconds: float | None = None  # tune only: from its log lines
    worker_cpu_seconds: float | None = None  # running clusters: CPU their workers used
    cpu_seconds: float | None = None  # the command's own processes (local workers included)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


class Bench:
    """The generated project, a work folder, and the commands measured in it."""

    def __init__(self, project: Project, work: Path):
        self.project, self.work = project, work
        self.python = str(project.root / ".venv" / "bin" / "python")
        drop = ("PYTHONDONTWRITEBYTECODE", "DASK_SCHEDULER_ADDRESS", "DASK_LOCAL_WORKERS")
        self.env = {k: v for k, v in project.env.items() if k not in drop}
        self.env["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / 'mlflow.db'}"
        self.params = work / "params.yaml"
        self.model = work / "models" / "model"
        self.limits: dict[int, int] = {}  # workers: each one's memory limit in bytes

    def cli(self, *args: str, params: Path | None = None) -> list[str]:
        package = self.project.package
        return [self.python, "-m", package, "--params", str(params or self.params), *args]

    def predict_command(self, source: Path, output: Path) -> list[str]:
        """`predict` of the parquet folder `source` into the folder `output`, with the model."""
        return self.cli(
            "predict", "--input", str(source), "--output", str(output), "--model", str(self.model)
        )

    def probe(self, *args: str, env: dict | None = None) -> dict:
        # -P: imports skip the script's folder (scale_out.py would shadow a package so named)
        command = [self.python, "-P", PROBE, *args]
        result = run(command, cwd=self.work, env=env or self.env, timeout=TIMEOUT)
        return json.loads(result.stdout)

    def sampled(
        self, name: str, command: list[str], env: dict | None = None, watch: int | None = None
    ) -> dict:
        log = self.work / f"{re.sub(r'[^a-z0-9]+', '-', name.lower())}.log"
        watched = ["--watch", str(watch)] if watch else []
        figures = self.probe("sample", "--log", str(log), *watched, "--", *command, env=env)
        if figures["returncode"] != 0:
            sys.exit(f"{name}: exit status {figures['returncode']}\n{log.read_text()[-3000:]}")
        figures["log"] = log.read_text()
        return figures

    def table(self, rows: int, path: Path, *partitioned: str) -> None:
        run([self.python, TABLE, str(rows), path, *partitioned], env=self.env, timeout=TIMEOUT)

    def train(self, rows: int) -> None:
        shutil.copy(self.project.root / "params.yaml", self.params)
        data = self.work / "train.parquet"
        self.table(rows, data)
        self.sampled("train", self.cli("train", "--data", str(data), "--target", "churned"))

    def limit(self, workers: int) -> int:
        """The memory limit, in bytes, of each worker of a local cluster of `workers`.

        Dask's "auto" share; the running clusters' workers are given the same.
        """
        if workers not in self.limits:
            self.limits[workers] = self.probe("limit", str(workers))["worker_limit_bytes"]
        return self.limits[workers]

    @contextmanager
    def cluster(self, workers: int) -> Iterator[tuple[str, int]]:
        """A running cluster: `dask scheduler` and `dask worker --nworkers N` processes.

        Started (and waited for, its workers' imports done) before any clock, on 127.0.0.1,
        with the project's io/dask.yaml (DASK_CONFIG, as its docs say), each worker given
        the memory limit a local cluster of `workers` gets; yields the
        scheduler's address and the `dask worker` process's id. Stopped afterwards, also on
        failure: no process is left.
        """
        folder = Path(tempfile.mkdtemp(prefix="cluster-", dir=self.work))
        address_file = folder / "scheduler.json"
        dask = str(Path(self.python).parent / "dask")
        local = ["--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0"]
        share = self.limit(workers)
        worker = ["--nworkers", str(workers), "--nthreads", "1", "--memory-limit", str(share)]
        commands = [
            [dask, "scheduler", *local, "--port", "0", "--scheduler-file", str(address_file)],
            [dask, "worker", *local, *worker, "--scheduler-file", str(address_file)],
        ]
        # The workers read the project's Dask settings, as its docs say to start them.
        settings = self.project.root / "src" / self.project.package / "io" / "dask.yaml"
        env = self.env | {"DASK_CONFIG": str(settings)}
        started: list[subprocess.Popen] = []
        try:
            for command in commands:
                with (folder / f"{command[1]}.log").open("w") as log:
                    started.append(
                        subprocess.Popen(
                            command,
                            cwd=folder,
                            env=env,
                            stdout=log,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,  # its own process group: stopped whole
                        )
                    )
            package = self.project.package
            warm = [arg for module in WARM for arg in ("--warm", module.format(package=package))]
            address = self.probe("wait", str(address_file), str(workers), *warm)["address"]
            yield address, started[1].pid
        finally:
            for process in reversed(started):
                stop(process)
            shutil.rmtree(folder, ignore_errors=True)

    def predict(self, rows: int, partitions: int) -> list[Figures]:
        folder, output = self.work / f"input-{rows}", self.work / f"predictions-{rows}"
        self.table(rows, folder, "--partitions", str(partitions), "--no-target")
        floor = self.probe("floor", self.project.package, str(self.model), str(folder))
        if floor["rows"] != rows:
            sys.exit(f"the floor scored {floor['rows']} rows of {rows}")
        found = [Figures(FLOOR, rows, floor["seconds"], floor["client_mb"])]
        command = self.predict_command(folder, output)
        runs = [
            (SINGLE, command, self.env),
            (ONE_CORE, command, self.env | ONE_THREAD),
            (LOCAL, [*command, "--scheduler", "local"], self.local(WORKERS)),
        ]
        for scenario, args, env in runs:
            figures = self.sampled(f"{scenario} {rows}", args, env)
            found.append(self.predicted(scenario, rows, figures, output, partitions))
        with self.cluster(WORKERS) as (address, pid):
            figures = self.sampled(
                f"{RUNNING} {rows}", [*command, "--scheduler", address], self.env, watch=pid
            )
        found.append(self.predicted(RUNNING, rows, figures, output, partitions))
        found.append(self.plain(rows, folder, partitions))
        shutil.rmtree(folder)
        return found

    def plain(self, rows: int, folder: Path, partitions: int) -> Figures:
        """WORKERS one-core `predict` processes started together, each on its share of the
        files (links in a folder of its own) into its own output; timed until both end."""
        files = sorted(folder.glob("*.parquet"))
        shares, outputs, commands = [], [], []
        for number in range(WORKERS):
            share = self.work / f"share-{rows}-{number}"
            share.mkdir()
            for path in files[number::WORKERS]:
                (share / path.name).symlink_to(path)
            output = self.work / f"predictions-{rows}-{number}"
            shares.append(share)
            outputs.append(output)
            commands.append(self.predict_command(share, output))
        # a shell starts them together and fails when either fails
        script = "".join(f"{shlex.join(one)} & p{n}=$!; " for n, one in enumerate(commands))
        script += "s=0; " + "".join(f"wait $p{n} || s=1; " for n in range(WORKERS)) + "exit $s"
        figures = self.sampled(f"{PLAIN} {rows}", ["bash", "-c", script], self.env | ONE_THREAD)
        done = sum(len(list(output.glob("part-*.parquet"))) for output in outputs)
        if done != partitions:
            sys.exit(f"{PLAIN}: wrote {done} parts for {partitions} partitions")
        for path in [*shares, *outputs]:
            shutil.rmtree(path)
        return Figures(
            PLAIN, rows, figures["seconds"], figures["client_mb"],
            cpu_seconds=figures["client_cpu_seconds"],
        )  # fmt: skip

    def predicted(
        self, scenario: str, rows: int, figures: dict, output: Path, partitions: int
    ) -> Figures:
        """The figures of one `predict` run, once its output is checked (then removed)."""
        done = len(list(output.glob("part-*.parquet")))
        if done != partitions:
            sys.exit(f"{scenario}: wrote {done} parts for {partitions} partitions")
        shutil.rmtree(output)
        if figures["workers_mb"] and len(figures["workers_mb"]) != WORKERS:
            sys.exit(f"{scenario}: sampled {len(figures['workers_mb'])} workers of {WORKERS}")
        return Figures(
            scenario=scenario,
            rows=rows,
            seconds=figures["seconds"],
            client_mb=figures["client_mb"],
            workers_mb=figures["workers_mb"],
            limit_mb=self.limit(WORKERS) / MB if figures["workers_mb"] else None,
            cpu_seconds=figures["client_cpu_seconds"],
        )

    def local(self, workers: int) -> dict:
        return self.env | {"DASK_LOCAL_WORKERS": str(workers)}

    def tune(self, rows: int, budget: int, folds: int) -> list[Figures]:
        data = self.work / "tune.parquet"
        self.table(rows, data)
        params = yaml.safe_load(self.params.read_text())
        params["data"] |= {"path": str(data), "target": "churned"}
        params["tune"] |= {"method": "random", "budget": budget, "folds": folds}
        tuned = self.work / "params-tune.yaml"
        tuned.write_text(yaml.safe_dump(params, sort_keys=False))
        found = []
        for workers in (1, WORKERS):
            scenario = f"tune, running cluster of {workers} worker{'s' if workers > 1 else ''}"
            with self.cluster(workers) as (address, pid):
                command = self.cli("tune", "--scheduler", address, params=tuned)
                figures = self.sampled(scenario, command, self.env, watch=pid)
            found.append(
                Figures(
                    scenario=scenario,
                    rows=rows,
                    seconds=figures["seconds"],
                    client_mb=figures["client_mb"],
                    workers_mb=figures["workers_mb"],
                    limit_mb=self.limit(workers) / MB,
                    search_seconds=search_seconds(figures["log"]),
                    worker_cpu_seconds=figures["watched_cpu_seconds"],
                    cpu_seconds=figures["client_cpu_seconds"],
                )
            )
        return found


class Compose:
    """The project's compose `dask` profile on the real engine: the scale-out's third cluster.

    Everything happens under the shared Docker lock, in a compose project named `bench-SLUG`:
    the prod image is built, the scheduler and 2 workers are started and waited for (before
    any clock), each `predict` runs in the prod image on the compose network with the project
    folder mounted, as the workers see it. Its files live in `bench-scale-out/` inside the
    project (owned by the containers' user). At the end the containers, volumes, network,
    that folder and the image (when this run built it) are removed, also on failure.
    """

    def __init__(self, bench: Bench):
        self.bench, self.root = bench, bench.project.root
        slug = bench.project.slug
        self.name = slug if slug.startswith("bench-") else f"bench-{slug}"
        self.image = f"{bench.project.slug}:prod"
        self.folder = self.root / "bench-scale-out"
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
        self.env = keep | {
            "COMPOSE_PROJECT_NAME": self.name,
            "BASE_IMAGE": BASE_IMAGE,
            "CA_BUNDLE": CA_BUNDLE,
            "HOST_UID": str(CONTAINER_UID),
            "HOST_GID": str(CONTAINER_UID),
            "DASK_DASHBOARD_PORT": str(free_port()),
        }
        self.network = ""
        self.workers: list[str] = []
        self.limit_mb = 0.0

    def docker(self, *args: str, timeout: int = 1800):
        return run(["docker", *args], cwd=self.root, env=self.env, timeout=timeout)

    def compose(self, *args: str, timeout: int = 1800):
        return self.docker("compose", "--profile", "dask", *args, timeout=timeout)

    @contextmanager
    def running(self) -> Iterator[Compose]:
        with DOCKER_LOCK.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            built = not image_exists(self.image)
            try:
                self.compose("build", "scheduler")
                self.compose(
                    "up", "--detach", "--wait", "--wait-timeout", "300",
                    "--scale", f"worker={WORKERS}", "scheduler", "worker",
                )  # fmt: skip
                self.network = self.docker(
                    "network", "ls", "--quiet", "--filter",
                    f"label=com.docker.compose.project={self.name}",
                ).stdout.split()[0]  # fmt: skip
                self.workers = self.compose("ps", "--quiet", "worker").stdout.split()
                if len(self.workers) != WORKERS:
                    sys.exit(f"--compose: {len(self.workers)} workers up of {WORKERS}")
                limits = json.loads(self.docker("inspect", *self.workers).stdout)
                self.limit_mb = min(c["HostConfig"]["Memory"] for c in limits) / MB
                self.warm()
                yield self
            finally:
                subprocess.run(
                    ["docker", "compose", "--profile", "dask", "down", "--volumes",
                     "--remove-orphans", "--timeout", "5"],
                    cwd=self.root, env=self.env, capture_output=True,
                )  # fmt: skip
                if built:
                    subprocess.run(["docker", "image", "rm", "--force", self.image],
                                   capture_output=True)  # fmt: skip
                shutil.rmtree(self.folder, ignore_errors=True)

    def warm(self) -> None:
        """The workers import what a job runs, as on the running cluster (scale_probe's wait)."""
        modules = [module.format(package=self.bench.project.package) for module in WARM]
        code = (
            "import importlib, sys; from distributed import Client\n"
            f"with Client({COMPOSE_SCHEDULER!r}, timeout='60s') as client:\n"
            f"    for module in {modules!r}: client.run(importlib.import_module, module)\n"
        )
        self.docker(
            "run", "--rm", "--network", self.network, "--user", f"{CONTAINER_UID}:{CONTAINER_UID}",
            "--entrypoint", "python", self.image, "-c", code,
        )  # fmt: skip

    def predict(self, rows: int, partitions: int) -> Figures:
        """`predict --scheduler tcp://scheduler:8786` in the prod image, timed from the host."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir()
        self.bench.table(
            rows, self.folder / "input", "--partitions", str(partitions), "--no-target"
        )
        shutil.copytree(self.bench.model, self.folder / "model")
        for path in [self.folder, *self.folder.rglob("*")]:
            os.chown(path, CONTAINER_UID, CONTAINER_UID, follow_symlinks=False)
        relative = self.folder.relative_to(self.root)
        cidfile = self.bench.work / "compose-client.cid"
        cidfile.unlink(missing_ok=True)
        command = [
            "docker", "run", "--rm", "--cidfile", str(cidfile), "--network", self.network,
            "--user", f"{CONTAINER_UID}:{CONTAINER_UID}", "--env", "LOG_DIR=/tmp/logs",
            "--tmpfs", "/tmp", "--volume", f"{self.root}:/workspace", "--workdir", "/workspace",
            self.image, "predict", "--input", f"{relative}/input",
            "--output", f"{relative}/predictions", "--model", f"{relative}/model",
            "--scheduler", COMPOSE_SCHEDULER,
        ]  # fmt: skip
        sampler = MemorySampler(self.workers, cidfile)
        log = self.bench.work / f"predict-compose-{rows}.log"
        sampler.start()
        start = time.perf_counter()
        try:
            with log.open("w") as output:
                status = subprocess.run(
                    command, env=self.env, stdout=output, stderr=subprocess.STDOUT,
                    timeout=TIMEOUT,
                ).returncode  # fmt: skip
            seconds = time.perf_counter() - start
        finally:
            sampler.finish()
        if status != 0:
            sys.exit(f"{COMPOSE}: exit status {status}\n{log.read_text()[-3000:]}")
        done = len(list((self.folder / "predictions").glob("part-*.parquet")))
        if done != partitions:
            sys.exit(f"{COMPOSE}: wrote {done} parts for {partitions} partitions")
        shutil.rmtree(self.folder)
        return Figures(
            scenario=COMPOSE,
            rows=rows,
            seconds=seconds,
            client_mb=sampler.client_mb,
            workers_mb=sorted((sampler.peaks.get(i, 0.0) for i in self.workers), reverse=True),
            limit_mb=self.limit_mb,
        )


class MemorySampler(threading.Thread):
    """Peak memory of containers (the workers', and the client's once its id file appears).

    Read from each container's cgroup every 0.5 s: its usage less the inactive page cache,
    as `docker stats` counts it; `docker stats --no-stream` when the cgroup is not found.
    """

    def __init__(self, workers: list[str], cidfile: Path):
        super().__init__(daemon=True)
        self.workers, self.cidfile = workers, cidfile
        self.peaks: dict[str, float] = {}
        self.client = ""
        self.stopping = threading.Event()

    @property
    def client_mb(self) -> float:
        return self.peaks.get(self.client, 0.0)

    def run(self) -> None:
        while True:
            if not self.client and self.cidfile.exists():
                self.client = self.cidfile.read_text().strip()
            for container in filter(None, [*self.workers, self.client]):
                used = container_mb(container)
                if used is not None:
                    self.peaks[container] = max(self.peaks.get(container, 0.0), used)
            if self.stopping.wait(MEMORY_INTERVAL):
                return

    def finish(self) -> None:
        self.stopping.set()
        self.join()


def container_mb(container: str) -> float | None:
    """A running container's memory in MB (None once it is gone)."""
    full = container if len(container) == 64 else None
    if full:
        for folder in (
            Path(f"/sys/fs/cgroup/system.slice/docker-{full}.scope"),  # v2, systemd
            Path(f"/sys/fs/cgroup/docker/{full}"),  # v2, cgroupfs
            Path(f"/sys/fs/cgroup/memory/docker/{full}"),  # v1
        ):
            usage = folder / "memory.current"
            if not usage.exists():
                usage = folder / "memory.usage_in_bytes"
            try:
                used = int(usage.read_text())
                stat = dict(
                    line.split() for line in (folder / "memory.stat").read_text().splitlines()
                )
            except (OSError, ValueError):
                continue
            inactive = int(stat.get("inactive_file", stat.get("total_inactive_file", 0)))
            return max(0, used - inactive) / MB
    out = subprocess.run(
        ["docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", container],
        capture_output=True, text=True,
    )  # fmt: skip
    match = re.match(r"([\d.]+)\s*([KMG]i?B|B)", out.stdout.strip())
    if out.returncode or not match:
        return None
    scale = {"B": 2**-20, "KiB": 2**-10, "kB": 2**-10, "MiB": 1, "MB": 1, "GiB": 2**10, "GB": 2**10}
    return float(match[1]) * scale.get(match[2], 1)


def stop(process: subprocess.Popen) -> None:
    """Stop a process started in its own session, and whatever its group still holds."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_SECONDS)
    with suppress(ProcessLookupError):  # the group outlives its leader if a child is left
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def search_seconds(log: str) -> float | None:
    """The search's seconds between tune's "Searching" and "Best of" log lines (1 s steps)."""
    stamps = {}
    for line in log.splitlines():
        match = re.match(r"(\d\d):(\d\d):(\d\d) +INFO +(Searching|Best of)", line)
        if match:
            hours, minutes, seconds = (int(part) for part in match.groups()[:3])
            stamps[match[4]] = hours * 3600 + minutes * 60 + seconds
    if len(stamps) < 2:
        return None
    return (stamps["Best of"] - stamps["Searching"]) % 86400


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def megabytes(values: list[float]) -> str:
    return ", ".join(f"{value:.0f}" for value in values) if values else "-"


def trials_ran_on(found: Figures) -> str:
    """Where tune's trials ran: on the workers if they used CPU for a quarter of the search."""
    if found.worker_cpu_seconds is None or not found.search_seconds:
        return "-"
    return "workers" if found.worker_cpu_seconds >= 0.25 * found.search_seconds else "client"


def report(predicted: list[list[Figures]], tuned: list[Figures]) -> str:
    lines = [
        "| rows | scenario | wall s | rows/s | vs. floor | client peak MB | worker peaks MB "
        "| worker limit MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size in predicted:
        floor = size[0]
        for found in size:
            limit = f"{found.limit_mb:.0f}" if found.limit_mb else "-"
            lines.append(
                f"| {found.rows:,} | {found.scenario} | {found.seconds:.1f} | {found.rate:,.0f} "
                f"| {found.rate / floor.rate:.2f}x | {found.client_mb:.0f} "
                f"| {megabytes(found.workers_mb)} | {limit} |"
            )
    if len(predicted) > 1:
        first, last = predicted[0], predicted[-1]
        grow = last[0].rows / first[0].rows
        lines += [
            "",
            f"| scenario | wall s at {first[0].rows:,} | wall s at {last[0].rows:,} "
            f"| time x (rows x{grow:g}) | client peak x |",
            "| --- | --- | --- | --- | --- |",
        ]
        for small, large in zip(first, last, strict=True):
            lines.append(
                f"| {small.scenario} | {small.seconds:.1f} | {large.seconds:.1f} "
                f"| {large.seconds / small.seconds:.2f}x | {large.client_mb / small.client_mb:.2f}x |"
            )
    one, two = tuned
    lines += [
        "",
        "| tune | rows | wall s | search s | trials ran on | worker CPU s | client peak MB "
        "| worker peaks MB | worker limit MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for found in tuned:
        search = f"{found.search_seconds:.0f}" if found.search_seconds is not None else "-"
        cpu = found.worker_cpu_seconds
        lines.append(
            f"| {found.scenario} | {found.rows:,} | {found.seconds:.1f} | {search} "
            f"| {trials_ran_on(found)} | {'-' if cpu is None else f'{cpu:.0f}'} "
            f"| {found.client_mb:.0f} | {megabytes(found.workers_mb)} | {found.limit_mb:.0f} |"
        )
    lines += ["", "| target | figure | verdict |", "| --- | --- | --- |"]
    for size in predicted:
        by = {found.scenario: found for found in size}
        running, rows = by[RUNNING], size[0].rows
        for label, base in (
            ("one process as shipped", SINGLE),
            ("per-core comparison: " "one process on one core", ONE_CORE),
        ):
            gain = running.rate / by[base].rate
            lines.append(
                f"| {rows:,} rows: {WORKERS} workers (running cluster) >= 1.7x {label} "
                f"(rows/s) | {gain:.2f}x | {verdict(gain >= 1.7)} |"
            )
        ceiling = by[PLAIN].rate / by[SINGLE].rate
        lines.append(
            f"| {rows:,} rows: this machine's ceiling for that target: {PLAIN} "
            f"vs one process as shipped (rows/s) | {ceiling:.2f}x | no target |"
        )
        cost = running.rate / by[PLAIN].rate
        lines.append(
            f"| {rows:,} rows: the cluster's own cost: running cluster vs {PLAIN} "
            f"(rows/s) | {cost:.2f}x | no target |"
        )
        single = by[SINGLE]
        lines.append(
            f"| {rows:,} rows: cores one process as shipped keeps busy (CPU s / wall s) "
            f"| {single.cpu_seconds / single.seconds:.2f} | no target |"
        )
        startup = by[LOCAL].seconds - running.seconds
        lines.append(
            f"| {rows:,} rows: start-up inside `--scheduler local` (its wall time minus the "
            f"running cluster's) | {startup:.1f} s | no target |"
        )
    commands = [found for size in predicted for found in size[1:]]
    worst = max(commands, key=lambda found: found.client_mb)
    lines.append(
        f"| client peak RSS < 1 GB, every `predict` at every size | {worst.client_mb:.0f} MB "
        f"({worst.scenario}, {worst.rows:,} rows) | {verdict(worst.client_mb < 1024)} |"
    )
    kinds = [("local cluster", lambda name: "--scheduler local" in name)]
    kinds.append(("running clusters", lambda name: "running cluster" in name))
    kinds.append(("compose", lambda name: name == COMPOSE))
    for kind, chosen in kinds:
        workers = [
            (peak, found)
            for found in [*commands, *tuned]
            if chosen(found.scenario)
            for peak in found.workers_mb
        ]
        if not workers:
            continue
        peak, where = max(workers, key=lambda pair: pair[0] / pair[1].limit_mb)
        lines.append(
            f"| workers within their memory limits, {kind} | highest {peak:.0f} of "
            f"{where.limit_mb:.0f} MB ({where.scenario}, {where.rows:,} rows) "
            f"| {verdict(peak <= where.limit_mb)} |"
        )
    speed = one.seconds / two.seconds
    search = ""
    if one.search_seconds and two.search_seconds:
        search = f" (the search alone: {one.search_seconds / two.search_seconds:.2f}x)"
    honest = "" if trials_ran_on(one) != "client" else "; the 1-worker trials ran in the client"
    busy = ((one.cpu_seconds or 0) + (one.worker_cpu_seconds or 0)) / one.seconds
    lines.append(
        f"| tune, 1 worker: cores busy (the client's and the worker's CPU s / wall s) "
        f"| {busy:.2f} | no target |"
    )
    lines.append(
        f"| tune: {WORKERS} workers >= 1.7x faster than 1, running clusters (whole command) "
        f"| {speed:.2f}x{search}{honest} | {verdict(speed >= 1.7)} |"
    )
    return "\n".join(lines)


def write_docs(page: Path, text: str | None) -> None:
    """Replace the block between the scale-out markers of `page` (None: only check them)."""
    try:
        content = page.read_text()
    except OSError as error:
        sys.exit(f"--write-docs: cannot read {page}: {error.strerror}")
    head, begin, rest = content.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not (begin and end):
        sys.exit(f"--write-docs: {page} has no {BEGIN} ... {END} block")
    if text is not None:  # written beside the page, then moved over it: never half-written
        draft = page.with_name(f".{page.name}.draft")
        draft.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")
        os.replace(draft, page)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a generated project with its .venv")
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--partitions", type=int, default=20, help="files per table (10-50)")
    parser.add_argument("--train-rows", type=int, default=50_000, help="the model's sample")
    parser.add_argument("--tune-rows", type=int, default=200_000)
    parser.add_argument("--tune-budget", type=int, default=6)
    parser.add_argument("--tune-folds", type=int, default=3)
    parser.add_argument(
        "--compose", action="store_true", help="also the compose `dask` profile (Docker)"
    )
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--docs", type=Path, default=DOCS)
    options = parser.parse_args()
    if options.docs != DOCS and not options.write_docs:
        parser.error("--docs names the page --write-docs updates; add --write-docs")
    if options.partitions < 1 or min(options.rows) < options.partitions:
        parser.error("--partitions must be at least 1 and at most --rows")
    if min(options.train_rows, options.tune_rows) < 100:
        parser.error("--train-rows and --tune-rows must be at least 100")
    if options.tune_budget < 1 or options.tune_folds < 2:
        parser.error("--tune-budget must be at least 1 and --tune-folds at least 2")
    if options.project and not (options.project / ".venv" / "bin" / "python").exists():
        parser.error(f"--project {options.project}: no .venv (run `uv sync` there first)")
    if options.compose and not engine_available():
        parser.error("--compose needs a running Docker engine (`docker info` fails)")
    if options.compose and options.project and not (options.project / "compose.yaml").exists():
        parser.error(f"--compose: {options.project} has no compose.yaml")
    return options


def main() -> None:
    options = arguments()
    if options.write_docs:  # before many minutes of measuring, not after
        write_docs(options.docs, None)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="berth-scale-out-") as tmp:
        tmp = Path(tmp)
        try:
            if options.project:
                project = Project(options.project.resolve(), tmp)
            else:
                # "bench-": the compose project and the image it builds are the benchmark's
                project = Project(render(tmp / "bench-scale-out", {"use_dvc": False}), tmp)
                project.install()
            work = tmp / "work"
            work.mkdir()
            bench = Bench(project, work)
            bench.train(options.train_rows)
            predicted = [bench.predict(rows, options.partitions) for rows in options.rows]
            if options.compose:
                with Compose(bench).running() as cluster:
                    for size in predicted:
                        size.append(cluster.predict(size[0].rows, options.partitions))
            tuned = bench.tune(options.tune_rows, options.tune_budget, options.tune_folds)
        except CommandFailed as error:
            sys.exit(f"scale-out benchmark: a command failed, {error}")
    header = (
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{options.partitions} partitions per table, model trained on {options.train_rows:,} "
        f"rows; tune: {options.tune_budget} trials of {options.tune_folds} folds "
        f"({time.perf_counter() - start:.0f} s in all)."
    )
    text = f"{header}\n\n{report(predicted, tuned)}"
    print(text)
    if options.write_docs:
        write_docs(options.docs, text)


if __name__ == "__main__":
    main()
