"""Fast checks of what keeps updates safe: task conditions, and the template-update workflow."""

from __future__ import annotations

import re

import jinja2
import pytest
import yaml

from berth_migrations.config import load_copier_config
from berth_tools import ROOT
from support.rendering import render

WORKFLOW = ".github/workflows/template-update.yml"


def runs(condition: str, operation: str) -> bool:
    text = (
        jinja2.Environment(undefined=jinja2.ChainableUndefined)
        .from_string(str(condition))
        .render(_copier_operation=operation, _stage="task")
    )
    return text.strip().lower() not in {"", "false", "0", "no", "off", "none"}


@pytest.mark.parametrize("task", load_copier_config(ROOT).get("_tasks", []) or [None])
def test_tasks_run_on_copy_only(task):
    """An update renders the old and the new release in temporary folders: no task runs there."""
    if task is None:
        pytest.skip("the template has no tasks")
    condition = task.get("when", "true") if isinstance(task, dict) else "true"
    assert not runs(condition, "update"), f"task runs on update: {task}"


def test_template_update_workflow_only_for_github(tmp_path):
    assert not (render(tmp_path / "none", {"ci_provider": "none"}) / ".github").exists()
    workflow = yaml.safe_load(
        (render(tmp_path / "gh", {"ci_provider": "github"}) / WORKFLOW).read_text()
    )
    assert workflow["permissions"] == {}
    assert set(workflow["jobs"]["update"]["permissions"]) <= {"contents", "pull-requests", "issues"}
    steps = workflow["jobs"]["update"]["steps"]
    script = "\n".join(step.get("run", "") for step in steps)
    assert "copier check-update" in script
    assert "copier update --trust --defaults" in script
    assert "gh pr create" in script and "--label" in script and "conflicts.txt" in script
    assert "schedule" in workflow[True]  # YAML 1.1 reads the `on:` key as True


def test_workflow_actions_are_pinned_to_commits():
    text = next(ROOT.glob("template/*/workflows/template-update.yml")).read_text()
    uses = re.findall(r"uses:\s*(\S+)(.*)", text)
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.search(r"#\s*v\d", comment), f"{action}: no version comment"
