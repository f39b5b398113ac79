"""Unit tests of berth_migrations, the code every release migration runs."""

from __future__ import annotations

import shutil

import pytest

from berth_migrations import renders
from berth_migrations.config import (
    invalid_answers,
    load_copier_config,
    migrate_answers,
    question_choices,
)
from berth_migrations.git import find_conflicts, head_bytes, head_files, merge
from berth_tools import ROOT
from support.commands import python, run
from support.git import commit_all, git


def test_migrate_answers_renames_maps_drops_and_is_idempotent():
    old = {
        "_commit": "v1.0.0",
        "author": "Ada",
        "flavour": "strawberry",
        "tags": ["a", "b"],
        "gone": 1,
    }
    changes = {
        "renamed": {"author": "maintainer"},
        "mapped": {"flavour": {"strawberry": "chocolate"}, "tags": {"a": "z"}},
        "dropped": ["gone"],
    }
    once = migrate_answers(old, **changes)
    assert once == {
        "_commit": "v1.0.0",
        "maintainer": "Ada",
        "flavour": "chocolate",
        "tags": ["z", "b"],
    }
    assert migrate_answers(once, **changes) == once
    assert old["author"] == "Ada"  # pure


def test_a_rename_never_overwrites_an_answer_already_given():
    assert migrate_answers(
        {"author": "old", "maintainer": "new"}, renamed={"author": "maintainer"}
    ) == {"maintainer": "new"}


def test_invalid_answers_names_removed_choices_and_questions():
    config = {
        "flavour": {"choices": ["vanilla", "chocolate"]},
        "licence": {"choices": {"MIT licence": "MIT", "None": "proprietary"}},
        "name": {"type": "str"},
        "computed": {"choices": ["{{ name }}"]},
    }
    answers = {
        "_commit": "x",
        "flavour": "mint",
        "licence": "MIT",
        "name": "n",
        "computed": "y",
        "old": 1,
    }
    assert invalid_answers(answers, config) == [
        "flavour: 'mint' is no longer a choice (choices: 'vanilla', 'chocolate')",
        "old: this template version has no such question",
    ]
    assert invalid_answers(answers, config, overrides={"flavour": "vanilla", "old": None}) == []


def test_the_real_copier_yml_loads_with_its_includes():
    config = load_copier_config(ROOT)
    assert config["reserved_names"]["default"]  # from includes/reserved-names.yml
    choices = question_choices(config["license"])  # {label: value}: the values
    assert choices == list(config["license"]["choices"].values())
    assert "MIT" in choices and "Proprietary (all rights reserved)" not in choices
    assert any("every_update.py" in str(m["command"]) for m in config["_migrations"])


def test_merge_is_three_way_and_marks_conflicts_like_copier():
    base = b"a\nb\nc\nd\ne\n"
    merged, conflicted = merge(b"a\nB\nc\nd\ne\n", base, b"a\nb\nc\nd\nE\n")
    assert (merged, conflicted) == (b"a\nB\nc\nd\nE\n", False)
    merged, conflicted = merge(b"a\nUSER\nc\nd\ne\n", base, b"a\nTEMPLATE\nc\nd\ne\n")
    assert conflicted
    assert b"<<<<<<< before updating\nUSER\n=======\nTEMPLATE\n>>>>>>> after updating\n" in merged
    # Idempotent: merging the same edits again gives the same result.
    assert merge(b"a\nB\nc\nd\ne\n", base, b"a\nB\nc\nd\nE\n") == (b"a\nB\nc\nd\nE\n", False)


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    project = root / "sub"  # a project in a subfolder of its repository
    project.mkdir(parents=True)
    (root / ".gitignore").write_text("*.rej\n")
    (project / "clean.txt").write_text("clean\n")
    (project / "edited.txt").write_text("one\n")
    (project / "data.bin").write_bytes(b"\0<<<<<<< not text\n")
    git(root, "init", "-q")
    commit_all(root, "init")
    return project


def test_find_conflicts_lists_markers_and_rej_files(repo):
    assert find_conflicts(repo) == []
    (repo / "edited.txt").write_text(
        "<<<<<<< before updating\nmine\n=======\ntheirs\n>>>>>>> after updating\n"
    )
    (repo / "new.txt").write_text("text\n>>>>>>> after updating\n")
    (repo / "clean.txt.rej").write_text("@@ rejected hunk\n")  # ignored by .gitignore, still found
    (repo / "data.bin").write_bytes(b"\0<<<<<<< binary, changed\n")
    assert find_conflicts(repo) == ["clean.txt.rej", "edited.txt", "new.txt"]


def test_find_conflicts_skips_ignored_folders_but_not_rej_files_of_committed_files(repo):
    """An ignored .venv/ is not listed file by file; a .rej next to a committed file is found."""
    (repo.parent / ".gitignore").write_text("*.rej\n.venv/\nkept/\n")
    site = repo / ".venv" / "lib"
    site.mkdir(parents=True)
    (site / "vendored.py").write_text("<<<<<<< not the user's business\n")
    (site / "patch.rej").write_text("@@ not next to a committed file\n")
    kept = repo / "kept"
    kept.mkdir()
    (kept / "forced.txt").write_text("committed although its folder is ignored\n")
    git(repo, "add", "--force", "kept/forced.txt")
    git(repo, "commit", "-qm", "forced")
    (kept / "forced.txt.rej").write_text("@@ rejected hunk\n")
    (repo / "edited.txt.rej").write_text("@@ rejected hunk\n")
    assert find_conflicts(repo) == ["edited.txt.rej", "kept/forced.txt.rej"]


def test_head_files_and_contents_are_relative_to_the_project(repo):
    assert head_files(repo) == {"clean.txt", "edited.txt", "data.bin"}
    (repo / "clean.txt").unlink()
    assert head_bytes(repo, "clean.txt") == b"clean\n"
    assert head_bytes(repo, "missing.txt") is None


def test_release_scripts_import_the_package_from_beside_them(tmp_path):
    """On users' machines nothing is installed: Python finds the package next to the script,
    and finds that copy before any other (here, the one installed for development)."""
    shutil.copytree(ROOT / "migrations", tmp_path / "migrations")
    probe = tmp_path / "migrations" / "probe.py"
    probe.write_text("import berth_migrations\nprint(berth_migrations.__file__)\n")
    found = run(python(probe), cwd=tmp_path).stdout.strip()
    assert found == str(tmp_path / "migrations" / "berth_migrations" / "__init__.py")


def test_the_background_render_refuses_a_bad_command_in_one_line(tmp_path):
    result = run(python("-m", "berth_migrations", "draw"), cwd=ROOT / "migrations", check=False)
    assert result.returncode != 0
    assert result.stderr.strip() == "usage: python -m berth_migrations render SPEC"


def test_only_lets_exactly_the_given_paths_through():
    assert renders.only(["a b ", "c*d"]) == ["*", "!/a b\\ ", "!/c\\*d"]
