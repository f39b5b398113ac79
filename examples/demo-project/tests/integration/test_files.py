"""The file edge: tables, the run record and params.yaml, read with one-line errors."""

import json
import os
import stat

import pandas as pd
import pytest

from demo_project.errors import ProjectError
from demo_project.io import files
from demo_project.io.params import read_params
from demo_project.records import RunRecord


def test_builtin_dataset_is_the_penguins_table():
    frame = files.load_dataset(None)
    assert len(frame) == 344
    assert {"species", "island", "sex", "bill_length_mm"} <= set(frame.columns)
    assert frame.isna().any().any()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_tables_round_trip(tmp_path, classification_frame, suffix):
    path = tmp_path / f"table{suffix}"
    files.write_table(classification_frame, path)
    back = files.read_table(path)
    assert back.shape == classification_frame.shape


def test_parquet_files_are_read_by_pyarrow_and_read_from_it(tmp_path, classification_frame):
    # Natively pandas reads parquet with pyarrow (which the full mlflow brings): notebooks
    # and the project's own code must agree on the files.
    pytest.importorskip("pyarrow")
    ours = tmp_path / "ours.parquet"
    files.write_table(classification_frame, ours)
    pd.testing.assert_frame_equal(
        pd.read_parquet(ours, engine="pyarrow"), classification_frame, check_dtype=False
    )
    theirs = tmp_path / "theirs.parquet"
    classification_frame.to_parquet(theirs, engine="pyarrow", index=False)
    pd.testing.assert_frame_equal(files.read_table(theirs), classification_frame, check_dtype=False)


def test_missing_file(tmp_path):
    with pytest.raises(ProjectError, match="file not found"):
        files.read_table(tmp_path / "absent.csv")


def test_unsupported_suffix(tmp_path):
    with pytest.raises(ProjectError, match="unsupported file type"):
        files.read_table(tmp_path / "table.xlsx")


def test_malformed_parquet(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_text("not parquet")
    with pytest.raises(ProjectError, match="cannot read table"):
        files.read_table(path)


def test_failed_write_leaves_no_file(tmp_path):
    path = tmp_path / "out.parquet"
    unserialisable = pd.DataFrame({"a": [object()]})
    with pytest.raises(ValueError, match="object"):
        files.write_table(unserialisable, path)
    assert list(tmp_path.iterdir()) == []


RECORD = RunRecord(
    run_id="abc",
    model_uri="models:/m-1",
    registered_model="demo-project",
    version=3,
    task="classification",
    target="species",
    train_rows=80,
    test_rows=20,
    test_split_sha256="0" * 64,
    train_metrics={"accuracy": 0.9},
    baseline_metrics={"accuracy": 0.4},
)


def test_the_run_record_round_trips(tmp_path):
    files.write_run_record(RECORD, tmp_path / "run.json")
    assert files.read_run_record(tmp_path / "run.json") == RECORD


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found; run `train` first"),
        ({"run_id": "abc", "task": "classification"}, "older version of this project"),
        ({"format": 2, "run_id": "abc"}, "older version of this project"),
        ({"format": 3, "run_id": "abc"}, "not a complete run record"),
    ],
)
def test_an_unusable_run_record_says_to_train(tmp_path, content, message):
    path = tmp_path / "run.json"
    if content is not None:
        path.write_text(json.dumps(content))
    with pytest.raises(ProjectError, match=message):
        files.read_run_record(path)


def test_invalid_params_name_the_file_and_the_setting(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("split:\n  test_size: 2\n")
    with pytest.raises(ProjectError, match=r"params.yaml: split.test_size must be a number"):
        read_params(path)


def test_malformed_params(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("data: [unclosed\n")
    with pytest.raises(ProjectError, match="not valid YAML at line 2, column 1"):
        read_params(path)


def test_a_missing_settings_file_is_an_error(tmp_path):
    with pytest.raises(ProjectError, match="absent.yaml: settings file not found"):
        read_params(tmp_path / "absent.yaml")


def test_outputs_honour_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        files.write_json({"a": 1}, tmp_path / "metrics.json")
        files.write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.parquet")
        os.umask(0o077)
        files.write_json({"a": 1}, tmp_path / "private.json")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "metrics.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "t.parquet").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600
