import pandas as pd
import pytest

from demo_project import dataio
from demo_project.errors import ProjectError


def test_builtin_dataset_is_the_penguins_table():
    frame = dataio.load_dataset(None)
    assert len(frame) == 344
    assert {"species", "island", "sex", "bill_length_mm"} <= set(frame.columns)
    assert frame.isna().any().any()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_tables_round_trip(tmp_path, classification_frame, suffix):
    path = tmp_path / f"table{suffix}"
    dataio.write_table(classification_frame, path)
    back = dataio.read_table(path)
    assert back.shape == classification_frame.shape


def test_parquet_files_are_read_by_pyarrow_and_read_from_it(tmp_path, classification_frame):
    # Natively pandas reads parquet with pyarrow (which the full mlflow brings): notebooks
    # and the project's own code must agree on the files.
    pytest.importorskip("pyarrow")
    ours = tmp_path / "ours.parquet"
    dataio.write_table(classification_frame, ours)
    pd.testing.assert_frame_equal(
        pd.read_parquet(ours, engine="pyarrow"), classification_frame, check_dtype=False
    )
    theirs = tmp_path / "theirs.parquet"
    classification_frame.to_parquet(theirs, engine="pyarrow", index=False)
    pd.testing.assert_frame_equal(
        dataio.read_table(theirs), classification_frame, check_dtype=False
    )


def test_missing_file(tmp_path):
    with pytest.raises(ProjectError, match="file not found"):
        dataio.read_table(tmp_path / "absent.csv")


def test_unsupported_suffix(tmp_path):
    with pytest.raises(ProjectError, match="unsupported file type"):
        dataio.read_table(tmp_path / "table.xlsx")


def test_malformed_parquet(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_text("not parquet")
    with pytest.raises(ProjectError, match="cannot read table"):
        dataio.read_table(path)


def test_failed_write_leaves_no_file(tmp_path):
    path = tmp_path / "out.parquet"
    unserialisable = pd.DataFrame({"a": [object()]})
    with pytest.raises(ValueError, match="object"):
        dataio.write_table(unserialisable, path)
    assert list(tmp_path.iterdir()) == []


def test_malformed_params(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("data: [unclosed\n")
    with pytest.raises(ProjectError, match="not valid YAML"):
        dataio.read_params(path)
