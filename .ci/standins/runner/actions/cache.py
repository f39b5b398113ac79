"""actions/cache: restore paths by key before the job's steps, save them after a successful job.

Same rules as the real action: an exact `key` hit restores and sets cache-hit=true (and
nothing is saved after the job); else the newest entry whose key starts with one of the
`restore-keys` (in order) is restored, cache-hit=false, and the paths are saved under `key`
after the job; entries are separate per set of paths (the real action's "version"); an
existing key is never overwritten. The store is a folder (BERTH_ACTIONS_CACHE, mounted from
the host by run_workflows.py) instead of GitHub's cache service; entries are zstd tarballs.

    cache.py restore   (the action's main step)
    cache.py save      (its post step)
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import fail, flag, lines, notice, read_input, save_state, set_output, state, workspace


def store() -> Path:
    folder = os.environ.get("BERTH_ACTIONS_CACHE", "")
    if not folder:
        fail("BERTH_ACTIONS_CACHE is not set (run the workflow with berth_tools/run_workflows.py)")
    return Path(folder)


def resolved_paths() -> list[Path]:
    home = Path(os.environ.get("HOME", "/root"))
    paths = []
    for item in lines("path"):
        if item.startswith("!"):
            fail("the cache stand-in does not support exclusion patterns")
        path = home / item[2:] if item.startswith("~/") else Path(item)
        paths.append(path if path.is_absolute() else workspace() / path)
    if not paths:
        fail("input path is required")
    return paths


def version(paths: list[Path]) -> str:
    return hashlib.sha256("|".join([*map(str, paths), "zstd"]).encode()).hexdigest()[:16]


def entry(paths: list[Path], key: str) -> Path:
    return store() / version(paths) / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".tar.zst")


def find(paths: list[Path], key: str, prefixes: list[str]) -> tuple[Path | None, str]:
    exact = entry(paths, key)
    if exact.is_file():
        return exact, key
    candidates = []
    for meta in (store() / version(paths)).glob("*.json"):
        data = json.loads(meta.read_text())
        candidates.append(
            (data["created"], data["key"], meta.with_suffix("").with_suffix(".tar.zst"))
        )
    for prefix in prefixes:
        matches = sorted(
            (c for c in candidates if c[1].startswith(prefix) and c[2].is_file()), reverse=True
        )
        if matches:
            return matches[0][2], matches[0][1]
    return None, ""


def restore() -> None:
    paths = resolved_paths()
    key = read_input("key")
    if not key:
        fail("input key is required")
    save_state("CACHE_KEY", key)
    found, matched = find(paths, key, lines("restore-keys"))
    set_output("cache-primary-key", key)
    if found is None:
        if flag("fail-on-cache-miss"):
            fail(
                f"Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: {key}"
            )
        print(f"Cache not found for input keys: {', '.join([key, *lines('restore-keys')])}")
        set_output("cache-hit", "false")
        return
    save_state("CACHE_RESULT", matched)
    set_output("cache-matched-key", matched)
    set_output("cache-hit", "true" if matched == key else "false")
    if flag("lookup-only"):
        print(f"Cache found and can be restored from key: {matched}")
        return
    subprocess.run(["tar", "-I", "zstd -d", "-xf", str(found), "-P", "-C", "/"], check=True)
    size = found.stat().st_size / 1e6
    print(f"Cache restored from key: {matched} ({size:.0f} MB)", flush=True)


def save() -> None:
    paths = resolved_paths()
    key = state("CACHE_KEY") or read_input("key")
    if state("CACHE_RESULT") == key:
        print(f"Cache hit occurred on the primary key {key}, not saving cache.")
        return
    target = entry(paths, key)
    if target.is_file():
        print(f"Failed to save: an entry with key {key} already exists (another job saved it).")
        return
    existing = [str(p) for p in paths if p.exists()]
    if not existing:
        notice(
            f"Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved: {', '.join(map(str, paths))}"
        )
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as handle:
        partial = Path(handle.name)
    try:
        subprocess.run(
            ["tar", "-I", "zstd -T0 -3", "-cf", str(partial), "-P", *existing], check=True
        )
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    target.with_suffix("").with_suffix(".json").write_text(
        json.dumps({"key": key, "created": time.time(), "paths": list(map(str, paths))})
    )
    print(f"Cache saved with key: {key} ({target.stat().st_size / 1e6:.0f} MB)", flush=True)


if __name__ == "__main__":
    {"restore": restore, "save": save}[sys.argv[1]]()
