"""`python -m tasks DESTINATION ANSWERS_FILE`: the copy-time tasks, in order (see __init__)."""

from __future__ import annotations

import sys
from pathlib import Path

from tasks import access, env, repository


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tasks DESTINATION ANSWERS_FILE", file=sys.stderr)
        return 2
    project = Path(argv[0]).resolve()
    ids = env.write(project)
    return repository.initialise(project, project / argv[1]) or access.grant(project, ids)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
