"""What a command shows on the terminal: options shared by commands, one-line errors, a progress line."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

import click

from ..errors import ProjectError
from ..settings import TASKS

CLEAR = "\r\033[K"  # back to the start of the line, and erase it
FILE = click.Path(dir_okay=False, path_type=Path)
TABLE = click.Path(path_type=Path)  # a file, a folder or a glob pattern


def data_options(command):
    """--data, --target and --task, the options `prepare` and `train` share."""
    command = click.option("--task", type=click.Choice(TASKS), help="Override the task.")(command)
    command = click.option("--target", help="Column to predict (overrides data.target).")(command)
    return click.option(
        "--data",
        "data_path",
        type=FILE,
        help="CSV or parquet file to train on (overrides data.path; default: the built-in penguins data).",
    )(command)


def predict_options(command):
    """--input, --output and --model for `predict`."""
    model_help = "MLflow model URI or folder [default: models/model]."
    command = click.option("--model", "model_uri", help=model_help)(command)
    output_help = ".csv or .parquet file; a folder for partitioned input."
    input_help = "CSV or parquet file, or a folder or glob of parquet files."
    command = click.option("--output", "output_path", required=True, type=TABLE, help=output_help)(
        command
    )
    return click.option("--input", "input_path", required=True, type=TABLE, help=input_help)(
        command
    )


def scheduler_option(command):
    """--scheduler: a Dask scheduler address, or "local" for a local cluster of processes."""
    return click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler (tcp://host:8786), or 'local' for local worker processes "
        "[default: DASK_SCHEDULER_ADDRESS].",
    )(command)


class ProjectGroup(click.Group):
    """Turn ProjectError into Click's one-line `Error: ...` and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ProjectError as error:
            raise click.ClickException(str(error)) from error


class ProgressLine:
    """`label [######    ]  60%  step` on the last line of a terminal, updated in place.

    While it is shown, the console log handlers and sys.stderr write through it: it erases
    itself before each log record and draws itself again after, so the two never share a
    line. It reaches 100% when the command succeeds. Outside a terminal (a pipe, CI) it
    shows nothing and the log lines alone tell the story.
    """

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 24):
        self._stream = stream or sys.stderr
        self._label, self._width = label, width
        self._done, self._total, self._step = 0, 0, "starting"
        self._shown, self._line_ended = False, True
        self._handlers: list[logging.StreamHandler] = []
        self._stderr: TextIO | None = None
        self.enabled = bool(getattr(self._stream, "isatty", lambda: False)())

    def __enter__(self) -> ProgressLine:
        if self.enabled:
            for handler in logging.getLogger().handlers:
                if isinstance(handler, logging.StreamHandler) and handler.stream is self._stream:
                    handler.setStream(self)
                    self._handlers.append(handler)
            self._stderr, sys.stderr = sys.stderr, self
            self._draw()
        return self

    def update(self, done: int, total: int, step: str) -> None:
        self._done, self._total, self._step = done, total, step
        if self.enabled:
            self._draw()

    def __exit__(self, error_type, error, traceback) -> None:
        if not self.enabled:
            return
        if error_type is None:
            self.update(self._total or 1, self._total or 1, "done")
            self._stream.write("\n")
        else:  # the error message gets a clean line
            self._erase()
        self._shown = False
        self._stream.flush()
        for handler in self._handlers:
            handler.setStream(self._stream)
        if self._stderr is not None:
            sys.stderr = self._stderr

    # The stream interface, used while the line is shown.
    def write(self, text: str) -> int:
        self._erase()
        if text:
            self._line_ended = text.endswith("\n")
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()
        if not self._shown and self._line_ended:
            self._draw()

    def isatty(self) -> bool:
        return self.enabled

    def _erase(self) -> None:
        if self._shown:
            self._stream.write(CLEAR)
            self._shown = False

    def _draw(self) -> None:
        fraction = self._done / self._total if self._total else 0.0
        filled = round(fraction * self._width)
        bar = "#" * filled + " " * (self._width - filled)
        percent = round(fraction * 100)
        self._stream.write(f"{CLEAR}{self._label} [{bar}] {percent:3d}%  {self._step}")
        self._stream.flush()
        self._shown = True
