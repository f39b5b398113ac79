"""Checks every `copier update` runs, after the release migrations (unversioned on purpose).

    check-answers (before stage): refuse recorded answers the new release would silently
        replace by a default (a removed choice or question that no migration maps).
    finish (after stage): keep files the release deleted although the user had edited them,
        then exit non-zero listing every file left with conflict markers or a `.rej` file.

Both are idempotent: they only read, or restore what the user committed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _helpers import Context, check_answers, finish, main  # noqa: E402


def step(ctx: Context) -> int:
    action = sys.argv[2]
    if action == "check-answers":
        overrides = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
        return check_answers(ctx, overrides)
    if action == "finish":
        return finish(ctx)
    raise SystemExit(f"unknown action {action!r}")


if __name__ == "__main__":
    main(step)
