"""Read params.yaml into validated settings (the only place that reads it)."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..errors import ProjectError
from ..settings import Settings, settings_from_dict


def read_params(path: Path | str = "params.yaml") -> Settings:
    """Read the settings file; a missing file means the defaults."""
    path = Path(path)
    if not path.exists():
        return settings_from_dict({})
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ProjectError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from error
    try:
        return settings_from_dict(raw)
    except ProjectError as error:
        raise ProjectError(f"{path}: {error}") from error
