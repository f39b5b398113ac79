"""Docker tier: the compose `dask` profile on a real engine scores partitions and runs `tune`.

The README's steps: MLflow up, `docker compose --profile dask up --wait --scale worker=2`
(scheduler and two workers from the prod image: healthy, non-root, read-only, memory
limits, the dashboard on 127.0.0.1 only), `train` in the prod image, then `predict` on a
folder of parquet files with `--scheduler tcp://scheduler:8786`: the parts equal
single-process `predict` row for row and the scheduler ran the partitions' tasks; `tune`
runs its trials there too. Same project name as test_docker.py (image layers from the build
cache); the stack is removed at both ends.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from support.docker import free_port
from support.rendering import render
from support.stack import SharedStack, require_engine

pytestmark = pytest.mark.docker

SLUG = "berth-e2e"
HOST_UID = 1000
SCHEDULER = "tcp://scheduler:8786"

# Run in the prod image: the held-out split as two files of 20-row row groups.
SPLIT_INTO_PARTS = """
import os, fastparquet, pandas as pd
table = pd.read_parquet("data/processed/test.parquet")
os.makedirs("data/parts")
fastparquet.write("data/parts/a.parquet", table[:40], write_index=False, row_group_offsets=20)
fastparquet.write("data/parts/b.parquet", table[40:], write_index=False, row_group_offsets=20)
print(len(table))
"""
COMPARE = """
import glob, json, pandas as pd
parts = pd.concat([pd.read_parquet(p) for p in sorted(glob.glob("data/scored/part-*.parquet"))])
single = pd.read_parquet("data/single.parquet")
print(json.dumps({"rows": len(parts), "equal": parts.reset_index(drop=True).equals(
    single.reset_index(drop=True))}))
"""
# The tasks the scheduler has seen, by prefix (the name of the function they run).
TASKS_RUN = """
import json
from distributed import Client
def counts(dask_scheduler):
    return {name: sum(prefix.state_counts.values())
            for name, prefix in dask_scheduler.task_prefixes.items()}
with Client("SCHEDULER", timeout="60s") as client:
    print(json.dumps({"workers": len(client.scheduler_info()["workers"]),
                      "tasks": client.run_on_scheduler(counts)}))
""".replace("SCHEDULER", SCHEDULER)

WORKER_SETTINGS = f"""
import json
from distributed import Client

def read():
    import os, dask
    profiling = dask.config.get("distributed.worker.profile.enabled")
    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), profiling

with Client("{SCHEDULER}", timeout="30s") as client:
    print(json.dumps({{"settings": sorted(set(client.run(read).values()))}}))
"""


class DaskStack(SharedStack):
    network = ""

    def job(self, *args: str, entrypoint: str | None = None):
        """A command in the prod image on the project folder, as the workers see it."""
        return self.docker(
            "run", "--rm", "--network", self.network, "--user", f"{HOST_UID}:{HOST_UID}",
            "--env", "MLFLOW_TRACKING_URI=http://mlflow:5000",
            "--volume", f"{self.root}:/workspace", "--workdir", "/workspace",
            *(["--entrypoint", entrypoint] if entrypoint else []), f"{self.slug}:prod", *args,
        )  # fmt: skip

    def python(self, code: str) -> dict | str:
        out = self.job("-c", code, entrypoint="python").stdout.strip().splitlines()[-1]
        return json.loads(out) if out.startswith("{") else out

    def inspect(self, service: str) -> list[dict]:
        ids = self.compose("--profile", "dask", "ps", "--quiet", service).stdout.split()
        return json.loads(self.docker("inspect", *ids).stdout)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require_engine()
    root = render(tmp_path_factory.mktemp("dask") / SLUG, {"use_dask": True}, skip_tasks=False)
    for path in [root, *root.rglob("*")]:
        os.chown(path, HOST_UID, HOST_UID, follow_symlinks=False)
    stack = DaskStack(root, SLUG)
    stack.env["DASK_DASHBOARD_PORT"] = str(free_port())
    stack.remove_everything()
    yield stack
    stack.remove_everything()


def test_the_dask_profile_scores_partitions_and_tunes_on_its_workers(stack: DaskStack):
    stack.compose("--profile", "dask", "build", "mlflow", "scheduler")
    stack.compose("up", "--detach", "--wait", "--wait-timeout", "300", "mlflow")
    stack.compose(
        "--profile", "dask", "up", "--detach", "--wait", "--wait-timeout", "300",
        "--scale", "worker=2", "scheduler", "worker",
    )  # fmt: skip
    stack.network = stack.docker(
        "network", "ls", "--quiet", "--filter", f"label=com.docker.compose.project={SLUG}"
    ).stdout.split()[0]

    [scheduler] = stack.inspect("scheduler")
    workers = stack.inspect("worker")
    assert len(workers) == 2
    for container in [scheduler, *workers]:
        assert container["State"]["Health"]["Status"] == "healthy"
        assert container["HostConfig"]["ReadonlyRootfs"] is True
        assert container["HostConfig"]["Memory"] > 0  # a memory limit
        assert container["Config"]["User"] not in ("", "0", "root", "0:0")
    bindings = scheduler["HostConfig"]["PortBindings"]["8787/tcp"]
    assert {binding["HostIp"] for binding in bindings} == {"127.0.0.1"}
    assert all(not container["HostConfig"]["PortBindings"] for container in workers)
    # The image's /etc/dask/ holds io/dask.yaml: the workers' processes run with it.
    assert stack.python(WORKER_SETTINGS) == {"settings": [[None, False]]}

    stack.job("train")
    rows = int(stack.python(SPLIT_INTO_PARTS))
    scored = stack.job(
        "predict", "--input", "data/parts", "--output", "data/scored", "--scheduler", SCHEDULER
    )
    log = scored.stdout + scored.stderr
    assert f"Connected to the Dask scheduler at {SCHEDULER} (2 workers)" in log
    parts = int(re.search(rf"Wrote {rows} predictions in (\d+) parts", log).group(1))
    stack.job(
        "predict", "--input", "data/processed/test.parquet", "--output", "data/single.parquet"
    )
    assert stack.python(COMPARE) == {"rows": rows, "equal": True}
    ran = stack.python(TASKS_RUN)
    assert ran["workers"] == 2
    assert ran["tasks"].get("score_partition", 0) >= parts >= 2  # scored on the workers

    (Path(stack.root) / "params.yaml").write_text(
        (Path(stack.root) / "params.yaml").read_text().replace("budget: 8", "budget: 2")
    )
    tuned = stack.job("tune", "--scheduler", SCHEDULER)
    assert "Best of 2 trials" in tuned.stdout + tuned.stderr
    after = stack.python(TASKS_RUN)["tasks"]
    assert sum(after.values()) > sum(ran["tasks"].values())  # the trials ran on the cluster
