"""benchmarks/scale_out.py runs end to end at a tiny size and reports every scenario.

No time is asserted: the targets are the benchmark's own verdicts (docs/performance.md).
This keeps it runnable as the template changes, checks that every scenario, growth row and
target is reported with figures that hang together, that no cluster process it started is
left, and that `--write-docs` touches only its own block. The `--compose` scenario needs
Docker and is not run here (CI time).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from berth_tools import ROOT
from support.commands import python, run

SCRIPT = ROOT / "benchmarks" / "scale_out.py"
BEGIN, END = "<!-- scale-out:begin -->", "<!-- scale-out:end -->"
NUMBER = r"[\d,.]+"
PREDICT = re.compile(
    rf"^\| (?P<rows>[\d,]+) \| (?P<name>[^|]+?) \| (?P<seconds>{NUMBER}) \| (?P<rate>{NUMBER}) "
    rf"\| (?P<ratio>{NUMBER})x \| (?P<client>\d+) \| (?P<workers>[\d, ]+|-) \| (?P<limit>\d+|-) \|$",
    re.M,
)
TUNE = re.compile(
    rf"^\| (?P<name>tune, running cluster of \d workers?) \| (?P<rows>[\d,]+) "
    rf"\| (?P<seconds>{NUMBER}) \| (?P<search>\d+|-) \| (?P<ran>workers|client|-) "
    r"\| (?P<cpu>\d+|-) \| (?P<client>\d+) \| (?P<workers>[\d, ]+|-) \| (?P<limit>\d+) \|$",
    re.M,
)
SCENARIOS = {
    "floor: score in one process, no I/O",
    "predict, one process",
    "predict, one process, one core",
    "predict --scheduler local, 2 workers",
    "predict on a running cluster, 2 workers",
    "2 one-core predict processes at once, no Dask",
}


def processes_under(folder: Path) -> list[str]:
    """The command lines of running processes that name `folder` (the benchmark's clusters)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if str(folder) in line and "dask" in line:
            found.append(line)
    return found


def number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_scale_out_benchmark_reports_every_scenario_and_writes_its_block(tmp_path):
    page = tmp_path / "performance.md"
    original = (ROOT / "docs" / "performance.md").read_text()
    page.write_text(original)
    work = tmp_path / "tmp"
    work.mkdir()

    result = run(
        python(
            SCRIPT, "--rows", "10000", "--partitions", "2", "--train-rows", "1000",
            "--tune-rows", "1000", "--tune-budget", "2", "--tune-folds", "2",
            "--write-docs", "--docs", page,
        ),
        cwd=ROOT,
        env=os.environ | {"TMPDIR": str(work)},  # the clusters' folders, to find their processes
        timeout=1800,
    )  # fmt: skip

    out = result.stdout
    rows = [match.groupdict() for match in PREDICT.finditer(out)]
    assert {(row["rows"], row["name"]) for row in rows} == {
        ("10,000", name) for name in SCENARIOS
    }, out
    for row in rows:
        assert number(row["rate"]) > 0 and number(row["client"]) > 0, row
        if row["name"].startswith("floor"):
            assert row["ratio"] == "1.00", row
        cluster = row["name"].endswith("2 workers")
        assert (len(row["workers"].split(",")) == 2) if cluster else row["workers"] == "-", row
        assert (row["limit"] != "-") == cluster, row
    assert "time x (rows x" not in out  # the growth table needs two sizes
    tuned = {match["name"]: match for match in TUNE.finditer(out)}
    one, two = "tune, running cluster of 1 worker", "tune, running cluster of 2 workers"
    assert set(tuned) == {one, two}, out
    assert len(tuned[one]["workers"].split(",")) == 1
    assert len(tuned[two]["workers"].split(",")) == 2
    assert tuned[two]["ran"] == "workers", out  # two slots: joblib sends the trials there
    targets = [
        "10,000 rows: 2 workers (running cluster) >= 1.7x one process as shipped",
        "10,000 rows: 2 workers (running cluster) >= 1.7x per-core comparison",
        "client peak RSS < 1 GB",
        "workers within their memory limits, local cluster",
        "workers within their memory limits, running clusters",
        "tune: 2 workers >= 1.7x faster than 1, running clusters",
    ]
    for target in targets:
        assert re.search(rf"^\| {re.escape(target)}.*\| (met|MISSED) \|$", out, re.M), target
    startup = re.search(r"^\| 10,000 rows: start-up inside `--scheduler local`.*\| (-?[\d.]+) s "
                        r"\| no target \|$", out, re.M)  # fmt: skip
    assert startup, out
    for figure in (
        "this machine's ceiling for that target: 2 one-core predict processes at once",
        "the cluster's own cost: running cluster vs 2 one-core predict processes at once",
    ):
        assert re.search(rf"^\| 10,000 rows: {figure}.* \| [\d.]+x \| no target \|$", out, re.M)
    busy = re.search(
        r"^\| 10,000 rows: cores one process .* \| ([\d.]+) \| no target \|$", out, re.M
    )
    assert busy and 0 < float(busy[1]) <= os.cpu_count() + 0.5, out
    busy = re.search(r"^\| tune, 1 worker: cores busy .* \| ([\d.]+) \| no target \|$", out, re.M)
    assert busy and 0 < float(busy[1]) <= os.cpu_count() + 0.5, out
    assert "compose" not in out

    assert processes_under(work) == []  # every cluster stopped
    assert sorted(path.name for path in tmp_path.iterdir()) == ["performance.md", "tmp"]
    written = page.read_text()
    assert written.partition(BEGIN)[0] == original.partition(BEGIN)[0]
    assert written.partition(END)[2] == original.partition(END)[2]
    assert out.strip() in written
