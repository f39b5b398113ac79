#!/bin/sh
# Start the MLflow tracking server. The backend store is, in order:
#   MLFLOW_BACKEND_STORE_URI when set;
#   PostgreSQL when the `postgres` compose profile runs its service (POSTGRES_HOST resolves),
#     with POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB from .env;
#   else SQLite in /mlflow/db (a named volume).
# Every other setting comes from MLFLOW_* variables (see compose.yaml) or extra arguments.
set -eu

if [ -z "${MLFLOW_BACKEND_STORE_URI:-}" ]; then
    if [ -n "${POSTGRES_HOST:-}" ] && getent hosts "$POSTGRES_HOST" >/dev/null 2>&1; then
        if [ -z "${POSTGRES_PASSWORD:-}" ]; then
            echo "start-mlflow: the postgres profile needs POSTGRES_PASSWORD (set it in .env)" >&2
            exit 1
        fi
        MLFLOW_BACKEND_STORE_URI="postgresql+psycopg2://${POSTGRES_USER:-mlflow}:${POSTGRES_PASSWORD}@${POSTGRES_HOST}:${POSTGRES_PORT:-5432}/${POSTGRES_DB:-mlflow}"
        echo "start-mlflow: backend store: PostgreSQL at ${POSTGRES_HOST}"
    else
        MLFLOW_BACKEND_STORE_URI="sqlite:////mlflow/db/mlflow.db"
        echo "start-mlflow: backend store: SQLite (/mlflow/db/mlflow.db)"
    fi
    export MLFLOW_BACKEND_STORE_URI
fi

# uvicorn restarts a worker that does not answer its supervisor's ping within
# MLFLOW_WORKER_PING_TIMEOUT seconds (uvicorn's default, 5, kills busy workers on a loaded
# machine in the middle of a request).
exec mlflow server \
    --host 0.0.0.0 \
    --port 5000 \
    --uvicorn-opts "--timeout-worker-healthcheck ${MLFLOW_WORKER_PING_TIMEOUT:-60}" \
    --serve-artifacts \
    --artifacts-destination "${MLFLOW_ARTIFACTS_DESTINATION:-/mlflow/artifacts}" \
    "$@"
