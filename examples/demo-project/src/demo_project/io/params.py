"""Read params.yaml into validated settings (the only place that reads it)."""

from __future__ import annotations

import functools
from pathlib import Path

import click
import yaml

from ..errors import ProjectError
from ..settings import Settings, settings_from_dict

DEFAULT_PARAMS = Path("params.yaml")


def locate_params(path: Path | str | None) -> Path | None:
    """The settings file a command uses: `path` when given, else ./params.yaml.

    A file named explicitly must exist. Without one, ./params.yaml may be absent only when
    no folder above holds a params.yaml either (the built-in defaults are used, e.g. in a
    container's work folder): from a project's subfolder (notebooks/) a command would
    otherwise write a second project state there, so it is refused with the project folder
    named. Returns None for the defaults.
    """
    if path is not None:
        if not Path(path).is_file():
            raise ProjectError(f"{path}: settings file not found")
        return Path(path)
    if DEFAULT_PARAMS.is_file():
        return DEFAULT_PARAMS
    here = Path.cwd()
    for folder in here.parents:
        if (folder / DEFAULT_PARAMS).is_file():
            raise ProjectError(
                f"no {DEFAULT_PARAMS} in {here}: run the command from the project folder "
                f"{folder} (or pass --params)"
            )
    return None


def with_settings(command):
    """Read the settings when the command runs (so `--help` works whatever the file holds)."""

    @click.pass_context
    @functools.wraps(command)
    def wrapper(ctx: click.Context, *args, **kwargs):
        return command(read_params(locate_params(ctx.obj)), *args, **kwargs)

    return wrapper


def read_params(path: Path | str | None = DEFAULT_PARAMS) -> Settings:
    """Read the settings file (it must exist); None means the built-in defaults."""
    if path is None:
        return settings_from_dict({})
    path = Path(path)
    if not path.is_file():
        raise ProjectError(f"{path}: settings file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ProjectError(f"{path}: not valid YAML{where} ({problem})") from error
    try:
        return settings_from_dict(raw)
    except ProjectError as error:
        raise ProjectError(f"{path}: {error}") from error
