"""File I/O at the edge: data tables, splits, JSON, figures and the run record, written atomically."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from importlib import resources
from pathlib import Path
from typing import Any

import fastparquet
import pandas as pd

from ..errors import ProjectError
from ..records import RunRecord

TABLE_SUFFIXES = (".csv", ".parquet")
BUILTIN_DATASET = "Palmer penguins (palmerpenguins package)"
# The layout of the run record file; a record of another layout was written by an older
# version of the project, whose model the current code must not evaluate: train again.
RUN_RECORD_FORMAT = 3


def load_builtin_dataset() -> pd.DataFrame:
    """The Palmer penguins table shipped inside the palmerpenguins package (no download)."""
    csv = resources.files("palmerpenguins").joinpath("data", "penguins.csv")
    with csv.open("rb") as handle:
        return pd.read_csv(handle)


def load_dataset(path: Path | None) -> pd.DataFrame:
    """Read the training table: the built-in data set when `path` is None."""
    if path is None:
        return load_builtin_dataset()
    return read_table(path)


def check_table_suffix(path: Path, purpose: str = "file") -> None:
    """Refuse a file name that is neither .csv nor .parquet, before any work is done."""
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise ProjectError(f"{path}: unsupported {purpose} type; use .csv or .parquet")


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or parquet file with a one-line error for anything unreadable."""
    check_table_suffix(path)
    if not path.is_file():
        raise ProjectError(f"{path}: file not found")
    try:
        if path.suffix.lower() == ".csv":
            frame = pd.read_csv(path)
        else:  # fastparquet's own API: pandas deprecates its fastparquet engine
            frame = text_as_str(fastparquet.ParquetFile(path).to_pandas())
    except Exception as error:  # pandas raises many types for malformed files
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ProjectError(f"{path}: cannot read table ({detail})") from error
    if frame.empty:
        raise ProjectError(f"{path}: the table has no rows")
    return frame


def text_as_str(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas' text dtype, as pandas itself reads them.

    Files written by pyarrow come back from fastparquet with text columns as objects that
    hold None for missing values; the pipeline's imputers expect NaN.
    """
    for name, dtype in frame.dtypes.items():
        if pd.api.types.is_object_dtype(dtype) and frame[name].dropna().map(type).eq(str).all():
            frame[name] = frame[name].astype("str")
    return frame


def file_mode() -> int:
    """The mode a new file gets under the current umask (0644 under umask 022)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`, moved into place only if the block succeeds.

    The file gets the mode any new file gets under the umask (the temporary file is private
    while it is written), so teammates and containers can read what the project writes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent
    )
    os.close(handle)
    try:
        yield Path(temporary)
        os.chmod(temporary, file_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write CSV or parquet by suffix, atomically (no half-written file on failure)."""
    check_table_suffix(path, "output")
    with atomic_path(path) as temporary:
        if path.suffix.lower() == ".csv":
            frame.to_csv(temporary, index=False)
        else:
            fastparquet.write(temporary, frame, write_index=False)


def write_split(features: pd.DataFrame, target: pd.Series, target_name: str, path: Path) -> None:
    """Store a split (features plus target column) for a later step."""
    write_table(features.assign(**{target_name: target.to_numpy()}), path)


def read_split(
    path: Path, target_name: str, hint: str = "run `train` first"
) -> tuple[pd.DataFrame, pd.Series]:
    """Read a split stored by `write_split`."""
    if not path.is_file():
        raise ProjectError(f"{path}: no split found; {hint}")
    frame = read_table(path)
    if target_name not in frame.columns:
        raise ProjectError(f"{path}: the split has no target column {target_name!r}")
    return frame.drop(columns=[target_name]), frame[target_name]


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes: what ties a split to the run that held it out."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_json(data: dict[str, Any], path: Path) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_json(path: Path, hint: str) -> dict[str, Any]:
    if not path.is_file():
        raise ProjectError(f"{path}: not found; {hint}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ProjectError(f"{path}: not valid JSON ({error})") from error


def write_run_record(record: RunRecord, path: Path) -> None:
    """Store the run record `evaluate` starts from."""
    write_json({"format": RUN_RECORD_FORMAT, **asdict(record)}, path)


def read_run_record(path: Path) -> RunRecord:
    """The record of the last `train`; one line saying what to do when it is unusable."""
    data = read_json(path, "run `train` first")
    if not isinstance(data, dict) or data.get("format") != RUN_RECORD_FORMAT:
        raise ProjectError(
            f"{path}: written by an older version of this project; run `train` again"
        )
    names = {spec.name for spec in fields(RunRecord)}
    if set(data) - {"format"} != names:
        raise ProjectError(f"{path}: not a complete run record; run `train` again")
    return RunRecord(**{name: data[name] for name in names})


def save_figure(figure, path: Path) -> None:
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=120, format=path.suffix.lstrip(".") or "png")
