"""Tiers from folders, the session-wide renders and projects, the rules of the Docker tier.

A test's tier is the folder it lives in (tests/fast, tests/project, tests/update,
tests/docker): the folder gives it the marker of the same name, so `pytest tests/fast` and
`pytest -m "not docker"` select the same way. What tests share lives in tests/support/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from berth_tools.matrix import combination_id, combinations
from support import docker
from support.projects import Project
from support.rendering import render

TESTS = Path(__file__).resolve().parent
TIERS = ("fast", "project", "update", "docker")
COMBINATIONS = combinations()
# The Docker tier's run of the generated workflows: ci.yml's `test` job runs the generated
# test suite of the default answers, as the project tier does.
WORKFLOWS = "tests/docker/test_workflows.py::test_every_ci_job_passes[defaults]"
WORKFLOWS_SELECTED = pytest.StashKey[bool]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier folder's name (before `-m` selects)."""
    for item in items:
        tier = item.path.relative_to(TESTS).parts[0]
        if tier not in TIERS:
            raise pytest.UsageError(f"{item.nodeid}: tests live in a tier folder {TIERS}")
        item.add_marker(tier)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Remember whether this session runs the generated workflows (after -k and -m)."""
    selected = any(item.nodeid == WORKFLOWS for item in session.items)
    session.config.stash[WORKFLOWS_SELECTED] = selected


@pytest.fixture(scope="session")
def workflows_run_default_suite(request) -> bool:
    """True when this session's Docker tier runs ci.yml's `test` job for the default answers
    (selected, and an engine to run it on, or CI=true, where the Docker tier may not skip):
    that job runs the generated test suite the project tier would otherwise run again."""
    if not request.config.stash.get(WORKFLOWS_SELECTED, False):
        return False
    return docker.IN_CI or docker.engine_available()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any):
    """--dist loadfile, with the whole Docker tier on one worker (one engine, shared names)."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class TierScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith("tests/docker/"):
                return "tests/docker"
            return super()._split_scope(nodeid)

    return TierScheduling(config, log)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped Docker test is a failure, whatever skipped it."""
    outcome = yield
    report = outcome.get_result()
    if docker.IN_CI and report.skipped and item.get_closest_marker("docker") is not None:
        report.outcome = "failed"
        report.longrepr = (
            f"skipped under CI=true, which is not allowed for Docker tests: {report.longrepr}"
        )


def pytest_terminal_summary(terminalreporter):
    if docker.FIGURES:
        terminalreporter.section("Docker tier figures")
        for name, value in docker.FIGURES.items():
            terminalreporter.write_line(f"{name:<55} {value}")


@pytest.fixture(scope="session", params=COMBINATIONS, ids=[combination_id(c) for c in COMBINATIONS])
def rendered(request, tmp_path_factory) -> tuple[dict[str, Any], Path]:
    """Every answer combination, rendered once per session (tests must not modify it)."""
    destination = tmp_path_factory.mktemp("render") / "demo-project"
    return request.param, render(destination, request.param)


@pytest.fixture(scope="module")
def make_project(tmp_path_factory):
    """Render and install a project once per module and answer set."""
    cache: dict[str, Project] = {}

    def factory(
        answers: dict[str, Any] | None = None, name: str = "demo-project", tasks: bool = False
    ) -> Project:
        """`tasks=True` also runs the copy-time tasks (git init and the first commit)."""
        key = repr(sorted((answers or {}).items())) + name + repr(tasks)
        if key not in cache:
            tmp = tmp_path_factory.mktemp("project")
            project = Project(render(tmp / name, answers, skip_tasks=not tasks), tmp)
            project.install()
            cache[key] = project
        return cache[key]

    return factory
