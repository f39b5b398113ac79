"""Fast tier: the copy-time tasks (tasks/, `python -m tasks`) as users meet them.

What `copier copy` prints (one short line per task, no temporary path, then the next steps);
the ids the dev containers run as (the folder's owner; a folder that belongs to root gets
the non-root fallback user, which ACLs let write to the project, while root keeps its files
and its git); and `copier recopy`, which runs the tasks again (Copier runs a recopy as a
copy) and changes neither `.env` nor the git history.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from berth_migrations.config import load_copier_config
from berth_tools import ROOT
from support.commands import python, run
from support.environments import environment
from support.git import commit_all
from support.rendering import copy_command, render
from support.updates import release_working_tree

ANSI = re.compile(r"\x1b\[[0-9;]*m")
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (CI and our machines are)")


def env_file(project: Path) -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in (project / ".env").read_text().splitlines()
        if line and not line.startswith("#")
    )


def test_copy_prints_one_short_line_per_task_then_the_next_steps(tmp_path):
    destination = tmp_path / "demo-project"
    result = run([*copy_command(), ROOT, destination], env=environment(home=tmp_path / "home"))
    output = ANSI.sub("", result.stdout + result.stderr)
    lines = output.splitlines()
    assert "copier._" not in output  # Copier's temporary clones and renders of the template
    task_lines = [i for i, line in enumerate(lines) if line.startswith(" > Running task ")]
    assert len(task_lines) == len(load_copier_config(ROOT)["_tasks"])
    for index in task_lines:
        argv = ast.literal_eval(lines[index].split(": ", 1)[1])
        # The only paths: Copier's own Python and the destination the user typed.
        others = [arg for arg in argv if arg not in (sys.executable, str(destination))]
        assert all("/" not in arg and len(arg) < 25 for arg in others), lines[index]
    # The tasks print nothing themselves: the next steps follow the last task's line.
    after = lines[task_lines[-1] + 1 :]
    assert after[0] == 'Your project "demo-project" is ready in ' + str(destination) + "."
    assert "Next steps:" in after and f"  cd {destination}" in after
    assert "  docker compose up --detach --wait" in after


@pytest.fixture
def shared_tmp(tmp_path_factory):
    """A folder other users can reach (pytest's own are root's alone), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="berth-tasks-", dir="/tmp"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder)


# Create a file in every folder, append to every file its owner may write (git's objects are
# read-only) but .env; print what failed.
PROBE = r"""
find "$1" -path "$1/.env" -prune -o -type d -exec sh -c '
    : > "$0/.probe" 2>/dev/null || echo "create in $0"' {} \; \
  -o -type f -perm -u=w ! -name .probe -exec sh -c ': >> "$0" 2>/dev/null || echo "append to $0"' {} \;
"""


def as_user(uid: int, gid: int, *command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in command],
        user=uid,
        group=gid,
        extra_groups=[],
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
        capture_output=True,
        text=True,
    )


def not_writable_for(project: Path, uid: int, gid: int) -> list[str]:
    """What `uid` cannot do in `project`: create a file in a folder, append to a file."""
    result = as_user(uid, gid, "sh", "-c", PROBE, "probe", project)
    assert result.returncode == 0 and not result.stderr, result.stderr
    return result.stdout.splitlines()


@as_root
def test_a_project_root_generates_is_writable_for_the_containers_user(shared_tmp):
    project = render(shared_tmp / "demo-project", skip_tasks=False)
    ids = env_file(project)
    assert (ids["HOST_UID"], ids["HOST_GID"]) == ("1000", "1000")  # never root in containers
    assert "belongs to root" in (project / ".env").read_text()
    # Root keeps its files and its repository (git refuses one that belongs to another user).
    assert {p.stat().st_uid for p in project.rglob("*")} == {0}
    assert run(["git", "status", "--porcelain"], cwd=project).stdout == ""
    assert not_writable_for(project, 1000, 1000) == []
    assert as_user(1000, 1000, "cat", project / ".env").returncode != 0  # root's secrets
    # What root's tools create later inherits the access (the folders' default entries).
    (project / "notebooks" / "later").mkdir()
    (project / "notebooks" / "later" / "new.ipynb").write_text("{}")
    assert not_writable_for(project / "notebooks", 1000, 1000) == []


@as_root
def test_root_writing_into_a_folder_of_yours_hands_you_the_files(shared_tmp):
    """`sudo copier copy` into a folder of yours: the files, .env and git are yours."""
    destination = shared_tmp / "demo-project"
    destination.mkdir()
    os.chown(destination, 1234, 1235)
    project = render(destination, skip_tasks=False)
    ids = env_file(project)
    assert (ids["HOST_UID"], ids["HOST_GID"]) == ("1234", "1235")
    assert {(p.stat().st_uid, p.stat().st_gid) for p in project.rglob("*")} == {(1234, 1235)}
    assert not_writable_for(project, 1234, 1235) == []
    log = as_user(1234, 1235, "git", "-C", project, "log", "--format=%s")
    assert log.stdout.strip() == "Initial commit from the Berth template", log.stderr


def recorded(project: Path) -> dict[str, object]:
    """What the tasks write or could change: .env, the history, the tree, every ACL."""

    def acls(path: Path) -> tuple[bytes | None, ...]:
        values = []
        for name in ("system.posix_acl_access", "system.posix_acl_default"):
            try:
                values.append(os.getxattr(path, name, follow_symlinks=False))
            except OSError:
                values.append(None)
        return tuple(values)

    git = ["git", "-C", str(project)]
    return {
        "env": (project / ".env").read_bytes(),
        "log": run([*git, "log", "--format=%H %an <%ae> %s"]).stdout,
        "status": run([*git, "status", "--porcelain", "--untracked-files=all"]).stdout,
        "acls": {str(p.relative_to(project)): acls(p) for p in [project, *project.rglob("*")]},
    }


def test_recopy_runs_the_tasks_and_they_change_nothing(tmp_path):
    """The tasks run again on `copier recopy`: .env, history, files and ACLs stay as they were."""
    template, version = release_working_tree(tmp_path / "berth")
    env = environment(home=tmp_path / "home")
    project = tmp_path / "demo-project"
    copy = python("-m", "copier", "copy", "--trust", "--defaults", "--quiet")
    run([*copy, template, project], env=env)
    commit_all(project, "Work")  # a history of the user's own on top of the first commit
    before = recorded(project)
    assert f"_commit: v{version}" in (project / ".copier-answers.yml").read_text()

    recopy = python("-m", "copier", "recopy", "--trust", "--defaults")
    result = run([*recopy, project], env=env)
    assert " > Running task 1 of 1: " in ANSI.sub("", result.stderr)  # the tasks did run
    assert recorded(project) == before
