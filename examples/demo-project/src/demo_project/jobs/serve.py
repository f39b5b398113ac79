"""The serving job: a model behind MLflow's own scoring server, strict with bad requests.

`serve` resolves the model once at start (an alias such as @champion becomes the version it
points to, logged), copies it to a local folder, checks what can fail before any worker
starts (the port, the store, the model), then runs uvicorn with MLflow's FastAPI app in each
worker. MLflow's app answers GET /ping, /health, /version and POST /invocations
(`dataframe_split`, `dataframe_records` or CSV); `build_app` adds `StrictRequests` in front
of it, so every bad request gets a 4xx with a short JSON error and never a stack trace.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.schema import check_against_schema
from ..errors import ProjectError
from ..io import tracking
from ..settings import Settings

log = logging.getLogger(__name__)

# A request body larger than this gets 413 (about 20,000 rows of a ten-column table).
MAX_BODY_BYTES = 5 * 1024 * 1024
JSON, CSV = "application/json", "text/csv"
JSON_FORMATS = ("dataframe_split", "dataframe_records")
# What uvicorn's workers read to build the app (they are separate processes).
MODEL_PATH_VARIABLE = "SERVE_MODEL_PATH"
MODEL_VERSION_VARIABLE = "SERVE_MODEL_VERSION"


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

    check_port_free(host, port)
    path, version = fetch_model(model or tracking.champion_uri())
    os.environ[MODEL_PATH_VARIABLE] = str(path)
    os.environ[MODEL_VERSION_VARIABLE] = version or ""
    # MLflow's own request time limit (its app answers 504 past it).
    os.environ["MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT"] = str(timeout)
    workers = workers or available_cores()
    log.info("Listening on http://%s:%d with %d worker(s)", host, port, workers)
    uvicorn.run(
        f"{__package__}.serve:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,  # the project's logging configuration stays in charge
        timeout_graceful_shutdown=timeout,
    )


def check_port_free(host: str, port: int) -> None:
    """Fail with one line when `host:port` cannot be listened on (taken, or no such address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ProjectError(f"cannot listen on {host}:{port}: {error.strerror}") from error


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
    app.add_middleware(StrictRequests, schema=schema, limit=limit, version=version)
    return app


class StrictRequests:
    """ASGI middleware: refuse bad /invocations requests with a 4xx and a short JSON error.

    Checks, in order: the Content-Type (415), the size (413), the body's syntax and shape
    (400), the columns against the model's signature (400, every mismatch named). A request
    that passes goes to MLflow's handler unchanged. Any error MLflow still returns loses its
    stack trace; an unexpected failure is a 500 with a generic message (the details go to the
    server's log). Responses name the served model version in `X-Model-Version`.
    """

    def __init__(self, app, *, schema: list[dict[str, Any]], limit: int, version: str | None):
        self.app, self.schema, self.limit = app, schema, limit
        self.headers = [(b"x-model-version", version.encode())] if version else []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        send = self._labelled(send)
        if scope["path"] != "/invocations" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        try:
            body = await self._checked_body(scope, receive)
        except RequestError as error:
            return await error.send(send)
        except Exception:
            log.exception("Unexpected error while reading a request")
            return await RequestError(500, "internal error; see the server's log").send(send)
        await self.app(scope, _replay(body), _without_traces(send))

    def _labelled(self, send):
        async def labelled(message):
            if message["type"] == "http.response.start" and self.headers:
                message = {**message, "headers": [*message.get("headers", []), *self.headers]}
            await send(message)

        return labelled

    async def _checked_body(self, scope, receive) -> bytes:
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        media_type = content_type.partition(";")[0].strip().lower()
        if media_type not in (JSON, CSV):
            got = f"got {content_type!r}" if content_type else "none given"
            raise RequestError(415, f"Content-Type must be {JSON} or {CSV} ({got})")
        declared = headers.get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limit:
            raise RequestError(413, f"request body over the limit of {self.limit} bytes")
        body = await _read_body(receive, self.limit)
        frame = parse_frame(body, media_type)
        try:
            check_against_schema(frame, self.schema)
        except ProjectError as error:
            raise RequestError(400, str(error)) from None
        return body


class RequestError(Exception):
    """A refused request: its status and the one-line message the client gets."""

    CODES = {400: "BAD_REQUEST", 413: "REQUEST_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE"}

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message

    async def send(self, send) -> None:
        code = self.CODES.get(self.status, "INTERNAL_ERROR")
        body = json.dumps({"error_code": code, "message": self.message}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [
                    (b"content-type", JSON.encode()),
                    (b"content-length", b"%d" % len(body)),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise RequestError(400, "the client closed the connection before the body ended")
        size += len(message.get("body", b""))
        if size > limit:
            raise RequestError(413, f"request body over the limit of {limit} bytes")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes):
    """An ASGI `receive` that hands the already-read body to the app behind."""
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def parse_frame(body: bytes, media_type: str) -> pd.DataFrame:
    """The table in a request body, or RequestError(400) saying what is wrong with it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(400, "the body is not UTF-8 text") from None
    if media_type == CSV:
        try:
            return pd.read_csv(StringIO(text))
        except (ValueError, pd.errors.ParserError) as error:
            raise RequestError(400, f"malformed CSV: {str(error).splitlines()[0]}") from None
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise RequestError(400, f"malformed JSON: {error}") from None
    keys = [key for key in JSON_FORMATS if isinstance(payload, dict) and key in payload]
    if len(keys) != 1:
        raise RequestError(
            400, "the JSON body must be an object with one key of " + ", ".join(JSON_FORMATS)
        )
    data = payload[keys[0]]
    try:
        if keys[0] == "dataframe_records":
            if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
                raise ValueError("expected a list of objects, one per row")
            return pd.DataFrame.from_records(data)
        if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
            raise ValueError('expected {"columns": [...], "data": [[...], ...]}')
        return pd.DataFrame(data.get("data", []), columns=data["columns"], index=data.get("index"))
    except (ValueError, TypeError, AssertionError) as error:
        raise RequestError(400, f"malformed {keys[0]}: {str(error).splitlines()[0]}") from None


def _without_traces(send):
    """Rewrite MLflow's own error responses to the same short JSON, without stack traces."""
    state: dict[str, Any] = {}

    async def rewritten(message):
        if message["type"] == "http.response.start" and message["status"] >= 400:
            state["start"], state["chunks"] = message, []
            return
        if "start" not in state:
            return await send(message)
        state["chunks"].append(message.get("body", b""))
        if message.get("more_body", False):
            return
        start = state.pop("start")
        status = start["status"]
        await RequestError(status, _short_message(b"".join(state["chunks"]), status)).send(send)

    return rewritten


def _short_message(body: bytes, status: int) -> str:
    """The first line of an error MLflow returned, without stack trace or data dump."""
    if status >= 500:
        return "the model failed on this input; see the server's log"
    try:
        message = str(json.loads(body).get("message", ""))
    except (ValueError, AttributeError):
        message = body.decode("utf-8", "replace")
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    detail = next((line for line in lines if line.startswith("Error:")), lines[0] if lines else "")
    return detail.removeprefix("Error:").strip()[:300] or "the request was refused"
