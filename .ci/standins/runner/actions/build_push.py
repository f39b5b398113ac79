"""docker/build-push-action: `docker buildx build` from the action's inputs.

Inputs map to the same buildx flags as in the real action (context, file, target,
build-args, labels, tags, load, push, outputs, no-cache, pull, platforms, secrets,
secret-files, secret-envs, network, allow, cache-from, cache-to, sbom, provenance,
attests); outputs: imageid, digest, metadata. The builder is the engine's own (see the
setup-buildx-action stand-in), and three things differ, each said in the log:
- `type=gha` caches live in GitHub's cache service: dropped. The engine's layer store,
  which persists between runs on this machine, plays their part. Other cache exports need
  a docker-container builder, so they are dropped too; cache imports are kept.
- SBOM and provenance attestations need a docker-container builder (and the SBOM scanner
  image from Docker Hub): not produced.
- `push`: each tag's registry is replaced as BERTH_REGISTRY_MAP says (a local registry
  instead of ghcr.io or ECR); the image is built into the engine, then pushed tag by tag.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from common import (
    fail,
    flag,
    lines,
    mapped_reference,
    notice,
    read_input,
    run,
    set_output,
    warning,
    workspace,
)


def secret_flags() -> list[str]:
    flags: list[str] = []
    for item in lines("secrets"):
        name, _, value = item.partition("=")
        with tempfile.NamedTemporaryFile(
            "w", delete=False, dir=os.environ.get("RUNNER_TEMP")
        ) as handle:
            handle.write(value.strip('"'))
        flags += ["--secret", f"id={name},src={handle.name}"]
    for item in lines("secret-files"):
        name, _, path = item.partition("=")
        flags += ["--secret", f"id={name},src={path.strip(chr(34))}"]
    for item in lines("secret-envs"):
        name, _, variable = item.partition("=")
        flags += ["--secret", f"id={name},env={variable}"]
    return flags


def cache_flags() -> list[str]:
    flags: list[str] = []
    for item in lines("cache-from"):
        if "type=gha" in item:
            notice(
                f"cache-from {item}: GitHub's cache service is not here; the engine's layer store serves instead"
            )
        else:
            flags += ["--cache-from", item]
    for item in lines("cache-to"):
        if "type=inline" in item:
            flags += ["--cache-to", item]
        else:
            notice(f"cache-to {item}: cache exports need a docker-container builder; skipped")
    return flags


def attestation_flags_dropped() -> None:
    wanted = [
        name
        for name, value in (
            ("sbom", read_input("sbom")),
            ("provenance", read_input("provenance")),
            ("attests", read_input("attests")),
        )
        if value and value.lower() != "false"
    ]
    if wanted:
        warning(
            f"{', '.join(wanted)} requested: attestations need a docker-container builder "
            "(and the SBOM scanner image from Docker Hub); not produced here"
        )


def main() -> None:
    context = read_input("context") or str(workspace())
    tags = lines("tags", commas=True)
    push = flag("push")
    load = flag("load")
    if push:
        pushed = [mapped_reference(tag) for tag in tags]
        for tag, target in zip(tags, pushed, strict=True):
            if tag != target:
                notice(f"push {tag} -> {target} (BERTH_REGISTRY_MAP)")
        tags = pushed

    workdir = Path(tempfile.mkdtemp(dir=os.environ.get("RUNNER_TEMP")))
    iidfile, metafile = workdir / "iidfile", workdir / "metadata.json"
    args = [
        "docker",
        "buildx",
        "build",
        "--iidfile",
        str(iidfile),
        "--metadata-file",
        str(metafile),
    ]
    if read_input("file"):
        args += ["--file", read_input("file")]
    if read_input("target"):
        args += ["--target", read_input("target")]
    for item in lines("build-args"):
        args += ["--build-arg", item]
    for item in lines("labels"):
        args += ["--label", item]
    for tag in tags:
        args += ["--tag", tag]
    for item in lines("outputs"):
        args += ["--output", item]
    if read_input("platforms"):
        args += ["--platform", read_input("platforms")]
    if read_input("network"):
        args += ["--network", read_input("network")]
    for item in lines("allow", commas=True):
        args += ["--allow", item]
    if flag("no-cache"):
        args.append("--no-cache")
    if flag("pull"):
        args.append("--pull")
    args += secret_flags() + cache_flags()
    attestation_flags_dropped()
    if load or push:  # the engine's builder stores the image; pushing is a separate step
        args.append("--load")
    run([*args, context])

    image_id = iidfile.read_text().strip() if iidfile.is_file() else ""
    metadata = json.loads(metafile.read_text()) if metafile.is_file() else {}
    digest = metadata.get("containerimage.digest", "")
    for tag in tags if push else []:
        output = run(["docker", "push", tag], capture_output=True, text=True).stdout
        print(output, flush=True)
        match = re.search(r"digest: (sha256:[0-9a-f]{64})", output)
        if match:
            digest = match.group(1)
            metadata.setdefault("pushed", {})[tag] = digest
    if push and not digest:
        fail("the push reported no digest")
    set_output("imageid", image_id)
    set_output("digest", digest)
    set_output("metadata", json.dumps(metadata))


if __name__ == "__main__":
    main()
