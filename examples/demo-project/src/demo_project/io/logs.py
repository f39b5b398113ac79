"""Apply the logging configuration in logging.yaml (the only logging set-up)."""

from __future__ import annotations

import logging
import logging.config
import os
import warnings
from importlib import resources
from pathlib import Path

import yaml

from ..errors import ProjectError

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# What libraries would otherwise print past the log level: MLflow configures its own
# console handler, and draws a download bar when it copies a model.
QUIET_LIBRARIES = {
    "MLFLOW_CONFIGURE_LOGGING": "false",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


def _logging_warnings() -> None:
    """Python warnings as log records: once per message, without the file that raised them."""
    seen: set[tuple[str, str]] = set()
    logger = logging.getLogger("py.warnings")

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        key = (category.__name__, str(message))
        if key not in seen:
            seen.add(key)
            logger.warning("%s: %s", *key)

    warnings.showwarning = show


def configure_logging(level: str | None = None) -> None:
    """Configure console and rotating-file logging; LOG_LEVEL and LOG_DIR override.

    The level governs everything a command prints: the project's logs, the libraries'
    (never below the level logging.yaml gives them) and Python warnings, which are logged
    once each, as `Category: message`, by the `py.warnings` logger.
    """
    config_text = resources.files(__package__).joinpath("logging.yaml").read_text(encoding="utf-8")
    config = yaml.safe_load(config_text)
    level = (level or os.environ.get("LOG_LEVEL") or config["root"]["level"]).upper()
    if level not in LEVELS:
        raise ProjectError(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, got {level!r}")
    for name, value in QUIET_LIBRARIES.items():
        os.environ.setdefault(name, value)
    _logging_warnings()
    log_dir = Path(os.environ.get("LOG_DIR", "logs"))
    log_dir.mkdir(parents=True, exist_ok=True)
    file_handler = config["handlers"]["file"]
    file_handler["filename"] = str(log_dir / Path(file_handler["filename"]).name)
    for logger in config.get("loggers", {}).values():
        logger["level"] = max(logger.get("level", level), level, key=LEVELS.index)
    config["root"]["level"] = level
    logging.config.dictConfig(config)
