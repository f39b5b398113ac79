#!/usr/bin/env bash
# Build the runner image that `act` runs GitHub Actions jobs in (berth_tools/run_workflows.py),
# from Debian packages (no container registry is reachable): Debian trixie (Python 3.13, the
# generated project's default), with what GitHub's ubuntu runner gives the steps of the
# generated workflows: bash, git, curl, jq, python3 + pip + venv, pipx, the docker CLI with
# the compose and buildx plugins (talking to the host's engine through the socket act
# mounts), ca-certificates, and node (act runs the stand-in actions that need a post step,
# such as actions/cache, with node).
# The host's CA bundle is not baked in: run_workflows.py mounts it over the image's at run
# time, and the image points uv, pip and requests at the system bundle, as GitHub's runner
# trusts its system store.
# Also local/registry:2 (.ci/standins/registry), which receives release pushes.
# Idempotent: each image is skipped when one built from the same recipe exists (labels
# berth.runner.hash, berth.standin.hash). Needs a running engine, debootstrap and
# local/python:3.13 (.ci/docker-engine.sh, which calls this script).
# Environment: BERTH_RUNNER_IMAGE (tag, default local/act-runner:trixie), BERTH_LOG_DIR,
# BERTH_DEBIAN_MIRROR (.ci/docker-engine.sh, which calls this script, passes the host's apt
# mirror).
set -euo pipefail

TAG=${BERTH_RUNNER_IMAGE:-local/act-runner:trixie}
LOG_DIR=${BERTH_LOG_DIR:-/tmp/berth-logs}
SUITE=trixie
PKGS=bash,ca-certificates,curl,git,jq,unzip,xz-utils,zstd,procps,python3,python3-pip,python3-venv,python-is-python3,pipx,docker-cli,docker-buildx,docker-compose,nodejs
# /opt/berth/bin comes first: run_workflows.py mounts the runner's stand-in tools there (gh).
RUNNER_PATH=/opt/berth/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
BUNDLE=/etc/ssl/certs/ca-certificates.crt

log() { printf '[runner-image] %s\n' "$*"; }
die() {
	printf 'runner-image: error: %s\n' "$*" >&2
	exit 1
}

mkdir -p "$LOG_DIR"
exec 9>/var/lock/berth-runner-image.lock
flock -w "${BERTH_LOCK_WAIT:-1800}" 9 || die "timed out waiting for /var/lock/berth-runner-image.lock"

# The image's recipe: what it is built from and the settings it is imported with.
CHANGES=("ENV PATH=$RUNNER_PATH" 'ENV LANG=C.UTF-8' "ENV SSL_CERT_FILE=$BUNDLE" "ENV REQUESTS_CA_BUNDLE=$BUNDLE"
	"ENV PIP_CERT=$BUNDLE" "ENV NODE_EXTRA_CA_CERTS=$BUNDLE" 'ENV RUNNER_TOOL_CACHE=/opt/hostedtoolcache')
hash=$(printf '%s\n' "$SUITE" "$PKGS" "${CHANGES[@]}" | sha256sum | cut -c1-16)
have=$(docker image inspect --format '{{index .Config.Labels "berth.runner.hash"}}' "$TAG" 2>/dev/null || true)
MIRROR=${BERTH_DEBIAN_MIRROR:-http://deb.debian.org/debian} # docker-engine.sh passes the host's
rootfs=
cleanup() {
	local m
	[ -n "$rootfs" ] && [ -e "$rootfs" ] || return 0
	while read -r m; do umount -l "$m" 2>/dev/null || true; done \
		< <(awk -v p="$rootfs/" 'index($2, p) == 1 {print $2}' /proc/mounts | sort -r)
	rm -rf --one-file-system "$rootfs"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------- runner
if [ "$have" = "$hash" ]; then
	log "$TAG is up to date"
else
	command -v debootstrap >/dev/null || die "debootstrap is missing (bash .ci/docker-engine.sh installs it)"
	rootfs=$(mktemp -d /var/tmp/berth-runner-rootfs.XXXXXX)
	log "building $TAG (debootstrap $SUITE from $MIRROR; log: $LOG_DIR/runner-image.log)"
	debootstrap --variant=minbase --include="$PKGS" "$SUITE" "$rootfs" "$MIRROR" \
		>"$LOG_DIR/runner-image.log" 2>&1 || die "debootstrap $SUITE failed (see $LOG_DIR/runner-image.log)"
	rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
	mkdir -p "$rootfs/opt/berth/bin" "$rootfs/opt/hostedtoolcache"
	changes=()
	for c in "${CHANGES[@]}" "LABEL berth.runner.hash=$hash" 'CMD ["bash"]'; do changes+=(--change "$c"); done
	tar --numeric-owner -C "$rootfs" -c . | docker import "${changes[@]}" - "$TAG" >/dev/null ||
		die "docker import $TAG failed"
	cleanup
	# Smoke test: every tool the workflows call, and the engine through the socket.
	if ! docker run --rm -v /var/run/docker.sock:/var/run/docker.sock "$TAG" bash -ec '
		python3 --version; git --version; curl --version | head -n 1; jq --version; pipx --version
		node --version; docker compose version; docker buildx version; docker version --format "{{.Server.Version}}"
	' >>"$LOG_DIR/runner-image.log" 2>&1; then
		docker image rm "$TAG" >/dev/null 2>&1 || true
		die "$TAG smoke test failed (see $LOG_DIR/runner-image.log)"
	fi
	log "$TAG: $(docker run --rm "$TAG" python3 --version)"
fi

# ---------------------------------------------------------------------------- registry
# local/registry:2, the registry release workflows push to (berth_tools/run_workflows.py).
REGISTRY_TAG=${BERTH_REGISTRY_IMAGE:-local/registry:2}
reg_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/standins/registry
reg_hash=$(cat "$reg_dir/Dockerfile" "$reg_dir/config.yml" | sha256sum | cut -c1-16)
have=$(docker image inspect --format '{{index .Config.Labels "berth.standin.hash"}}' "$REGISTRY_TAG" 2>/dev/null || true)
if [ "$have" != "$reg_hash" ]; then
	log "building $REGISTRY_TAG (log: $LOG_DIR/build-registry.log)"
	docker build --progress=plain --label "berth.standin.hash=$reg_hash" \
		--build-arg BASE_IMAGE=local/python:3.13 -t "$REGISTRY_TAG" "$reg_dir" \
		>"$LOG_DIR/build-registry.log" 2>&1 || die "building $REGISTRY_TAG failed (see $LOG_DIR/build-registry.log)"
fi
