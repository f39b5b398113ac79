"""Apply the logging configuration in logging.yaml (the only logging set-up)."""

from __future__ import annotations

import logging
import logging.config
import os
from importlib import resources
from pathlib import Path

import yaml

from ..errors import ProjectError

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def configure_logging(level: str | None = None) -> None:
    """Configure console and rotating-file logging; LOG_LEVEL and LOG_DIR override."""
    config_text = resources.files(__package__).joinpath("logging.yaml").read_text(encoding="utf-8")
    config = yaml.safe_load(config_text)
    level = (level or os.environ.get("LOG_LEVEL") or config["root"]["level"]).upper()
    if level not in LEVELS:
        raise ProjectError(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, got {level!r}")
    log_dir = Path(os.environ.get("LOG_DIR", "logs"))
    log_dir.mkdir(parents=True, exist_ok=True)
    file_handler = config["handlers"]["file"]
    file_handler["filename"] = str(log_dir / Path(file_handler["filename"]).name)
    config["root"]["level"] = level
    logging.config.dictConfig(config)
