"""The scale-out benchmark: batch `predict` in one process and on Dask workers, and `tune`.

Usage:  uv run python benchmarks/scale_out.py [--project DIR] [--rows N ...] [--partitions P]
            [--train-rows N] [--tune-rows N] [--tune-budget N] [--tune-folds N]
            [--write-docs [--docs PAGE]]

Renders a project from the working tree with the defaults and installs it, or uses the
generated project given with --project (its own .venv). With the project's Python it trains
a model once on a sample of the synthetic table of train_scale.py (--train-rows), then for
each size writes that table (without its label) as a folder of P parquet files, one
partition at a time, and measures, each in fresh processes:

1. the floor: the project's `score` (the model's signature check and pipeline) on each
   partition in one process, partitions read before the clock starts, summed;
2. `predict --input FOLDER --output OUT` in one process (no scheduler);
3. the same with `--scheduler local`, a local cluster of 2 worker processes
   (DASK_LOCAL_WORKERS=2).

Then `tune --scheduler local` with 1 and with 2 workers on a training table of --tune-rows.
Each command runs under scale_probe.py, which samples its process tree every 0.2 s: wall
time, the client's peak RSS and each worker's. Commands run without PYTHONDONTWRITEBYTECODE
(users have bytecode caches). It prints the figures and the targets of issue 15, asserts
nothing; `--write-docs` replaces the scale-out block of docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from berth_tools import ROOT
from support.commands import CommandFailed, run
from support.projects import Project
from support.rendering import render

DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- scale-out:begin -->", "<!-- scale-out:end -->"
TABLE = Path(__file__).with_name("synthetic_table.py")
PROBE = Path(__file__).with_name("scale_probe.py")
WORKERS = 2  # the local cluster of the targets: 2 worker processes on 2 cores
TIMEOUT = 4 * 3600  # seconds for any one command (5M rows in one process on a busy machine)
FLOOR = "floor: score in one process, no I/O"
SINGLE = "predict, one process"
LOCAL = f"predict --scheduler local, {WORKERS} workers"


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

    def cli(self, *args: str, params: Path | None = None) -> list[str]:
        package = self.project.package
        return [self.python, "-m", package, "--params", str(params or self.params), *args]

    def probe(self, *args: str, env: dict | None = None) -> dict:
        # -P: imports skip the script's folder (scale_out.py would shadow a package so named)
        command = [self.python, "-P", PROBE, *args]
        result = run(command, cwd=self.work, env=env or self.env, timeout=TIMEOUT)
        return json.loads(result.stdout)

    def sampled(self, name: str, command: list[str], env: dict | None = None) -> dict:
        log = self.work / f"{re.sub(r'[^a-z0-9]+', '-', name.lower())}.log"
        figures = self.probe("sample", "--log", str(log), "--", *command, env=env)
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

    def limit(self, workers: int) -> float:
        """The memory limit, in MB, of each worker of a local cluster of `workers`."""
        return self.probe("limit", str(workers))["worker_limit_mb"]

    def predict(self, rows: int, partitions: int) -> list[Figures]:
        folder, output = self.work / f"input-{rows}", self.work / f"predictions-{rows}"
        self.table(rows, folder, "--partitions", str(partitions), "--no-target")
        floor = self.probe("floor", self.project.package, str(self.model), str(folder))
        if floor["rows"] != rows:
            sys.exit(f"the floor scored {floor['rows']} rows of {rows}")
        found = [Figures(FLOOR, rows, floor["seconds"], floor["client_mb"])]
        command = self.cli("predict", "--input", str(folder), "--output", str(output))
        command += ["--model", str(self.model)]
        runs = [
            (SINGLE, command, self.env),
            (LOCAL, [*command, "--scheduler", "local"], self.local(WORKERS)),
        ]
        for scenario, args, env in runs:
            figures = self.sampled(f"{scenario} {rows}", args, env)
            done = len(list(output.glob("part-*.parquet")))
            if done != partitions:
                sys.exit(f"{scenario}: wrote {done} parts for {partitions} partitions")
            found.append(
                Figures(
                    scenario=scenario,
                    rows=rows,
                    seconds=figures["seconds"],
                    client_mb=figures["client_mb"],
                    workers_mb=figures["workers_mb"],
                    limit_mb=self.limit(WORKERS) if figures["workers_mb"] else None,
                )
            )
            shutil.rmtree(output)
        shutil.rmtree(folder)
        return found

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
            scenario = f"tune, {workers} worker{'s' if workers > 1 else ''}"
            command = self.cli("tune", "--scheduler", "local", params=tuned)
            figures = self.sampled(scenario, command, self.local(workers))
            found.append(
                Figures(
                    scenario=scenario,
                    rows=rows,
                    seconds=figures["seconds"],
                    client_mb=figures["client_mb"],
                    workers_mb=figures["workers_mb"],
                    limit_mb=self.limit(workers),
                    search_seconds=search_seconds(figures["log"]),
                )
            )
        return found


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
        "| tune | rows | wall s | search s | client peak MB | worker peaks MB | worker limit MB |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for found in tuned:
        search = f"{found.search_seconds:.0f}" if found.search_seconds is not None else "-"
        lines.append(
            f"| {found.scenario} | {found.rows:,} | {found.seconds:.1f} | {search} "
            f"| {found.client_mb:.0f} | {megabytes(found.workers_mb)} | {found.limit_mb:.0f} |"
        )
    lines += ["", "| target | figure | verdict |", "| --- | --- | --- |"]
    for size in predicted:
        single, local = size[1], size[2]
        gain = local.rate / single.rate
        lines.append(
            f"| {single.rows:,} rows: {WORKERS} workers >= 1.7x one process (rows/s) "
            f"| {gain:.2f}x | {verdict(gain >= 1.7)} |"
        )
    commands = [found for size in predicted for found in size[1:]]
    worst = max(commands, key=lambda found: found.client_mb)
    lines.append(
        f"| client peak RSS < 1 GB, every `predict` at every size | {worst.client_mb:.0f} MB "
        f"({worst.scenario}, {worst.rows:,} rows) | {verdict(worst.client_mb < 1024)} |"
    )
    workers = [(peak, found) for found in [*commands, *tuned] for peak in found.workers_mb]
    peak, where = max(workers, key=lambda pair: pair[0] / pair[1].limit_mb)
    lines.append(
        f"| workers within their memory limits | highest {peak:.0f} of {where.limit_mb:.0f} MB "
        f"({where.scenario}, {where.rows:,} rows) | {verdict(peak <= where.limit_mb)} |"
    )
    speed = one.seconds / two.seconds
    search = ""
    if one.search_seconds and two.search_seconds:
        search = f" (the search alone: {one.search_seconds / two.search_seconds:.2f}x)"
    lines.append(
        f"| tune: {WORKERS} workers >= 1.7x faster than 1 (whole command) | {speed:.2f}x{search} "
        f"| {verdict(speed >= 1.7)} |"
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
                project = Project(render(tmp / "scale-out", {"use_dvc": False}), tmp)
                project.install()
            work = tmp / "work"
            work.mkdir()
            bench = Bench(project, work)
            bench.train(options.train_rows)
            predicted = [bench.predict(rows, options.partitions) for rows in options.rows]
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
