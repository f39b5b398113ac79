"""Provenance tags: the git commit and dirty flag, and the dvc.lock hashes of a run's inputs."""

import shutil
import subprocess

import pytest
import yaml

from demo_project.io import provenance

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


# An identity for this test's commits only: the machine may have none configured.
IDENTITY = ("user.name=Test", "user.email=test@example.org", "commit.gpgsign=false")


def git(*args: str) -> str:
    config = [option for setting in IDENTITY for option in ("-c", setting)]
    result = subprocess.run(["git", *config, *args], check=True, capture_output=True, text=True)
    return result.stdout.strip()


@pytest.fixture
def repository(project):
    git("init", "--quiet")
    (project / "code.py").write_text("print('v1')\n")
    git("add", "--all")
    git("commit", "--quiet", "--no-verify", "-m", "first")
    return project


@needs_git
def test_outside_a_repository_there_are_no_git_tags(project, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(project.parent))
    assert provenance.git_tags() == {}


@needs_git
def test_a_clean_tree_is_tagged_with_its_commit(repository):
    assert provenance.git_tags() == {"git.commit": git("rev-parse", "HEAD"), "git.dirty": "false"}


@needs_git
@pytest.mark.parametrize("change", ["edit", "new file"])
def test_changes_make_the_tree_dirty(repository, change):
    if change == "edit":
        (repository / "code.py").write_text("print('v2')\n")
    else:
        (repository / "new.py").write_text("")
    assert provenance.git_tags()["git.dirty"] == "true"


@needs_git
def test_dvc_lock_rewritten_by_the_pipeline_is_not_a_change(repository):
    (repository / "dvc.lock").write_text("schema: '2.0'\n")
    git("add", "dvc.lock")
    git("commit", "--quiet", "--no-verify", "-m", "lock")
    (repository / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")
    assert provenance.git_tags()["git.dirty"] == "false"


def lock_with(entries: dict[str, str]) -> str:
    outs = [{"path": path, "hash": "md5", "md5": md5} for path, md5 in entries.items()]
    return yaml.safe_dump({"schema": "2.0", "stages": {"prepare": {"cmd": "x", "outs": outs}}})


def test_inputs_are_tagged_with_their_dvc_lock_hash(project):
    import hashlib
    from pathlib import Path

    (project / "train.parquet").write_bytes(b"train rows")
    (project / "test.parquet").write_bytes(b"test rows")
    (project / "other.csv").write_bytes(b"not in the lock")
    (project / "dvc.lock").write_text(
        lock_with(
            {
                "train.parquet": hashlib.md5(b"train rows").hexdigest(),
                "test.parquet": hashlib.md5(b"older test rows").hexdigest(),
            }
        )
    )
    tags = provenance.dvc_tags([Path("train.parquet"), Path("test.parquet"), Path("other.csv")])
    assert tags == {
        "dvc.lock.train.parquet": hashlib.md5(b"train rows").hexdigest(),
        "dvc.lock.test.parquet": "modified",
    }


def test_without_dvc_lock_there_are_no_dvc_tags(project):
    from pathlib import Path

    assert provenance.dvc_tags([Path("train.parquet")]) == {}
