# tests/pg.sh - a throw-away PostgreSQL for integration tests (sourced).
#
# Runs Debian's server binaries (/usr/lib/postgresql/*/bin) from a temporary
# directory: initdb, then a postmaster listening on 127.0.0.1 on a free high
# port with its unix socket in that directory.  initdb refuses root, so as
# root the server runs as the `postgres` user.  Never touches a system cluster.
#
# Host connections need a password (scram-sha-256): the tests reach it the way
# users do, through PGPASSFILE, never inside the URL.
#
# Functions:
#   pg_start          initdb, start, create the database bwtest; sets PG_URL
#   pg_newdb NAME     create another database; prints its URL
#   pg_psql DB SQL    run SQL through psql over the socket, unaligned output
#   pg_stop           stop (fast) and wait for the postmaster to exit
#   pg_cleanup        pg_stop and remove the directory (trap this)
#
# After pg_start: PG_DIR, PG_PORT, PG_URL, PGPASSFILE (exported), PG_BIN.
# PG_EXTRA: server options; by default fsync and synchronous commit are off
# (fast tests); PG_EXTRA="" gives a durable server (benchmarks).
# Exit 77 (skip) from pg_start when the PostgreSQL server is not installed.

PG_DIR=
PG_PORT=
PG_URL=
PG_BIN=
PG_USER=bw
PG_EXTRA=${PG_EXTRA--c fsync=off -c synchronous_commit=off}

pg_skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# pg_free_port - a TCP port on 127.0.0.1 that nobody listens on.
pg_free_port() {
	local p i
	for i in $(seq 1 50); do
		p=$(( 10000 + (RANDOM * 32768 + RANDOM) % 22000 ))   # below the ephemeral range (32768-)
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# pg_as CMD... - run as the server's owner (postgres when we are root).
pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		local q="" a
		for a in "$@"; do q="$q '$(printf %s "$a" | sed "s/'/'\\\\''/g")'"; done
		if command -v runuser >/dev/null 2>&1; then
			runuser -u postgres -- sh -c "cd /; $q"
		else
			su postgres -s /bin/sh -c "cd /; $q"
		fi
	else
		"$@"
	fi
}

pg_start() {
	PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] ||
		pg_skip "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin; Debian: postgresql)"
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		pg_skip "running as root and there is no postgres user to run the server"
	fi
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/bw-pg.XXXXXX")
	chmod 755 "$PG_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
	PG_PORT=$(pg_free_port) || pg_skip "no free port"
	local pw
	pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$pw" > "$PG_DIR/pw"
	[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR/pw"
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$PG_USER" --pwfile="$PG_DIR/pw" \
		--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
		> "$PG_DIR/initdb.log" 2>&1 ||
		pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$PG_USER" --pwfile="$PG_DIR/pw" \
			--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C \
			> "$PG_DIR/initdb.log" 2>&1 || {
		cat "$PG_DIR/initdb.log" >&2
		echo "pg.sh: initdb failed" >&2
		return 1
	}
	rm -f "$PG_DIR/pw"
	mkdir -p "$PG_DIR/sock"
	[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR/sock"
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR/sock -c max_connections=200 $PG_EXTRA" \
		start > /dev/null || {
		cat "$PG_DIR/server.log" >&2
		echo "pg.sh: the server did not start" >&2
		return 1
	}
	PGPASSFILE="$PG_DIR/pgpass"
	printf '127.0.0.1:%s:*:%s:%s\n' "$PG_PORT" "$PG_USER" "$pw" > "$PGPASSFILE"
	chmod 600 "$PGPASSFILE"
	export PGPASSFILE
	pg_newdb bwtest > /dev/null || return 1
	PG_URL="postgresql://$PG_USER@127.0.0.1:$PG_PORT/bwtest"
}

pg_psql() {
	local db=$1; shift
	pg_as "$PG_BIN/psql" -X -q -A -t -h "$PG_DIR/sock" -p "$PG_PORT" -U "$PG_USER" -d "$db" \
		-v ON_ERROR_STOP=1 -c "$*"
}

pg_newdb() {
	pg_as "$PG_BIN/createdb" -h "$PG_DIR/sock" -p "$PG_PORT" -U "$PG_USER" "$1" || return 1
	echo "postgresql://$PG_USER@127.0.0.1:$PG_PORT/$1"
}

pg_stop() {
	[ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop > /dev/null 2>&1 || true
}

pg_cleanup() {
	pg_stop
	[ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
	PG_DIR=
}
