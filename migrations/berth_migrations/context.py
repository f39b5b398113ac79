"""What Copier tells a migration, and the state an update keeps between its stages."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from berth_migrations.config import TEMPLATE_ROOT
from berth_migrations.errors import MigrationError
from berth_migrations.git import git, head_bytes

STATE_DIR = "berth-update"  # inside the project's git directory, removed by `finish`


@dataclass
class Context:
    """Copier's stage and versions for one migration run, plus the project's state folder."""

    project: Path
    answers_file: str
    stage: str
    version_from: str  # the old `_commit` (a tag or `git describe` output)
    version_to: str
    version_current: str | None = None
    version_pep440_to: str | None = None
    template_root: Path = TEMPLATE_ROOT
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_environment(cls, argv: list[str] | None = None) -> Context:
        argv = sys.argv[1:] if argv is None else argv
        env = os.environ
        return cls(
            project=Path.cwd(),
            answers_file=argv[0] if argv else ".copier-answers.yml",
            stage=env.get("STAGE", "after"),
            version_from=env.get("VERSION_FROM", ""),
            version_to=env.get("VERSION_TO", ""),
            version_current=env.get("VERSION_CURRENT") or None,
            version_pep440_to=env.get("VERSION_PEP440_TO") or None,
        )

    @cached_property
    def state_dir(self) -> Path:
        path = git(self.project, "rev-parse", "--git-path", STATE_DIR).decode().strip()
        return (self.project / path).resolve()

    def load_state(self) -> dict[str, Any]:
        path = self.state_dir / "state.json"
        state = json.loads(path.read_text()) if path.is_file() else {}
        if state.get("update") != [self.version_from, self.version_to]:
            state = {"update": [self.version_from, self.version_to], "handled": [], "carried": {}}
        return state

    def save_state(self, state: dict[str, Any]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "state.json").write_text(json.dumps(state, indent=1, sort_keys=True))

    def old_answers(self) -> dict[str, Any]:
        """The answers the project was last rendered with (as committed before the update)."""
        content = head_bytes(self.project, self.answers_file)
        if content is None:
            raise MigrationError(f"{self.answers_file} is not committed; cannot migrate")
        return yaml.safe_load(content) or {}

    def report(self) -> None:
        """Print the notes gathered so far (what was carried, kept or left in conflict)."""
        for note in self.notes:
            print(f"berth migration: {note}", file=sys.stderr)
        self.notes.clear()
