# shellcheck shell=bash disable=SC2154 # planregd, root, tmp: set by the script that sources this file
# harness.sh - what the benchmark scripts (run.sh, status_bench.sh) stand on: the planregd they measure,
# started and stopped, and the clean-up on exit. Sourced after the script has defined die() and set root
# (the clone), planregd (the binary), tmp (its work directory, the cluster in tmp/pg) and keep (1: keep tmp).
#
#   planregd_start LOG PKI DSN [NAME=VALUE...]   start it in the background on 127.0.0.1 (ports chosen by the
#                                                kernel), PKI's server certificate, log level info, the
#                                                settings given on top; sets daemon_pid and port once it
#                                                listens and PostgreSQL answers (at most 30 s)
#   planregd_stop                                SIGTERM, up to 30 s for a clean exit, then SIGKILL;
#                                                returns its exit status (0 when none was running)
#   trap bench_cleanup EXIT                      on exit: the daemon and the cluster stopped, tmp removed
#                                                unless keep=1; the script's exit status kept

daemon_pid=""

planregd_start() {
  local log=$1 pki=$2 dsn=$3 i
  shift 3
  env PLANREGD_DB_DSN="$dsn" PLANREGD_LISTEN_ADDR=127.0.0.1 PLANREGD_LISTEN_PORT=0 PLANREGD_HTTP_PORT=0 \
    PLANREGD_TLS_CERT="$pki/server.crt" PLANREGD_TLS_KEY="$pki/server.key" PLANREGD_TLS_CA="$pki/ca.crt" \
    PLANREGD_LOG_LEVEL=info "$@" "$planregd" >"$log" 2>&1 &
  daemon_pid=$!
  port=""
  for ((i = 0; i < 300; i++)); do
    port=$(sed -n 's/.*event=listening .*port=\([0-9][0-9]*\).*/\1/p' "$log" | head -1)
    [ -n "$port" ] && grep -q "event=db_connected" "$log" && return 0
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$log" >&2; die "planregd exited at start"; }
    sleep 0.1
  done
  tail -20 "$log" >&2
  die "planregd did not start within 30 s (it must log event=listening and event=db_connected)"
}

planregd_stop() {
  local pid=$daemon_pid rc=0 i
  daemon_pid=""
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "planregd ignored SIGTERM for 30 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || rc=$?
  return $rc
}

bench_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  planregd_stop || true
  bash "$root/deploy/pgcluster.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
  if [ "${keep:-0}" = 1 ]; then
    echo "== kept $tmp (cluster stopped: bash deploy/pgcluster.sh start $tmp/pg)"
  else
    rm -rf "$tmp"
  fi
  exit $rc
}
