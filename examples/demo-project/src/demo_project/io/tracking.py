"""MLflow at the edge: tracking URI, runs, model logging, the registry and its aliases."""

from __future__ import annotations

import functools
import importlib.util
import io
import logging
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr
from importlib import metadata
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature, infer_signature
from mlflow.tracking import MlflowClient
from mlflow.types.schema import AnyType, ColSpec, Schema

from ..errors import ProjectError

log = logging.getLogger(__name__)

EXPERIMENT_NAME = "demo-project"
REGISTERED_MODEL_NAME = "demo-project"
CHAMPION_ALIAS = "champion"
CHALLENGER_ALIAS = "challenger"
DEFAULT_STORE = "mlflow.db"


def tracking_uri() -> str:
    """MLFLOW_TRACKING_URI, or a SQLite store inside the project."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path.cwd() / DEFAULT_STORE}"


def _is_database(uri: str) -> bool:
    """A database store (SQLite, PostgreSQL...), which needs the full `mlflow` package."""
    scheme = uri.partition(":")[0].partition("+")[0]
    return scheme in {"sqlite", "postgresql", "mysql", "mssql"}


def connect() -> MlflowClient:
    """Point MLflow at the tracking store and the project's experiment."""
    uri = tracking_uri()
    if _is_database(uri) and importlib.util.find_spec("sqlalchemy") is None:
        raise ProjectError(
            f"cannot track to {uri}: this environment has the MLflow client only (the prod "
            "image); set MLFLOW_TRACKING_URI to an MLflow server, e.g. http://mlflow:5000 "
            "from `docker compose up --detach mlflow`"
        )
    mlflow.set_tracking_uri(uri)
    try:
        with _one_attempt():
            mlflow.set_experiment(EXPERIMENT_NAME)
    except MlflowException as error:
        raise ProjectError(
            f"cannot reach MLflow at {uri}: {error.message.splitlines()[0]}"
        ) from error
    return MlflowClient()


@contextmanager
def _one_attempt() -> Iterator[None]:
    """One attempt, no retries: a wrong address (refused, unknown host) fails at once.

    A server that answers slowly gets a minute (its first request on a loaded machine can
    take tens of seconds), or MLFLOW_HTTP_REQUEST_TIMEOUT when you set it.
    """
    names = ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")
    saved = {name: os.environ.get(name) for name in names}
    os.environ[names[0]] = "0"
    os.environ.setdefault(names[1], "60")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _DebugLog(io.TextIOBase):
    """What MLflow prints straight to stderr ("Successfully registered model..."), as debug logs.

    Those lines would bypass the log level; the project logs its own line for each event.
    """

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                log.debug("MLflow: %s", line.strip())
        return len(text)


class Terminated(KeyboardInterrupt):
    """SIGTERM (`docker stop`, `kill`) during a run: handled like Ctrl+C."""


class _Interruptions:
    """Ctrl+C and SIGTERM during a run: raised at once, except inside a call to the store.

    An exception raised in the middle of a store write can leave its transaction open and
    the store locked (SQLite), so the run could not be marked KILLED: inside `held()`, the
    interruption waits until the call returns.
    """

    def __init__(self) -> None:
        self.depth = 0
        self.pending: int | None = None

    def handle(self, signum, frame) -> None:
        if self.depth:
            self.pending = signum
            return
        raise _interruption(signum)

    @contextmanager
    def held(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            if not self.depth and self.pending is not None:
                signum, self.pending = self.pending, None
                raise _interruption(signum)


_INTERRUPTIONS = _Interruptions()
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _interruption(signum: int) -> KeyboardInterrupt:
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _uninterrupted(function):
    """A store call that Ctrl+C or SIGTERM never cuts in the middle (see _Interruptions)."""

    @functools.wraps(function)
    def call(*args, **kwargs):
        with _INTERRUPTIONS.held():
            return function(*args, **kwargs)

    return call


@contextmanager
def run(
    run_id: str | None = None, name: str | None = None, tags: dict[str, str] | None = None
) -> Iterator[Any]:
    """Start a new run, or resume `run_id`, with `tags` (e.g. the code and data provenance).

    A new run that fails ends FAILED, and one interrupted (Ctrl+C, SIGTERM) ends KILLED,
    never RUNNING. A resumed run (evaluate adds to the training run) keeps FINISHED whatever
    happens to the evaluation: the model it holds is still complete.
    """
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {signum: signal.signal(signum, _INTERRUPTIONS.handle) for signum in _SIGNALS}
    try:
        with _INTERRUPTIONS.held():
            active = mlflow.start_run(run_id=run_id, run_name=name, tags=tags)
        with redirect_stderr(_DebugLog()):
            yield active
    except KeyboardInterrupt:
        _end_run("FINISHED" if run_id else "KILLED")
        raise
    except BaseException:
        _end_run("FINISHED" if run_id else "FAILED")
        raise
    else:
        _end_run("FINISHED")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@_uninterrupted
def _end_run(status: str) -> None:
    mlflow.end_run(status)


@_uninterrupted
def log_trial(name: str, params: dict[str, Any], metrics: dict[str, float]) -> None:
    """One trial of a search, as a run nested under the active run."""
    with redirect_stderr(_DebugLog()), mlflow.start_run(run_name=name, nested=True):
        log_params(params)
        log_metrics(metrics)


@_uninterrupted
def set_tags(tags: dict[str, str]) -> None:
    mlflow.set_tags(tags)


@_uninterrupted
def log_params(params: dict[str, Any]) -> None:
    mlflow.log_params({key: "null" if value is None else value for key, value in params.items()})


@_uninterrupted
def log_metrics(metrics: dict[str, float]) -> None:
    mlflow.log_metrics(metrics)


@_uninterrupted
def log_text(text: str, name: str) -> None:
    mlflow.log_text(text, name)


@_uninterrupted
def log_artifact(path: Path, folder: str | None = None) -> None:
    mlflow.log_artifact(str(path), artifact_path=folder)


def _own_types(pipeline) -> list[str]:
    """Types skops must trust to reload the pipeline this project just trained.

    MLflow stores scikit-learn models with skops, which refuses unknown types on load; the
    model is our own, so skops lists what it is made of from the model's serialised form (a
    few MB with the default estimators: a fraction of a second).
    """
    import skops.io

    return sorted(skops.io.get_untrusted_types(data=skops.io.dumps(pipeline)))


# What a scikit-learn pipeline needs to load elsewhere. Listing it ourselves spares MLflow's
# requirement inference, which re-imports the model in a subprocess (about 10 s a call).
MODEL_REQUIREMENTS = ("scikit-learn", "skops", "pandas", "numpy", "scipy")


def _model_requirements() -> list[str]:
    # mlflow.__version__: the prod image has the mlflow-skinny distribution, not `mlflow`.
    return [f"mlflow=={mlflow.__version__}"] + [
        f"{name}=={metadata.version(name)}" for name in MODEL_REQUIREMENTS
    ]


def _signature(pipeline, columns: list[dict[str, Any]], example: pd.DataFrame) -> ModelSignature:
    """The input schema as the training data says (types, required columns); outputs inferred."""
    inputs = Schema(
        [
            ColSpec(
                AnyType() if spec["type"] == "any" else spec["type"],
                spec["name"],
                required=spec["required"],
            )
            for spec in columns
        ]
    )
    outputs = infer_signature(model_output=pipeline.predict(example)).outputs
    return ModelSignature(inputs=inputs, outputs=outputs)


def _model_options(
    pipeline, x_train: pd.DataFrame, columns: list[dict[str, Any]]
) -> dict[str, Any]:
    """Signature, input example, trusted types and requirements: computed once per model.

    The example is five training rows with a value in every column (none when no row is
    complete): a gap in an example becomes null in JSON, which some clients read otherwise.
    """
    names = [spec["name"] for spec in columns]
    complete = x_train[names].dropna().head(5)
    example = complete if len(complete) else x_train[names].head(5)
    return {
        "signature": _signature(pipeline, columns, example),
        "input_example": complete if len(complete) else None,
        "skops_trusted_types": _own_types(pipeline),
        "pip_requirements": _model_requirements(),
    }


@_uninterrupted
def log_model(
    pipeline, x_train: pd.DataFrame, columns: list[dict[str, Any]], local_copy: Path
) -> tuple[str, int | None]:
    """Log and register the model, then keep a local copy; return (model URI, version).

    The local copy is the logged model itself, downloaded (a file copy for a local store),
    and replaces the previous one only once complete.
    """
    info = mlflow.sklearn.log_model(
        pipeline,
        name="model",
        registered_model_name=REGISTERED_MODEL_NAME,
        **_model_options(pipeline, x_train, columns),
    )
    version = info.registered_model_version
    if version is not None:
        MlflowClient().set_registered_model_alias(REGISTERED_MODEL_NAME, CHALLENGER_ALIAS, version)
    staging = local_copy.with_name(f".{local_copy.name}.new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    mlflow.artifacts.download_artifacts(artifact_uri=info.model_uri, dst_path=str(staging))
    shutil.rmtree(local_copy, ignore_errors=True)
    staging.rename(local_copy)
    return info.model_uri, version


# Storage a model URI may point at, and the package the MLflow client needs to read it.
STORAGE_CLIENTS = {
    "s3": ("boto3", "boto3", "S3"),
    "gs": ("google.cloud.storage", "google-cloud-storage", "Google Cloud Storage"),
    "wasbs": ("azure.storage.blob", "azure-storage-blob", "Azure Blob Storage"),
}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def check_storage_client(uri: str) -> None:
    """Refuse, in one line naming the package to install, a URI whose storage client is absent."""
    scheme = uri.partition("://")[0].lower() if "://" in uri else ""
    if scheme in STORAGE_CLIENTS:
        module, package, storage = STORAGE_CLIENTS[scheme]
        if not _installed(module):
            raise ProjectError(
                f"{uri}: reading from {storage} needs the {package} package, which this "
                f"environment lacks; add it with `uv add {package}`"
            )


def load_model(uri: str | Path):
    """Load a pyfunc model from a local folder or any MLflow model URI."""
    uri = str(uri)
    if "://" not in uri and ":/" not in uri and not Path(uri).exists():
        raise ProjectError(f"{uri}: no model found; run `train` first or pass --model")
    check_storage_client(uri)
    try:
        return mlflow.pyfunc.load_model(uri)
    except (MlflowException, OSError) as error:
        message = getattr(error, "message", str(error)).splitlines()[0]
        raise ProjectError(f"cannot load model {uri}: {message}") from error


def input_schema(model) -> list[dict[str, Any]]:
    """The model signature's input columns as plain dictionaries."""
    schema = model.metadata.get_input_schema()
    if schema is None:
        raise ProjectError("the model has no signature; retrain it with this project's `train`")
    return [
        {
            "name": spec.name,
            "type": str(spec.type.name if hasattr(spec.type, "name") else spec.type).lower(),
            "required": spec.required,
        }
        for spec in schema.inputs
    ]


def champion_uri() -> str:
    """The registry URI of the current champion (what serving code loads)."""
    return f"models:/{REGISTERED_MODEL_NAME}@{CHAMPION_ALIAS}"


def trained_for(client: MlflowClient, run_id: str) -> tuple[str | None, str | None]:
    """The task and the target column a training run fitted its model for (None: unknown)."""
    try:
        params = client.get_run(run_id).data.params
    except MlflowException:  # a deleted run, or one from another store
        return None, None
    return params.get("task.resolved"), params.get("data.target")


def _check_version(client: MlflowClient, version: int | str) -> None:
    """Refuse, in one line, a version the registry does not hold."""
    try:
        client.get_model_version(REGISTERED_MODEL_NAME, str(version))
    except MlflowException as error:
        message = error.message.splitlines()[0]
        raise ProjectError(f"cannot promote version {version}: {message}") from error


def champion_version(client: MlflowClient) -> Any | None:
    """The model version holding the champion alias, if any."""
    try:
        return client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    except MlflowException:
        return None


def resolve_model_uri(uri: str) -> tuple[str, str | None]:
    """Pin a registry URI to a version: (models:/NAME/VERSION, VERSION); others as they are.

    models:/NAME@ALIAS and models:/NAME/latest name whatever the registry says now; a server
    resolves them once at start, so it serves one version until restarted.
    """
    if not uri.startswith("models:/"):
        return uri, None
    name, _, ref = uri.removeprefix("models:/").partition("@")
    client = MlflowClient()
    try:
        if ref:
            version = client.get_model_version_by_alias(name, ref).version
        else:
            name, _, number = name.partition("/")
            if number.isdigit():
                return uri, number
            version = max(int(found.version) for found in client.get_latest_versions(name))
    except MlflowException as error:
        detail = error.message.splitlines()[0]
        if ref == CHAMPION_ALIAS:
            detail = "no champion yet; run `train` then `evaluate`, or pass --model"
        raise ProjectError(f"cannot serve {uri}: {detail}") from error
    except ValueError as error:  # no version at all
        raise ProjectError(f"cannot serve {uri}: the model has no version") from error
    return f"models:/{name}/{version}", str(version)


def download_model(uri: str, folder: Path) -> Path:
    """Copy the model at `uri` into `folder` (a server loads it from there)."""
    try:
        return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(folder)))
    except (MlflowException, OSError) as error:
        message = getattr(error, "message", str(error)).splitlines()[0]
        raise ProjectError(f"cannot load model {uri}: {message}") from error


@_uninterrupted
def promote(client: MlflowClient, version: int | str) -> None:
    _check_version(client, version)
    client.set_registered_model_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS, str(version))
