"""Renders of a release for the project's answers, cached for the length of an update.

A 3-way merge needs the file as a release rendered it. Copier's own temporary renders are
gone by the after stage, so the files are rendered again, only those compared, and kept in
the update's state folder. The old release's are started in the before stage by a
detached process (`python -m berth_migrations render ...`, see __main__.py) that holds a
file lock until its render is written, so that it runs while Copier renders the project.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from berth_migrations.context import Context

PACKAGE_PARENT = Path(__file__).resolve().parents[1]  # migrations/: `-m` finds us there


def render(
    ctx: Context,
    ref: str,
    answers: dict[str, Any],
    paths: Iterable[str] | None = None,
    confirm: bool = True,
) -> Path:
    """The template at `ref` rendered for `answers` (cached for this update).

    With `paths`, only those files are rendered (the rest of the template is excluded),
    which is all a 3-way merge needs; a render that lacks one of them is confirmed by a
    full render (unless `confirm` is false), so a path the exclusion did not let through
    never passes for a file the release does not ship. A render started in the
    background (`start_render`) is waited for, then reused.
    """
    data, renders, key = _slot(ctx, ref, answers)
    wanted = None if paths is None else sorted(set(paths))
    if confirm:
        _wait_for_locks(sorted(renders.glob(f"{key}-*.lock")))
    for manifest in sorted(renders.glob(f"{key}-*/.berth-rendered")):
        covered = json.loads(manifest.read_text())["paths"]
        if covered is None or (wanted is not None and set(wanted) <= set(covered)):
            return manifest.parent / "project"
    destination = renders / f"{key}-{_digest(wanted)}"
    shutil.rmtree(destination, ignore_errors=True)
    from copier import Worker  # the migration runs on Copier's own interpreter

    with Worker(
        src_path=str(ctx.template_root),
        dst_path=destination / "project",
        data=data,
        vcs_ref=ref,
        defaults=True,
        overwrite=True,
        quiet=True,
        skip_tasks=True,
        unsafe=True,
        answers_file=ctx.answers_file,
    ) as worker:
        if wanted is not None:
            # The template's own exclusions come last again, so they still win.
            worker.exclude = [*only(wanted), *worker.template.exclude]
        worker.run_copy()
    (destination / "project").mkdir(parents=True, exist_ok=True)
    if wanted is not None and not all((destination / "project" / p).is_file() for p in wanted):
        return render(ctx, ref, answers) if confirm else destination / "project"
    (destination / ".berth-rendered").write_text(json.dumps({"ref": ref, "paths": wanted}))
    return destination / "project"


def start_render(ctx: Context, ref: str, answers: dict[str, Any], paths: list[str]) -> bool:
    """Render `paths` in a detached process, while Copier renders the project.

    The process holds a lock on the render until it is written; `render` waits for it
    and reuses it (or renders itself when the background render failed). Only where
    file locks exist (POSIX); True when a render was started.
    """
    try:
        import fcntl
    except ImportError:
        return False
    data, renders, key = _slot(ctx, ref, answers)
    renders.mkdir(parents=True, exist_ok=True)
    wanted = sorted(set(paths))
    destination = renders / f"{key}-{_digest(wanted)}"
    if (destination / ".berth-rendered").is_file():
        return False
    with open(destination.with_name(f"{destination.name}.lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # already being rendered
        spec = {
            "project": str(ctx.project),
            "answers_file": ctx.answers_file,
            "ref": ref,
            "answers": data,
            "paths": wanted,
        }
        # The child inherits the locked descriptor: the lock lasts until it exits. It runs
        # from the folder holding this package, which `python -m` puts on its path.
        subprocess.Popen(
            [sys.executable, "-m", "berth_migrations", "render", json.dumps(spec)],
            cwd=PACKAGE_PARENT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(lock.fileno(),),
            start_new_session=True,
        )
    return True


def render_in_background(spec: dict[str, Any]) -> None:
    """The detached process `start_render` starts: one render, never confirmed."""
    ctx = Context(Path(spec["project"]), spec["answers_file"], "before", "", "")
    render(ctx, spec["ref"], spec["answers"], spec["paths"], confirm=False)


def render_at_version(
    ctx: Context, version: str, answers: dict[str, Any], paths: Iterable[str] | None = None
) -> Path:
    """The release `version` (its `v` tag; the target commit when it is the target)."""
    if ctx.version_pep440_to and version == ctx.version_pep440_to:
        return render(ctx, ctx.version_to, answers, paths)
    return render(ctx, f"v{version}", answers, paths)


def only(paths: list[str]) -> list[str]:
    """Copier exclusion patterns (gitignore syntax) that let exactly `paths` through."""
    escaped = (re.sub(r"([\\*?\[\]]| $)", r"\\\1", path) for path in paths)
    return ["*", *(f"!/{path}" for path in escaped)]


def _slot(ctx: Context, ref: str, answers: dict[str, Any]) -> tuple[dict[str, Any], Path, str]:
    """The answers a render of `ref` uses, the folder of renders and the render's key."""
    data = {k: v for k, v in answers.items() if not k.startswith("_")}
    key = hashlib.sha256(json.dumps([ref, data], sort_keys=True).encode()).hexdigest()[:16]
    return data, ctx.state_dir / "renders", key


def _digest(paths: list[str] | None) -> str:
    return "all" if paths is None else hashlib.sha256(json.dumps(paths).encode()).hexdigest()[:8]


def _wait_for_locks(locks: list[Path], timeout: float = 900.0) -> None:
    """Wait until no background render holds these locks (at most `timeout` seconds)."""
    try:
        import fcntl
    except ImportError:
        return
    deadline = time.monotonic() + timeout
    for path in locks:
        with open(path) as lock:
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        return  # render it here instead
                    time.sleep(0.02)
