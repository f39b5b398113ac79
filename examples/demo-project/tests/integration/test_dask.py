"""Dask: partitioned `predict` (equal to single-process `predict`) and `tune` on a real cluster.

One cluster (a `dask scheduler` process and two `dask worker` processes) serves the module;
its workers import the project like any worker of a real cluster does.
"""

import os
import subprocess
import sys
from pathlib import Path

import fastparquet
import pandas as pd
import pytest
from distributed import Client
from mlflow.tracking import MlflowClient

from demo_project import jobs
from demo_project.errors import ProjectError
from demo_project.io import cluster, files
from demo_project.io.params import read_params


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A scheduler and two workers, each its own process, started as on any machine (with
    the project's settings, as docs and io/dask.yaml say).

    The workers run in another folder than the tests: every path must reach them whole.
    """
    folder = tmp_path_factory.mktemp("cluster")
    address_file = folder / "scheduler.json"
    dask = str(Path(sys.executable).parent / "dask")
    local = ["--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0"]
    started = [
        subprocess.Popen(
            [dask, "scheduler", *local, "--port", "0", "--scheduler-file", address_file],
            cwd=folder,
        )
    ]
    worker = ["--nworkers", "2", "--nthreads", "1", "--memory-limit", "2GiB"]
    settings = os.environ | {"DASK_CONFIG": str(cluster.SETTINGS)}
    started.append(
        subprocess.Popen(
            [dask, "worker", *local, *worker, "--scheduler-file", address_file],
            cwd=folder,
            env=settings,
        )
    )
    try:
        with Client(scheduler_file=str(address_file), timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            yield client.scheduler.address
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(timeout=60)


@pytest.fixture
def trained(project, monkeypatch):
    monkeypatch.delenv(cluster.ADDRESS_VARIABLE, raising=False)
    settings = read_params("params.yaml")
    jobs.train(settings)
    return settings


@pytest.fixture
def table(project):
    """The penguins without their species, as one file and as a folder of five partitions."""
    raw = files.load_dataset(None).drop(columns=["species"])
    fastparquet.write(project / "all.parquet", raw, write_index=False)
    (project / "parts").mkdir()
    fastparquet.write(
        project / "parts/a.parquet", raw[:150], write_index=False, row_group_offsets=50
    )
    fastparquet.write(
        project / "parts/b.parquet", raw[150:], write_index=False, row_group_offsets=100
    )
    return project


def read_parts(folder) -> pd.DataFrame:
    parts = sorted(folder.glob("part-*.parquet"))
    return pd.concat(
        [fastparquet.ParquetFile(part).to_pandas() for part in parts], ignore_index=True
    )


def test_partitioned_predict_equals_single_process_row_for_row(trained, table, scheduler):
    single = jobs.predict(trained, "all.parquet", "single.parquet")
    steps = []
    record = jobs.predict(trained, "parts", "out", scheduler=scheduler, progress=steps.append)
    assert record.rows == single.rows == 344
    expected = fastparquet.ParquetFile("single.parquet").to_pandas()
    pd.testing.assert_frame_equal(read_parts(table / "out"), expected)
    assert len(list((table / "out").iterdir())) == 5  # one part per row group
    assert steps[-1] == jobs.Step("done", 5, 5)
    # Without a scheduler the same partitions run one by one in this process; a glob works too.
    jobs.predict(trained, "parts/*.parquet", "out")  # replaces the earlier parts
    pd.testing.assert_frame_equal(read_parts(table / "out"), expected)


@pytest.mark.parametrize(
    ("source", "output", "message"),
    [
        ("empty", "out", "no .parquet files in this folder"),
        ("missing/*.parquet", "out", "no .parquet files match this pattern"),
        ("parts", "parts/out", "inside the input folder"),
        ("parts", "all.parquet", "a file is in the way"),
    ],
)
def test_bad_partitioned_input_is_one_line_and_writes_nothing(table, source, output, message):
    (table / "empty").mkdir()
    before = sorted(path.name for path in table.iterdir())
    with pytest.raises(ProjectError, match=message):
        jobs.predict(read_params("params.yaml"), source, output)
    assert sorted(path.name for path in table.iterdir()) == before


def test_an_unreachable_scheduler_is_one_line(table, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)
    settings = read_params("params.yaml")  # the scheduler is reached before the model loads
    with pytest.raises(ProjectError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        jobs.predict(settings, "parts", "out", scheduler="tcp://127.0.0.1:9")
    assert not (table / "out").exists()


def test_dask_local_workers_sets_the_size_of_the_local_cluster(monkeypatch, caplog):
    monkeypatch.setenv(cluster.WORKERS_VARIABLE, "1")
    with cluster.joblib_on(cluster.LOCAL) as client:
        assert len(client.scheduler_info()["workers"]) == 1
    # joblib runs the work of a one-thread cluster in this process: the user is told.
    assert "joblib runs the trials in this process" in caplog.text
    for wrong in ("0", "two"):
        monkeypatch.setenv(cluster.WORKERS_VARIABLE, wrong)
        refused = pytest.raises(ProjectError, match=f"DASK_LOCAL_WORKERS='{wrong}': give a number")
        with refused, cluster.client(cluster.LOCAL):
            pass


def worker_settings(client) -> set[tuple]:
    """What the workers run with: (MALLOC_TRIM_THRESHOLD_, the profiler on or off)."""

    def read():
        import dask

        return os.environ.get("MALLOC_TRIM_THRESHOLD_"), dask.config.get(
            "distributed.worker.profile.enabled"
        )

    return set(client.run(read).values())


def test_workers_run_with_the_projects_settings(scheduler, monkeypatch):
    # io/dask.yaml: glibc's own allocation tuning (Dask would set MALLOC_TRIM_THRESHOLD_) and
    # no statistical profiler, on a local cluster and on workers started with DASK_CONFIG.
    monkeypatch.setenv(cluster.WORKERS_VARIABLE, "1")
    with cluster.client(cluster.LOCAL) as local:
        assert worker_settings(local) == {(None, False)}
    with cluster.client(scheduler) as running:
        assert worker_settings(running) == {(None, False)}


def test_tune_runs_its_trials_on_the_cluster_and_trains_the_best(project, scheduler):
    settings = read_params("params.yaml").override(
        {"tune.method": "grid", "tune.folds": 2, "tune.space": {"max_depth": [2, 8]}}
    )
    record = jobs.tune(settings, scheduler=scheduler)
    assert record.trials == 2 and record.metric == "f1_macro"
    assert record.best_params["max_depth"] in (2, 8) and 0 < record.best_score <= 1
    client = MlflowClient()
    children = client.search_runs(
        [client.get_run(record.run_id).info.experiment_id],
        f"tags.mlflow.parentRunId = '{record.run_id}'",
    )
    assert sorted(run.data.params["max_depth"] for run in children) == ["2", "8"]
    assert all("f1_macro" in run.data.metrics for run in children)
    trained = client.get_run(record.trained.run_id).data.params
    assert trained["model.params.max_depth"] == str(record.best_params["max_depth"])
    assert record.trained.version == 1  # registered as a challenger, like `train`
