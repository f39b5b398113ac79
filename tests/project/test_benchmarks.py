"""benchmarks/run.py runs end to end, once per native benchmark, and reports every row.

No time is asserted here: targets live in the benchmark's own figures (docs/performance.md).
These tests keep the benchmarks runnable as the template changes, check that ratios are
what the medians say, and that `--write-docs` touches nothing outside the results block.
"""

from __future__ import annotations

import re

import pytest

from berth_tools import ROOT
from support.benchmarks import BEGIN, END, benchmark, reported


def assert_ratio(rows: dict[str, re.Match], name: str, baseline: str) -> None:
    """The printed ratio is the candidate's median over the baseline's (to the rounding)."""
    expected = float(rows[name]["median"]) / float(rows[baseline]["median"])
    assert rows[name]["ratio"], name
    assert float(rows[name]["ratio"]) == pytest.approx(expected, abs=0.02), name


def test_native_benchmarks_report_every_row_and_write_only_the_results_block(tmp_path):
    page = tmp_path / "performance.md"
    original = (ROOT / "docs" / "performance.md").read_text()
    page.write_text(original)

    result = benchmark(
        "--only", "copy", "update", "first-prediction", "--repeat", "1",
        "--write-docs", "--docs", str(page),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    rows = reported(result.stdout)
    copies = ["copy: Berth, --skip-tasks", "copy: Berth's file tree, trivial content"]
    for name in copies:
        assert_ratio(rows, name, "copy: trivial template")
    assert "copy: Berth, with tasks" in rows
    [update] = [name for name in rows if re.match(r"update: Berth v\S+ -> HEAD as v", name)]
    assert "(runs migrations/v" in update
    for name in [update, "update: Berth's file tree, trivial content v1 -> v2"]:
        assert_ratio(rows, name, "update: trivial template v1 -> v2")
    steps = ["copy", "uv sync", "train", "evaluate", "predict"]
    assert {"copy to predictions (warm cache)", *(f"step: {s}" for s in steps)} <= set(rows)
    for step in ("evaluate", "predict"):  # the collector's tuning against its floor
        assert_ratio(rows, f"step: {step}", f"{step}, collector defaults (no tuning)")
    total = float(rows["copy to predictions (warm cache)"]["median"])  # one run: the sum
    assert total == pytest.approx(sum(float(rows[f"step: {s}"]["median"]) for s in steps), abs=0.05)

    assert [path.name for path in tmp_path.iterdir()] == ["performance.md"]  # no draft left
    written = page.read_text()
    head, _, rest = written.partition(BEGIN)
    block, _, tail = rest.partition(END)
    assert head == original.partition(BEGIN)[0]
    assert tail == original.partition(END)[2]
    assert "1 runs each." in block
    assert reported(block).keys() == rows.keys()
