"""Support for the update tests: Copier versions, an identity-free git, a synthetic history.

The synthetic template is a tiny template with three releases that exercise every kind of
change a release can make, driven by the real `migrations/_helpers.py` and
`migrations/every_update.py` (copied into it), so the tests prove the mechanisms the real
migrations use:

    v1.0.0  app.cfg, legacy.txt, info.txt (answers: author, flavour in vanilla|chocolate|strawberry)
    v2.0.0  app.cfg moved to conf/app.cfg and line 2 changed; question `author` renamed `maintainer`
    v3.0.0  conf/app.cfg moved to conf/app.ini and line 7 changed; choice `strawberry` removed
            (mapped to `chocolate`); legacy.txt deleted
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from conftest import ROOT, run, shared_uv_cache, uv_bin

LATEST = "latest"  # the Copier in this repository's lock (pyproject.toml)


def min_copier_version() -> str:
    return yaml.safe_load((ROOT / "copier.yml").read_text().split("\n---", 1)[0])[
        "_min_copier_version"
    ]


COPIER_VERSIONS = [min_copier_version(), LATEST]


def copier_cmd(version: str) -> list[str]:
    if version == LATEST:
        return [sys.executable, "-m", "copier"]
    return [uv_bin(), "tool", "run", "--quiet", "--from", f"copier=={version}", "copier"]


def no_identity_env(home: Path) -> dict[str, str]:
    """An environment where git has no identity at all and refuses to guess one."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "VIRTUAL_ENV", "UV_")) and k not in {"EMAIL"}
    }
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0="user.useConfigOnly",
        GIT_CONFIG_VALUE_0="true",
        UV_CACHE_DIR=str(shared_uv_cache()),
        UV_PYTHON="3.11",
        UV_PYTHON_DOWNLOADS="never",
    )
    return env


USER = ["-c", "user.name=Test User", "-c", "user.email=user@example.org"]


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return run(["git", *USER, *args], cwd=cwd, env=env).stdout


def commit_all(cwd: Path, message: str, env: dict[str, str] | None = None) -> None:
    git(cwd, "add", "-A", env=env)
    git(cwd, "commit", "-q", "--allow-empty", "-m", message, env=env)


class Copier:
    """One Copier version, run like a user would, without a git identity."""

    def __init__(self, version: str, home: Path):
        self.version = version
        self.env = no_identity_env(home)
        self.env["BERTH_TASK_LOG"] = str(home / "tasks.log")

    def __call__(self, *args: Any, cwd: Path | None = None, check: bool = True):
        return run([*copier_cmd(self.version), *map(str, args)], cwd=cwd, env=self.env, check=check)

    def copy(
        self,
        template: Path,
        destination: Path,
        ref: str,
        data: dict[str, Any] | None = None,
        tasks: bool = False,
    ):
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


# ─── the synthetic template ─────────────────────────────────────────────────

APP_CFG = [f"setting_{i} = {i}" for i in range(1, 9)]


def _every_update_migrations() -> list[dict[str, Any]]:
    script = "{{ _copier_conf.src_path }}/migrations/every_update.py"
    common = ["{{ _copier_python }}", script, "{{ _copier_conf.answers_file }}"]
    return [
        {
            "command": [*common, "check-answers", "{{ _copier_conf.data | tojson }}"],
            "when": "{{ _stage == 'before' }}",
        },
        {"command": [*common, "finish"], "when": "{{ _stage == 'after' }}"},
    ]


def _release_migration(version: str) -> dict[str, Any]:
    return {
        "version": version,
        "command": [
            "{{ _copier_python }}",
            f"{{{{ _copier_conf.src_path }}}}/migrations/v{version}.py",
            "{{ _copier_conf.answers_file }}",
        ],
        "when": "{{ _stage in ['before', 'after'] }}",
    }


def _config(questions: dict[str, Any], releases: list[str]) -> str:
    settings = {
        "_min_copier_version": min_copier_version(),
        "_subdirectory": "template",
        "_answers_file": ".copier-answers.yml",
        "_templates_suffix": ".jinja",
        "_tasks": [
            # The tasks a real template has: git init, and a witness of where tasks ran.
            {
                "command": "git rev-parse --is-inside-work-tree >/dev/null 2>&1 || git init --quiet",
                "when": "{{ _copier_operation == 'copy' }}",
            },
            {
                "command": 'echo "{{ _copier_operation }} {{ _copier_conf.dst_path }}" >> "$BERTH_TASK_LOG"',
                "when": "{{ _copier_operation == 'copy' }}",
            },
        ],
        "_migrations": [*map(_release_migration, releases), *_every_update_migrations()],
    }
    return yaml.safe_dump({**settings, **questions}, sort_keys=False)


MIGRATION_FILE = '''"""{doc}"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _helpers import Migration  # noqa: E402

MIGRATION = Migration({args})

if __name__ == "__main__":
    MIGRATION.run()
'''


def build_synthetic_template(root: Path) -> Path:
    """Create the template repository with tags v1.0.0, v2.0.0 and v3.0.0."""
    root.mkdir(parents=True)
    git(root, "init", "-q")
    (root / "migrations").mkdir()
    for name in ("_helpers.py", "every_update.py"):
        shutil.copy(ROOT / "migrations" / name, root / "migrations" / name)
    t = root / "template"
    t.mkdir()
    (t / "{{_copier_conf.answers_file}}.jinja").write_text(
        "# Changes here will be overwritten by Copier; do not edit by hand.\n{{ _copier_answers|to_nice_yaml -}}\n"
    )
    (t / "README.md.jinja").write_text(
        "# {{ name }}\n\nA synthetic project.\n\n## Usage\n\nRun it.\n"
    )
    (t / "legacy.txt").write_text("legacy line 1\nlegacy line 2\n")

    # v1
    questions_v1 = {
        "name": {"type": "str", "default": "demo"},
        "author": {"type": "str", "default": "nobody"},
        "flavour": {
            "type": "str",
            "choices": ["vanilla", "chocolate", "strawberry"],
            "default": "vanilla",
        },
    }
    (root / "copier.yml").write_text(_config(questions_v1, []))
    (t / "app.cfg").write_text("\n".join(APP_CFG) + "\n")
    (t / "info.txt.jinja").write_text("flavour = {{ flavour }}\nauthor = {{ author }}\nend\n")
    commit_all(root, "v1")
    git(root, "tag", "v1.0.0")

    # v2: a move with a change, an answer rename
    questions_v2 = {
        "name": questions_v1["name"],
        "maintainer": questions_v1["author"],
        "flavour": questions_v1["flavour"],
    }
    (root / "copier.yml").write_text(_config(questions_v2, ["2.0.0"]))
    (t / "conf").mkdir()
    (t / "app.cfg").unlink()
    v2 = list(APP_CFG)
    v2[1] = "setting_2 = 20  # changed in v2"
    (t / "conf" / "app.cfg").write_text("\n".join(v2) + "\n")
    (t / "info.txt.jinja").write_text(
        "flavour = {{ flavour }}\nmaintainer = {{ maintainer }}\nend\n"
    )
    _release(
        root,
        "2.0.0",
        doc="v2.0.0: app.cfg moved to conf/app.cfg; the question `author` is now `maintainer`.",
        args='answers_renamed={"author": "maintainer"}, files_moved={"app.cfg": "conf/app.cfg"}',
    )

    # v3: another move with a change, a removed choice, a deleted file
    questions_v3 = dict(questions_v2)
    questions_v3["flavour"] = {
        "type": "str",
        "choices": ["vanilla", "chocolate"],
        "default": "vanilla",
    }
    (root / "copier.yml").write_text(_config(questions_v3, ["2.0.0", "3.0.0"]))
    (t / "conf" / "app.cfg").unlink()
    v3 = list(v2)
    v3[6] = "setting_7 = 70  # changed in v3"
    (t / "conf" / "app.ini").write_text("\n".join(v3) + "\n")
    (t / "legacy.txt").unlink()
    _release(
        root,
        "3.0.0",
        doc="v3.0.0: conf/app.cfg moved to conf/app.ini; flavour `strawberry` became `chocolate`; legacy.txt deleted.",
        args='choices_mapped={"flavour": {"strawberry": "chocolate"}}, files_moved={"conf/app.cfg": "conf/app.ini"}',
    )
    return root


def _release(root: Path, version: str, doc: str, args: str) -> None:
    """Write release `version`'s migration, commit the template and tag it v<version>."""
    (root / "migrations" / f"v{version}.py").write_text(MIGRATION_FILE.format(doc=doc, args=args))
    commit_all(root, f"v{version.split('.')[0]}")
    git(root, "tag", f"v{version}")
