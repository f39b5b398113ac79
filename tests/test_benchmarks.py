"""benchmarks/run.py runs end to end, once per benchmark, and reports every row it promises.

No time is asserted here: targets live in the benchmark's own figures (docs/performance.md).
These tests keep the benchmarks runnable as the template changes, check that ratios are
what the medians say, that `--write-docs` touches nothing outside the results block, and
that the Docker benchmark leaves nothing behind.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import ROOT, docker_engine_available, run, skip_without

RUN = ROOT / "benchmarks" / "run.py"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
ROW = re.compile(
    r"^\| (?P<name>[^|]+?) \| (?P<median>[\d.]+) (?P<unit>s|MB) "
    r"\| (?P<low>[\d.]+)-(?P<high>[\d.]+) (?:s|MB) \| (?:(?P<ratio>[\d.]+)x)? \| [^|]* \|$",
    re.MULTILINE,
)


def benchmark(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run([sys.executable, RUN, *args], cwd=ROOT, check=check)


def reported(output: str) -> dict[str, re.Match]:
    rows = {match["name"]: match for match in ROW.finditer(output)}
    for name, row in rows.items():
        low, median, high = float(row["low"]), float(row["median"]), float(row["high"])
        assert 0 <= low <= median <= high, name
    return rows


def assert_ratio(rows: dict[str, re.Match], name: str, baseline: str) -> None:
    """The printed ratio is the candidate's median over the baseline's (to the rounding)."""
    expected = float(rows[name]["median"]) / float(rows[baseline]["median"])
    assert rows[name]["ratio"], name
    assert float(rows[name]["ratio"]) == pytest.approx(expected, abs=0.02), name


@pytest.mark.project
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


def test_bad_options_stop_at_once_with_one_line(tmp_path):
    no_markers = tmp_path / "page.md"
    no_markers.write_text("# Performance\n")
    cases = {
        ("--repeat", "0"): "--repeat must be at least 1",
        ("--only", "nothing"): "invalid choice: 'nothing'",
        ("--docs", str(no_markers)): "add --write-docs",
        ("--write-docs", "--docs", str(tmp_path / "missing.md")): "cannot read",
        ("--write-docs", "--docs", str(no_markers)): "has no <!-- results:begin -->",
    }
    for args, message in cases.items():
        result = benchmark(*args, check=False)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr, args
        assert result.stdout == "", args
    assert no_markers.read_text() == "# Performance\n"


@pytest.mark.docker
def test_docker_benchmark_reports_its_rows_and_leaves_nothing_behind():
    if not docker_engine_available():
        skip_without("a Docker engine")

    def leftovers() -> list[str]:
        images = run(
            ["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]
        ).stdout.split()
        resources = [image for image in images if image.startswith("berth-bench-")]
        for kind in ("container", "volume", "network"):
            resources += run(
                ["docker", kind, "ls", *(["--all"] if kind == "container" else []),
                 "--filter", "label=com.docker.compose.project", "--format",
                 '{{.Label "com.docker.compose.project"}}'],
            ).stdout.split()  # fmt: skip
        return sorted(name for name in resources if name.startswith("berth-bench-"))

    assert leftovers() == []
    result = benchmark("--only", "docker", "--repeat", "1")

    assert result.returncode == 0, result.stderr[-3000:]
    rows = reported(result.stdout)
    size = rows["docker: prod image above its base"]
    assert size["unit"] == "MB" and float(size["median"]) > 0
    for name in [
        "docker: rebuild prod after a one-line source change",
        "docker: rebuild dev after a one-line source change",
        "docker: compose up --wait (built images, new volumes)",
    ]:
        assert rows[name]["unit"] == "s", name
    assert leftovers() == []
