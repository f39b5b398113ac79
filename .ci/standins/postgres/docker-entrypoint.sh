#!/usr/bin/env bash
# Entrypoint of the local postgres stand-in (see Dockerfile beside this file). Mirrors the
# official image's behaviour for the parts Berth uses: env vars, first-start init, password
# auth on 0.0.0.0:5432, /docker-entrypoint-initdb.d, and running as the postgres user.
set -Eeuo pipefail

# file_env VAR [DEFAULT]: VAR may also be given as VAR_FILE (a path), like the official image.
file_env() {
	local var=$1 file_var="${1}_FILE" val=${2:-}
	if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
		echo "error: both $var and $file_var are set (but are exclusive)" >&2
		exit 1
	fi
	if [ -n "${!var:-}" ]; then
		val=${!var}
	elif [ -n "${!file_var:-}" ]; then
		val=$(<"${!file_var}")
	fi
	export "$var=$val"
	unset "$file_var"
}

init_database() {
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	local auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$auth" != trust ]; then
		echo "error: database is uninitialized and superuser password is not specified;" \
			"set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust)" >&2
		exit 1
	fi

	local pwfile
	pwfile=$(mktemp /tmp/pg-pw.XXXXXX)
	local -a args=(--username="$POSTGRES_USER" -D "$PGDATA")
	if [ -n "$POSTGRES_PASSWORD" ]; then
		printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
		args+=(--pwfile="$pwfile")
	fi
	# shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of words, as upstream
	initdb "${args[@]}" $POSTGRES_INITDB_ARGS
	rm -f "$pwfile"
	printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
	printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

	# Temporary server on a private socket only, so that a healthcheck (`pg_isready`) does not
	# report ready before the real server runs.
	local sock
	sock=$(mktemp -d /tmp/pg-init.XXXXXX)
	pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=$sock" start
	export PGHOST=$sock PGUSER=$POSTGRES_USER PGDATABASE=postgres
	if [ "$POSTGRES_DB" != postgres ]; then
		psql -v ON_ERROR_STOP=1 --no-password --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
	fi
	export PGDATABASE=$POSTGRES_DB
	local f
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sh)
			echo "$0: running $f"
			# shellcheck disable=SC1090
			if [ -x "$f" ]; then "$f"; else . "$f"; fi
			;;
		*.sql) echo "$0: running $f"; psql -v ON_ERROR_STOP=1 --no-password -f "$f" ;;
		*.sql.gz) echo "$0: running $f"; gunzip -c "$f" | psql -v ON_ERROR_STOP=1 --no-password ;;
		*) if [ -e "$f" ]; then echo "$0: ignoring $f"; fi ;;
		esac
	done
	unset PGHOST PGUSER PGDATABASE
	pg_ctl -D "$PGDATA" -m fast -w stop
	rm -rf "$sock"
	echo "PostgreSQL init process complete; ready for start up."
}

if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" = postgres ]; then
	if [ "$(id -u)" = 0 ]; then
		mkdir -p "$PGDATA" /var/run/postgresql
		chown postgres:postgres "$PGDATA" /var/run/postgresql
		chmod 0700 "$PGDATA"
		chmod 3777 /var/run/postgresql
		exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
	fi
	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		init_database
	fi
fi

exec "$@"
