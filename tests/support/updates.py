"""`copier update` as users run it: Copier versions, no git identity, template histories.

    Copier                  one Copier version (the oldest copier.yml accepts, or ours)
    release_working_tree    Berth's working tree as the release after the recorded ones
    build_synthetic         a tiny template whose three releases make every kind of change

The synthetic template runs the real `berth_migrations` package and
`migrations/every_update.py` (copied into it), so its tests prove the mechanisms Berth's
own migrations use:

    v1.0.0  app.cfg, legacy.txt, info.txt (answers: author, flavour in vanilla|chocolate|strawberry)
    v2.0.0  app.cfg moved to conf/app.cfg and line 2 changed; question `author` renamed `maintainer`
    v3.0.0  conf/app.cfg moved to conf/app.ini and line 7 changed; choice `strawberry` removed
            (mapped to `chocolate`); legacy.txt deleted
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from berth_migrations.config import load_copier_config
from berth_tools import ROOT
from berth_tools.releases import create_tags
from support.commands import python, run, uv_bin
from support.environments import environment
from support.git import commit_all, git
from support.versions import head_version

LATEST = "latest"  # the Copier in this repository's lock (pyproject.toml)


def min_copier_version() -> str:
    return str(load_copier_config(ROOT)["_min_copier_version"])


COPIER_VERSIONS = [min_copier_version(), LATEST]


def copier_command(version: str) -> list[str]:
    if version == LATEST:
        return python("-m", "copier")
    return [uv_bin(), "tool", "run", "--quiet", "--from", f"copier=={version}", "copier"]


class Copier:
    """One Copier version, run like a user would, without a git identity."""

    def __init__(self, version: str, home: Path):
        self.version = version
        self.env = environment(home=home)
        self.env["BERTH_TASK_LOG"] = str(home / "tasks.log")

    def __call__(self, *args: Any, cwd: Path | None = None, check: bool = True):
        command = [*copier_command(self.version), *map(str, args)]
        return run(command, cwd=cwd, env=self.env, check=check)

    def copy(
        self,
        template: Path,
        destination: Path,
        ref: str,
        data: dict[str, Any] | None = None,
        tasks: bool = False,
    ) -> Path:
        """`copier copy` at `ref`, then the project committed (a repository if the tasks made none)."""
        args = ["copy", "--trust", "--defaults", "--quiet", "--vcs-ref", ref]
        if not tasks:
            args.append("--skip-tasks")
        for key, value in (data or {}).items():
            args += ["--data", f"{key}={value}"]
        self(*args, template, destination)
        if not (destination / ".git").exists():
            git(destination, "init", "-q")
        commit_all(destination, "Generate the project")
        return destination

    def update(self, project: Path, *extra: str, ref: str | None = None):
        """`copier update`; the result is returned whatever its exit status."""
        args = ["update", "--trust", "--defaults", *extra]
        if ref:
            args += ["--vcs-ref", ref]
        return self(*args, project, check=False)

    @property
    def task_log(self) -> list[str]:
        path = Path(self.env["BERTH_TASK_LOG"])
        return path.read_text().splitlines() if path.exists() else []


def release_working_tree(destination: Path) -> tuple[Path, str]:
    """The working tree committed in a clone, tagged as the release after the recorded ones.

    The clone starts without tags; the recorded releases' tags come back from releases.yml
    alone. Returns the clone and the version HEAD is tagged with.
    """
    run(["git", "clone", "-q", "--no-tags", ROOT, destination])
    listed = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    tracked = set(run(["git", "ls-files", "-z"], cwd=destination).stdout.split("\0")) - {""}
    current = set(run(listed, cwd=ROOT).stdout.split("\0")) - {""}
    for name in tracked - current:
        (destination / name).unlink(missing_ok=True)
    for name in current:
        if (ROOT / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)
    commit_all(destination, "The working tree under test")
    assert create_tags(destination)  # the release tags, from the list alone
    version = head_version(destination)
    git(destination, "tag", f"v{version}")
    return destination, version


# ─── the synthetic template ─────────────────────────────────────────────────

APP_CFG = [f"setting_{i} = {i}" for i in range(1, 9)]
V2_APP_CFG = [*APP_CFG[:1], "setting_2 = 20  # changed in v2", *APP_CFG[2:]]
V3_APP_CFG = [*V2_APP_CFG[:6], "setting_7 = 70  # changed in v3", *V2_APP_CFG[7:]]
MIGRATION_FILE = '''"""{doc}"""

from berth_migrations import Migration

MIGRATION = Migration({args})

if __name__ == "__main__":
    MIGRATION.run()
'''
NAME = {"type": "str", "default": "demo"}
AUTHOR = {"type": "str", "default": "nobody"}
FLAVOURS = ["vanilla", "chocolate", "strawberry"]


def _flavour(choices: list[str]) -> dict[str, Any]:
    return {"type": "str", "choices": choices, "default": "vanilla"}


def _lines(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _config(questions: dict[str, Any], releases: list[str]) -> str:
    """A copier.yml like Berth's: its tasks, its migrations, every-update checks last."""
    common = [
        "{{ _copier_python }}",
        "{{ _copier_conf.src_path }}/migrations/every_update.py",
        "{{ _copier_conf.answers_file }}",
    ]
    migrations = [
        {
            "version": version,
            "command": [
                "{{ _copier_python }}",
                f"{{{{ _copier_conf.src_path }}}}/migrations/v{version}.py",
                "{{ _copier_conf.answers_file }}",
            ],
            "when": "{{ _stage in ['before', 'after'] }}",
        }
        for version in releases
    ]
    migrations += [
        {
            "command": [*common, "check-answers", "{{ _copier_conf.data | tojson }}"],
            "when": "{{ _stage == 'before' }}",
        },
        {"command": [*common, "finish"], "when": "{{ _stage == 'after' }}"},
    ]
    on_copy = "{{ _copier_operation == 'copy' }}"
    settings = {
        "_min_copier_version": min_copier_version(),
        "_subdirectory": "template",
        "_answers_file": ".copier-answers.yml",
        "_templates_suffix": ".jinja",
        "_tasks": [  # the tasks a real template has: git init, and a witness of where tasks ran
            {
                "command": "git rev-parse --is-inside-work-tree >/dev/null 2>&1 || git init --quiet",
                "when": on_copy,
            },
            {
                "command": 'echo "{{ _copier_operation }} {{ _copier_conf.dst_path }}" >> "$BERTH_TASK_LOG"',
                "when": on_copy,
            },
        ],
        "_migrations": migrations,
    }
    return yaml.safe_dump({**settings, **questions}, sort_keys=False)


# Each release as the files it writes (None: the release deletes the file).
SYNTHETIC_RELEASES: dict[str, dict[str, str | None]] = {
    "1.0.0": {
        "copier.yml": _config({"name": NAME, "author": AUTHOR, "flavour": _flavour(FLAVOURS)}, []),
        "template/{{_copier_conf.answers_file}}.jinja": (
            "# Changes here will be overwritten by Copier; do not edit by hand.\n"
            "{{ _copier_answers|to_nice_yaml -}}\n"
        ),
        "template/README.md.jinja": "# {{ name }}\n\nA synthetic project.\n\n## Usage\n\nRun it.\n",
        "template/legacy.txt": "legacy line 1\nlegacy line 2\n",
        "template/app.cfg": _lines(APP_CFG),
        "template/info.txt.jinja": "flavour = {{ flavour }}\nauthor = {{ author }}\nend\n",
    },
    "2.0.0": {  # a move with a change, an answer rename
        "copier.yml": _config(
            {"name": NAME, "maintainer": AUTHOR, "flavour": _flavour(FLAVOURS)}, ["2.0.0"]
        ),
        "template/app.cfg": None,
        "template/conf/app.cfg": _lines(V2_APP_CFG),
        "template/info.txt.jinja": "flavour = {{ flavour }}\nmaintainer = {{ maintainer }}\nend\n",
        "migrations/v2.0.0.py": MIGRATION_FILE.format(
            doc="v2.0.0: app.cfg moved to conf/app.cfg; the question `author` is now `maintainer`.",
            args='answers_renamed={"author": "maintainer"}, files_moved={"app.cfg": "conf/app.cfg"}',
        ),
    },
    "3.0.0": {  # another move with a change, a removed choice, a deleted file
        "copier.yml": _config(
            {"name": NAME, "maintainer": AUTHOR, "flavour": _flavour(FLAVOURS[:2])},
            ["2.0.0", "3.0.0"],
        ),
        "template/conf/app.cfg": None,
        "template/conf/app.ini": _lines(V3_APP_CFG),
        "template/legacy.txt": None,
        "migrations/v3.0.0.py": MIGRATION_FILE.format(
            doc="v3.0.0: conf/app.cfg moved to conf/app.ini; flavour `strawberry` became "
            "`chocolate`; legacy.txt deleted.",
            args='choices_mapped={"flavour": {"strawberry": "chocolate"}}, '
            'files_moved={"conf/app.cfg": "conf/app.ini"}',
        ),
    },
}


def build_file_tree(root: Path, tree: dict[str, str | None]) -> None:
    """Write each `path: content` of `tree` under `root`; a None content deletes the file."""
    for path, content in tree.items():
        target = root / path
        if content is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)


def build_synthetic(root: Path) -> Path:
    """The synthetic template repository, one commit and `v` tag per release."""
    root.mkdir(parents=True)
    git(root, "init", "-q")
    package = ROOT / "migrations" / "berth_migrations"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(package, root / "migrations" / package.name, ignore=ignore)
    shutil.copy(ROOT / "migrations" / "every_update.py", root / "migrations")
    for version, tree in SYNTHETIC_RELEASES.items():
        build_file_tree(root, tree)
        commit_all(root, f"v{version.split('.')[0]}", tag=f"v{version}")
    return root
