"""astral-sh/setup-uv: install uv, put it on PATH, set UV_PYTHON and the uv cache.

The version is the `version` input, else `[tool.uv] required-version` of uv.toml or
pyproject.toml when it pins one (`==X.Y.Z`), else the newest release; the real action
downloads it from GitHub's releases, the stand-in takes the same binaries from the uv wheel
on the package index, kept in the runner's tool cache (`$RUNNER_TOOL_CACHE/uv/<version>`)
as the real action does. `python-version` sets UV_PYTHON. `enable-cache` (true, or auto
on a hosted runner): the real action restores UV_CACHE_DIR from GitHub's cache under a
key made from the `cache-dependency-glob` files and saves it after the job; the stand-in
points UV_CACHE_DIR at the persistent cache run_workflows.py mounts (BERTH_UV_CACHE_MOUNT),
so every run starts warm, which is what a cache hit gives.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import tempfile
import tomllib
import urllib.request
import zipfile
from pathlib import Path

from common import add_path, export_env, fail, lines, notice, read_input, run, set_output

INDEX = os.environ.get("BERTH_PYPI_JSON", "https://pypi.org/pypi")


def pinned_version(root: Path) -> str:
    for name, table in (("uv.toml", ()), ("pyproject.toml", ("tool", "uv"))):
        path = root / name
        if not path.is_file():
            continue
        data = tomllib.loads(path.read_text())
        for key in table:
            data = data.get(key, {})
        match = re.fullmatch(r"\s*==\s*([0-9][0-9.]*)\s*", str(data.get("required-version", "")))
        if match:
            return match.group(1)
    return ""


def latest_version() -> str:
    with urllib.request.urlopen(f"{INDEX}/uv/json", timeout=60) as response:
        return json.load(response)["info"]["version"]


def install(version: str) -> Path:
    """The uv binaries of `version`, extracted from its manylinux wheel into the tool cache."""
    home = (
        Path(os.environ.get("RUNNER_TOOL_CACHE", "/opt/hostedtoolcache")) / "uv" / version / "x64"
    )
    if (home / "uv").is_file() and (home / "uvx").is_file():
        print(f"Found uv {version} in the tool cache", flush=True)
        return home
    with tempfile.TemporaryDirectory() as download:
        run(
            [
                "python3",
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
                download,
                f"uv=={version}",
            ]
        )
        wheel = next(Path(download).glob("uv-*.whl"))
        home.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=home.parent))
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                name = Path(member).name
                if "/scripts/" in member and name in {"uv", "uvx"}:
                    (staging / name).write_bytes(archive.read(member))
                    (staging / name).chmod(0o755)
        if not (staging / "uv").is_file():
            fail(f"{wheel.name} holds no uv binary")
        try:
            staging.rename(home)
        except OSError:  # another job installed it meanwhile
            shutil.rmtree(staging)
    return home


def cache_key(root: Path, patterns: list[str], python: str) -> str:
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(glob.glob(str(root / pattern), recursive=True)):
            if Path(path).is_file():
                digest.update(Path(path).read_bytes())
    return f"setup-uv-1-x86_64-unknown-linux-gnu-{python or 'default'}-{digest.hexdigest()[:16]}"


def main() -> None:
    root = Path(read_input("working-directory") or os.environ.get("GITHUB_WORKSPACE", "."))
    version = read_input("version") or pinned_version(root) or latest_version()
    home = install(version)
    add_path(home)
    set_output("uv-version", version)
    set_output("uv-path", str(home / "uv"))
    set_output("uvx-path", str(home / "uvx"))
    tool_bin = read_input("tool-bin-dir") or str(
        Path(os.environ.get("RUNNER_TEMP", "/tmp")) / "uv-tool-bin"
    )
    export_env("UV_TOOL_BIN_DIR", tool_bin)
    add_path(tool_bin)
    if read_input("tool-dir"):
        export_env("UV_TOOL_DIR", read_input("tool-dir"))

    python = read_input("python-version")
    if python:
        export_env("UV_PYTHON", python)
        set_output("python-version", python)

    enable = read_input("enable-cache", "auto").lower()
    if enable in {"true", "auto"}:
        mounted = os.environ.get("BERTH_UV_CACHE_MOUNT", "")
        folder = (
            Path(mounted)
            if mounted
            else Path(os.environ.get("RUNNER_TEMP", "/tmp")) / "setup-uv-cache"
        )
        folder.mkdir(parents=True, exist_ok=True)
        export_env("UV_CACHE_DIR", str(folder))
        patterns = lines("cache-dependency-glob") or ["**/uv.lock", "**/pyproject.toml"]
        set_output("cache-key", cache_key(root, patterns, python))
        set_output("cache-hit", "true" if mounted and any(folder.iterdir()) else "false")
        if mounted:
            notice(
                f"uv cache: the persistent folder {folder} (GitHub restores and saves it by key)"
            )
    run([str(home / "uv"), "--version"])


if __name__ == "__main__":
    main()
