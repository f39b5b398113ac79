"""Every update guarantee, proven on a synthetic three-release history (support.updates).

Each test runs on the oldest Copier the template supports (installed into a uv tool
environment, where Berth's packages are not: the migrations import berth_migrations from
beside them) and on the latest.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from support.commands import python, run
from support.git import commit_all, git
from support.updates import APP_CFG, COPIER_VERSIONS, LATEST, Copier, build_synthetic


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    return build_synthetic(tmp_path_factory.mktemp("synthetic") / "template")


@pytest.fixture(scope="module", params=COPIER_VERSIONS, ids=lambda v: f"copier-{v}")
def copier_version(request) -> str:
    return request.param


@pytest.fixture
def copier(copier_version, tmp_path) -> Copier:
    return Copier(copier_version, tmp_path / "home")


@pytest.fixture(scope="module")
def jumped(copier_version, template, tmp_path_factory):
    """A v1 project with edits, updated straight to v3 (shared by several tests)."""
    tmp = tmp_path_factory.mktemp("jump")
    copier = Copier(copier_version, tmp / "home")
    project = v1_project_with_edits(copier, template, tmp)
    return copier, project, copier.update(project)


def edit_line(path: Path, index: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[index] = text
    path.write_text("\n".join(lines) + "\n")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text + "\n")


def answers(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def status(project: Path) -> str:
    return git(project, "status", "--porcelain", "--untracked-files=all")


def v1_project_with_edits(
    copier: Copier, template: Path, tmp_path: Path, conflicting: bool = False
) -> Path:
    """A v1 project answered away from the defaults, with user edits committed."""
    project = copier.copy(
        template, tmp_path / "project", "v1.0.0", {"author": "Ada", "flavour": "strawberry"}
    )
    edit_line(project / "app.cfg", 1 if conflicting else 3, "setting_x = USER")
    append(project / "info.txt", "user note")
    append(project / "legacy.txt", "user line")
    commit_all(project, "User edits")
    return project


def test_jump_carries_every_edit_through_every_release(jumped):
    _, project, result = jumped
    assert result.returncode == 0, result.stderr
    expected = list(APP_CFG)
    expected[1] = "setting_2 = 20  # changed in v2"  # v2's change, carried through v3
    expected[3] = "setting_x = USER"  # the user's edit, moved twice
    expected[6] = "setting_7 = 70  # changed in v3"
    assert (project / "conf/app.ini").read_text().splitlines() == expected
    assert not (project / "app.cfg").exists() and not (project / "conf/app.cfg").exists()
    # Answers: renamed question and removed choice mapped, none fell back to a default.
    recorded = answers(project)
    assert recorded["_commit"] == "v3.0.0"
    assert recorded["maintainer"] == "Ada" and "author" not in recorded
    assert recorded["flavour"] == "chocolate"
    assert (
        project / "info.txt"
    ).read_text() == "flavour = chocolate\nmaintainer = Ada\nend\nuser note\n"
    # A file the template deleted is kept because the user had edited it, and said so.
    assert (project / "legacy.txt").read_text().endswith("user line\n")
    assert "legacy.txt: kept with your edits" in result.stderr


def test_step_by_step_equals_the_jump(jumped, copier, template, tmp_path):
    _, jumped, _ = jumped
    stepped = v1_project_with_edits(copier, template, tmp_path / "steps")
    for ref in ("v2.0.0", "v3.0.0"):
        result = copier.update(stepped, ref=ref)
        assert result.returncode == 0, result.stderr
        assert answers(stepped)["_commit"] == ref
        commit_all(stepped, f"Update to {ref}")
    for path in ("conf/app.ini", "info.txt", "legacy.txt", ".copier-answers.yml"):
        assert (stepped / path).read_text() == (jumped / path).read_text(), path


def test_conflicts_are_loud_and_left_for_the_user(copier, template, tmp_path):
    project = v1_project_with_edits(copier, template, tmp_path, conflicting=True)
    edit_line(project / "info.txt", 1, "author = Someone Else")  # the line v2 rewrites
    commit_all(project, "Conflicting edits")
    result = copier.update(project, ref="v2.0.0")
    assert result.returncode != 0
    listed = result.stderr.split("conflicts to resolve in these files:")[1]
    assert "conf/app.cfg" in listed and "info.txt" in listed
    merged = (project / "conf/app.cfg").read_text()
    assert (
        "<<<<<<< before updating\nsetting_x = USER\n=======\nsetting_2 = 20  # changed in v2\n>>>>>>> after updating"
        in merged
    )
    assert "<<<<<<< before updating" in (project / "info.txt").read_text()
    assert answers(project)["_commit"] == "v2.0.0"  # the update itself is kept


def test_rejected_hunks_are_loud_and_hold_the_users_edit(copier, template, tmp_path):
    """--conflict rej: the file takes the new release's text, the .rej holds the user's edit.

    Exactly what docs/updating.md says; and the edit survives deleting the .rej, in HEAD.
    """
    project = v1_project_with_edits(copier, template, tmp_path)
    edit_line(project / "info.txt", 1, "author = Someone Else")
    commit_all(project, "Conflicting edit")
    result = copier.update(project, "--conflict", "rej", ref="v2.0.0")
    assert result.returncode != 0
    assert "info.txt.rej" in result.stderr.split("conflicts to resolve in these files:")[1]
    assert "holds your edit" in result.stderr
    assert (project / "info.txt").read_text().splitlines()[1] == "maintainer = Ada"
    rejected = (project / "info.txt.rej").read_text().splitlines()
    assert "-author = Ada" in rejected and "+author = Someone Else" in rejected
    (project / "info.txt.rej").unlink()
    assert "+author = Someone Else" in git(project, "diff", "-R", "HEAD", "--", "info.txt")
    git(project, "checkout", "HEAD", "--", "info.txt")
    assert "author = Someone Else" in (project / "info.txt").read_text()


def test_vcs_ref_picks_the_development_version_and_a_plain_update_will_not_go_back(
    copier, template, tmp_path
):
    """Without --vcs-ref Copier takes the newest release tag, not the checked-out code."""
    developed = tmp_path / "developed"
    git(tmp_path, "clone", "-q", template, developed)
    git(developed, "checkout", "-q", "-B", "main")  # the development branch, as Berth's
    (developed / "template" / "unreleased.txt").write_text("not released yet\n")
    commit_all(developed, "Unreleased work")
    released = copier.copy(developed, tmp_path / "released", "v3.0.0")
    result = copier("copy", "--trust", "--defaults", developed, tmp_path / "plain")
    assert "Copying from template version 3.0.0" in result.stderr
    assert answers(tmp_path / "plain")["_commit"] == "v3.0.0"
    assert not (tmp_path / "plain" / "unreleased.txt").exists()
    head = copier.copy(developed, tmp_path / "head", "HEAD")
    assert answers(head)["_commit"].startswith("v3.0.0-1-g")
    assert (head / "unreleased.txt").exists()

    result = copier.update(released, ref="main")
    assert result.returncode == 0, result.stderr
    assert answers(released)["_commit"].startswith("v3.0.0-1-g")
    assert (released / "unreleased.txt").exists()
    commit_all(released, "On the development version")
    result = copier.update(released)
    assert result.returncode != 0 and "Downgrades are not supported" in result.stderr


def test_untouched_files_simply_follow_the_template(copier, template, tmp_path):
    project = copier.copy(template, tmp_path / "project", "v1.0.0")
    result = copier.update(project)
    assert result.returncode == 0, result.stderr
    assert sorted(line[3:] for line in status(project).splitlines()) == [
        ".copier-answers.yml",
        "app.cfg",
        "conf/app.ini",
        "info.txt",
        "legacy.txt",
    ]
    assert not (project / "legacy.txt").exists()
    assert "berth migration" not in result.stderr
    assert answers(project) | {"_src_path": None} == {
        "_commit": "v3.0.0",
        "_src_path": None,
        "flavour": "vanilla",
        "maintainer": "nobody",
        "name": "demo",
    }


def test_a_file_the_user_deleted_stays_deleted_after_a_move(copier, template, tmp_path):
    project = copier.copy(template, tmp_path / "project", "v1.0.0")
    (project / "app.cfg").unlink()
    commit_all(project, "I do not need app.cfg")
    result = copier.update(project, ref="v2.0.0")
    assert result.returncode == 0, result.stderr
    assert not (project / "conf/app.cfg").exists()


def test_an_answer_no_migration_maps_fails_loudly(copier, template, tmp_path):
    """A release that drops a choice and forgets the migration: the update stops, loudly."""
    forgetful = tmp_path / "forgetful"
    git(tmp_path, "clone", "-q", template, forgetful)
    config = (forgetful / "copier.yml").read_text()
    (forgetful / "copier.yml").write_text(config.replace("  - chocolate\n", "", 1))
    commit_all(forgetful, "v4: drop chocolate, no migration")
    git(forgetful, "tag", "v4.0.0")
    project = copier.copy(forgetful, tmp_path / "project", "v3.0.0", {"flavour": "chocolate"})
    result = copier.update(project)
    assert result.returncode != 0
    assert "flavour: 'chocolate' is no longer a choice" in result.stderr
    assert answers(project)["_commit"] == "v3.0.0"  # nothing was rendered
    git(project, "checkout", "--", ".")
    fixed = copier.update(project, "--data", "flavour=vanilla")
    assert fixed.returncode == 0, fixed.stderr
    assert answers(project)["flavour"] == "vanilla"


def test_same_version_update_changes_nothing(jumped, tmp_path):
    copier, jumped, _ = jumped
    project = tmp_path / "project"
    shutil.copytree(jumped, project, symlinks=True)
    commit_all(project, "Update to v3")
    result = copier.update(project)
    assert result.returncode == 0, result.stderr
    assert status(project) == ""


def test_tasks_run_once_on_copy_in_the_destination_without_a_git_identity(
    copier, template, tmp_path
):
    destination = tmp_path / "project"
    copier.copy(template, destination, "v1.0.0", tasks=True)
    assert copier.task_log == [f"copy {destination}"]
    assert git(destination, "rev-parse", "--show-toplevel").strip() == str(destination)
    result = copier("update", "--trust", "--defaults", destination, check=False)
    assert result.returncode == 0, result.stderr
    assert copier.task_log == [f"copy {destination}"]  # not in the update's temporary renders


def test_release_migrations_run_twice_change_nothing(jumped, template):
    """Run each release migration again, both stages, after a real update: no change."""
    copier, project, _ = jumped
    snapshot = {
        p: p.read_bytes() for p in project.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    env = copier.env | {
        "VERSION_FROM": "v1.0.0",
        "VERSION_TO": "v3.0.0",
        "VERSION_PEP440_FROM": "1.0.0",
        "VERSION_PEP440_TO": "3.0.0",
    }
    for version in ("2.0.0", "3.0.0"):
        for stage in ("before", "after"):
            script = template / "migrations" / f"v{version}.py"
            stage_env = {
                "STAGE": stage,
                "VERSION_CURRENT": version,
                "VERSION_PEP440_CURRENT": version,
            }
            run(python(script, ".copier-answers.yml"), cwd=project, env=env | stage_env)
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == snapshot


def test_before_stage_migration_twice_changes_nothing(template, tmp_path):
    copier = Copier(LATEST, tmp_path / "home")
    project = copier.copy(
        template, tmp_path / "project", "v1.0.0", {"author": "Ada", "flavour": "strawberry"}
    )
    env = copier.env | {
        "STAGE": "before",
        "VERSION_FROM": "v1.0.0",
        "VERSION_TO": "v3.0.0",
        "VERSION_CURRENT": "3.0.0",
    }
    contents = []
    for _ in range(2):
        for version in ("2.0.0", "3.0.0"):
            script = template / "migrations" / f"v{version}.py"
            run(python(script, ".copier-answers.yml"), cwd=project, env=env)
        contents.append((project / ".copier-answers.yml").read_text())
    assert contents[0] == contents[1]
    assert "maintainer: Ada" in contents[0] and "flavour: chocolate" in contents[0]
