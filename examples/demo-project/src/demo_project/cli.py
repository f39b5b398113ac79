"""Command line: `demo-project prepare | train | evaluate | predict` (also the Docker entrypoint).

Commands wire the pure core (features, model, metrics, plots, schema) to the edges
(dataio for files, tracking for MLflow). Heavy libraries load inside the commands so
that `--help` answers at once.
"""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path

import click

from .errors import ProjectError

log = logging.getLogger("demo_project")
PROJECT_NAME = "demo-project"


# A command imports MLflow, scikit-learn and pandas (some 300,000 objects) and then ends.
# Full garbage collections walk all of them several times during those imports and again
# at exit, 1-2 s of CPU a command, and free next to nothing; young collections stay as they are.
FULL_COLLECTION_THRESHOLD = 10_000


class ProjectGroup(click.Group):
    """Turn ProjectError into Click's one-line `Error: ...` and exit status 1."""

    def main(self, args=None, **extra):
        """Run as the program (console script, `python -m`) with fewer full collections.

        Called with `args` (tests, notebooks) or with `standalone_mode=False`, the process
        goes on after the command, so the collector keeps its settings.
        """
        if args is not None or not extra.get("standalone_mode", True):
            return super().main(args, **extra)
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_COLLECTION_THRESHOLD)
        try:
            return super().main(args, **extra)
        finally:
            gc.collect()  # finalise what the command left, as the exit would
            gc.freeze()  # and let the interpreter exit without walking every object again

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ProjectError as error:
            raise click.ClickException(str(error)) from error


@click.group(cls=ProjectGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--params",
    "params_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="params.yaml",
    show_default=True,
    help="Settings file (data, split, model, outputs).",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default=None,
    help="Override LOG_LEVEL for this command.",
)
@click.version_option(package_name="demo-project")
@click.pass_context
def main(ctx: click.Context, params_path: Path, log_level: str | None) -> None:
    """A machine-learning project built from the Berth template.

    Train a model, evaluate it on its held-out split, and predict on new data.
    Runs are tracked in MLflow (MLFLOW_TRACKING_URI, or ./mlflow.db when unset).
    `train` alone loads, splits and fits; `prepare` then `train --from-splits` do the same
    in two steps, as the DVC pipeline (dvc.yaml) runs them.
    """
    from .dataio import read_params
    from .logs import configure_logging

    configure_logging(log_level)
    ctx.obj = read_params(params_path)


def _progress(length: int, label: str):
    return click.progressbar(
        length=length,
        label=label,
        item_show_func=lambda step: step,
        file=sys.stderr,
        show_eta=False,
        hidden=not sys.stderr.isatty(),  # logs tell the story in pipes and CI
    )


def _data_options(command):
    """--data, --target and --task: the data source options `prepare` and `train` share."""
    options = [
        click.option(
            "--data",
            "data_path",
            type=click.Path(dir_okay=False),
            default=None,
            help="CSV or parquet file to train on (overrides data.path; default: the built-in penguins data).",
        ),
        click.option("--target", default=None, help="Column to predict (overrides data.target)."),
        click.option(
            "--task",
            type=click.Choice(["auto", "classification", "regression"]),
            default=None,
            help="Override the task; 'auto' infers it from the target column.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _override(settings, data_path: str | None, target: str | None, task: str | None):
    from dataclasses import replace

    settings = settings.with_data(data_path, target)
    return settings if task is None else replace(settings, task=task)


def _load_and_split(settings):
    """Load the configured data and split it (seeded): (split, resolved task)."""
    from . import dataio
    from .features import infer_task, split_features_target
    from .model import split_data

    frame = dataio.load_dataset(settings.data.path)
    features, labels = split_features_target(frame, settings.data.target)
    resolved_task = infer_task(labels, settings.task)
    split = split_data(
        features, labels, resolved_task, settings.split.test_size, settings.split.seed
    )
    return split, resolved_task


def _write_splits(split, settings) -> None:
    from . import dataio

    target, outputs = settings.data.target, settings.outputs
    dataio.write_split(split.x_train, split.y_train, target, Path(outputs.train_split))
    dataio.write_split(split.x_test, split.y_test, target, Path(outputs.test_split))


def _read_splits(settings):
    """The splits `prepare` wrote, and the task their labels imply: (split, resolved task)."""
    import pandas as pd

    from . import dataio
    from .features import infer_task
    from .model import Split

    target, outputs = settings.data.target, settings.outputs
    hint = "run `prepare` first"
    x_train, y_train = dataio.read_split(Path(outputs.train_split), target, hint)
    x_test, y_test = dataio.read_split(Path(outputs.test_split), target, hint)
    # The task is inferred from every labelled row, as `train` alone does before splitting.
    resolved_task = infer_task(pd.concat([y_train, y_test], ignore_index=True), settings.task)
    return Split(x_train, x_test, y_train, y_test), resolved_task


@main.command()
@_data_options
@click.pass_obj
def prepare(settings, data_path: str | None, target: str | None, task: str | None) -> None:
    """Load the data and split it (seeded) into the train and test files.

    Writes outputs.train_split and outputs.test_split, which `train --from-splits` and
    `evaluate` read. `train` alone does the same before fitting.
    """
    settings = _override(settings, data_path, target, task)
    split, resolved_task = _load_and_split(settings)
    _write_splits(split, settings)
    log.info(
        "Split %d rows for %s into %d train rows (%s) and %d test rows (%s)",
        len(split.x_train) + len(split.x_test),
        resolved_task,
        len(split.x_train),
        settings.outputs.train_split,
        len(split.x_test),
        settings.outputs.test_split,
    )


@main.command()
@_data_options
@click.option(
    "--from-splits",
    is_flag=True,
    help="Fit on the splits `prepare` wrote instead of loading and splitting the data.",
)
@click.pass_obj
def train(
    settings, data_path: str | None, target: str | None, task: str | None, from_splits: bool
) -> None:
    """Load data, split it (seeded), fit the pipeline, log and register it in MLflow.

    Saves the model to models/model and the held-out split for `evaluate`. With
    --from-splits, fits on the splits `prepare` wrote and leaves them untouched.
    """
    from . import dataio, provenance, tracking
    from .metrics import compute_metrics
    from .model import build_pipeline, fit
    from .settings import flatten

    if from_splits and data_path is not None:
        raise click.UsageError("--data cannot be combined with --from-splits; pass it to `prepare`")
    settings = _override(settings, data_path, target, task)
    outputs = settings.outputs
    with _progress(5, "train") as bar:
        if from_splits:
            bar.update(0, "reading splits")
            split, resolved_task = _read_splits(settings)
            inputs = [Path(outputs.train_split), Path(outputs.test_split)]
        else:
            bar.update(0, "loading data")
            split, resolved_task = _load_and_split(settings)
            inputs = [Path(settings.data.path)] if settings.data.path else []
        bar.update(1, "fitting model")
        pipeline = build_pipeline(
            resolved_task, settings.model.estimator, settings.model.params, settings.split.seed
        )
        fit(pipeline, split.x_train, split.y_train)
        train_metrics = compute_metrics(
            resolved_task, split.y_train, pipeline.predict(split.x_train)
        )
        bar.update(1, "saving splits" if not from_splits else "splits ready")
        if not from_splits:
            _write_splits(split, settings)
        bar.update(1, "logging to MLflow and saving the model")
        tracking.connect()
        with tracking.run(tags=provenance.run_tags(inputs)) as active:
            tracking.log_params(
                flatten(settings)
                | {
                    "task.resolved": resolved_task,
                    "data.source": settings.data.path or dataio.BUILTIN_DATASET,
                }
            )
            tracking.log_metrics(
                {f"train_{name}": value for name, value in train_metrics.items()}
                | {"train_rows": len(split.x_train), "test_rows": len(split.x_test)}
            )
            model_uri, version = tracking.log_model(
                pipeline, split.x_train, Path(outputs.model_dir)
            )
        bar.update(1, "done")
    dataio.write_json(
        {
            "run_id": active.info.run_id,
            "model_uri": model_uri,
            "registered_model": tracking.REGISTERED_MODEL_NAME,
            "version": version,
            "task": resolved_task,
            "target": settings.data.target,
        },
        Path(outputs.run_info),
    )
    log.info(
        "Trained a %s model on %d rows (run %s, registered version %s)",
        resolved_task,
        len(split.x_train),
        active.info.run_id,
        version,
    )


@main.command()
@click.option(
    "--promote/--no-promote",
    default=True,
    show_default=True,
    help="Move the 'champion' alias to this model when it scores at least as well as the current champion.",
)
@click.pass_obj
def evaluate(settings, promote: bool) -> None:
    """Evaluate the last trained model on its held-out split.

    Writes the metrics (JSON) and an evaluation plot (PNG), logs both to the training run,
    and moves the 'champion' alias when the model is at least as good as the champion on
    the same held-out rows.
    """
    from . import dataio, tracking
    from .features import normalise_features
    from .metrics import PRIMARY_METRIC, compute_metrics, is_better
    from .plots import evaluation_figure

    outputs = settings.outputs
    run_info = dataio.read_json(Path(outputs.run_info), "run `train` first")
    task, target = run_info["task"], run_info["target"]
    x_test, y_test = dataio.read_split(Path(outputs.test_split), target)
    model = tracking.load_model(outputs.model_dir)
    y_pred = model.predict(normalise_features(x_test))
    scores = compute_metrics(task, y_test, y_pred)
    figure = evaluation_figure(task, y_test, y_pred, PROJECT_NAME)
    dataio.write_json({"task": task, "rows": len(y_test)} | scores, Path(outputs.metrics))
    dataio.save_figure(figure, Path(outputs.plot))

    client = tracking.connect()
    with tracking.run(run_id=run_info["run_id"]):
        tracking.log_metrics({f"test_{name}": value for name, value in scores.items()})
        tracking.log_artifact(Path(outputs.metrics), "evaluation")
        tracking.log_artifact(Path(outputs.plot), "evaluation")
    primary, _ = PRIMARY_METRIC[task]
    log.info("Held-out %s: %.4f (%s)", primary, scores[primary], Path(outputs.metrics))

    version = run_info.get("version")
    if not promote or version is None:
        return
    champion = tracking.champion_version(client)
    if champion is not None and str(champion.version) != str(version):
        try:
            incumbent_model = tracking.load_model(
                f"models:/{tracking.REGISTERED_MODEL_NAME}@{tracking.CHAMPION_ALIAS}"
            )
            incumbent = compute_metrics(
                task, y_test, incumbent_model.predict(normalise_features(x_test))
            )
        except Exception as error:  # a champion for other data or another task cannot compete
            log.warning(
                "The champion cannot score this split (%s); replacing it",
                str(error).splitlines()[0],
            )
        else:
            if not is_better(task, scores, incumbent):
                log.info(
                    "Champion (version %s) keeps its alias: %s %.4f vs %.4f",
                    champion.version,
                    primary,
                    incumbent[primary],
                    scores[primary],
                )
                return
    tracking.promote(client, version)
    log.info("Version %s is now '%s'", version, tracking.CHAMPION_ALIAS)


@main.command()
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV or parquet file with the feature columns (extra columns are kept in the output).",
)
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the input rows plus a 'prediction' column (.csv or .parquet).",
)
@click.option(
    "--model",
    "model_uri",
    default=None,
    help="MLflow model URI (models:/NAME@champion, runs:/RUN_ID/model) or folder; default: the model saved by `train`.",
)
@click.pass_obj
def predict(settings, input_path: Path, output_path: Path, model_uri: str | None) -> None:
    """Batch predictions from a CSV or parquet file, checked against the model's signature."""
    from . import dataio, tracking
    from .features import normalise_features
    from .schema import check_against_schema

    if output_path.suffix.lower() not in dataio.TABLE_SUFFIXES:
        raise ProjectError(f"{output_path}: unsupported output type; use .csv or .parquet")
    frame = dataio.read_table(input_path)
    if model_uri and ":/" in model_uri:
        tracking.connect()
    model = tracking.load_model(model_uri or settings.outputs.model_dir)
    features = check_against_schema(frame, tracking.input_schema(model))
    predictions = model.predict(normalise_features(features))
    dataio.write_table(frame.assign(prediction=list(predictions)), output_path)
    log.info("Wrote %d predictions to %s", len(frame), output_path)
