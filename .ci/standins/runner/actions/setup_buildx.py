"""docker/setup-buildx-action: make a BuildKit builder the current one.

The real action creates a `docker-container` builder, whose BuildKit runs in a container of
the moby/buildkit image pulled from Docker Hub, and removes it after the job. No registry
is reachable here, so the stand-in selects the engine's built-in BuildKit (the `docker`
driver; `docker buildx use default`), which also sees the locally built base images. What
that builder cannot do (exporting caches, attestations) is handled by the
build-push-action stand-in, which says so in its log.
"""

from __future__ import annotations

import json
import subprocess

from common import notice, read_input, run, set_output


def main() -> None:
    driver = read_input("driver", "docker-container")
    if driver != "docker":
        notice(
            f"driver {driver} needs an image from a registry; using the engine's builder (docker driver)"
        )
    run(["docker", "buildx", "version"])
    run(["docker", "buildx", "use", "default"])
    inspect = subprocess.run(
        ["docker", "buildx", "inspect", "--bootstrap", "default"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    print(inspect, flush=True)
    fields = {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in inspect.splitlines())
        if value
    }
    platforms = fields.get("Platforms", "linux/amd64")
    set_output("name", "default")
    set_output("driver", "docker")
    set_output("platforms", platforms)
    set_output("endpoint", fields.get("Endpoint", "default"))
    set_output("status", fields.get("Status", "running"))
    set_output("flags", "")
    set_output(
        "nodes",
        json.dumps(
            [
                {
                    "name": "default",
                    "endpoint": "default",
                    "status": "running",
                    "platforms": platforms,
                }
            ]
        ),
    )


if __name__ == "__main__":
    main()
