"""examples/demo-project is exactly what the template renders now (`uv run berth-example`)."""

from __future__ import annotations

from berth_tools import ROOT, example


def test_the_example_equals_a_fresh_render(tmp_path):
    found = example.differences(example.render(tmp_path / example.EXAMPLE.name))
    assert not found, "stale example; run `uv run berth-example` and commit it:\n" + "\n".join(
        found
    )


def test_the_example_names_no_machine_and_changes_with_the_template_only():
    answers = (example.EXAMPLE / example.ANSWERS_FILE).read_text()
    assert "_commit: HEAD\n" in answers and "_src_path: ../..\n" in answers
    assert f"copyright_year: '{example.DATA['copyright_year']}'\n" in answers
    committed = example.example_files()
    assert "uv.lock" not in committed and "pyproject.toml" in committed
    for path, content in committed.items():
        assert str(ROOT).encode() not in content, path
