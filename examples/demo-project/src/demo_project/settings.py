"""Validated project settings, read from params.yaml and overridden by CLI options.

Pure: builds settings from plain dictionaries; reading the file happens in `io`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .errors import ProjectError

TASKS = ("auto", "classification", "regression")
ESTIMATORS = ("random_forest", "linear")


@dataclass(frozen=True)
class DataSettings:
    path: str | None = None
    target: str = "species"


@dataclass(frozen=True)
class SplitSettings:
    test_size: float = 0.2
    seed: int = 42


@dataclass(frozen=True)
class ModelSettings:
    estimator: str = "random_forest"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputSettings:
    model_dir: str = "models/model"
    run_info: str = "models/run.json"
    train_split: str = "data/processed/train.parquet"
    test_split: str = "data/processed/test.parquet"
    metrics: str = "reports/metrics.json"
    plot: str = "reports/figures/evaluation.png"


@dataclass(frozen=True)
class Settings:
    data: DataSettings = field(default_factory=DataSettings)
    task: str = "auto"
    split: SplitSettings = field(default_factory=SplitSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    outputs: OutputSettings = field(default_factory=OutputSettings)

    def with_data(self, path: str | None, target: str | None) -> Settings:
        """Return settings with the data source overridden where a value is given."""
        data = replace(
            self.data,
            path=path if path is not None else self.data.path,
            target=target if target is not None else self.data.target,
        )
        return replace(self, data=data)


_SECTIONS = {
    "data": DataSettings,
    "split": SplitSettings,
    "model": ModelSettings,
    "outputs": OutputSettings,
}


def _section(name: str, raw: Any, cls: type) -> Any:
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        raise ProjectError(f"params: '{name}' must be a mapping, got {type(raw).__name__}")
    known = set(cls.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ProjectError(
            f"params: unknown key(s) in '{name}': {', '.join(unknown)}"
            f" (allowed: {', '.join(sorted(known))})"
        )
    return cls(**raw)


def settings_from_dict(raw: dict[str, Any] | None) -> Settings:
    """Build and validate settings from the parsed params.yaml content."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ProjectError("params: the file must contain a mapping at the top level")
    allowed = set(_SECTIONS) | {"task"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ProjectError(
            f"params: unknown section(s): {', '.join(unknown)}"
            f" (allowed: {', '.join(sorted(allowed))})"
        )
    sections = {name: _section(name, raw.get(name), cls) for name, cls in _SECTIONS.items()}
    settings = Settings(task=raw.get("task", "auto"), **sections)
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    """Raise ProjectError for the first setting that cannot work."""
    if settings.task not in TASKS:
        raise ProjectError(f"params: task must be one of {', '.join(TASKS)}, got {settings.task!r}")
    if not isinstance(settings.data.target, str) or not settings.data.target:
        raise ProjectError("params: data.target must be a non-empty column name")
    if settings.data.path is not None and not isinstance(settings.data.path, str):
        raise ProjectError("params: data.path must be a file path or null")
    test_size = settings.split.test_size
    if (
        isinstance(test_size, bool)
        or not isinstance(test_size, (int, float))
        or not 0 < test_size < 1
    ):
        raise ProjectError(
            f"params: split.test_size must be a number between 0 and 1, got {test_size!r}"
        )
    if isinstance(settings.split.seed, bool) or not isinstance(settings.split.seed, int):
        raise ProjectError(f"params: split.seed must be an integer, got {settings.split.seed!r}")
    if settings.model.estimator not in ESTIMATORS:
        raise ProjectError(
            f"params: model.estimator must be one of {', '.join(ESTIMATORS)},"
            f" got {settings.model.estimator!r}"
        )
    if not isinstance(settings.model.params, dict):
        raise ProjectError("params: model.params must be a mapping of estimator arguments")


def flatten(settings: Settings) -> dict[str, Any]:
    """Flatten settings to dotted keys, as logged to MLflow."""
    flat: dict[str, Any] = {"task": settings.task}
    for name in _SECTIONS:
        section = getattr(settings, name)
        for key in section.__dataclass_fields__:
            value = getattr(section, key)
            if isinstance(value, dict):
                flat.update({f"{name}.{key}.{k}": v for k, v in value.items()})
            else:
                flat[f"{name}.{key}"] = value
    return flat
