"""The serving benchmark: `serve` under load against the model's in-process predict.

Usage:  uv run python benchmarks/serve.py [--requests N] [--seconds S] [--write-docs [--docs PAGE]]

Generates a project (the defaults), installs it, trains and evaluates, then runs
serve_load.py with the project's own Python: the floor (the same model's in-process
`predict` on the same rows), then `serve` with one worker and with one per core, loaded by
1 and 8 clients with 1-row and 100-row requests on 127.0.0.1 (bounded loops that stop by
themselves). Prints the figures and the targets of issue 14; `--write-docs` replaces the
serving block of docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

from berth_tools import ROOT
from support.commands import run
from support.projects import Project
from support.rendering import render

DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- serve:begin -->", "<!-- serve:end -->"
LOAD = Path(__file__).with_name("serve_load.py")


def measure(requests: int, seconds: float, tmp: Path) -> dict:
    project = Project(render(tmp / "serve-bench", {"use_dvc": False}), tmp)
    project.install()
    project.cli("train")
    project.cli("evaluate")
    env = {k: v for k, v in project.env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    python = project.root / ".venv" / "bin" / "python"
    args = [python, LOAD, "--requests", str(requests), "--seconds", str(seconds)]
    result = run(args, cwd=project.root, env=env, timeout=3600)
    return json.loads(result.stdout)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def table(figures: dict) -> str:
    cores = figures["cores"]
    floor, serve = figures["floor"], figures["serve"]
    lines = [
        "| scenario | p50 ms | p99 ms | requests/s | errors |",
        "| --- | --- | --- | --- | --- |",
    ]
    for size in ("1", "100"):
        f = floor[size]
        lines.append(
            f"| floor: in-process predict, {size} row(s) | {f['p50_ms']:.2f} | "
            f"{f['p99_ms']:.2f} | {f['throughput']:.0f} | 0 |"
        )
    for key, s in serve.items():
        workers, rows, clients = (part.split("=")[1] for part in key.split())
        lines.append(
            f"| serve: {workers} worker(s), {rows} row(s), {clients} client(s) | "
            f"{s['p50_ms']:.2f} | {s['p99_ms']:.2f} | {s['throughput']:.0f} | {s['errors']} |"
        )
    one_client = serve[f"workers={cores} rows=1 clients=1"]
    bound = 1.5 * floor["1"]["p50_ms"] + 2
    eight = serve[f"workers={cores} rows=1 clients=8"]
    single = serve["workers=1 rows=1 clients=8"]
    gain = eight["throughput"] / single["throughput"]
    worst_tail = max(s["p99_ms"] / s["p50_ms"] for s in serve.values())
    errors = sum(s["errors"] for s in serve.values())
    lines += [
        "",
        "| target | figure | verdict |",
        "| --- | --- | --- |",
        f"| 1-row p50, one client <= 1.5x floor + 2 ms ({bound:.2f} ms) | "
        f"{one_client['p50_ms']:.2f} ms | {verdict(one_client['p50_ms'] <= bound)} |",
        f"| 8 clients: {cores} workers >= 1.7x one worker (1-row requests/s) | "
        f"{gain:.2f}x | {verdict(gain >= 1.7)} |",
        f"| p99 <= 4x p50, every serve row | worst {worst_tail:.2f}x | {verdict(worst_tail <= 4)} |",
        f"| zero errors | {errors} | {verdict(errors == 0)} |",
    ]
    return "\n".join(lines)


def write_docs(page: Path, text: str) -> None:
    content = page.read_text()
    head, begin, rest = content.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not (begin and end):
        raise SystemExit(f"{page}: no {BEGIN} ... {END} block")
    draft = page.with_name(f".{page.name}.new")
    draft.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")
    draft.replace(page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="per scenario (default 400)")
    parser.add_argument("--seconds", type=float, default=30, help="time limit per scenario")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--docs", type=Path, default=DOCS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="berth-serve-bench-") as tmp:
        figures = measure(args.requests, args.seconds, Path(tmp))
    header = (
        f"{platform.system()} {platform.machine()}, {figures['cores']} cores "
        f"({os.cpu_count()} on the machine), Python {platform.python_version()}; "
        f"at most {args.requests} requests or {args.seconds:.0f} s per scenario."
    )
    text = f"{header}\n\n{table(figures)}"
    print(text)
    if args.write_docs:
        write_docs(args.docs, text)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
