"""What every stand-in action needs from the runner: inputs, outputs, env, PATH, state.

The stand-ins run inside the act runner container (berth_tools/run_workflows.py mounts this
folder at /opt/berth). They talk to the runner through the same files GitHub's runner uses
(GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STATE) and the same workflow commands.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path


def read_input(name: str, default: str = "") -> str:
    """An input: INPUT_<NAME> as GitHub sets it (node actions keep dashes; the composite
    wrappers pass them with underscores)."""
    upper = name.upper().replace(" ", "_")
    for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"):
        if key in os.environ:
            return os.environ[key].strip()
    return default


def flag(name: str, default: bool = False) -> bool:
    value = read_input(name, "true" if default else "false").lower()
    if value not in {"true", "false"}:
        fail(f"input {name} must be true or false, not {value!r}")
    return value == "true"


def lines(name: str, commas: bool = False) -> list[str]:
    """A newline-delimited list input (`commas`: comma-separated items accepted too)."""
    raw = read_input(name)
    items = raw.replace(",", "\n") if commas else raw
    return [item.strip() for item in items.splitlines() if item.strip()]


def _append(variable: str, name: str, value: str) -> None:
    path = os.environ.get(variable)
    if not path:
        fail(f"{variable} is not set: not running inside a workflow step")
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def set_output(name: str, value: str) -> None:
    _append("GITHUB_OUTPUT", name, value)


def export_env(name: str, value: str) -> None:
    _append("GITHUB_ENV", name, value)
    os.environ[name] = value


def save_state(name: str, value: str) -> None:
    _append("GITHUB_STATE", name, value)


def state(name: str) -> str:
    return os.environ.get(f"STATE_{name}", "")


def add_path(directory: str | Path) -> None:
    with open(os.environ["GITHUB_PATH"], "a", encoding="utf-8") as handle:
        handle.write(f"{directory}\n")
    os.environ["PATH"] = f"{directory}{os.pathsep}{os.environ.get('PATH', '')}"


def mask(secret: str) -> None:
    if secret:
        print(f"::add-mask::{secret}", flush=True)


def notice(message: str) -> None:
    print(f"::notice::stand-in: {message}", flush=True)


def warning(message: str) -> None:
    print(f"::warning::stand-in: {message}", flush=True)


def fail(message: str) -> None:
    print(f"::error::{message}", flush=True)
    sys.exit(1)


def run(args: Sequence[str], **options) -> subprocess.CompletedProcess:
    """Run a command, echoing it, failing the step with its exit status."""
    print("+ " + " ".join(args), flush=True)
    result = subprocess.run(list(args), **options)
    if result.returncode != 0:
        fail(
            f"{args[0]} {args[1] if len(args) > 1 else ''} failed with exit status {result.returncode}"
        )
    return result


def workspace() -> Path:
    return Path(os.environ.get("GITHUB_WORKSPACE", os.getcwd()))


def registry_map() -> dict[str, str]:
    """BERTH_REGISTRY_MAP="ghcr.io=127.0.0.1:5000 *.amazonaws.com=127.0.0.1:5000": registries
    this machine cannot reach, and the local registry that receives their pushes instead."""
    pairs = {}
    for item in os.environ.get("BERTH_REGISTRY_MAP", "").split():
        upstream, _, local = item.partition("=")
        if upstream and local:
            pairs[upstream] = local
    return pairs


def mapped_registry(host: str) -> str:
    for upstream, local in registry_map().items():
        if host == upstream or (upstream.startswith("*.") and host.endswith(upstream[1:])):
            return local
    return host


def mapped_reference(reference: str) -> str:
    """An image reference with its registry host replaced as BERTH_REGISTRY_MAP says."""
    first, slash, rest = reference.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return f"{mapped_registry(first)}/{rest}"
    return reference
