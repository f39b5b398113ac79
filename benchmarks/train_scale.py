"""Training at scale on one machine: a generated project's `train` at 10k, 100k and 1M rows.

Usage:  uv run python benchmarks/train_scale.py [--project DIR] [--rows N ...] [--timeout S]

Renders a project from HEAD with the defaults and installs it (`uv sync --locked`), or uses
the generated project given with --project (its own .venv; e.g. one rendered from an older
release, to compare). For each size it writes a synthetic table of 8 mixed columns (numbers
with gaps, whole numbers, two categories, a text column with thousands of values, dates as
text, booleans, an id) plus a class label, then measures in fresh processes:

- `train` (the console script, the project's params.yaml): wall time, peak RSS (the
  process and the workers it waits for, from /usr/bin/time) and the saved model's size;
- the floor: the bare scikit-learn fit of the same estimator with the same arguments on the
  same frame in one process (categories as codes, no MLflow, no files but the input read).

It prints one row per size and the ratios train/floor. Nothing is asserted; the figures and
the targets are in docs/performance.md. A run that passes --timeout is stopped and reported
as such (the forest of older releases does not finish 1M rows).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import yaml

from berth_tools import ROOT
from support.commands import run

TABLE = Path(__file__).with_name("synthetic_table.py")  # run with the project's Python

# The bare fit: the project's estimator and arguments, on the frame as codes and numbers.
FLOOR = textwrap.dedent("""
    import resource, sys, time
    import pandas as pd
    import yaml
    from sklearn import ensemble, linear_model

    path, params_file = sys.argv[1], sys.argv[2]
    model = yaml.safe_load(open(params_file))["model"]
    frame = pd.read_parquet(path)
    start = time.perf_counter()
    target = frame.pop("churned")
    frame = frame.drop(columns=["customer"])
    dates = pd.to_datetime(frame.pop("signed_up"))
    frame["year"], frame["month"] = dates.dt.year, dates.dt.month
    text = frame.select_dtypes(exclude="number").columns
    few = [name for name in text if frame[name].nunique() < 255]  # a native category each
    frame[text] = frame[text].apply(lambda column: column.astype("category").cat.codes)
    estimators = {
        "hist_gradient_boosting": ensemble.HistGradientBoostingClassifier,
        "random_forest": ensemble.RandomForestClassifier,
        "linear": linear_model.LogisticRegression,
    }
    estimator = estimators[model.get("estimator", "hist_gradient_boosting")]
    defaults = {"n_estimators": 100, "max_depth": 16, "min_samples_leaf": 5, "n_jobs": -1}
    params = model.get("params") or {}
    if estimator is ensemble.RandomForestClassifier and "n_estimators" not in params:
        params = defaults | params  # this release's bounded forest
    if estimator is ensemble.HistGradientBoostingClassifier:
        params = {"categorical_features": few} | params
    estimator(**params).fit(frame.fillna(-1), target)
    print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """)


def measure(args: list[str], cwd: Path, timeout: float, env: dict) -> tuple[float, float] | None:
    """(wall seconds, peak RSS in MB) of a command, or None when it passed the time-out."""
    report = cwd / "time.txt"
    try:
        subprocess.run(
            ["/usr/bin/time", "-o", str(report), "-f", "%e %M", *args],
            cwd=cwd,
            env=env,
            check=True,
            timeout=timeout,
            capture_output=True,
        )
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as error:
        sys.exit(f"{' '.join(args)} failed:\n{error.stderr.decode()[-3000:]}")
    seconds, kilobytes = report.read_text().split()[-2:]
    return float(seconds), int(kilobytes) / 1024


def folder_size(path: Path) -> float:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file()) / 2**20


def render_head(where: Path) -> Path:
    from copier import run_copy

    project = where / "scale-project"
    run_copy(str(ROOT), project, vcs_ref="HEAD", defaults=True, unsafe=True, skip_tasks=True)
    run([sys.executable, "-m", "uv", "sync", "--locked"], cwd=project, timeout=1800)
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a generated project with its .venv")
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--timeout", type=float, default=900, help="seconds per command")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="berth-scale-") as tmp:
        tmp = Path(tmp)
        project = (options.project or render_head(tmp)).resolve()
        python = project / ".venv" / "bin" / "python"
        package = next(path.parent.name for path in (project / "src").glob("*/__main__.py"))
        # Users have bytecode caches; this machine's PYTHONDONTWRITEBYTECODE would recompile.
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        print(f"project: {project}  estimator: {estimator_of(project)}")
        print(
            "rows | train s | train peak MB | model MB | floor s | floor peak MB | time x | peak x"
        )
        for rows in options.rows:
            work = tmp / f"rows-{rows}"
            work.mkdir()
            shutil.copy(project / "params.yaml", work / "params.yaml")
            data = work / "table.parquet"
            run([str(python), TABLE, str(rows), str(data)], timeout=options.timeout)
            floor = measure(
                [str(python), "-c", FLOOR, str(data), "params.yaml"], work, options.timeout, env
            )
            train = measure(
                [str(python), "-m", package, "train", "--data", str(data), "--target", "churned"],
                work,
                options.timeout,
                env | {"MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}"},
            )
            print(row(rows, train, floor, work / "models" / "model"), flush=True)
            shutil.rmtree(work)


def estimator_of(project: Path) -> str:
    return yaml.safe_load((project / "params.yaml").read_text())["model"]["estimator"]


def row(rows: int, train, floor, model: Path) -> str:
    def cells(found):
        return ["stopped", "-"] if found is None else [f"{found[0]:.1f}", f"{found[1]:.0f}"]

    ratios = ["-", "-"]
    if train and floor:
        ratios = [f"{train[0] / floor[0]:.2f}", f"{train[1] / floor[1]:.2f}"]
    size = f"{folder_size(model):.1f}" if train and model.is_dir() else "-"
    return " | ".join([f"{rows:,}", *cells(train), size, *cells(floor), *ratios])


if __name__ == "__main__":
    main()
