"""Fast tier: render every answer combination and check the output without installing it.

What each answer adds (files, lock, text it must leave out) comes from the options
manifest, berth_tools.options; tests/fast/test_options.py keeps the manifest honest.
"""

from __future__ import annotations

import ast
import json
import keyword
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from berth_tools import ROOT, options, relock
from berth_tools.matrix import choices, combinations
from support.commands import run
from support.environments import environment
from support.rendering import copy_command, render

UNRENDERED = re.compile(r"(?<!\$)\{\{|\{%|%\}")  # GitHub Actions expressions are ${{ ... }}
# docker/metadata-action's own placeholders, as in `type=semver,pattern={{major}}.{{minor}}`
METADATA_ACTION_PLACEHOLDER = re.compile(r"\{\{(version|major|minor|patch)\}\}")
COMBINATIONS = combinations()
ANSWERS_FILE = ".copier-answers.yml"  # records every answer, the ones that add nothing too


def all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_matrix_covers_every_choice_value():
    for name, values in choices().items():
        assert {c[name] for c in COMBINATIONS if name in c} == set(values), name


def test_no_unrendered_jinja(rendered):
    _, root = rendered
    leftovers = []
    for path in all_files(root):
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if UNRENDERED.search(METADATA_ACTION_PLACEHOLDER.sub("", line)):
                leftovers.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert not leftovers, "\n".join(leftovers)
    assert not [p for p in all_files(root) if p.suffix == ".jinja"]


def test_exactly_the_files_the_answers_ask_for(rendered):
    """Every file of every project, conditional or not, is accounted for by the manifest."""
    answers, root = rendered
    present = {str(p.relative_to(root)) for p in all_files(root)}
    expected = options.expected_files(answers, "demo_project")
    assert not expected - present, f"missing: {sorted(expected - present)}"
    assert (
        not present - expected
    ), f"files the answers did not ask for: {sorted(present - expected)}"


def test_an_answer_leaves_no_trace_of_what_it_turned_down(rendered):
    """Saying no to DVC leaves no trace of it, and so for every value that promises that."""
    answers, root = rendered
    absent = options.absent_text(answers)
    if not absent:
        pytest.skip("these answers promise no absence")
    traces = []
    for path in all_files(root):
        name = str(path.relative_to(root))
        if name == ANSWERS_FILE:  # it records the choice itself, as `copier update` needs
            continue
        haystack = (name + "\n" + path.read_text()).lower()
        traces += [f"{name}: {text}" for text in absent if text.lower() in haystack]
    assert not traces


def test_every_file_parses(rendered):
    _, root = rendered
    for path in all_files(root):
        text = path.read_text()
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
        elif path.suffix == ".toml" or path.name == "uv.lock":
            tomllib.loads(text)
        elif path.suffix in {".yml", ".yaml"}:
            list(yaml.safe_load_all(text))
        elif path.suffix in {".json", ".ipynb"}:
            json.loads(text)


def test_answers_are_recorded_for_updates(rendered):
    answers, root = rendered
    recorded = yaml.safe_load((root / ".copier-answers.yml").read_text())
    assert recorded["_src_path"]
    for key, value in answers.items():
        assert recorded[key] == value


def test_pyproject_metadata(rendered):
    answers, root = rendered
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    project = pyproject["project"]
    assert project["name"] == "demo-project"
    assert project["scripts"] == {"demo-project": "demo_project.__main__:main"}
    if answers["license"] == "proprietary":
        assert "license" not in project
    else:
        assert project["license"] == answers["license"]
        assert project["license-files"] == ["LICENSE"]


def test_license_text_matches_the_choice(rendered):
    answers, root = rendered
    first_lines = {
        "MIT": "MIT License",
        "BSD-3-Clause": "BSD 3-Clause License",
        "Apache-2.0": "Apache License",
        "MPL-2.0": "Mozilla Public License Version 2.0",
    }
    assert set(first_lines) | {"proprietary"} == set(options.OPTIONS["license"])
    if answers["license"] in first_lines:
        text = (root / "LICENSE").read_text()
        assert first_lines[answers["license"]] in text.splitlines()[0] + text.splitlines()[1]
        verbatim = ROOT / "includes" / f"{answers['license']}.txt"  # texts included as they are
        if verbatim.is_file():
            assert text.rstrip() == verbatim.read_text().rstrip()


def test_the_lock_is_the_variant_the_answers_select(rendered):
    answers, root = rendered
    variant = options.lock_variant(answers)
    stored = (relock.LOCKS / f"{variant}.lock").read_text()
    assert (root / "uv.lock").read_text() == relock.rendered(stored, "demo-project"), variant
    names = {package["name"] for package in tomllib.loads(relock.rendered(stored, "x"))["package"]}
    assert {"x", "mlflow", "scikit-learn", "palmerpenguins"} <= names
    assert ("dvc" in names) == answers["use_dvc"]
    assert ("dvc-s3" in names) == bool(answers.get("dvc_s3_remote_url"))


def test_runtime_dependencies_leave_the_server_and_tools_to_groups(rendered):
    """The prod image installs [project.dependencies] only: the MLflow client, no DVC."""
    answers, root = rendered
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    runtime = {re.split(r"[\[<>=]", dep)[0] for dep in pyproject["project"]["dependencies"]}
    assert {"mlflow-skinny", "skops", "fastparquet", "scikit-learn"} <= runtime
    assert not runtime & {"mlflow", "dvc", "pyarrow"}
    groups = pyproject["dependency-groups"]
    assert [dep.split(">")[0] for dep in groups["mlflow"]] == ["mlflow"]
    assert ("dvc" in groups) == answers["use_dvc"]
    default = pyproject["tool"]["uv"]["default-groups"]
    assert default == ["dev", "mlflow", *(["dvc"] if answers["use_dvc"] else [])]
    assert "--no-default-groups" in (root / "Dockerfile").read_text()


def test_dask_adds_the_distributed_runtime_and_the_scheduler_option(rendered):
    """With use_dask, the prod image gets Dask (not pyarrow) and the commands --scheduler."""
    answers, root = rendered
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    dependencies = pyproject["project"]["dependencies"]
    dask = [dep for dep in dependencies if dep.startswith("dask")]
    assert dask == (["dask[distributed]>=2026.1,<2027"] if answers["use_dask"] else [])
    lock = (root / "uv.lock").read_text()
    assert ('name = "distributed"' in lock) == answers["use_dask"]
    cli = (root / "src" / "demo_project" / "cli.py").read_text()
    assert cli.count("@console.scheduler_option") == (2 if answers["use_dask"] else 0)
    assert "def tune(" in cli  # tune runs in local processes without Dask too
    params = (root / "params.yaml").read_text()
    assert "\ntune:\n" in params


EXTENSION_ID = re.compile(r"^[a-z0-9-]+\.[a-z0-9-]+$")


def test_the_dev_container_is_the_compose_stacks_dev_service(rendered):
    """devcontainer.json names what compose.yaml and the Dockerfile really have."""
    answers, root = rendered
    path = root / ".devcontainer" / "devcontainer.json"
    if not answers["use_devcontainer"]:
        assert not path.parent.exists()
        return
    config = json.loads(path.read_text())
    compose = yaml.safe_load((path.parent / config["dockerComposeFile"][0]).read_text())
    services = compose["services"]
    service = services[config["service"]]
    assert (
        set(config["runServices"]) <= set(services) and config["service"] in config["runServices"]
    )
    assert f".:{config['workspaceFolder']}" in service["volumes"]  # the project, mounted
    assert service["build"]["target"] == "dev" and config["overrideCommand"] is True
    dockerfile = (root / "Dockerfile").read_text().split("AS dev", 1)[1]
    assert re.search(rf"useradd .*\b{config['remoteUser']}$", dockerfile, re.MULTILINE)
    assert config["updateRemoteUserUID"] is True  # your uid, not the image's
    published = {
        f"{name}:{port.rsplit(':', 1)[1]}"
        for name, spec in services.items()
        if name in config["runServices"]  # not the profiles' services (serve)
        for port in spec.get("ports", [])
    }
    assert set(config["forwardPorts"]) == published == set(config["portsAttributes"])
    assert config["postCreateCommand"] == "pre-commit install"
    dev_tools = tomllib.loads((root / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    assert any(tool.startswith("pre-commit") for tool in dev_tools)
    vscode = config["customizations"]["vscode"]
    extensions = vscode["extensions"]
    assert all(EXTENSION_ID.match(extension) for extension in extensions)
    expected = {"ms-python.python", "ms-toolsai.jupyter", "charliermarsh.ruff"}
    expected |= {"ms-python.black-formatter", "ms-python.isort"}
    assert expected <= set(extensions)
    assert ("iterative.dvc" in extensions) == answers["use_dvc"]
    assert vscode["settings"]["python.defaultInterpreterPath"] == "/opt/venv/bin/python"
    assert "VIRTUAL_ENV=/opt/venv" in (root / "Dockerfile").read_text()


def test_dvc_pipeline_and_default_local_remote(tmp_path):
    root = render(tmp_path / "demo-project")
    pipeline = yaml.safe_load((root / "dvc.yaml").read_text())
    assert list(pipeline["stages"]) == ["prepare", "train", "evaluate"]
    assert pipeline["stages"]["train"]["cmd"] == "demo-project train --from-splits"
    assert pipeline["stages"]["evaluate"]["metrics"] == [{"${outputs.metrics}": {"cache": False}}]
    config = (root / ".dvc/config").read_text()
    # .dvc/config paths are relative to .dvc/: this is ../demo-project-dvc-storage from the project.
    assert config.splitlines() == [
        "[core]",
        "    remote = local",
        "['remote \"local\"']",
        "    url = ../../demo-project-dvc-storage",
    ]
    gitignored = (root / ".gitignore").read_text().splitlines()
    assert "!reports/metrics.json" in gitignored  # metrics are cache: false, so git keeps them


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("/srv/dvc/demo", "/srv/dvc/demo"),
        ("~/dvc-storage/demo", "~/dvc-storage/demo"),
        ("../../shared/demo", "../../../shared/demo"),
    ],
)
def test_local_remote_paths(tmp_path, remote, url):
    root = render(tmp_path / "demo-project", {"dvc_local_remote": remote})
    assert f"    url = {url}" in (root / ".dvc/config").read_text().splitlines()


def test_s3_remote_adds_the_extra_and_a_second_remote(tmp_path):
    answers = {
        "dvc_s3_remote_url": "s3://team-bucket/demo",
        "dvc_s3_endpoint_url": "https://minio.example.org:9000",
    }
    root = render(tmp_path / "demo-project", answers)
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert any(dep.startswith("dvc[s3]>=") for dep in pyproject["dependency-groups"]["dvc"])
    lock = tomllib.loads((root / "uv.lock").read_text())
    assert {"dvc", "dvc-s3"} <= {package["name"] for package in lock["package"]}
    config = (root / ".dvc/config").read_text()
    assert "    remote = local" in config  # the local folder stays the default
    assert (
        "['remote \"s3\"']\n    url = s3://team-bucket/demo\n    endpointurl = https://minio.example.org:9000"
        in config
    )


def test_copy_tasks_make_a_git_repository_without_a_git_identity(tmp_path):
    env = environment(home=tmp_path / "home")
    destination = tmp_path / "demo-project"
    author = {"author_name": "Ada Lovelace", "author_email": "ada@example.org"}
    run([*copy_command("--quiet", answers=author), ROOT, destination], env=env)

    def git(*command):
        return run(["git", *command], cwd=destination, env=env).stdout.strip()

    assert git("log", "--format=%an <%ae>|%cn <%ce>|%s") == (
        "Ada Lovelace <ada@example.org>|Ada Lovelace <ada@example.org>|Initial commit from the Berth template"
    )
    assert git("status", "--porcelain") == ""
    assert git("branch", "--show-current") == "main"
    tracked = set(git("ls-files").splitlines())
    assert {
        ".copier-answers.yml",
        ".dvc/config",
        ".dvc/.gitignore",
        ".dvcignore",
        "dvc.yaml",
    } <= tracked


def test_copy_tasks_leave_an_enclosing_repository_alone(tmp_path):
    run(["git", "init", "--quiet", tmp_path])
    destination = render(tmp_path / "demo-project", skip_tasks=False)
    assert not (destination / ".git").exists()
    log = run(["git", "log", "--oneline"], cwd=tmp_path, check=False)
    assert log.returncode != 0  # no commit was made in the enclosing repository


@pytest.mark.parametrize(
    ("project_name", "slug", "package"),
    [
        ("Churn Forecast 2", "churn-forecast-2", "churn_forecast_2"),
        ("my_cool.Project", "my-cool-project", "my_cool_project"),
        ("ML", "ml", "ml"),
    ],
)
def test_names_are_derived_from_the_project_name(tmp_path, project_name, slug, package):
    root = render(tmp_path / "out", {"project_name": project_name})
    answers = yaml.safe_load((root / ".copier-answers.yml").read_text())
    assert (answers["project_slug"], answers["package_name"]) == (slug, package)
    assert (root / "src" / package / "cli.py").is_file()


def test_project_name_defaults_to_the_folder_name(tmp_path):
    root = render(tmp_path / "fraud-radar")
    answers = yaml.safe_load((root / ".copier-answers.yml").read_text())
    assert answers["project_name"] == "fraud-radar"
    assert answers["package_name"] == "fraud_radar"


def test_reserved_names_cover_this_interpreter():
    data = yaml.safe_load((ROOT / "includes" / "reserved-names.yml").read_text())
    reserved = set(data["reserved_names"]["default"].split())
    stdlib = {name for name in sys.stdlib_module_names if not name.startswith("_")}
    assert set(keyword.kwlist) <= reserved
    assert stdlib <= reserved
