#!/usr/bin/env bash
# A private PostgreSQL 15 cluster in a directory of its own, for the tests and
# the quickstart. The server refuses to run as root, so as root every server
# command runs as the `postgres` user (or $PLANREG_PG_USER).
#
#   pgcluster.sh init  DIR [--fast] create DIR/data (idempotent); see below for --fast
#   pgcluster.sh start DIR [PORT]   start it (idempotent); socket in DIR, no TCP
#   pgcluster.sh stop  DIR          stop it (idempotent)
#   pgcluster.sh env   DIR          print export lines for PGHOST, PGPORT, PGUSER
#   pgcluster.sh status DIR         exit 0 when running
#   pgcluster.sh replica DIR PRIMARY_DIR
#                                   make DIR/data a streaming replica of the running
#                                   cluster in PRIMARY_DIR (pg_basebackup over its socket,
#                                   as the role planreg_replication, made when missing);
#                                   idempotent; then `start DIR` runs it as a hot standby
# PLANREG_PG_LISTEN=127.0.0.1 also listens on TCP (for tests of that path).
#
# A cluster is durable (fsync, synchronous_commit and full_page_writes on): an
# update acknowledged to a user survives a power cut. `init DIR --fast` (or
# PLANREG_PG_FAST=1) makes a throwaway cluster that skips fsync, for the test
# suite only: a crash of the machine may lose or corrupt it. The choice is kept
# in DIR/durability (the last init decides); start applies it, and restarts a
# running cluster whose fsync setting disagrees.
#
# postmaster.pid is not trusted on its own: a pid is signalled only when
# /proc shows it is a postgres server running this DIR/data, so a stale file
# naming a pid since given to another process neither keeps the cluster from
# starting nor gets that process stopped.
set -euo pipefail

usage="usage: pgcluster.sh init DIR [--fast] | start DIR [PORT] | stop|env|status DIR | replica DIR PRIMARY_DIR"
cmd=${1:?$usage}
dir=${2:?$usage}
bindir=${PLANREG_PG_BINDIR:-/usr/lib/postgresql/15/bin}
pg_user=${PLANREG_PG_USER:-postgres}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data=$dir/data

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$pg_user" -- "$@"
  else
    "$@"
  fi
}

# Prints the pid of this cluster's postmaster when it is running. pg_ctl itself
# believes postmaster.pid whenever its pid is alive; here the pid must also be a
# postgres server (/proc/PID/cmdline, readable by any user; /proc/PID/exe when
# readable) whose -D is this data directory.
postmaster_pid() {
  local pid exe i d="" args=()
  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[1-9][0-9]*$ ]] || return 1
  mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || return 1
  [ "${#args[@]}" -gt 0 ] && [ "${args[0]##*/}" = postgres ] || return 1
  if exe=$(readlink "/proc/$pid/exe" 2>/dev/null); then
    exe=${exe% (deleted)}
    [ "${exe##*/}" = postgres ] || return 1
  fi
  for ((i = 1; i < ${#args[@]}; i++)); do
    case ${args[i]} in
    -D) d=${args[i + 1]:-} ;;
    -D?*) d=${args[i]#-D} ;;
    esac
  done
  [ -n "$d" ] && [ "$(readlink -m -- "$d")" = "$(readlink -m -- "$data")" ] || return 1
  echo "$pid"
}

running() {
  postmaster_pid >/dev/null
}

# A postmaster.pid that names no postmaster of this cluster (a crash left it, and
# its pid may since belong to another process): postgres would refuse to start
# while that pid lives, so it goes; the process it names is left alone.
clear_stale_pid_file() {
  local pid
  [ -f "$data/postmaster.pid" ] || return 0
  running && return 0
  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
  echo "pgcluster.sh: removing the stale $data/postmaster.pid (pid ${pid:-?} is not this cluster's server)" >&2
  rm -f "$data/postmaster.pid"
}

port_of() {
  if [ -f "$dir/port" ]; then cat "$dir/port"; else echo 5432; fi
}

# The settings the cluster's durability calls for (DIR/durability, written by init).
durability() {
  if [ "$(cat "$dir/durability" 2>/dev/null || true)" = fast ]; then echo fast; else echo durable; fi
}

settings() {
  if [ "$(durability)" = fast ]; then
    # the test suite's throwaway cluster: commits still wait for the WAL write
    # (a killed server loses nothing), but nothing is forced to disk
    echo "-c fsync=off -c full_page_writes=off -c synchronous_commit=on"
  else
    echo "-c fsync=on -c full_page_writes=on -c synchronous_commit=on"
  fi
}

case "$cmd" in
init)
  mode=durable
  case "${3:-}" in
  "") [ "${PLANREG_PG_FAST:-0}" = 1 ] && mode=fast ;;
  --fast) mode=fast ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
  esac
  echo "$mode" >"$dir/durability"
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
  port=${3:-}
  if running; then
    # running already: right unless it runs with another durability than DIR/durability asks for
    want=on
    [ "$(durability)" = fast ] && want=off
    have=$("$bindir/psql" -X -h "$dir" -p "$(port_of)" -U postgres -d postgres -Atc "SHOW fsync" 2>/dev/null || true)
    if [ -z "$have" ] || [ "$have" = "$want" ]; then exit 0; fi
    echo "pgcluster.sh: restarting the cluster in $dir with fsync=$want (it ran with fsync=$have)" >&2
    as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
    port=${port:-$(port_of)}
  fi
  clear_stale_pid_file
  if [ -z "$port" ]; then
    # any port works for a socket-only server; choose one unlikely to clash with a system cluster
    port=$(( 20000 + RANDOM % 20000 ))
  fi
  echo "$port" >"$dir/port"
  as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=${PLANREG_PG_LISTEN:-} $(settings) -c max_connections=200" start >/dev/null ||
    { tail -20 "$dir/postgres.log" >&2; exit 1; }
  ;;
stop)
  if running; then
    as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
  else
    clear_stale_pid_file
  fi
  ;;
replica)
  primary=${3:?$usage}
  primary=$(cd "$primary" && pwd)
  if [ -f "$data/PG_VERSION" ]; then exit 0; fi
  # the replica keeps the primary's durability (a --fast primary's replica is throwaway too)
  cp "$primary/durability" "$dir/durability" 2>/dev/null || echo durable >"$dir/durability"
  if [ "$(id -u)" -eq 0 ]; then
    chown "$pg_user" "$dir"
    chmod 0755 "$dir"
  fi
  pport=$(cat "$primary/port")
  # initdb's pg_hba.conf lets local replication connections in; a role of its own keeps
  # the standby's primary_conninfo free of the superuser
  "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$primary" -p "$pport" -U postgres -d postgres -c \
    "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'planreg_replication') THEN
       CREATE ROLE planreg_replication LOGIN REPLICATION; END IF; END \$\$" >/dev/null
  sync_opt=()
  [ "$(durability)" = fast ] && sync_opt=(--no-sync)
  # -R writes standby.signal and primary_conninfo (the primary's socket directory and port)
  as_owner "$bindir/pg_basebackup" -h "$primary" -p "$pport" -U planreg_replication -D "$data" -R \
    -X stream -c fast "${sync_opt[@]}" >"$dir/basebackup.log" 2>&1 ||
    { cat "$dir/basebackup.log" >&2; exit 1; }
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
