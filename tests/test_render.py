"""Fast tier: render every answer combination and check the output without installing it."""

from __future__ import annotations

import ast
import keyword
import os
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, WORKING_TREE, copier_command, render, run
from matrix import combinations

UNRENDERED = re.compile(r"(?<!\$)\{\{|\{%|%\}")  # GitHub Actions expressions are ${{ ... }}
# docker/metadata-action's own placeholders, as in `type=semver,pattern={{major}}.{{minor}}`
METADATA_ACTION_PLACEHOLDER = re.compile(r"\{\{(version|major|minor|patch)\}\}")
COMBINATIONS = combinations()


def expected_files(answers: dict, package: str) -> set[str]:
    files = {
        ".copier-answers.yml",
        ".gitignore",
        ".hadolint.yaml",
        ".pre-commit-config.yaml",
        "Makefile",
        "README.md",
        "params.yaml",
        "pyproject.toml",
        "uv.lock",
        "data/raw/.gitkeep",
        f"src/{package}/__init__.py",
        f"src/{package}/__main__.py",
        f"src/{package}/cli.py",
        f"src/{package}/settings.py",
        f"src/{package}/records.py",
        f"src/{package}/errors.py",
        f"src/{package}/core/__init__.py",
        f"src/{package}/core/features.py",
        f"src/{package}/core/model.py",
        f"src/{package}/core/metrics.py",
        f"src/{package}/core/plots.py",
        f"src/{package}/core/schema.py",
        f"src/{package}/core/promotion.py",
        f"src/{package}/io/__init__.py",
        f"src/{package}/io/files.py",
        f"src/{package}/io/params.py",
        f"src/{package}/io/tracking.py",
        f"src/{package}/io/provenance.py",
        f"src/{package}/io/logs.py",
        f"src/{package}/io/logging.yaml",
        f"src/{package}/jobs/__init__.py",
        f"src/{package}/jobs/prepare.py",
        f"src/{package}/jobs/train.py",
        f"src/{package}/jobs/evaluate.py",
        f"src/{package}/jobs/predict.py",
        f"src/{package}/jobs/progress.py",
        "tests/conftest.py",
        "tests/integration/test_cli.py",
        "tests/integration/test_jobs.py",
        "tests/unit/test_architecture.py",
        "tests/integration/test_provenance.py",
    }
    if answers["license"] != "proprietary":
        files.add("LICENSE")
    if answers["use_dvc"]:
        files |= DVC_FILES
    if answers["ci_provider"] == "github":
        files |= {
            ".github/dependabot.yml",
            ".github/workflows/ci.yml",
            ".github/workflows/template-update.yml",
        }
        if answers["registry"] != "none":
            files.add(".github/workflows/release.yml")
    return files


DVC_FILES = {
    ".dvc/config",
    ".dvc/.gitignore",
    ".dvcignore",
    "dvc.yaml",
    "tests/integration/test_pipeline.py",
}


def all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_matrix_covers_every_choice_value():
    from matrix import choices

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


def test_expected_files_for_the_options(rendered):
    answers, root = rendered
    present = {str(p.relative_to(root)) for p in all_files(root)}
    expected = expected_files(answers, "demo_project")
    missing = expected - present
    assert not missing, missing
    if answers["license"] == "proprietary":
        assert "LICENSE" not in present
    if not answers["use_dvc"]:
        assert not DVC_FILES & present
    optional = {p for p in present if p.startswith(".github/")}
    assert optional <= expected, f"files the answers did not ask for: {optional - expected}"


def test_no_dvc_leaves_no_trace(rendered):
    answers, root = rendered
    if answers["use_dvc"]:
        pytest.skip("DVC chosen")
    # The answers file records the choice itself (use_dvc: false), as copier update needs.
    traces = [
        str(path.relative_to(root))
        for path in all_files(root)
        if path.name != ".copier-answers.yml"
        and ("dvc" in str(path.relative_to(root)).lower() or "dvc" in path.read_text().lower())
    ]
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
    }
    if answers["license"] in first_lines:
        text = (root / "LICENSE").read_text()
        assert first_lines[answers["license"]] in text.splitlines()[0] + text.splitlines()[1]


def test_lock_matches_the_project(rendered):
    answers, root = rendered
    lock = tomllib.loads((root / "uv.lock").read_text())
    names = {package["name"] for package in lock["package"]}
    assert "demo-project" in names
    assert {"mlflow", "scikit-learn", "palmerpenguins"} <= names
    assert ("dvc" in names) == answers["use_dvc"]
    assert "dvc-s3" not in names


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
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home), GIT_CONFIG_NOSYSTEM="1")
    destination = tmp_path / "demo-project"
    args = [*copier_command(), "copy", *WORKING_TREE, "--trust", "--defaults", "--quiet"]
    args += ["--data", "author_name=Ada Lovelace", "--data", "author_email=ada@example.org"]
    run([*args, ROOT, destination], env=env)

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
