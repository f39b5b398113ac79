"""Copy-time task: write the project's untracked .env (secrets and ids for docker compose).

Run by copier in the new project's folder, with copier's own Python. Leaves an existing
.env untouched, so re-running never replaces a token someone already uses.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TEMPLATE = """\
# Local settings for docker compose. Untracked (.gitignore): it holds secrets.
# Written by `copier copy`; edit freely. compose.yaml lists every variable it reads.

# JupyterLab's login token (http://127.0.0.1:${{JUPYTER_PORT:-8888}}/lab?token=...).
JUPYTER_TOKEN={jupyter_token}

# Password of the `postgres` profile's database (MLflow's backend store there).
POSTGRES_PASSWORD={postgres_password}

# Your user and group ids: the dev containers run as them, so files they write in the
# project belong to you. (1000 when the project was generated as root or on Windows.)
HOST_UID={uid}
HOST_GID={gid}

# Optional:
# BASE_IMAGE=registry.example.com/python:3.13-slim  # another Debian-based Python image
# CA_BUNDLE=/path/to/corporate-ca.pem  # extra CA certificates for the image builds
# MLFLOW_PORT=5000
# JUPYTER_PORT=8888
# COMPOSE_PROFILES=postgres          # keep MLflow's runs in PostgreSQL
"""


def host_id(name: str) -> int:
    """The current user's uid/gid; 1000 for root (containers never run as root) or Windows."""
    value = getattr(os, name, lambda: 0)()
    return value if value > 0 else 1000


def main() -> None:
    env = Path(".env")
    if env.exists():
        return
    env.write_text(
        TEMPLATE.format(
            jupyter_token=secrets.token_urlsafe(32),
            postgres_password=secrets.token_urlsafe(24),
            uid=host_id("getuid"),
            gid=host_id("getgid"),
        ),
        encoding="utf-8",
    )
    env.chmod(0o600)


if __name__ == "__main__":
    main()
