"""Strict requests in front of MLflow's scoring app: bad requests get a 4xx and a short JSON error.

`StrictRequests` is an ASGI middleware. It checks a POST /invocations request before MLflow's
handler sees it and rewrites any error MLflow still returns, so no client ever gets a stack
trace or a server path. What a request must hold is the model's business: the caller passes
`check`, which raises ProjectError naming what is wrong with a table.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from io import StringIO
from typing import Any

import pandas as pd

from ..errors import ProjectError

log = logging.getLogger(__name__)

# A request body larger than this gets 413 (about 20,000 rows of a ten-column table).
MAX_BODY_BYTES = 5 * 1024 * 1024
JSON, CSV = "application/json", "text/csv"
JSON_FORMATS = ("dataframe_split", "dataframe_records")


class StrictRequests:
    """ASGI middleware: refuse bad /invocations requests with a 4xx and a short JSON error.

    Checks, in order: the Content-Type (415), the size (413), the body's syntax and shape
    (400), the columns against the model's signature (400, every mismatch named). A request
    that passes goes to MLflow's handler (a CSV body as the same table in JSON: `as_json`).
    Any error MLflow still returns loses its
    stack trace; an unexpected failure is a 500 with a generic message (the details go to the
    server's log). Responses name the served model version in `X-Model-Version`.
    """

    def __init__(
        self,
        app,
        *,
        check: Callable[[pd.DataFrame], None],
        limit: int = MAX_BODY_BYTES,
        version: str | None = None,
    ):
        self.app, self.check, self.limit = app, check, limit
        self.headers = [(b"x-model-version", version.encode())] if version else []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        send = self._labelled(send)
        if scope["path"] != "/invocations" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        try:
            body, frame, media_type = await self._checked_body(scope, receive)
            if media_type == CSV:  # see `as_json`
                body, scope = as_json(frame, scope)
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

    async def _checked_body(self, scope, receive) -> tuple[bytes, pd.DataFrame, str]:
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
            self.check(frame)
        except ProjectError as error:
            raise RequestError(400, str(error)) from None
        return body, frame, media_type


def as_json(frame: pd.DataFrame, scope) -> tuple[bytes, dict]:
    """A CSV request as the same table in `dataframe_split` JSON, for MLflow's handler.

    MLflow's CSV reader cannot type columns that a signature leaves open (whole numbers
    with gaps); its JSON reader can, and both give the model the same table.
    """
    table = json.loads(frame.to_json(orient="split", index=False, date_format="iso"))
    body = json.dumps({"dataframe_split": table}).encode()
    headers = [(k, v) for k, v in scope["headers"] if k not in (b"content-type", b"content-length")]
    headers += [(b"content-type", JSON.encode()), (b"content-length", b"%d" % len(body))]
    return body, {**scope, "headers": headers}


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
