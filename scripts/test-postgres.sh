#!/usr/bin/env bash
# Starts (or stops) a throw-away PostgreSQL cluster on 127.0.0.1 for the test suite.
#   eval "$(scripts/test-postgres.sh start)"   # exports TEST_DATABASE_URL and PG_TEST_DIR
#   scripts/test-postgres.sh stop "$PG_TEST_DIR"
# initdb refuses to run as root, so the cluster belongs to the `postgres` user when we are root.
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then (cd / && su postgres -s /bin/bash -c "$*"); else bash -c "$*"; fi; }

case "${1:-}" in
  start)
    dir=$(mktemp -d /tmp/chatlab-pg-XXXX)
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_pg "'$bindir/initdb' -D '$dir/data' -U postgres --auth=trust -E UTF8 >'$dir/initdb.log' 2>&1"
    as_pg "'$bindir/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start >/dev/null"
    echo "export PG_TEST_DIR='$dir' TEST_DATABASE_URL='postgres://postgres@127.0.0.1:$port/postgres'"
    ;;
  stop)
    dir=${2:-${PG_TEST_DIR:-}}
    [ -n "$dir" ] && [ -d "$dir/data" ] || exit 0
    as_pg "'$bindir/pg_ctl' -D '$dir/data' -m fast stop >/dev/null" || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start | stop <dir>" >&2; exit 2 ;;
esac
