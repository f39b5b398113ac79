"""The release list, its tags, CHANGELOG.md and the migrations agree; tags come back on a clone."""

from __future__ import annotations

import shutil

import pytest
import yaml

from berth_tools import ROOT, releases
from support.commands import run
from support.git import git
from support.versions import next_versions


@pytest.fixture
def clone(tmp_path):
    """A clone of this repository without its tags, with the working tree's release files."""
    root = tmp_path / "berth"
    run(["git", "clone", "-q", "--no-tags", ROOT, root])
    for name in ("releases.yml", "CHANGELOG.md", "copier.yml"):
        (root / name).write_text((ROOT / name).read_text())
    run(["git", "-C", root, "rm", "-rq", "--ignore-unmatch", "migrations"])
    shutil.copytree(ROOT / "migrations", root / "migrations")
    return root


FOUNDATION_COMMIT = "0c3500a23a4cccfd8c245268850e15ec39da523c"  # pragma: allowlist secret


def test_release_list_tags_changelog_and_migrations_agree():
    assert releases.problems() == []
    listed = releases.load()
    assert listed[0]["version"] == "0.1.0"
    assert listed[0]["commit"] == FOUNDATION_COMMIT


def test_tags_are_recreated_on_a_clone_without_tags(clone):
    assert run(["git", "-C", clone, "tag"]).stdout == ""
    created = releases.create_tags(clone)
    assert created == [f"v{r['version']}" for r in releases.load(clone)]
    assert releases.create_tags(clone) == []  # idempotent
    for release in releases.load(clone):
        assert releases.resolve(f"v{release['version']}", clone) == release["commit"]


def test_a_tag_pointing_elsewhere_is_refused(clone):
    run(["git", "-C", clone, "tag", "v0.1.0", "HEAD"])
    with pytest.raises(releases.ReleaseError, match="points at"):
        releases.create_tags(clone)


def test_recording_a_release_is_one_step(clone):
    new, _ = next_versions()
    changelog = (clone / "CHANGELOG.md").read_text()
    (clone / "CHANGELOG.md").write_text(
        changelog.replace(
            "## Unreleased\n",
            "## Unreleased\n\nDocker images.\n\n**How to update:** nothing to do.\n",
            1,
        )
    )
    git(clone, "commit", "-qam", "Docker work", "--allow-empty")
    head = releases.resolve("HEAD", clone)
    assert releases.record(new, "Docker images", root=clone) == head
    recorded = releases.load(clone)[-1]
    assert recorded == {
        "version": new,
        "commit": head,
        "date": recorded["date"],
        "summary": "Docker images",
    }
    assert releases.resolve(f"v{new}", clone) == head
    section = releases.changelog_section((clone / "CHANGELOG.md").read_text(), new)
    assert "Docker images." in section and "**How to update:** nothing to do." in section
    assert (clone / "CHANGELOG.md").read_text().index("## Unreleased") < (
        clone / "CHANGELOG.md"
    ).read_text().index(f"## v{new}")
    assert releases.problems(clone) == []
    yaml.safe_load((clone / "releases.yml").read_text())
    with pytest.raises(releases.ReleaseError, match="not above"):
        releases.record(new, "again", root=clone)


def test_record_writes_a_how_to_update_note_when_none_was_written(clone):
    changelog = clone / "CHANGELOG.md"
    head, _, rest = changelog.read_text().partition("## Unreleased\n")
    _, _, older = rest.partition("\n## v")
    changelog.write_text(f"{head}## Unreleased\n\n## v{older}")  # nothing written yet
    _, fix = next_versions()
    releases.record(fix, "A fix", root=clone)
    section = releases.changelog_section((clone / "CHANGELOG.md").read_text(), fix)
    assert "A fix" in section and "**How to update:**" in section


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (
            "{{ _stage == 'after' }}",
            ["copier.yml: migration 0.2.0 must run in the before stage (when:)"],
        ),
        (
            "{{ _stage == 'before' }}",
            ["copier.yml: migration 0.2.0 must run in the after stage (when:)"],
        ),
        (
            "{{ _stage in ['before', 'after', 'task'] }}",
            [],
        ),
    ],
)
def test_a_migration_runs_in_the_stages_it_has_work_in(clone, when, expected):
    """v0.2.0 moves files: its before stage starts the base render, its after stage merges."""
    head, migrations = (clone / "copier.yml").read_text().split("\n_migrations:\n", 1)
    entry = "    when: \"{{ _stage in ['before', 'after'] }}\"\n"
    assert migrations.index(entry) < migrations.index("every_update.py")  # v0.2.0's entry
    migrations = migrations.replace(entry, f'    when: "{when}"\n', 1)
    (clone / "copier.yml").write_text(f"{head}\n_migrations:\n{migrations}")
    assert [p for p in releases.problems(clone) if "stage" in p] == expected


def test_a_stage_without_work_is_flagged(clone):
    """A release that only renames answers has nothing to do after the update."""
    script = clone / "migrations" / "v0.2.0.py"
    text = script.read_text()
    declared = text[
        text.index("MIGRATION = Migration(") : text.index('\nif __name__ == "__main__":')
    ]
    script.write_text(
        text.replace(declared, 'MIGRATION = Migration(answers_renamed={"old": "project_name"})\n')
    )
    assert [p for p in releases.problems(clone) if "stage" in p] == [
        "copier.yml: migration 0.2.0 has nothing to do in the after stage; drop it from its `when:`"
    ]
