#!/usr/bin/env bash
# A private PostgreSQL 15 cluster in a directory of its own, for the tests and
# the quickstart. The server refuses to run as root, so as root every server
# command runs as the `postgres` user (or $PLANREG_PG_USER).
#
#   pgcluster.sh init  DIR          create DIR/data (idempotent)
#   pgcluster.sh start DIR [PORT]   start it (idempotent); socket in DIR, no TCP
#   pgcluster.sh stop  DIR          stop it (idempotent)
#   pgcluster.sh env   DIR          print export lines for PGHOST, PGPORT, PGUSER
#   pgcluster.sh status DIR         exit 0 when running
# PLANREG_PG_LISTEN=127.0.0.1 also listens on TCP (for tests of that path).
set -euo pipefail

cmd=${1:?usage: pgcluster.sh init|start|stop|env|status DIR [PORT]}
dir=${2:?usage: pgcluster.sh init|start|stop|env|status DIR [PORT]}
bindir=${PLANREG_PG_BINDIR:-/usr/lib/postgresql/15/bin}
pg_user=${PLANREG_PG_USER:-postgres}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$pg_user" -- "$@"
  else
    "$@"
  fi
}

running() {
  [ -f "$dir/data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

port_of() {
  if [ -f "$dir/port" ]; then cat "$dir/port"; else echo 5432; fi
}

case "$cmd" in
init)
  if [ -f "$dir/data/PG_VERSION" ]; then exit 0; fi
  if [ "$(id -u)" -eq 0 ]; then
    chown "$pg_user" "$dir"
    chmod 0755 "$dir"
    if ! runuser -u "$pg_user" -- test -w "$dir"; then
      echo "pgcluster.sh: the $pg_user user cannot reach $dir (a parent directory is not searchable);" \
        "put the cluster under a directory every user can traverse" >&2
      exit 1
    fi
  fi
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  ;;
start)
  if running; then exit 0; fi
  port=${3:-}
  if [ -z "$port" ]; then
    # any port works for a socket-only server; choose one unlikely to clash with a system cluster
    port=$(( 20000 + RANDOM % 20000 ))
  fi
  echo "$port" >"$dir/port"
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=${PLANREG_PG_LISTEN:-} -c fsync=off -c max_connections=200" start >/dev/null ||
    { tail -20 "$dir/postgres.log" >&2; exit 1; }
  ;;
stop)
  if running; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
  fi
  ;;
env)
  echo "export PGHOST=$dir PGPORT=$(port_of) PGUSER=postgres"
  ;;
status)
  running
  ;;
*)
  echo "pgcluster.sh: unknown command $cmd" >&2
  exit 2
  ;;
esac
