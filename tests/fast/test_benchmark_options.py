"""benchmarks/run.py refuses bad options at once, in one line, before measuring anything."""

from __future__ import annotations

from support.benchmarks import benchmark


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
