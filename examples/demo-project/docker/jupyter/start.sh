#!/bin/sh
# Start JupyterLab in the dev image (the `jupyter` service). A token is always required:
# JUPYTER_TOKEN from the environment (compose reads it from .env), else the one saved in
# /workspace/.env, else a fresh random token saved there on this first start.
set -eu

env_file=/workspace/.env
if [ -z "${JUPYTER_TOKEN:-}" ] && [ -f "$env_file" ]; then
    JUPYTER_TOKEN=$(sed -n 's/^JUPYTER_TOKEN=//p' "$env_file" | tail -n 1)
fi
if [ -z "${JUPYTER_TOKEN:-}" ]; then
    JUPYTER_TOKEN=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')
    if printf '# Written by the jupyter service on its first start (keep this file out of git).\nJUPYTER_TOKEN=%s\n' \
        "$JUPYTER_TOKEN" 2>/dev/null >>"$env_file"; then
        echo "start-jupyter: no JUPYTER_TOKEN was set; generated one and saved it in .env" >&2
    else
        # The project folder is not writable for this user (HOST_UID in .env differs from
        # its owner): start anyway, with a token only the logs show.
        echo "start-jupyter: generated a token for this start (cannot write $env_file): $JUPYTER_TOKEN" >&2
    fi
fi
export JUPYTER_TOKEN

exec jupyter lab \
    --ip=0.0.0.0 \
    --port=8888 \
    --no-browser \
    --ServerApp.root_dir=/workspace \
    "$@"
