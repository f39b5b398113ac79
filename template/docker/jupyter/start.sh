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
    printf '# Written by the jupyter service on its first start (keep this file out of git).\nJUPYTER_TOKEN=%s\n' \
        "$JUPYTER_TOKEN" >>"$env_file"
    echo "start-jupyter: no JUPYTER_TOKEN was set; generated one and saved it in .env" >&2
fi
export JUPYTER_TOKEN

exec jupyter lab \
    --ip=0.0.0.0 \
    --port=8888 \
    --no-browser \
    --ServerApp.root_dir=/workspace \
    "$@"
