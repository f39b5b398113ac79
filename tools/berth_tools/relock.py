"""Regenerate includes/locks/*.lock: the exact dependency set generated projects start with.

    uv run berth-relock [VARIANT ...]     # every variant and the MLflow image by default

Answers that change the dependencies each get a lock: the options manifest
(berth_tools.options) names the variants and the answers that select them, and the
computed `lock_variant` in copier.yml picks one (a test keeps the two equal). For each
variant, the template is rendered with those answers, `uv lock` runs there, and the lock
is stored with the project's own name replaced by `{{ project_slug }}` (uv accepts the
root package anywhere in the file) and everything else inside `{% raw %}` blocks, which
Jinja scans more than twice as fast as plain text (a lock is about 1 MB: most of the Jinja
time of a `copier copy`); template/uv.lock.jinja includes the right one. It also
recompiles the MLflow server image's pinned requirements
(template/docker/mlflow/requirements.txt, hashes included). Run this after changing
dependencies in template/pyproject.toml.jinja: the slow tests install with
`uv sync --locked`, so a stale lock fails them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from berth_tools import ROOT
from berth_tools.options import lock_variants

LOCKS = ROOT / "includes" / "locks"
PLACEHOLDER_PROJECT = "berth-lock-placeholder"
SLUG = '"{% endraw %}{{ project_slug }}{% raw %}"'
NATIVE_PYTHON = "3.11"  # the oldest Python generated projects support


def lock(variant: str, answers: dict[str, Any]) -> None:
    from uv import find_uv_bin

    target = LOCKS / f"{variant}.lock"
    if not target.exists():
        # A new variant: the template includes its lock, so rendering needs one to exist.
        target.write_text("")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / PLACEHOLDER_PROJECT
        data = [arg for key, value in answers.items() for arg in ("--data", f"{key}={value}")]
        subprocess.run(
            [
                sys.executable,
                "-m",
                "copier",
                "copy",
                "--trust",
                "--defaults",
                "--skip-tasks",
                "--quiet",
                "--vcs-ref",
                "HEAD",  # this tree, not the latest release tag
                *data,
                str(ROOT),
                str(project),
            ],
            check=True,
        )
        (project / "uv.lock").unlink(missing_ok=True)
        uv_lock = [find_uv_bin(), "lock", "--python", NATIVE_PYTHON]
        subprocess.run(uv_lock, cwd=project, check=True)
        text = (project / "uv.lock").read_text()
    target.write_text(stored(text))
    print(f"wrote {target.relative_to(ROOT)}")


def stored(text: str) -> str:
    """The lock as includes/locks/ keeps it: raw blocks around the project's own name."""
    if "endraw" in text:
        sys.exit("uv.lock contains 'endraw'; it cannot be stored inside a Jinja raw block")
    if f'"{PLACEHOLDER_PROJECT}"' not in text:
        sys.exit(f"uv.lock does not name the placeholder project {PLACEHOLDER_PROJECT}")
    return "{% raw %}" + text.replace(f'"{PLACEHOLDER_PROJECT}"', SLUG) + "{% endraw %}"


def rendered(stored_text: str, project_slug: str) -> str:
    """What a generated project's uv.lock holds for a stored lock, without running Copier."""
    inner = stored_text.removeprefix("{% raw %}").removesuffix("{% endraw %}")
    return inner.replace(SLUG, f'"{project_slug}"')


def lock_mlflow_image() -> None:
    """Compile docker/mlflow/requirements.in for every platform and Python the images run on."""
    from uv import find_uv_bin

    subprocess.run(
        [
            find_uv_bin(),
            "pip",
            "compile",
            "--quiet",
            "--universal",
            "--python-version",
            NATIVE_PYTHON,
            "--generate-hashes",
            "docker/mlflow/requirements.in",
            "-o",
            "docker/mlflow/requirements.txt",
        ],
        cwd=ROOT / "template",
        check=True,
    )
    print("wrote template/docker/mlflow/requirements.txt")


def main(argv: list[str] | None = None) -> None:
    variants = lock_variants()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "variant",
        nargs="*",
        help=f"the locks to regenerate ({', '.join(variants)}; default: all and the MLflow image's)",
    )
    selected = parser.parse_args(argv).variant
    unknown = sorted(set(selected) - set(variants))
    if unknown:
        parser.error(
            f"no such lock variant: {', '.join(unknown)} (variants: {', '.join(variants)})"
        )
    LOCKS.mkdir(parents=True, exist_ok=True)
    for variant in selected or variants:
        lock(variant, variants[variant])
    if not selected:
        lock_mlflow_image()


if __name__ == "__main__":
    main()
