"""The documentation builds strictly, and its options page is generated from copier.yml."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT
from matrix import questions


def test_docs_build_strictly(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    options = (tmp_path / "site" / "options" / "index.html").read_text()
    for name in questions():
        assert f"<code>{name}</code>" in options, name
