"""MLflow at the edge: tracking URI, runs, model logging, the registry and its aliases."""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient

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
        mlflow.set_experiment(EXPERIMENT_NAME)
    except MlflowException as error:
        raise ProjectError(
            f"cannot reach MLflow at {uri}: {error.message.splitlines()[0]}"
        ) from error
    return MlflowClient()


@contextmanager
def run(
    run_id: str | None = None, name: str | None = None, tags: dict[str, str] | None = None
) -> Iterator[Any]:
    """Start a new run, or resume `run_id`, with `tags` (e.g. the code and data provenance)."""
    with mlflow.start_run(run_id=run_id, run_name=name, tags=tags) as active:
        yield active


def log_params(params: dict[str, Any]) -> None:
    mlflow.log_params({key: "null" if value is None else value for key, value in params.items()})


def log_metrics(metrics: dict[str, float]) -> None:
    mlflow.log_metrics(metrics)


def log_artifact(path: Path, folder: str | None = None) -> None:
    mlflow.log_artifact(str(path), artifact_path=folder)


def _own_types(pipeline) -> list[str]:
    """Types skops must trust to reload the pipeline this project just trained.

    MLflow stores scikit-learn models with skops, which refuses unknown types on load;
    the model is our own, so we list exactly the types it contains.
    """
    import skops.io

    return skops.io.get_untrusted_types(data=skops.io.dumps(pipeline))


# What a scikit-learn pipeline needs to load elsewhere. Listing it ourselves spares MLflow's
# requirement inference, which re-imports the model in a subprocess (about 10 s a call).
MODEL_REQUIREMENTS = ("scikit-learn", "skops", "pandas", "numpy", "scipy")


def _model_requirements() -> list[str]:
    # mlflow.__version__: the prod image has the mlflow-skinny distribution, not `mlflow`.
    return [f"mlflow=={mlflow.__version__}"] + [
        f"{name}=={metadata.version(name)}" for name in MODEL_REQUIREMENTS
    ]


def _model_options(pipeline, x_example: pd.DataFrame) -> dict[str, Any]:
    """Signature, input example, trusted types and requirements: computed once per model."""
    example = x_example.head(5)
    return {
        "signature": infer_signature(example, pipeline.predict(example)),
        "input_example": example,
        "skops_trusted_types": _own_types(pipeline),
        "pip_requirements": _model_requirements(),
    }


def log_model(pipeline, x_example: pd.DataFrame, local_copy: Path) -> tuple[str, int | None]:
    """Log and register the model, then keep a local copy; return (model URI, version).

    The local copy is the logged model itself, downloaded (a file copy for a local store),
    and replaces the previous one only once complete.
    """
    info = mlflow.sklearn.log_model(
        pipeline,
        name="model",
        registered_model_name=REGISTERED_MODEL_NAME,
        **_model_options(pipeline, x_example),
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


def load_model(uri: str | Path):
    """Load a pyfunc model from a local folder or any MLflow model URI."""
    uri = str(uri)
    if "://" not in uri and ":/" not in uri and not Path(uri).exists():
        raise ProjectError(f"{uri}: no model found; run `train` first or pass --model")
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
            "type": str(spec.type.name if hasattr(spec.type, "name") else spec.type),
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


def champion_version(client: MlflowClient) -> Any | None:
    """The model version holding the champion alias, if any."""
    try:
        return client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    except MlflowException:
        return None


def promote(client: MlflowClient, version: int | str) -> None:
    client.set_registered_model_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS, str(version))


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
