"""Shared fixtures: small synthetic tables and an isolated project folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml


def _mixed_frame(rows: int, seed: int) -> pd.DataFrame:
    """Numbers, integers, categories and gaps, as real tables have."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "height": rng.normal(170, 10, rows),
            "visits": rng.integers(0, 30, rows),
            "city": rng.choice(["Oslo", "Lima", "Pune"], rows),
            "plan": rng.choice(["free", "pro", None], rows),
        }
    )
    frame.loc[rng.choice(rows, rows // 10, replace=False), "height"] = np.nan
    return frame


@pytest.fixture
def classification_frame() -> pd.DataFrame:
    frame = _mixed_frame(120, seed=1)
    frame["churned"] = np.where(frame["visits"] < 10, "yes", "no")
    return frame


@pytest.fixture
def regression_frame() -> pd.DataFrame:
    frame = _mixed_frame(120, seed=2)
    frame["spend"] = frame["visits"] * 3.5 + np.where(frame["city"] == "Oslo", 20.0, 0.0) + 0.25
    return frame


@pytest.fixture(scope="session")
def empty_store(tmp_path_factory) -> Path:
    """An MLflow SQLite store with its tables, made once: creating them takes seconds."""
    from mlflow.tracking import MlflowClient

    path = tmp_path_factory.mktemp("store") / "mlflow.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(path.parent)  # MLflow's default experiment points into this folder
        MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def project(tmp_path, monkeypatch, empty_store):
    """Run inside an empty project folder with its own MLflow store and a fast model."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(empty_store, tmp_path / "mlflow.db")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    params = {"model": {"estimator": "random_forest", "params": {"n_estimators": 20}}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    return tmp_path
