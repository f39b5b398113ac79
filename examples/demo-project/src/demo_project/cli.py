"""Command line: `demo-project prepare | train | tune | evaluate | predict | serve` (the Docker entrypoint).

The edge only: options, a progress bar and one-line errors. `jobs` do the work (notebooks
call them the same way) and load the heavy libraries, so `--help` answers at once.
"""

from __future__ import annotations

from pathlib import Path

import click

from .io import console
from .io.console import FILE, ProgressLine, ProjectGroup
from .io.params import with_settings

PORT = click.IntRange(1, 65535)
LOG_LEVELS = click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False)
DISTRIBUTION = "demo-project"  # as pip and uv know it


def run_job(name: str, settings, *args, **options):
    """Run `jobs.<name>` with a progress line on a terminal (elsewhere the logs tell the story)."""
    with ProgressLine(name) as line:
        line.update(0, 1, "loading libraries")
        from . import jobs

        def show(step) -> None:
            line.update(step.done, step.total, step.label)

        return getattr(jobs, name)(settings, *args, progress=show, **options)


@click.group(cls=ProjectGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--params", "params_path", type=FILE, help="Settings file  [default: params.yaml].")
@click.option("--log-level", type=LOG_LEVELS, help="Override LOG_LEVEL for this command.")
@click.version_option(package_name=DISTRIBUTION, message="%(package)s %(version)s")
@click.pass_context
def main(ctx: click.Context, params_path: Path | None, log_level: str | None) -> None:
    """A machine-learning project built from the Berth template.

    Train a model, evaluate it on its held-out split and predict on new data, tracked in
    MLflow (MLFLOW_TRACKING_URI, or ./mlflow.db when unset). `prepare` then `train
    --from-splits` do what `train` does, in two steps (as dvc.yaml runs them).
    """
    from .io.logs import configure_logging

    configure_logging(log_level)
    ctx.obj = params_path  # read by each command (`with_settings`)


@main.command()
@console.data_options
@with_settings
def prepare(settings, data_path: Path | None, target: str | None, task: str | None) -> None:
    """Load the data and split it (seeded) into the train and test files.

    Writes outputs.train_split and outputs.test_split, which `train --from-splits` and
    `evaluate` read. `train` alone does the same before fitting.
    """
    settings = settings.override({"data.path": data_path, "data.target": target, "task": task})
    run_job("prepare", settings)


@main.command()
@console.data_options
@click.option("--from-splits", is_flag=True, help="Fit on the splits `prepare` wrote.")
@with_settings
def train(settings, data_path: Path | None, target: str | None, task: str | None, from_splits):
    """Load data, split it (seeded), fit the pipeline, log and register it in MLflow.

    Saves the model to models/model and the held-out split for `evaluate`. With
    --from-splits, fits on the splits `prepare` wrote and leaves them untouched.
    """
    if from_splits and data_path is not None:
        raise click.UsageError("--data cannot be combined with --from-splits; pass it to `prepare`")
    settings = settings.override({"data.path": data_path, "data.target": target, "task": task})
    run_job("train", settings, from_splits=from_splits)


@main.command()
@console.scheduler_option
@with_settings
def tune(settings, **cluster) -> None:
    """Search the `tune:` space of params.yaml, then train the best arguments like `train`.

    Each trial is an MLflow run nested under one 'tune' run. The best model is registered as
    a challenger if it beats the baseline; `evaluate` then decides on the champion.
    """
    run_job("tune", settings, **cluster)


@main.command()
@click.option("--promote/--no-promote", default=True, help="Apply the champion rule (default).")
@with_settings
def evaluate(settings, promote: bool) -> None:
    """Evaluate the last trained model on its held-out split.

    Writes the metrics (JSON) and an evaluation plot (PNG), logs both to the training run, and
    gives the model the 'champion' alias when it scores at least as well as the champion.
    """
    run_job("evaluate", settings, promote=promote)


@main.command()
@click.option("--version", "version", help="Model version [default: the last trained model].")
@with_settings
def promote(settings, version: str | None) -> None:
    """Give a model version the 'champion' alias by hand.

    For what `evaluate` cannot decide: when the champion cannot score the new model's
    held-out rows (the columns, target or task changed), it keeps its alias until you run this.
    """
    run_job("promote_version", settings, version)


@main.command()
@console.predict_options
@console.scheduler_option
@with_settings
def predict(settings, input_path: Path, output_path: Path, model_uri: str | None, **cluster):
    """Batch predictions: the input rows plus a 'prediction' column, written to --output.

    The input must hold the columns of the model's signature (extra columns are kept);
    otherwise nothing is written. --model takes a folder or any MLflow model URI, such as
    models:/demo-project@champion or runs:/<run id>/model. A parquet folder or glob
    (or --scheduler) is scored partition by partition into the folder --output.
    """
    run_job("predict", settings, input_path, output_path, model=model_uri, **cluster)


@main.command()
@click.option("--model", "model_uri", help="MLflow model URI or folder [default: the champion].")
@click.option("--host", envvar="SERVE_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="SERVE_PORT", type=PORT, default=8080, show_default=True)
@click.option("--workers", envvar="SERVE_WORKERS", type=click.IntRange(1), help="[default: cores]")
@click.option("--timeout", type=click.IntRange(1), default=60, show_default=True, help="Seconds.")
@with_settings
def serve(settings, model_uri: str | None, host: str, port: int, workers: int | None, timeout: int):
    """Serve the champion (or --model) over HTTP with MLflow's scoring server until stopped.

    POST /invocations takes JSON (dataframe_split, dataframe_records) or CSV; GET /ping. The
    alias is resolved at start: restart to serve a new champion. SERVE_HOST, SERVE_PORT and
    SERVE_WORKERS set the defaults (the prod image listens on 0.0.0.0).
    """
    from . import jobs

    jobs.serve(settings, model=model_uri, host=host, port=port, workers=workers, timeout=timeout)
