"""Regenerate template/uv.lock.jinja: the exact dependency set every generated project starts with.

Renders the template with its defaults, runs `uv lock` there, and stores the lock with the
project's own name replaced by `{{ project_slug }}` (uv accepts the root package anywhere in
the file). Run it after changing dependencies in template/pyproject.toml.jinja; the slow
tests install generated projects with `uv sync --locked`, so a stale lock fails them.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "template" / "uv.lock.jinja"
PLACEHOLDER_PROJECT = "berth-lock-placeholder"


def main() -> None:
    from uv import find_uv_bin

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / PLACEHOLDER_PROJECT
        subprocess.run(
            [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--skip-tasks",
             "--quiet", str(ROOT), str(project)],
            check=True,
        )
        (project / "uv.lock").unlink(missing_ok=True)
        subprocess.run([find_uv_bin(), "lock", "--python", "3.11"], cwd=project, check=True)
        text = (project / "uv.lock").read_text()
    if "{{" in text or "{%" in text or "{#" in text:
        sys.exit("uv.lock contains Jinja delimiters; wrap it in {% raw %} before storing it")
    text = text.replace(f'"{PLACEHOLDER_PROJECT}"', '"{{ project_slug }}"')
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
