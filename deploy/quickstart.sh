#!/usr/bin/env bash
# The whole service on one machine, on its embedded default: a private
# PostgreSQL cluster under var/pg, a development PKI under var/pki, planregd in
# the background (var/planregd.pid, var/log/planregd.log), the plan imported,
# and credentials for every role, each joined through an invitation as a new
# person would (`planreg join`: the key made in var/cred/NAME, never in
# var/pki). Safe to run again at any time.
#
#   deploy/quickstart.sh          start (or check) everything
#   deploy/quickstart.sh stop     stop the daemon and the cluster
#
# Environment: PLANREG_VAR (default ./var), PLANREG_PORT (7443),
# PLANREG_HTTP_PORT (7444), PLANREG_PG_PORT (chosen once, then kept),
# PLANREG_BUILD (build directory, default ./build/release).
#
# The PostgreSQL cluster is durable (fsync on): what the daemon acknowledged
# survives a power cut. var/planregd.pid is not trusted on its own: after a
# kill -9 it names a dead process, later perhaps an unrelated one given the
# same pid. A pid counts as the daemon only when /proc shows a planregd binary
# running with this var directory's planregd.conf; nothing else is signalled.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
var=${PLANREG_VAR:-$root/var}
case $var in /*) ;; *) var=$PWD/$var ;; esac
port=${PLANREG_PORT:-7443}
http_port=${PLANREG_HTTP_PORT:-7444}
build=${PLANREG_BUILD:-$root/build/release}
plan_file=$root/data/lcr-digital-action-plan-2021-2023.txt
db=planreg
app_role=planregd

conf=$var/planregd.conf
pid_file=$var/planregd.pid

say() { printf 'quickstart: %s\n' "$*"; }

# True when PID is this quickstart's planregd: a planregd binary (perhaps
# rebuilt since it started: "(deleted)") whose --config is $conf. A zombie has
# no command line, so it does not count either.
is_our_daemon() { # pid
  local pid=$1 exe arg="" cwd i args=()
  [[ $pid =~ ^[1-9][0-9]*$ ]] || return 1
  # the braces make 2>/dev/null cover the redirection itself: a process that ended
  # between the scan and here has no /proc entry left to open
  { mapfile -d '' -t args <"/proc/$pid/cmdline"; } 2>/dev/null || return 1
  [ "${#args[@]}" -gt 0 ] && [ "${args[0]##*/}" = planregd ] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  exe=${exe% (deleted)}
  [ "${exe##*/}" = planregd ] || return 1
  for ((i = 1; i < ${#args[@]}; i++)); do
    [ "${args[i]}" = --config ] && arg=${args[i + 1]:-}
  done
  [ -n "$arg" ] || return 1
  if [ "${arg#/}" = "$arg" ]; then # relative to where it was started
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 1
    arg=$cwd/$arg
  fi
  [ "$(readlink -m -- "$arg")" = "$(readlink -m -- "$conf")" ]
}

# Prints the daemon's pid: the pid file's when it names the daemon, else the
# daemon found among all processes (the pid file was lost or overwritten).
daemon_pid() {
  local pid p
  pid=$(head -n 1 "$pid_file" 2>/dev/null || true)
  if is_our_daemon "$pid"; then
    echo "$pid"
    return 0
  fi
  for p in /proc/[0-9]*; do
    if is_our_daemon "${p#/proc/}"; then
      echo "${p#/proc/}"
      return 0
    fi
  done
  return 1
}

# What the pid file says when it names no daemon of ours, for messages.
stale_pid() {
  [ -f "$pid_file" ] || return 1
  head -n 1 "$pid_file" 2>/dev/null || true
}

stop() {
  local pid stale
  if pid=$(daemon_pid); then
    kill -TERM "$pid"
    # the daemon drains for up to drain_timeout_ms (10 s by default)
    for _ in $(seq 1 150); do is_our_daemon "$pid" || break; sleep 0.1; done
    if is_our_daemon "$pid"; then
      say "planregd (pid $pid) is still running 15 s after SIGTERM; see $var/log/planregd.log" >&2
      exit 1
    fi
    say "stopped planregd (pid $pid)"
  elif stale=$(stale_pid); then
    say "planregd was not running; removed the stale $pid_file (pid ${stale:-?} is not this planregd, left alone)"
  fi
  rm -f "$pid_file"
  if [ -d "$var/pg/data" ]; then
    bash "$root/deploy/pgcluster.sh" stop "$var/pg"
    say "stopped PostgreSQL ($var/pg)"
  fi
}

if [ "${1:-}" = stop ]; then
  stop
  exit 0
elif [ $# -gt 0 ]; then
  echo "usage: deploy/quickstart.sh [stop]" >&2
  exit 2
fi

mkdir -p "$var" "$var/log" "$var/env"
exec 9>"$var/.quickstart.lock"
flock 9 # two quickstarts at once take turns

# 1. packages and build
bash "$root/deploy/install-deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
planregd=$build/server/planregd
planreg=$build/client/planreg
say "built $planregd and $planreg"

# 2. PostgreSQL: the server refuses root, so it runs as the postgres user,
#    which must be able to reach var/pg
if [ "$(id -u)" -eq 0 ]; then
  d=$var
  while [ "$d" != / ]; do
    if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
      chmod o+x "$d"
      say "let the postgres user pass through $d (chmod o+x) to reach $var/pg"
    fi
    d=$(dirname "$d")
  done
fi
bash "$root/deploy/pgcluster.sh" init "$var/pg" # durable: fsync on
if [ ! -f "$var/pg/port" ] && [ -n "${PLANREG_PG_PORT:-}" ]; then
  echo "$PLANREG_PG_PORT" >"$var/pg/port"
fi
# (long-lived children must not inherit the lock: 9>&-)
bash "$root/deploy/pgcluster.sh" start "$var/pg" "$(cat "$var/pg/port" 2>/dev/null || true)" 9>&-
eval "$(bash "$root/deploy/pgcluster.sh" env "$var/pg")"
export PGDATABASE=$db
if ! psql -X -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  psql -X -q -d postgres -c "CREATE DATABASE $db"
fi
owner_dsn="host=$PGHOST port=$PGPORT dbname=$db user=postgres"
app_dsn="host=$PGHOST port=$PGPORT dbname=$db user=$app_role"
PLANREGD_DB_DSN=$owner_dsn "$planregd" migrate | sed 's/^/quickstart: migrate: /'
psql -X -q -d "$db" -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$app_role') THEN CREATE ROLE $app_role LOGIN; END IF;
END \$\$;
GRANT planreg_app TO $app_role;
SQL
say "PostgreSQL on socket $PGHOST port $PGPORT, database $db (daemon role $app_role)"

# 3. development PKI
pki=$var/pki
bash "$root/deploy/pki.sh" init "$pki" >/dev/null
[ -f "$pki/server.crt" ] || bash "$root/deploy/pki.sh" server "$pki" >/dev/null

# 4. the daemon
cat >"$conf" <<CONF
# written by deploy/quickstart.sh
listen_addr = 127.0.0.1
listen_port = $port
http_addr = 127.0.0.1
http_port = $http_port
tls_cert = $pki/server.crt
tls_key = $pki/server.key
tls_ca = $pki/ca.crt
issuer_cert = $pki/ca.crt
issuer_key = $pki/ca.key
db_dsn = $app_dsn
pid_file = $pid_file
CONF
# 4b. the verifiable log's signing key (docs/verifiable-log.md): made once, readable by planregd only,
#     never in the database; its verifier key is what every CLI checks checkpoints and receipts with
log_key=$var/log.key
if [ ! -f "$log_key" ]; then
  PLANREGD_LOG_KEY=$log_key PLANREGD_LOG_ORIGIN="$(hostname)/planreg" "$planregd" log-key >"$var/log.vkey.tmp"
  mv "$var/log.vkey.tmp" "$var/log.vkey"
  say "made the log's signing key $log_key (verifier key: $(cat "$var/log.vkey"))"
fi
echo "log_key = $log_key" >>"$conf"

log=$var/log/planregd.log
if pid=$(daemon_pid); then
  say "planregd already running (pid $pid)"
  if [ "$(head -n 1 "$pid_file" 2>/dev/null || true)" != "$pid" ]; then
    echo "$pid" >"$pid_file" # it was lost or overwritten: name the daemon again
    say "rewrote $pid_file, which did not name it"
  fi
else
  if stale=$(stale_pid); then
    say "removing the stale $pid_file (pid ${stale:-?} is not this planregd; that process is left alone)"
    rm -f "$pid_file"
  fi
  logged=$(stat -c %s "$log" 2>/dev/null || echo 0)
  nohup "$planregd" --config "$conf" >>"$log" 2>&1 </dev/null 9>&- &
  pid=$! # nohup execs planregd: the same process
  # up once it has written its pid file and connected to the database (in this run's part of the log)
  for _ in $(seq 1 100); do
    if [ "$(head -n 1 "$pid_file" 2>/dev/null || true)" = "$pid" ] &&
      grep -q "event=db_connected" < <(tail -c +$((logged + 1)) "$log"); then
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! is_our_daemon "$pid" || [ "$(head -n 1 "$pid_file" 2>/dev/null || true)" != "$pid" ]; then
    tail -c +$((logged + 1)) "$log" | tail -n 20 >&2
    echo "quickstart: planregd did not start" >&2
    exit 1
  fi
  say "started planregd (pid $pid) on 127.0.0.1:$port; log $log"
fi

# 5. credentials, each through an invitation and `planreg join`, as a new person gets one: the key is
#    made in var/cred/NAME by planreg (never in var/pki) and only the certificate request is sent. The
#    first admin's invitation is written straight into the database (`planregd invite`); that admin
#    invites everyone else over the wire (`planreg cred invite`).
cred=$var/cred
write_env() { # name
  cat >"$var/env/$1.env" <<ENV
# planreg credential "$1" (written by deploy/quickstart.sh): . var/env/$1.env
export PLANREG_SERVER=localhost:$port
export PLANREG_CA=$cred/$1/ca.crt
export PLANREG_CERT=$cred/$1/client.crt
export PLANREG_KEY=$cred/$1/client.key
export PATH=$build/client:\$PATH
# as if on the body's own machine: its receipts and the newest checkpoint it has seen stay with this
# deployment (a quickstart made again has a new log; a checkpoint kept from the old one would be a fork)
export XDG_DATA_HOME=$cred/$1/data
export XDG_STATE_HOME=$cred/$1/state
ENV
}
join_as() { # name code: joins in a home of its own, with no PLANREG_* settings (as on a new machine)
  local dir=$cred/$1
  mkdir -p "$dir"
  chmod 700 "$dir"
  env -u PLANREG_SERVER -u PLANREG_CA -u PLANREG_CERT -u PLANREG_KEY HOME="$dir" XDG_CONFIG_HOME="$dir" \
    XDG_DATA_HOME="$dir" XDG_CACHE_HOME="$dir/cache" XDG_STATE_HOME="$dir/state" \
    "$planreg" join "$2" --dir "$dir" --force >/dev/null
}
as() { # credential, then planreg arguments
  local who=$1
  shift
  PLANREG_SERVER=localhost:$port PLANREG_CA=$cred/$who/ca.crt PLANREG_CERT=$cred/$who/client.crt \
    PLANREG_KEY=$cred/$who/client.key XDG_CONFIG_HOME=$var/xdg "$planreg" "$@"
}

if [ ! -f "$cred/admin/client.crt" ]; then
  # the code (it holds the secret) is only passed on, never shown; what went wrong is
  if ! code=$(PLANREGD_DB_DSN=$owner_dsn "$planregd" --config "$conf" invite --org CA --role admin \
    --name "CA administrator" 2>"$var/.invite.err"); then
    cat "$var/.invite.err" >&2
    exit 1
  fi
  rm -f "$var/.invite.err"
  join_as admin "$code"
  say "the first admin joined with an invitation from planregd invite ($cred/admin)"
fi
write_env admin

as admin plan import --quiet "$plan_file" | tail -n 1 | sed 's/^/quickstart: import: /'

invite() { # name org person role
  if [ ! -f "$cred/$1/client.crt" ]; then
    code=$(as admin cred invite --org "$2" --role "$4" --name "$3" --format json |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["code"])')
    join_as "$1" "$code"
  fi
  write_env "$1"
}
invite viewer CA "CA programme viewer" viewer
invite reminder CA "reminder job" reminder
# only the organisations that lead a project report on one: read projects_led by its name (a CSV read by
# column number took the kind for it, and a name with a comma shifts the columns)
leads=$(as admin org list --format json | python3 -c '
import json, sys
print("\n".join(o["code"] for o in json.load(sys.stdin) if o["projects_led"] > 0))')
for code in $leads; do
  invite "submitter-$code" "$code" "$code progress lead" submitter
done
say "credentials: $(ls "$cred" | wc -l) joined through invitations (var/cred/NAME; var/env/NAME.env)"
cat >"$var/env/db.env" <<ENV
# the quickstart cluster's superuser (written by deploy/quickstart.sh): . var/env/db.env && psql
export PGHOST=$PGHOST
export PGPORT=$PGPORT
export PGUSER=postgres
export PGDATABASE=$db
ENV

# 6. what is there, and how to use it
# 5b. every credential's CLI checks the log with its verifier key
for f in "$var"/env/*.env; do
  grep -q PLANREG_LOG_VKEY "$f" || echo "export PLANREG_LOG_VKEY=$var/log.vkey" >>"$f"
done

echo
echo "== planreg is running"
as admin projects list --format json | python3 -c '
import collections, json, sys
ps = json.load(sys.stdin)
stages = collections.Counter(p["stage"] for p in ps)
themes = collections.Counter(p["theme"] for p in ps)
print("register: %d projects in %d themes (%s)" % (len(ps), len(themes),
      ", ".join("theme %d: %d" % kv for kv in sorted(themes.items()))))
print("stages: " + ", ".join("%s %d" % kv for kv in sorted(stages.items())))
print("capital projects: %d; lead organisations: %d" % (sum(p["capital"] for p in ps),
      len({o for p in ps for o in p["lead_orgs"]})))'
cat <<TXT

Credentials (each file sets PLANREG_* and a PATH with planreg; keys in var/cred/NAME):
  . var/env/admin.env       CA admin: import the plan, organisations, credentials, reviews
  . var/env/viewer.env      read everything
  . var/env/reminder.env    the reminder job
  . var/env/submitter-LCC.env (one per lead organisation: $(echo $leads | wc -w) of them)
                            report progress on that organisation's projects
  . var/env/db.env          psql as the cluster's superuser

Try:  . var/env/admin.env && planreg projects list --format json
A new person: . var/env/admin.env && planreg cred invite --org SEFTON --role submitter --name "New Officer"
      prints a code; on their own machine they run: planreg join 'CODE'

Stop: deploy/quickstart.sh stop
TXT
