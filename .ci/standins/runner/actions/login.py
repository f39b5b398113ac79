"""docker/login-action: `docker login` to a registry with a username and a password.

The registry is replaced as BERTH_REGISTRY_MAP says (the local registry that receives the
pushes meant for ghcr.io or ECR). The real action logs out in a post step; the runner
container, and with it the docker credentials, is removed after the job here.
ECR logins are done by the aws-actions/amazon-ecr-login stand-in.
"""

from __future__ import annotations

import subprocess

from common import fail, mapped_registry, mask, notice, read_input


def main() -> None:
    registry = read_input("registry") or "docker.io"
    username, password = read_input("username"), read_input("password")
    if not username or not password:
        fail("Username and password required")
    mask(password)
    target = mapped_registry(registry)
    if target != registry:
        notice(f"login {registry} -> {target} (BERTH_REGISTRY_MAP)")
    print(f"Logging into {target}...", flush=True)
    result = subprocess.run(
        ["docker", "login", target, "--username", username, "--password-stdin"],
        input=password,
        text=True,
        capture_output=True,
    )
    print(result.stdout.strip(), flush=True)
    if result.returncode != 0:
        fail(result.stderr.strip() or f"docker login {target} failed")


if __name__ == "__main__":
    main()
