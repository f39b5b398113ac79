"""`serve`: answers equal batch `predict`, bad requests get a short 4xx, start-up fails early.

The app under test is the one `serve` runs in each worker (MLflow's scoring app behind the
project's strict request checks), called in process through FastAPI's TestClient.
"""

import asyncio
import json
import os
import socket

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from demo_project import jobs
from demo_project.cli import main
from demo_project.io import tracking
from demo_project.io.params import read_params
from demo_project.jobs.serve import (
    THREAD_VARIABLES,
    build_app,
    fetch_model,
    listening_socket,
    share_cores,
)

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A trained champion and a client of the app serving it (trained once for the module)."""
    root = tmp_path_factory.mktemp("served")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        patch.setenv("LOG_DIR", str(root / "logs"))
        (root / "params.yaml").write_text("model:\n  params:\n    max_iter: 20\n")
        settings = read_params("params.yaml")
        jobs.train(settings)
        jobs.evaluate(settings)
        path, version = fetch_model(tracking.champion_uri())
        with TestClient(build_app(path, version=version, limit=200_000)) as client:
            yield settings, client


def batch_predictions(settings, frame: pd.DataFrame) -> list:
    frame.to_parquet("rows.parquet")
    jobs.predict(settings, "rows.parquet", "predicted.parquet")
    return pd.read_parquet("predicted.parquet")["prediction"].tolist()


def whole_numbers_required(settings) -> set[str]:
    """Columns the model takes as whole numbers that were never missing in training."""
    schema = tracking.input_schema(tracking.load_model(settings.outputs.model_dir))
    return {spec["name"] for spec in schema if spec["type"] == "long" and spec["required"]}


def with_gaps(frame: pd.DataFrame, complete: set[str]) -> pd.DataFrame:
    """The same rows with missing values in every column but `complete`, a few rows each."""
    frame = frame.copy()
    rng = np.random.default_rng(0)
    for column in frame.columns.difference(sorted(complete)):
        frame.loc[rng.choice(frame.index, 5, replace=False), column] = None
    return frame


@pytest.mark.parametrize("gaps", [False, True], ids=["held-out split", "with missing values"])
def test_answers_equal_batch_predict_row_for_row(served, gaps):
    settings, client = served
    frame = pd.read_parquet(settings.outputs.test_split).drop(columns=["species"])
    frame = with_gaps(frame, whole_numbers_required(settings)) if gaps else frame
    expected = batch_predictions(settings, frame)
    bodies = {
        "dataframe_split": json.loads(frame.to_json(orient="split", index=False)),
        "dataframe_records": json.loads(frame.to_json(orient="records")),
    }
    for key, data in bodies.items():
        response = client.post("/invocations", json={key: data})
        assert response.status_code == 200, response.text
        assert response.json()["predictions"] == expected, key
    response = client.post(
        "/invocations", content=frame.to_csv(index=False), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == expected, "csv"


def test_responses_name_the_served_version(served):
    _, client = served
    assert client.get("/ping").status_code == 200
    response = client.get("/version")
    assert response.status_code == 200 and response.headers["x-model-version"] == "1"


ROW = {"island": "Biscoe", "bill_length_mm": 40.1, "bill_depth_mm": 18.0, "sex": "male"}
ROW |= {"flipper_length_mm": 190, "body_mass_g": 3900, "year": 2008}
BAD_REQUESTS = {
    "missing column": (
        {"json": {"dataframe_records": [{k: v for k, v in ROW.items() if k != "island"}]}},
        400,
        "missing column 'island'",
    ),
    "wrong type": (
        {"json": {"dataframe_records": [ROW | {"bill_length_mm": "long"}]}},
        400,
        "column 'bill_length_mm' should be double",
    ),
    "gap in a whole-number column": (
        {"json": {"dataframe_records": [ROW | {"year": None}]}},
        400,
        "column 'year' has missing values",
    ),
    "malformed JSON": (
        {"content": b'{"dataframe_split": ', "headers": JSON},
        400,
        "malformed JSON",
    ),
    "unknown JSON format": ({"json": {"rows": [ROW]}}, 400, "dataframe_split, dataframe_records"),
    "malformed dataframe_split": (
        {"json": {"dataframe_split": {"columns": ["island"], "data": [[1, 2]]}}},
        400,
        "malformed dataframe_split",
    ),
    "no Content-Type": ({"content": json.dumps({"dataframe_records": [ROW]})}, 415, "none given"),
    "wrong Content-Type": (
        {"content": b"island\nBiscoe\n", "headers": {"Content-Type": "text/plain"}},
        415,
        "Content-Type must be",
    ),
    "too large": ({"json": {"dataframe_records": [ROW] * 2000}}, 413, "over the limit"),
}


@pytest.mark.parametrize("request_", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_a_bad_request_gets_a_short_json_error_and_the_server_stays_up(served, request_):
    _, client = served
    options, status, message = request_
    response = client.post("/invocations", **options)
    assert response.status_code == status
    error = response.json()
    assert set(error) == {"error_code", "message"}
    assert message in error["message"]
    assert "Traceback" not in response.text and ".py" not in response.text
    assert len(response.text) < 400
    assert client.post("/invocations", json={"dataframe_records": [ROW]}).status_code == 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serving_without_a_champion_stops_before_starting(project):
    result = CliRunner().invoke(main, ["serve", "--port", str(free_port())])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: cannot serve {tracking.champion_uri()}: no champion yet; run `train` then"
        " `evaluate`, or pass --model"
    ]


def test_serving_a_folder_without_a_model_stops_before_starting(project):
    result = CliRunner().invoke(main, ["serve", "--model", "none", "--port", str(free_port())])
    assert result.exit_code == 1
    assert "no model found" in result.output


def test_a_port_in_use_is_refused_before_starting():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--model", "none", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")


def test_connections_are_accepted_without_nagle_delays():
    """Small responses go out at once instead of waiting for the client's delayed ACK."""

    async def accepted_nodelay() -> int:
        listener = listening_socket("127.0.0.1", 0)
        flags = []

        async def on_connect(reader, writer):
            connection = writer.get_extra_info("socket")
            flags.append(connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection(*listener.getsockname())
            while not flags:
                await asyncio.sleep(0.01)
            writer.close()
        return flags[0]

    assert asyncio.run(accepted_nodelay()) != 0


def test_workers_share_the_cores_and_a_users_setting_wins(monkeypatch):
    for variable in THREAD_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.delattr(os, "process_cpu_count", raising=False)
    share_cores(2)
    assert os.environ["OMP_NUM_THREADS"] == os.environ["OPENBLAS_NUM_THREADS"] == "2"
    assert os.environ["MKL_NUM_THREADS"] == "3"
    monkeypatch.delenv("OMP_NUM_THREADS")
    share_cores(8)  # more workers than cores: one thread each, never none
    assert os.environ["OMP_NUM_THREADS"] == "1"
