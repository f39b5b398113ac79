"""One model, one behaviour: every client of the logged model predicts the same, row for row.

The table has what real tables have (whole numbers, gaps in numbers and text, dates as
text, booleans, an id); the CLI, `mlflow models predict`, `mlflow.pyfunc.load_model` and
MLflow's scoring server (a real server on 127.0.0.1) must agree on every row.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
import uvicorn
from click.testing import CliRunner
from mlflow.pyfunc import scoring_server

from demo_project import jobs
from demo_project.cli import main
from demo_project.io.params import read_params

ROWS = 3000
GAPS = 0.06  # the share of missing values in each gappy column


def table(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "order_id": np.arange(rows) + 10_000,
            "visits": rng.integers(0, 40, rows),
            "rooms": rng.integers(1, 6, rows).astype(float),
            "income": rng.normal(40_000, 8_000, rows),
            "city": rng.choice(["Oslo", "Lima", "Pune", "Kyiv"], rows),
            "plan": rng.choice(["free", "pro", "team"], rows),
            "since": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1500, rows), unit="D"),
            "member": rng.choice([True, False], rows),
        }
    )
    frame["since"] = frame["since"].dt.strftime("%Y-%m-%d")
    score = frame["visits"] / 10 + (frame["plan"] == "pro") * 2 + rng.normal(0, 1, rows)
    frame["churned"] = np.where(score > 3, "yes", "no")
    for name in ("rooms", "income", "city", "plan"):
        frame.loc[rng.random(rows) < GAPS, name] = None
    return frame


@pytest.fixture
def trained(project):
    table(ROWS, seed=1).to_csv("train.csv", index=False)
    settings = read_params("params.yaml").override(
        {
            "data.path": "train.csv",
            "data.target": "churned",
            "data.id": ["order_id"],
            "model.estimator": "hist_gradient_boosting",
            "model.params": {"max_iter": 30},
        }
    )
    jobs.train(settings)
    new = table(1000, seed=2).drop(columns=["churned"])
    new.to_csv("new.csv", index=False)
    return settings, new


def serve(model, port_socket):
    """MLflow's scoring server app, served by uvicorn on the given socket (in a thread)."""
    server = uvicorn.Server(uvicorn.Config(scoring_server.init(model), log_level="error"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [port_socket]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread


def test_every_client_predicts_the_same(trained, monkeypatch):
    settings, new = trained
    model_dir = str(settings.outputs.model_dir)
    assert new[["rooms", "income", "city", "plan"]].isna().mean().between(0.03, 0.09).all()
    loaded = mlflow.pyfunc.load_model(model_dir)
    # The signature says what the training data says: types, and which columns had gaps.
    specs = {spec.name: spec.to_dict() for spec in loaded.metadata.get_input_schema().inputs}
    assert "order_id" not in specs  # an id, never a feature
    assert [(specs[name]["type"], specs[name]["required"]) for name in new.columns[1:]] == [
        ("long", True),  # whole numbers, never missing: clients send int64
        ("any", False),  # whole numbers with gaps: int64 or float64
        ("double", False),
        ("string", False),
        ("string", False),
        ("string", True),  # dates as text
        ("boolean", True),
    ]

    result = CliRunner().invoke(
        main, ["predict", "--input", "new.csv", "--output", "cli.csv"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    cli = pd.read_csv("cli.csv")
    assert cli["order_id"].tolist() == new["order_id"].tolist()  # the id is kept
    expected = cli["prediction"].tolist()

    assert list(loaded.predict(pd.read_csv("new.csv"))) == expected

    subprocess.run(
        [
            sys.executable,
            "-m",
            "mlflow",
            "models",
            "predict",
            "-m",
            model_dir,
            "-i",
            "new.csv",
            "-t",
            "csv",
            "-o",
            "mlflow.json",
            "--env-manager",
            "local",
        ],
        check=True,
        capture_output=True,
        env=os.environ
        | {"PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]},
    )
    with open("mlflow.json") as answer:
        assert json.load(answer)["predictions"] == expected

    monkeypatch.delenv("_MLFLOW_IS_IN_SERVING_ENVIRONMENT", raising=False)  # set by init
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server, thread = serve(loaded, listener)
    try:
        # What a JSON client sends: the file's rows, gaps as null, integers as integers.
        body = json.dumps({"dataframe_split": json.loads(new.to_json(orient="split"))})
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            served = json.loads(response.read())["predictions"]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
    assert served == expected
