"""Parquet tables larger than memory: their partitions, read and written one at a time.

A partition is one row group of one file (writers such as Spark, Dask and pandas put
a bounded number of rows in each), so a worker holds one partition, never the table.
"""

from __future__ import annotations

import glob
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import fastparquet
import pandas as pd

from ..errors import ProjectError
from . import files

PART_PATTERN = "part-*.parquet"


@dataclass(frozen=True)
class Partition:
    """Row group `row_group` of the parquet file `path`; `index` orders the output parts."""

    index: int
    path: Path
    row_group: int
    rows: int


def is_partitioned(path: Path | str) -> bool:
    """A folder or a glob pattern (rather than one file) names a partitioned table."""
    text = str(path)
    return Path(text).is_dir() or any(character in text for character in "*?[")


def parquet_files(source: Path | str) -> list[Path]:
    """The parquet files a folder (searched recursively) or glob pattern names, sorted."""
    text = str(source)
    if Path(text).is_dir():
        found = sorted(Path(text).rglob("*.parquet"))
        where = f"{text}: no .parquet files in this folder"
    elif any(character in text for character in "*?["):
        found = sorted(Path(name) for name in glob.glob(text, recursive=True))
        found = [path for path in found if path.is_file() and path.suffix == ".parquet"]
        where = f"{text}: no .parquet files match this pattern"
    else:
        found = [Path(text)] if Path(text).is_file() else []
        where = f"{text}: file not found"
    found = [path.resolve() for path in found if not path.name.startswith((".", "_"))]
    if not found:
        raise ProjectError(where)
    return found  # absolute: the workers may run in another folder


def partitions(source: Path | str) -> list[Partition]:
    """Every non-empty row group of the parquet files `source` names, in file order."""
    found: list[Partition] = []
    for path in parquet_files(source):
        try:
            groups = fastparquet.ParquetFile(path).row_groups
        except Exception as error:  # fastparquet raises many types for files it cannot read
            detail = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ProjectError(f"{path}: not a readable parquet file ({detail})") from error
        for number, group in enumerate(groups):
            if group.num_rows:
                found.append(Partition(len(found), path, number, group.num_rows))
    if not found:
        raise ProjectError(f"{source}: the table has no rows")
    return found


def read_partition(partition: Partition) -> pd.DataFrame:
    """One partition's rows, with the column types `files.read_table` gives the whole file."""
    table = fastparquet.ParquetFile(partition.path)
    return files.text_as_str(table[partition.row_group].to_pandas())


def part_path(folder: Path, partition: Partition) -> Path:
    return folder / f"part-{partition.index:05d}.parquet"


def write_part(frame: pd.DataFrame, folder: Path, partition: Partition) -> Path:
    """Write one output part into `folder` (a staging folder the caller moves into place)."""
    path = part_path(folder, partition)
    fastparquet.write(path, frame, write_index=False)
    return path


def staging_folder(output: Path, source: Path | str) -> Path:
    """A new empty folder beside `output`, where the parts are written before the move."""
    output = output.resolve()
    if Path(str(source)).is_dir() and output.is_relative_to(Path(str(source)).resolve()):
        raise ProjectError(f"{output}: inside the input folder; write the predictions elsewhere")
    if output.exists() and not output.is_dir():
        raise ProjectError(f"{output}: a file is in the way; the predictions are a folder of parts")
    if output.is_dir() and _foreign(output):
        raise ProjectError(
            f"{output}: the folder holds other files; choose an empty or new output folder"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{output.name}-", dir=output.parent))


def _foreign(folder: Path) -> list[Path]:
    """What in `folder` is not a part an earlier run wrote."""
    return [path for path in folder.iterdir() if not path.match(PART_PATTERN)]


def publish(staging: Path, output: Path) -> None:
    """Replace `output` by the finished staging folder (the old parts go only now)."""
    staging.chmod(files.file_mode() | 0o111)  # a folder others may read and enter
    for path in staging.iterdir():
        path.chmod(files.file_mode())
    if output.is_dir():
        shutil.rmtree(output)
    staging.rename(output)


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
