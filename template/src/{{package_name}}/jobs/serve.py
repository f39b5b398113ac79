"""The serving job: a model behind MLflow's own scoring server, strict with bad requests.

`serve` resolves the model once at start (an alias such as @champion becomes the version it
points to, logged), copies it to a local folder, checks what can fail before any worker
starts (the port, the store, the model), then runs uvicorn with MLflow's FastAPI app in each
worker. MLflow's app answers GET /ping, /health, /version and POST /invocations
(`dataframe_split`, `dataframe_records` or CSV); `build_app` adds `StrictRequests` in front
of it (`io/strict_requests.py`), so every bad request gets a 4xx with a short JSON error and
never a stack trace.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import tempfile
from pathlib import Path

from ..core.schema import require_schema
from ..errors import ProjectError
from ..io import tracking
from ..io.strict_requests import MAX_BODY_BYTES, StrictRequests
from ..settings import Settings

log = logging.getLogger(__name__)

# What uvicorn's workers read to build the app (they are separate processes).
MODEL_PATH_VARIABLE = "SERVE_MODEL_PATH"
MODEL_VERSION_VARIABLE = "SERVE_MODEL_VERSION"
# The thread pools of scikit-learn's native code (OpenMP) and numpy's BLAS.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), the default worker count."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def serve(
    settings: Settings,
    *,
    model: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int | None = None,
    timeout: int = 60,
) -> None:
    """Serve `model` (default models:/<project>@champion) until stopped (Ctrl+C, SIGTERM).

    `model` is any MLflow model URI or a local model folder. Start-up problems (the port
    taken, the store unreachable, no champion yet, no such model) raise ProjectError before
    a worker starts. `settings` is taken like every job's; serving reads none of it today.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    listener = listening_socket(host, port)
    try:
        path, version = fetch_model(model or tracking.champion_uri())
    except BaseException:
        listener.close()  # no champion, store unreachable: the port is free again
        raise
    os.environ[MODEL_PATH_VARIABLE] = str(path)
    os.environ[MODEL_VERSION_VARIABLE] = version or ""
    # MLflow's own request time limit (its app answers 504 past it).
    os.environ["MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT"] = str(timeout)
    workers = workers or available_cores()
    share_cores(workers)
    config = uvicorn.Config(
        f"{__package__}.serve:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,  # the project's logging configuration stays in charge
        access_log=log.isEnabledFor(logging.DEBUG),  # one line per request: --log-level DEBUG
        timeout_graceful_shutdown=timeout,
        # A worker is restarted only when silent for longer than a request may take
        # (uvicorn's 5 s would kill workers busy on a loaded machine).
        timeout_worker_healthcheck=timeout,
    )
    log.info("Listening on http://%s:%d with %d worker(s)", host, port, workers)
    # Worker processes even for one: they start after share_cores, so the model's thread
    # pools read its settings (this process loaded them long before). Ctrl+C stops them.
    with listener, contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[listener]).run()


def share_cores(workers: int) -> None:
    """Give each worker's model thread pools an equal share of the cores (at least one).

    Without it every worker's OpenMP/BLAS pool would use every core, and the workers
    would fight over them. A variable the user set is left alone.
    """
    threads = str(max(1, available_cores() // workers))
    for variable in THREAD_VARIABLES:
        os.environ.setdefault(variable, threads)


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket listening on `host:port`, or one line saying why it cannot be.

    Bound here rather than by uvicorn: a socket opened as IPPROTO_TCP makes the event loop
    turn Nagle's algorithm off on every connection, so small responses are not held back
    waiting for the client's delayed ACK (about 40 ms per keep-alive request otherwise).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise ProjectError(f"cannot listen on {host}:{port}: {error.strerror}") from error
    listener.set_inheritable(True)  # the worker processes accept on it
    return listener


def fetch_model(uri: str) -> tuple[Path, str | None]:
    """The model as a local folder, and its registry version (None outside the registry).

    An alias (models:/NAME@champion) is resolved to its version now and logged, so every
    worker serves the same version even if the alias moves while the server runs.
    """
    if ":/" not in uri:
        path = Path(uri)
        if not (path / "MLmodel").is_file():
            raise ProjectError(f"{uri}: no model found (no MLmodel file); run `train` first")
        log.info("Serving the model in %s", uri)
        return path, None
    tracking.connect()
    pinned, version = tracking.resolve_model_uri(uri)
    log.info("Serving %s%s", uri, f": version {version} ({pinned})" if version else "")
    folder = Path(tempfile.mkdtemp(prefix="serve-model-"))
    tracking.download_model(pinned, folder)
    return folder, version


def app_from_environment():
    """What each uvicorn worker runs: the app for the model `serve` fetched."""
    from ..io.logs import configure_logging

    configure_logging(None)
    version = os.environ.get(MODEL_VERSION_VARIABLE) or None
    return build_app(os.environ[MODEL_PATH_VARIABLE], version=version)


def build_app(model_path: str | Path, *, version: str | None = None, limit: int = MAX_BODY_BYTES):
    """MLflow's scoring app for the model in `model_path`, behind `StrictRequests`."""
    from mlflow.pyfunc import scoring_server

    model = tracking.load_model(model_path)
    schema = tracking.input_schema(model)
    app = scoring_server.init(model)
    # Only the check: MLflow's handler reads the request again and converts it itself.
    check = functools.partial(require_schema, schema=schema)
    app.add_middleware(StrictRequests, check=check, limit=limit, version=version)
    return app
