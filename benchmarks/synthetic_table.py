"""The benchmarks' synthetic table, run with a generated project's Python (numpy, pandas).

Usage:  .venv/bin/python synthetic_table.py ROWS PATH [--partitions P] [--no-target]

8 mixed columns, as users bring them: an id, numbers with gaps, whole numbers, two
categories, a job title with thousands of values, dates as text, booleans; plus the class
label `churned` (left out with --no-target: new data to score). One file by default (seed
0); with --partitions, PATH is a new folder of P parquet files (part-00000.parquet, ...),
each generated and written in turn, so memory holds one partition whatever ROWS is.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

TARGET = "churned"


def table(rows: int, rng: np.random.Generator, first_id: int = 0) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "customer": np.arange(first_id, first_id + rows) + 1_000_000,
            "income": rng.normal(40_000, 9_000, rows),
            "visits": rng.integers(0, 60, rows),
            "city": rng.choice(["Oslo", "Lima", "Pune", "Kyiv", "Quito", "Accra"], rows),
            "plan": rng.choice(["free", "pro", "team"], rows, p=[0.6, 0.3, 0.1]),
            "job_title": [f"title {n}" for n in rng.zipf(1.3, rows) % 5000],
            "signed_up": (
                pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 2000, rows), unit="D")
            ).strftime("%Y-%m-%d"),
            "member": rng.choice([True, False], rows),
        }
    )
    score = frame["visits"] / 15 + (frame["plan"] == "pro") + rng.normal(0, 1, rows)
    frame[TARGET] = np.where(score > 2.5, "yes", "no")
    for name in ("income", "city", "job_title"):
        frame.loc[rng.random(rows) < 0.05, name] = None
    return frame


def write_partitions(rows: int, folder: Path, count: int, keep_target: bool) -> None:
    import fastparquet

    folder.mkdir(parents=True)
    start = 0
    for index in range(count):
        size = rows // count + (index < rows % count)
        frame = table(size, np.random.default_rng([0, index]), first_id=start)
        if not keep_target:
            frame = frame.drop(columns=[TARGET])
        fastparquet.write(folder / f"part-{index:05d}.parquet", frame, write_index=False)
        start += size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("path", type=Path)
    parser.add_argument("--partitions", type=int, help="a folder of this many files")
    parser.add_argument("--no-target", action="store_true", help=f"leave out {TARGET}")
    options = parser.parse_args()
    if options.partitions:
        write_partitions(options.rows, options.path, options.partitions, not options.no_target)
        return
    frame = table(options.rows, np.random.default_rng(0))
    if options.no_target:
        frame = frame.drop(columns=[TARGET])
    frame.to_parquet(options.path, index=False)


if __name__ == "__main__":
    main()
