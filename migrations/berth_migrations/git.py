"""The project's git repository: committed files, 3-way merges, conflicts an update left.

Read-only or working-tree only: nothing here commits, tags or stashes, so no git identity
is ever needed.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from berth_migrations.errors import MigrationError

# Copier's own labels for the three sides of a merge, so every conflict looks the same.
LABELS = ("before updating", "last update", "after updating")
CONFLICT_PREFIXES = (b"<<<<<<< ", b">>>>>>> ")
UNMERGED = {"DD", "AU", "UD", "UA", "DU", "AA", "UU"}


def git(project: Path, *args: str, check: bool = True, input: bytes | None = None) -> bytes:
    result = subprocess.run(
        ["git", *args], cwd=project, capture_output=True, input=input, check=False
    )
    if check and result.returncode != 0:
        raise MigrationError(
            f"git {' '.join(args)} failed: {result.stderr.decode(errors='replace')}"
        )
    return result.stdout


def head_files(project: Path) -> set[str]:
    """Paths committed in the project before the update (relative to the project)."""
    out = git(project, "ls-tree", "-r", "-z", "--name-only", "HEAD", "--", ".")
    return {p for p in out.decode().split("\0") if p}


def head_bytes(project: Path, path: str) -> bytes | None:
    """A file as the user committed it before the update, or None."""
    return head_contents(project, [path])[path]


def head_contents(project: Path, paths: list[str]) -> dict[str, bytes | None]:
    """Several committed files (None: not committed, or not a file) with one git process."""
    found: dict[str, bytes | None] = dict.fromkeys(paths)
    batch = [p for p in found if "\n" not in p]  # cat-file reads one name a line
    for path in found.keys() - set(batch):
        result = subprocess.run(
            ["git", "show", f"HEAD:./{path}"], cwd=project, capture_output=True, check=False
        )
        found[path] = result.stdout if result.returncode == 0 else None
    if not batch:
        return found
    out = git(
        project,
        "cat-file",
        "--batch",
        input="".join(f"HEAD:./{path}\n" for path in batch).encode(),
    )
    position = 0
    for path in batch:
        end = out.index(b"\n", position)
        header = out[position:end].split(b" ")
        position = end + 1
        if len(header) == 3 and header[2].isdigit():  # <object> <type> <size>, then content
            size = int(header[2])
            if header[1] == b"blob":
                found[path] = out[position : position + size]
            position += size + 1
    return found


def read_bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def merge(ours: bytes, base: bytes, theirs: bytes) -> tuple[bytes, bool]:
    """3-way merge with `git merge-file`; returns (result, has_conflicts)."""
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, content in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(tmp, name)
            path.write_bytes(content)
            files.append(str(path))
        labels = [arg for label in LABELS for arg in ("-L", label)]
        result = subprocess.run(
            ["git", "merge-file", "-p", *labels, *files], capture_output=True, check=False
        )
    if result.returncode < 0 or result.returncode > 127:
        raise MigrationError(f"git merge-file failed: {result.stderr.decode(errors='replace')}")
    return result.stdout, result.returncode > 0


def find_conflicts(project: Path) -> list[str]:
    """Files an update left unresolved: unmerged, with conflict markers, or `.rej` files."""
    # Ignored files only where a pattern names them (a `*.rej` rule), never each file of an
    # ignored folder such as .venv/ (tens of thousands of entries in a real project).
    out = git(
        project,
        *("status", "--porcelain=v1", "-z", "--ignored=matching", "--no-renames"),
        *("--untracked-files=all", "--", "."),
    )
    # git status prints paths relative to the repository root; make them the project's.
    top = git(project, "rev-parse", "--show-prefix").decode().strip()
    found = []
    ignored_folders = []
    for entry in out.decode().split("\0"):
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        local = path[len(top) :] if top and path.startswith(top) else path
        if code == "!!" and local.endswith("/"):
            ignored_folders.append(local)
        elif local.endswith(".rej") or code in UNMERGED:
            found.append(local)
        elif code != "!!" and code[1] != "D" and code[0] != "D":
            file = project / local
            if file.is_file() and _has_markers(file):
                found.append(local)
    if ignored_folders:
        # A file committed inside an ignored folder may still get a `.rej` from Copier.
        tracked = git(project, "ls-files", "-z", "--", *ignored_folders).decode().split("\0")
        found += [f"{p}.rej" for p in tracked if p and (project / f"{p}.rej").is_file()]
    return sorted(set(found))


def _has_markers(path: Path) -> bool:
    content = path.read_bytes()
    if b"\0" in content[:8192]:
        return False
    return any(line.startswith(CONFLICT_PREFIXES) for line in content.splitlines())
