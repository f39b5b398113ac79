"""The serving benchmark's measuring half, run by a generated project's own Python.

    .venv/bin/python serve_load.py --requests N [--seconds S] > figures.json

From the project folder (a trained model in models/model): the floor first, the model's
in-process `predict` on the same rows (jobs.predict.score: the signature check, then the
pipeline), then `serve` started with one worker and with one per core, each loaded by 1
and 8 clients over keep-alive connections on 127.0.0.1. Every loop is bounded by a request
count and a time limit, and the servers are stopped at the end. Prints JSON figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pandas as pd

MODEL = Path("models/model")
TEST_SPLIT = Path("data/processed/test.parquet")
PYPROJECT = tomllib.loads(Path("pyproject.toml").read_text())


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(latencies: list[float], errors: int, elapsed: float) -> dict:
    return {
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "throughput": len(latencies) / elapsed if elapsed else 0.0,
        "requests": len(latencies),
        "errors": errors,
    }


def rows(count: int) -> pd.DataFrame:
    frame = pd.read_parquet(TEST_SPLIT).drop(columns=["species"])
    repeats = -(-count // len(frame))
    return pd.concat([frame] * repeats, ignore_index=True).head(count)


def floor(frame: pd.DataFrame, requests: int, seconds: float) -> dict:
    from mlflow.pyfunc import load_model

    package = PYPROJECT["tool"]["uv"]["build-backend"]["module-name"]
    score = __import__(f"{package}.jobs.predict", fromlist=["score"]).score
    model = load_model(str(MODEL))
    score(model, frame)  # warm-up
    latencies, deadline = [], time.monotonic() + seconds
    start = time.perf_counter()
    while len(latencies) < requests and time.monotonic() < deadline:
        began = time.perf_counter()
        score(model, frame)
        latencies.append(time.perf_counter() - began)
    return summary(latencies, 0, time.perf_counter() - start)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = Path(sys.executable).parent / PYPROJECT["project"]["name"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["LOG_LEVEL"] = "WARNING"  # no access log line per request
    server = subprocess.Popen(
        [command, "serve", "--model", str(MODEL), "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"serve exited: {server.stderr.read().decode()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/ping")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.5)
    stop(server)
    raise SystemExit("serve did not answer /ping within 300 s")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def post(connection: http.client.HTTPConnection, body: bytes, headers: dict) -> bool:
    connection.request("POST", "/invocations", body, headers)
    response = connection.getresponse()
    response.read()
    return response.status == 200


def load(port: int, body: bytes, clients: int, requests: int, seconds: float) -> dict:
    """`clients` threads, each on its own connection, sharing `requests` and `seconds`."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    per_client = max(1, requests // clients)
    headers = {"Content-Type": "application/json"}
    ready = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("POST", "/invocations", body, headers)  # warm-up, not counted
        connection.getresponse().read()
        mine, failed = [], 0
        ready.wait()
        for _ in range(per_client):
            if time.monotonic() > deadline[0]:
                break
            began = time.perf_counter()
            try:
                try:
                    ok = post(connection, body, headers)
                except http.client.RemoteDisconnected:
                    # uvicorn closes keep-alive connections idle for 5 s (a slow start of the
                    # other clients): reconnect and send again, as any HTTP client does.
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    began = time.perf_counter()
                    ok = post(connection, body, headers)
            except OSError:
                ok = False
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            if ok:
                mine.append(time.perf_counter() - began)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + seconds
    ready.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return summary(latencies, errors[0], time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400, help="per scenario")
    parser.add_argument("--seconds", type=float, default=30, help="time limit per scenario")
    parser.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    figures: dict = {"cores": args.cores, "floor": {}, "serve": {}}
    frames = {size: rows(size) for size in (1, 100)}
    for size, frame in frames.items():
        figures["floor"][str(size)] = floor(frame, args.requests, args.seconds)
    for workers in sorted({1, args.cores}):
        server, port = start_server(workers)
        try:
            for size, frame in frames.items():
                body = json.dumps(
                    {"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}
                ).encode()
                for clients in (1, 8):
                    key = f"workers={workers} rows={size} clients={clients}"
                    figures["serve"][key] = load(port, body, clients, args.requests, args.seconds)
        finally:
            stop(server)
    json.dump(figures, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
