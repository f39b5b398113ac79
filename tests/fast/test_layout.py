"""The repository's Python is packages imported by name: nothing edits the import path."""

from __future__ import annotations

from berth_tools import ROOT
from support.commands import run

IMPORT_PATH = "sys" + ".path"  # spelled in two parts so that this file passes its own check


def test_no_python_file_edits_the_import_path():
    listed = ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"]
    files = [name for name in run(listed, cwd=ROOT).stdout.splitlines() if (ROOT / name).is_file()]
    assert "tests/conftest.py" in files
    offenders = [
        f"{name}:{number}"
        for name in files
        if not name.startswith(("template/", "examples/"))
        for number, line in enumerate((ROOT / name).read_text().splitlines(), 1)
        if IMPORT_PATH in line
    ]
    assert not offenders
