"""Regenerate includes/locks/*.lock: the exact dependency set generated projects start with.

Answers that change the dependencies (see LOCK_VARIANTS, mirrored by the computed
`lock_variant` in copier.yml) each get a lock. For each, the template is rendered, `uv lock`
runs there, and the lock is stored with the project's own name replaced by
`{{ project_slug }}` (uv accepts the root package anywhere in the file) and everything else
inside `{% raw %}` blocks, which Jinja scans more than twice as fast as plain text (a lock
is about 1 MB: most of the Jinja time of a `copier copy`); template/uv.lock.jinja includes
the right one. It also recompiles the MLflow server image's
pinned requirements (template/docker/mlflow/requirements.txt, hashes included). Run this after changing dependencies in
template/pyproject.toml.jinja: the slow tests install with `uv sync --locked`, so a stale
lock fails them.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "includes" / "locks"
PLACEHOLDER_PROJECT = "berth-lock-placeholder"
SLUG = '"{% endraw %}{{ project_slug }}{% raw %}"'
# lock_variant -> answers that produce it (keep in step with `lock_variant` in copier.yml).
LOCK_VARIANTS: dict[str, dict[str, str]] = {
    "base": {"use_dvc": "false"},
    "dvc": {"use_dvc": "true"},
    "dvc-s3": {"use_dvc": "true", "dvc_s3_remote_url": "s3://berth-lock-placeholder"},
}


def lock(variant: str, answers: dict[str, str]) -> None:
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
        subprocess.run([find_uv_bin(), "lock", "--python", "3.11"], cwd=project, check=True)
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
            "3.11",
            "--generate-hashes",
            "docker/mlflow/requirements.in",
            "-o",
            "docker/mlflow/requirements.txt",
        ],
        cwd=ROOT / "template",
        check=True,
    )
    print("wrote template/docker/mlflow/requirements.txt")


def main() -> None:
    LOCKS.mkdir(parents=True, exist_ok=True)
    selected = sys.argv[1:] or list(LOCK_VARIANTS)
    for variant in selected:
        lock(variant, LOCK_VARIANTS[variant])
    if not sys.argv[1:]:
        lock_mlflow_image()


if __name__ == "__main__":
    main()
