"""The Docker benchmark reports its rows and leaves no image, container or volume behind."""

from __future__ import annotations

from support.benchmarks import benchmark, reported
from support.commands import run
from support.docker import engine_available, skip_without


def test_docker_benchmark_reports_its_rows_and_leaves_nothing_behind():
    if not engine_available():
        skip_without("a Docker engine")

    def leftovers() -> list[str]:
        images = run(
            ["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]
        ).stdout.split()
        resources = [image for image in images if image.startswith("berth-bench-")]
        for kind in ("container", "volume", "network"):
            resources += run(
                ["docker", kind, "ls", *(["--all"] if kind == "container" else []),
                 "--filter", "label=com.docker.compose.project", "--format",
                 '{{.Label "com.docker.compose.project"}}'],
            ).stdout.split()  # fmt: skip
        return sorted(name for name in resources if name.startswith("berth-bench-"))

    assert leftovers() == []
    result = benchmark("--only", "docker", "--repeat", "1")

    assert result.returncode == 0, result.stderr[-3000:]
    rows = reported(result.stdout)
    size = rows["docker: prod image above its base"]
    assert size["unit"] == "MB" and float(size["median"]) > 0
    for name in [
        "docker: rebuild prod after a one-line source change",
        "docker: rebuild dev after a one-line source change",
        "docker: compose up --wait (built images, new volumes)",
    ]:
        assert rows[name]["unit"] == "s", name
    assert leftovers() == []
