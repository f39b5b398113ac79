"""benchmarks/run.py as the tests run it, and the table it prints."""

from __future__ import annotations

import re
import subprocess

from berth_tools import ROOT
from support.commands import python, run

RUN = ROOT / "benchmarks" / "run.py"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
ROW = re.compile(
    r"^\| (?P<name>[^|]+?) \| (?P<median>[\d.]+) (?P<unit>s|MB) "
    r"\| (?P<low>[\d.]+)-(?P<high>[\d.]+) (?:s|MB) \| (?:(?P<ratio>[\d.]+)x)? \| [^|]* \|$",
    re.MULTILINE,
)


def benchmark(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(python(RUN, *args), cwd=ROOT, check=check, timeout=3600)


def reported(output: str) -> dict[str, re.Match]:
    """The table's rows by name; every row's spread holds its median."""
    rows = {match["name"]: match for match in ROW.finditer(output)}
    for name, row in rows.items():
        low, median, high = float(row["low"]), float(row["median"]), float(row["high"])
        assert 0 <= low <= median <= high, name
    return rows
