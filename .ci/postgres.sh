#!/usr/bin/env bash
# A throwaway PostgreSQL server for the SQL tests (tests/test_sql*.py, benches/bench_sql.py).
#
#   source .ci/postgres.sh        # exports SCIMCORE_PG_DSN (and prints it)
#
# Installs PostgreSQL from the Debian packages when no server binaries are found, initialises a fresh cluster
# owned by the postgres user in a temporary directory, starts it on 127.0.0.1 at a free port (and a private unix
# socket directory), creates the database "scimcore" and exports its DSN. Stop it with: scimcore_pg_stop
# Meant to be sourced: it never calls `exit` and leaves the caller's shell options alone.

_scimcore_pg_main() {
    local bindir=""
    _scimcore_pg_find_bindir() {
        local candidate
        for candidate in /usr/lib/postgresql/*/bin; do
            if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then bindir="$candidate"; fi
        done
        if [ -z "$bindir" ] && command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
            bindir="$(dirname "$(command -v initdb)")"
        fi
    }
    _scimcore_pg_find_bindir
    if [ -z "$bindir" ]; then
        echo "postgres.sh: installing PostgreSQL from the Debian packages" >&2
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null \
            || { echo "postgres.sh: apt-get install postgresql failed" >&2; return 1; }
        _scimcore_pg_find_bindir
        [ -n "$bindir" ] || { echo "postgres.sh: no initdb/pg_ctl after installing postgresql" >&2; return 1; }
    fi

    # run the server as the unprivileged postgres user when we are root (PostgreSQL refuses to run as root)
    local runas=()
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
        runas=(runuser -u postgres --)
    fi

    local base port
    base="$(mktemp -d /tmp/scimcore-pg.XXXXXX)"
    chmod 755 "$base"
    mkdir -p "$base/data" "$base/socket"
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$base"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

    "${runas[@]}" "$bindir/initdb" -D "$base/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1 \
        || "${runas[@]}" "$bindir/initdb" -D "$base/data" -U postgres -A trust -E UTF8 --locale=C >"$base/initdb.log" 2>&1 \
        || { echo "postgres.sh: initdb failed, see $base/initdb.log" >&2; cat "$base/initdb.log" >&2; return 1; }
    "${runas[@]}" "$bindir/pg_ctl" -D "$base/data" -l "$base/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $base/socket -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
        start >/dev/null \
        || { echo "postgres.sh: the server did not start, see $base/server.log" >&2; cat "$base/server.log" >&2; return 1; }
    "${runas[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres scimcore \
        || { echo "postgres.sh: createdb failed" >&2; return 1; }

    export SCIMCORE_PG_DSN="postgresql://postgres@127.0.0.1:$port/scimcore"
    export SCIMCORE_PG_DATA="$base/data"
    export SCIMCORE_PG_BINDIR="$bindir"
    echo "SCIMCORE_PG_DSN=$SCIMCORE_PG_DSN"
}

scimcore_pg_stop() {
    # stop the server started by this script (and remove its files)
    [ -n "${SCIMCORE_PG_DATA:-}" ] || return 0
    local runas=()
    [ "$(id -u)" -eq 0 ] && runas=(runuser -u postgres --)
    "${runas[@]}" "$SCIMCORE_PG_BINDIR/pg_ctl" -D "$SCIMCORE_PG_DATA" -m fast -w stop >/dev/null
    rm -rf "$(dirname "$SCIMCORE_PG_DATA")"
    unset SCIMCORE_PG_DSN SCIMCORE_PG_DATA SCIMCORE_PG_BINDIR
}

_scimcore_pg_main
