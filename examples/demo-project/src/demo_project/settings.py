"""Validated project settings: params.yaml as typed values, and the one way to override them.

Pure: builds settings from plain values. Paths are `pathlib.Path` objects that only name
files (relative to the project folder); reading params.yaml happens in `io.params`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ProjectError

TASKS = ("auto", "classification", "regression")
ESTIMATORS = ("hist_gradient_boosting", "random_forest", "linear")
TUNE_METHODS = ("random", "grid")


@dataclass(frozen=True)
class DataSettings:
    path: Path | None = None  # None: the built-in Palmer penguins data
    target: str = "species"
    drop: tuple[str, ...] = ()  # columns never used
    id: tuple[str, ...] = ()  # columns kept in the predictions, never features
    max_categories: int = 30  # categories per text column; the rarer ones share one
    max_classes: int = 100  # a classification target with more classes is refused


@dataclass(frozen=True)
class SplitSettings:
    test_size: float = 0.2
    seed: int = 42


@dataclass(frozen=True)
class ModelSettings:
    estimator: str = "hist_gradient_boosting"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TuneSettings:
    method: str = "random"  # random: `budget` sampled trials; grid: every combination
    metric: str | None = None  # a scikit-learn scorer name; None: the task's primary metric
    budget: int = 8  # the most trials a search may run
    folds: int = 3  # cross-validation folds of the training split, per trial
    space: dict[str, Any] = field(default_factory=dict)  # estimator argument: values to try


@dataclass(frozen=True)
class OutputSettings:
    model_dir: Path = Path("models/model")
    run_info: Path = Path("models/run.json")
    train_split: Path = Path("data/processed/train.parquet")
    test_split: Path = Path("data/processed/test.parquet")
    metrics: Path = Path("reports/metrics.json")
    plot: Path = Path("reports/figures/evaluation.png")


@dataclass(frozen=True)
class Settings:
    data: DataSettings = field(default_factory=DataSettings)
    task: str = "auto"
    split: SplitSettings = field(default_factory=SplitSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    tune: TuneSettings = field(default_factory=TuneSettings)
    outputs: OutputSettings = field(default_factory=OutputSettings)

    def override(self, changes: Mapping[str, Any]) -> Settings:
        """These settings with `changes` applied, validated like params.yaml.

        Keys are the dotted names of params.yaml: "data.path", "data.target", "task",
        "model.params" (every estimator argument) or "model.params.max_depth" (one). A None
        value leaves its setting as it is, so CLI options left out change nothing. Example:
        `settings.override({"data.path": "data/raw/own.csv", "data.target": "churned"})`.
        """
        raw = as_params(self)
        for key, value in changes.items():
            if value is None:
                continue
            *sections, name = key.split(".")
            place = raw
            for section in sections:
                place = place.get(section) if isinstance(place, dict) else None
            if not isinstance(place, dict):
                raise ProjectError(f"cannot override {key!r}: no such setting")
            place[name] = value
        return settings_from_dict(raw)


_SECTIONS = {
    "data": DataSettings,
    "split": SplitSettings,
    "model": ModelSettings,
    "tune": TuneSettings,
    "outputs": OutputSettings,
}


# The settings that name files, relative to the project folder (data.path may be null).
_PATHS = {"data": ("path",), "outputs": tuple(spec.name for spec in fields(OutputSettings))}


# The settings that name columns: one name or a list of names.
_COLUMN_LISTS = {"data": ("drop", "id")}


def _columns(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not all(
        isinstance(item, str) and item for item in names
    ):
        raise ProjectError(f"{name} must be a column name or a list of them, got {value!r}")
    return tuple(names)


def _path(name: str, value: Any, optional: bool = False) -> Path | None:
    if value is None and optional:
        return None
    if isinstance(value, (str, Path)) and str(value).strip():
        return Path(value)
    allowed = "a file path or null" if optional else "a file path"
    raise ProjectError(f"{name} must be {allowed}, got {value!r}")


def _section(name: str, raw: Any, cls: type) -> Any:
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        raise ProjectError(f"'{name}' must be a mapping, got {type(raw).__name__}")
    known = {spec.name for spec in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ProjectError(
            f"unknown key(s) in '{name}': {', '.join(map(str, unknown))}"
            f" (allowed: {', '.join(sorted(known))})"
        )
    values = dict(raw)
    for key in _COLUMN_LISTS.get(name, ()):
        if key in values:
            values[key] = _columns(f"{name}.{key}", values[key])
    for key in _PATHS.get(name, ()):
        if key in values:
            values[key] = _path(f"{name}.{key}", values[key], optional=name == "data")
    return cls(**values)


def settings_from_dict(raw: dict[str, Any] | None) -> Settings:
    """Build and validate settings from the parsed params.yaml content."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ProjectError("the settings must be a mapping at the top level")
    allowed = set(_SECTIONS) | {"task"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ProjectError(
            f"unknown section(s): {', '.join(map(str, unknown))}"
            f" (allowed: {', '.join(sorted(allowed))})"
        )
    sections = {name: _section(name, raw.get(name), cls) for name, cls in _SECTIONS.items()}
    settings = Settings(task=raw.get("task", "auto"), **sections)
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    """Raise ProjectError for the first setting that cannot work."""
    if settings.task not in TASKS:
        raise ProjectError(f"task must be one of {', '.join(TASKS)}, got {settings.task!r}")
    if not isinstance(settings.data.target, str) or not settings.data.target:
        raise ProjectError("data.target must be a non-empty column name")
    for key, least in (("max_categories", 2), ("max_classes", 2)):
        value = getattr(settings.data, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ProjectError(f"data.{key} must be an integer of at least {least}, got {value!r}")
    overlap = sorted(set(settings.data.drop) & set(settings.data.id))
    if overlap:
        raise ProjectError(f"data.drop and data.id both name {', '.join(map(repr, overlap))}")
    test_size = settings.split.test_size
    if (
        isinstance(test_size, bool)
        or not isinstance(test_size, (int, float))
        or not 0 < test_size < 1
    ):
        raise ProjectError(f"split.test_size must be a number between 0 and 1, got {test_size!r}")
    if isinstance(settings.split.seed, bool) or not isinstance(settings.split.seed, int):
        raise ProjectError(f"split.seed must be an integer, got {settings.split.seed!r}")
    if settings.model.estimator not in ESTIMATORS:
        raise ProjectError(
            f"model.estimator must be one of {', '.join(ESTIMATORS)},"
            f" got {settings.model.estimator!r}"
        )
    if not isinstance(settings.model.params, dict):
        raise ProjectError("model.params must be a mapping of estimator arguments")
    _validate_tune(settings.tune)


def _validate_tune(tune: TuneSettings) -> None:
    if tune.method not in TUNE_METHODS:
        raise ProjectError(
            f"tune.method must be one of {', '.join(TUNE_METHODS)}, got {tune.method!r}"
        )
    if tune.metric is not None and (not isinstance(tune.metric, str) or not tune.metric):
        raise ProjectError(
            f"tune.metric must be a scikit-learn scorer name or null, got {tune.metric!r}"
        )
    for key, least in (("budget", 1), ("folds", 2)):
        value = getattr(tune, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ProjectError(f"tune.{key} must be an integer of at least {least}, got {value!r}")
    if not isinstance(tune.space, dict) or not all(
        isinstance(name, str) and isinstance(values, list) and values
        for name, values in tune.space.items()
    ):
        raise ProjectError(
            "tune.space must map estimator arguments to lists of values, e.g. {max_depth: [4, 8]}"
        )


def as_params(settings: Settings) -> dict[str, Any]:
    """Settings as params.yaml writes them: nested plain values, paths as text."""
    raw: dict[str, Any] = {"task": settings.task}
    for name in _SECTIONS:
        section = getattr(settings, name)
        raw[name] = {spec.name: _plain(getattr(section, spec.name)) for spec in fields(section)}
    return raw


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, tuple):
        return list(value)
    return dict(value) if isinstance(value, dict) else value


def flatten(settings: Settings) -> dict[str, Any]:
    """Settings as dotted keys, as logged to MLflow."""
    flat: dict[str, Any] = {}
    for name, value in as_params(settings).items():
        if not isinstance(value, dict):
            flat[name] = value
            continue
        for key, item in value.items():
            if isinstance(item, dict):
                flat.update({f"{name}.{key}.{k}": v for k, v in item.items()})
            else:
                flat[f"{name}.{key}"] = item
    return flat
