"""The project's untracked .env: secrets for compose, and the ids the dev containers run as.

An existing .env is left untouched, so running again (a recopy) never replaces a token or a
password someone already uses, nor ids someone set by hand.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import NamedTuple

# The dev containers never run as root: a project that belongs to root gets this user,
# which the access task lets write to the project.
CONTAINER_FALLBACK_ID = 1000

TEMPLATE = """\
# Local settings for docker compose. Untracked (.gitignore): it holds secrets.
# Written by `copier copy`; edit freely. compose.yaml lists every variable it reads.

# JupyterLab's login token (http://127.0.0.1:${{JUPYTER_PORT:-8888}}/lab?token=...).
JUPYTER_TOKEN={jupyter_token}

# Password of the `postgres` profile's database (MLflow's backend store there).
POSTGRES_PASSWORD={postgres_password}

# The user and group the dev containers run as: the owner of this folder, so that files
# they write in the project belong to it. {ids_note}
# After changing them, run `docker compose build`.
HOST_UID={uid}
HOST_GID={gid}

# Optional:
# BASE_IMAGE=registry.example.com/python:3.13-slim  # another Debian-based Python image
# CA_BUNDLE=/path/to/corporate-ca.pem  # extra CA certificates for the image builds
# MLFLOW_PORT=5000
# JUPYTER_PORT=8888
# COMPOSE_PROFILES=postgres          # keep MLflow's runs in PostgreSQL
"""
NOTES = {
    "owner": "(The folder's owner when it was generated.)",
    "root": (
        "The folder belongs to root, and containers\n"
        "# never run as root: they run as {uid}, which `copier copy` gave read-write access to\n"
        "# the project (POSIX ACLs: `getfacl .` shows them)."
    ),
    "mapped": "(Docker Desktop maps file ownership itself: {uid} is fine.)",
}


class Ids(NamedTuple):
    """The user and group the dev containers run as, and why (a key of NOTES)."""

    uid: int
    gid: int
    reason: str


def container_ids(project: Path) -> Ids:
    """The project folder's owner; the fallback user for root (or where ids mean nothing)."""
    info = project.stat()
    if info.st_uid > 0:
        return Ids(info.st_uid, info.st_gid if info.st_gid > 0 else info.st_uid, "owner")
    reason = "root" if sys.platform == "linux" else "mapped"
    return Ids(CONTAINER_FALLBACK_ID, CONTAINER_FALLBACK_ID, reason)


def write(project: Path) -> Ids:
    """Write .env unless it exists; return the ids the containers run as."""
    ids = container_ids(project)
    path = project / ".env"
    if path.exists():
        return ids
    text = TEMPLATE.format(
        jupyter_token=secrets.token_urlsafe(32),
        postgres_password=secrets.token_urlsafe(24),
        ids_note=NOTES[ids.reason].format(uid=ids.uid),
        uid=ids.uid,
        gid=ids.gid,
    )
    # Created readable by its owner only, never for a moment by anyone else.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    return ids
