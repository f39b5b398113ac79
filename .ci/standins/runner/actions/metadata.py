"""docker/metadata-action: image tags and OCI labels from the event's ref.

Tag types: semver (pattern with {{version}} {{major}} {{minor}} {{patch}} {{raw}}; a
pre-release only gets {{version}}), ref (event=branch|tag|pr), sha (prefix, format
short|long), raw (value); attributes enable, priority, prefix, suffix; `flavor`
latest=auto|true|false, prefix, suffix. Tags are ordered by priority (semver 900, ref 600,
raw 200, sha 100); the highest gives `version`. `latest=auto` adds `latest` for a semver
(non pre-release) or tag ref. Labels: org.opencontainers.image.* (created, description,
licenses, revision, source, title, url, version), then the `labels` input. The real action
reads the repository's description and licence from GitHub's API, unreachable here: the
stand-in leaves those two labels empty.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime

from common import export_env, fail, lines, read_input, set_output

SEMVER = re.compile(
    r"^v?(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+(?P<build>[0-9A-Za-z.-]+))?$"
)
PRIORITY = {"schedule": 1000, "semver": 900, "ref": 600, "raw": 200, "sha": 100}
DEFAULT_TAGS = ["type=schedule", "type=ref,event=branch", "type=ref,event=tag", "type=ref,event=pr"]


def attributes(spec: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for part in spec.split(","):
        key, eq, value = part.partition("=")
        if not eq:  # `type=raw,foo` or a bare value
            attrs.setdefault("value", key.strip())
            continue
        attrs[key.strip()] = value.strip()
    attrs.setdefault("type", "raw")
    return attrs


def sanitize(tag: str) -> str:
    tag = re.sub(r"[^a-zA-Z0-9._-]+", "-", tag)
    return tag[:128]


def generate(attrs: dict[str, str], ref: str, sha: str) -> tuple[str, bool] | None:
    """(tag, whether it earns `latest` under latest=auto), or None when it does not apply."""
    kind = attrs["type"]
    if kind == "semver":
        if not ref.startswith("refs/tags/"):
            return None
        raw = attrs.get("value") or ref.removeprefix("refs/tags/")
        match = SEMVER.match(raw)
        if not match:
            return None
        version = raw.lstrip("v")
        pattern = attrs.get("pattern", "{{version}}")
        if match["pre"] and "{{version}}" not in pattern and "{{raw}}" not in pattern:
            pattern = "{{version}}"
        values = {
            "version": version,
            "raw": raw,
            **{k: match[k] for k in ("major", "minor", "patch")},
        }
        tag = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: values.get(m.group(1), m.group(0)), pattern)
        return tag, not match["pre"]
    if kind == "ref":
        event = attrs.get("event", "")
        if event == "branch" and ref.startswith("refs/heads/"):
            return sanitize(ref.removeprefix("refs/heads/")), False
        if event == "tag" and ref.startswith("refs/tags/"):
            return sanitize(ref.removeprefix("refs/tags/")), True
        if event == "pr" and ref.startswith("refs/pull/"):
            return "pr-" + ref.split("/")[2], False
        return None
    if kind == "sha":
        attrs.setdefault("prefix", "sha-")
        return (sha if attrs.get("format") == "long" else sha[:7]), False
    if kind == "raw":
        return (attrs["value"], False) if attrs.get("value") else None
    if kind == "schedule":
        if os.environ.get("GITHUB_EVENT_NAME") != "schedule":
            return None
        return datetime.now(UTC).strftime("%Y%m%d"), False
    fail(f"tag type {kind} is not supported by the metadata-action stand-in")
    return None


def main() -> None:
    ref = os.environ.get("GITHUB_REF", "")
    sha = os.environ.get("GITHUB_SHA", "")
    images = [
        (item.split("=", 1)[1] if item.startswith("name=") else item).lower()
        for item in lines("images", commas=True)
    ]
    flavor = dict(item.split("=", 1) for item in lines("flavor") if "=" in item)
    tag_specs = lines("tags") or DEFAULT_TAGS

    generated: list[tuple[int, str]] = []
    earns_latest = False
    for spec in tag_specs:
        attrs = attributes(spec)
        if attrs.get("enable", "true").lower() == "false":
            continue
        result = generate(attrs, ref, sha)
        if result is None:
            continue
        tag, latest = result
        tag = (
            attrs.get("prefix", flavor.get("prefix", ""))
            + tag
            + attrs.get("suffix", flavor.get("suffix", ""))
        )
        priority = int(attrs.get("priority", PRIORITY.get(attrs["type"], 0)))
        if tag not in [t for _, t in generated]:
            generated.append((priority, tag))
        earns_latest = earns_latest or latest
    generated.sort(key=lambda item: -item[0])
    version_tags = [tag for _, tag in generated]
    latest_mode = flavor.get("latest", "auto")
    if latest_mode == "true" or (latest_mode == "auto" and earns_latest):
        version_tags.insert(len([p for p, _ in generated if p >= PRIORITY["ref"]]), "latest")
    version = version_tags[0] if version_tags else ""
    tags = [f"{image}:{tag}" for image in images for tag in version_tags]

    repository = os.environ.get("GITHUB_REPOSITORY", "")
    url = f"{os.environ.get('GITHUB_SERVER_URL', 'https://github.com')}/{repository}"
    labels = {
        "org.opencontainers.image.created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "org.opencontainers.image.description": "",
        "org.opencontainers.image.licenses": "",
        "org.opencontainers.image.revision": sha,
        "org.opencontainers.image.source": url,
        "org.opencontainers.image.title": repository.rsplit("/", 1)[-1],
        "org.opencontainers.image.url": url,
        "org.opencontainers.image.version": version,
    }
    for item in lines("labels"):
        key, _, value = item.partition("=")
        labels[key] = value
    label_lines = [f"{k}={v}" for k, v in labels.items()]
    annotations = [f"manifest:{line}" for line in label_lines]

    def separator(name: str) -> str:
        return read_input(name, "\\n").replace("\\n", "\n") or "\n"

    print("Docker tags:\n  " + "\n  ".join(tags), flush=True)
    outputs = {
        "version": version,
        "tags": separator("sep-tags").join(tags),
        "tag-names": separator("sep-tags").join(version_tags),
        "labels": separator("sep-labels").join(label_lines),
        "annotations": separator("sep-annotations").join(annotations),
        "json": json.dumps({"tags": tags, "labels": labels, "annotations": annotations}),
    }
    for name, value in outputs.items():
        set_output(name, value)
        export_env(f"DOCKER_METADATA_OUTPUT_{name.upper().replace('-', '_')}", value)


if __name__ == "__main__":
    main()
