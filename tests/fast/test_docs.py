"""The documentation builds strictly, and its options page is generated from copier.yml."""

from __future__ import annotations

from berth_migrations.config import load_copier_config, questions
from berth_tools import ROOT
from berth_tools.options import OPTIONS
from support.commands import python, run


def test_docs_build_strictly(tmp_path):
    run(python("-m", "mkdocs", "build", "--strict", "--site-dir", tmp_path / "site"), cwd=ROOT)
    options = (tmp_path / "site" / "options" / "index.html").read_text()
    for name in questions(load_copier_config(ROOT)):
        assert f"<code>{name}</code>" in options, name
    # What each value adds, from the options manifest.
    for values in OPTIONS.values():
        for entry in values.values():
            for path in entry.files:
                assert f"<code>{path}</code>" in options, path
