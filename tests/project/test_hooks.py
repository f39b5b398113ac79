"""Slow tier: the generated project's real pre-commit config, run through local stand-ins.

The config is used exactly as generated; only git is redirected to stand-in hook
repositories (`berth_tools.standins`) because GitHub is out of reach. A fresh project
passes every hook without a file changing; broken code makes the hooks fail and fix it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from support.commands import run
from support.projects import pre_commit
from support.rendering import render


def git_project(source: Path, destination: Path) -> Path:
    """A copy of a rendered project, as a git repository with every file staged."""
    shutil.copytree(source, destination)
    run(["git", "init", "--quiet", "--initial-branch=main"], cwd=destination)
    run(["git", "add", "--all"], cwd=destination)
    return destination


def unstaged_changes(root: Path) -> str:
    """Files changed or created since `git add --all` (everything was staged before the run)."""
    changed = run(["git", "diff", "--name-only"], cwd=root).stdout
    created = run(["git", "ls-files", "--others", "--exclude-standard"], cwd=root).stdout
    return (changed + created).strip()


def test_fresh_project_passes_every_hook_unchanged(rendered, tmp_path):
    _, source = rendered
    root = git_project(source, tmp_path / "demo-project")
    result = pre_commit(root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Failed" not in result.stdout
    assert unstaged_changes(root) == "", "hooks modified a freshly generated project"


def test_longest_names_pass_every_hook_unchanged(tmp_path):
    """Names at their maximum length must not push template lines past black's limit."""
    package = "customer_churn_forecasting_retention_aim"  # 40 characters, the maximum
    answers = {
        "project_name": "Customer Churn Forecasting and Retention Intelligence Platform X",
        "project_slug": package.replace("_", "-"),
        "package_name": package,
    }
    assert (len(answers["project_name"]), len(package)) == (64, 40)
    source = render(tmp_path / "render" / "long-names", answers)
    root = git_project(source, tmp_path / "git" / "long-names")
    result = pre_commit(root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert unstaged_changes(root) == ""


UGLY = """import sys
import os
from demo_project import settings
import json


def  shout( text ):
    return json.dumps({'text':text.upper(),'argv':sys.argv,'cwd':os.getcwd(),'settings':settings.__name__})
"""

NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": 3,
            "id": "a1",
            "metadata": {},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": ["42\n"]}],
            "source": ["print(42)"],
        }
    ],
    "metadata": {"language_info": {"name": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_hooks_reject_and_fix_bad_code(tmp_path_factory):
    source = render(tmp_path_factory.mktemp("bad") / "demo-project")
    root = git_project(source, tmp_path_factory.mktemp("bad-git") / "demo-project")
    ugly = root / "src/demo_project/ugly.py"
    ugly.write_text(UGLY)
    notebook = root / "notebooks/explore.ipynb"
    notebook.parent.mkdir(exist_ok=True)  # the template ships notebooks/ too
    notebook.write_text(json.dumps(NOTEBOOK, indent=1) + "\n")
    run(["git", "add", "--all"], cwd=root)

    failed = pre_commit(root)
    assert failed.returncode != 0
    for hook in ("isort", "black", "nbstripout"):
        assert any(
            line.startswith(hook) and line.endswith("Failed") for line in failed.stdout.splitlines()
        ), f"{hook} did not fail:\n{failed.stdout}"
    fixed = ugly.read_text()
    assert fixed.startswith(
        "import json\nimport os\nimport sys\n\nfrom demo_project import settings\n"
    )
    assert "def shout(text):" in fixed
    assert "'" not in fixed  # black's double quotes
    assert json.loads(notebook.read_text())["cells"][0]["outputs"] == []

    run(["git", "add", "--all"], cwd=root)
    again = pre_commit(root)
    assert again.returncode == 0, again.stdout + again.stderr

    # Problems no tool can fix still block the commit: a linter finding, a risky
    # Dockerfile, a key, a workflow that is not pinned.
    (root / "src/demo_project/unused.py").write_text("import os\n")
    (root / "Dockerfile").write_text("FROM python:latest\nRUN cd /tmp && pip install numpy\n")
    key_header = "-----BEGIN OPENSSH " + "PRIVATE KEY-----"  # split: our own hooks scan this file
    (root / "id_deploy").write_text(f"{key_header}\nAAAA\n")
    workflow = root / ".github/workflows/unpinned.yml"
    workflow.write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
        "    permissions: {}\n    steps:\n      - uses: docker/setup-buildx-action@v3\n"
    )
    run(["git", "add", "--all"], cwd=root)
    blocked = pre_commit(root)
    assert blocked.returncode != 0
    for hook in ("ruff-check", "Lint Dockerfiles", "detect-private-key", "zizmor"):
        assert any(
            line.startswith(hook) and line.endswith("Failed")
            for line in blocked.stdout.splitlines()
        ), f"{hook} did not fail:\n{blocked.stdout}"
    assert "F401" in blocked.stdout and "DL3007" in blocked.stdout and "unpinned" in blocked.stdout
