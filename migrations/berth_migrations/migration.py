"""A release's migration (`Migration`) and the entry points of the scripts Copier runs."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from berth_migrations import steps
from berth_migrations.context import Context
from berth_migrations.errors import MigrationError


@dataclass
class Migration:
    """What one release changed; `run()` applies it for Copier's current stage.

    answers_renamed: {old question: new question}
    choices_mapped: {question: {old value: new value}}
    answers_dropped: questions the release removed
    files_moved: {old path: new path, or a list of new paths for a split}; paths may use
        answers as `{package_name}` (old answers for the old path, new ones for the new)

    A release's file defines `MIGRATION = Migration(...)` and calls `MIGRATION.run()` under
    `if __name__ == "__main__":`, so tests can read what it declares.
    """

    answers_renamed: dict[str, str] = field(default_factory=dict)
    choices_mapped: dict[str, dict[Any, Any]] = field(default_factory=dict)
    answers_dropped: list[str] = field(default_factory=list)
    files_moved: dict[str, str | list[str]] = field(default_factory=dict)

    def stages(self) -> set[str]:
        """The stages this migration has work in; its copier.yml entry runs in exactly these."""
        stages = set()
        if self.answers_renamed or self.choices_mapped or self.answers_dropped:
            stages.add("before")
        if self.files_moved:
            stages.update(("before", "after"))  # before: start the base render early
        return stages

    def apply(self, ctx: Context) -> None:
        if ctx.stage == "before":
            steps.apply_answer_changes(
                ctx,
                renamed=self.answers_renamed,
                mapped=self.choices_mapped,
                dropped=self.answers_dropped,
            )
            if self.files_moved:
                steps.start_base_render(ctx, self.files_moved)
        elif ctx.stage == "after" and self.files_moved:
            steps.carry_moved_files(ctx, self.files_moved)
        ctx.report()

    def run(self) -> None:
        main(self.apply)


def every_update() -> None:
    """migrations/every_update.py: `check-answers [OVERRIDES]` (before) or `finish` (after)."""

    def step(ctx: Context) -> int:
        action = sys.argv[2] if len(sys.argv) > 2 else ""
        if action == "check-answers":
            overrides = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
            return steps.check_answers(ctx, overrides)
        if action == "finish":
            return steps.finish(ctx)
        raise MigrationError(f"unknown action {action!r} (check-answers or finish)")

    main(step)


def main(step: Callable[[Context], int | None]) -> None:
    """Run a step with Copier's context; a MigrationError becomes a one-line message."""
    try:
        status = step(Context.from_environment())
    except MigrationError as error:
        print(f"berth migration: {error}", file=sys.stderr)
        sys.exit(1)
    sys.exit(status or 0)
