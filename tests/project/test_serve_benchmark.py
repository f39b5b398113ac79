"""benchmarks/serve.py runs end to end with a few requests and reports every scenario.

No time is asserted: the targets are the benchmark's own verdicts (docs/performance.md).
This keeps it runnable as the template changes, checks that every row and target is
reported, that no request failed, and that `--write-docs` touches only its own block.
"""

from __future__ import annotations

import re

from berth_tools import ROOT
from support.commands import python, run

SCRIPT = ROOT / "benchmarks" / "serve.py"
BEGIN, END = "<!-- serve:begin -->", "<!-- serve:end -->"
ROW = re.compile(
    r"^\| (?P<name>[^|]+?) \| (?P<p50>[\d.]+) \| (?P<p99>[\d.]+) \| (?P<rate>\d+) \| (?P<errors>\d+) \|$",
    re.M,
)


def test_the_serving_benchmark_reports_every_scenario_and_writes_its_block(tmp_path):
    page = tmp_path / "performance.md"
    original = (ROOT / "docs" / "performance.md").read_text()
    page.write_text(original)

    result = run(
        python(SCRIPT, "--requests", "16", "--seconds", "20", "--write-docs", "--docs", page),
        cwd=ROOT,
        timeout=1800,
    )

    rows = {match["name"]: match for match in ROW.finditer(result.stdout)}
    expected = {"floor: in-process predict, 1 row(s)", "floor: in-process predict, 100 row(s)"}
    workers = sorted({"1", re.search(r"(\d+) cores", result.stdout)[1]})
    expected |= {
        f"serve: {w} worker(s), {size} row(s), {clients} client(s)"
        for w in workers
        for size in ("1", "100")
        for clients in ("1", "8")
    }
    assert set(rows) == expected, result.stdout
    for name, row in rows.items():
        assert float(row["p50"]) <= float(row["p99"]), name
        assert row["errors"] == "0", name
    for target in ("1-row p50, one client", "8 clients:", "p99 <= 4x p50", "zero errors"):
        assert re.search(rf"^\| {re.escape(target)}.*\| (met|MISSED) \|$", result.stdout, re.M)

    assert [path.name for path in tmp_path.iterdir()] == ["performance.md"]
    written = page.read_text()
    assert written.partition(BEGIN)[0] == original.partition(BEGIN)[0]
    assert written.partition(END)[2] == original.partition(END)[2]
    assert result.stdout.strip() in written
