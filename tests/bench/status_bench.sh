#!/usr/bin/env bash
# status_bench.sh - how fast is the consolidated status (GetStatus) on a large register?
#
# From a clone, after `cmake --build build/release`:
#
#   bash tests/bench/status_bench.sh             # raw SQL (pgbench) and the daemon over TLS
#   bash tests/bench/status_bench.sh --explain   # also EXPLAIN (ANALYZE, BUFFERS) of the raw query
#   bash tests/bench/status_bench.sh --sql-only  # no daemon
#
# It makes a private PostgreSQL cluster in a temporary directory (deploy/pgcluster.sh; the
# server runs as the postgres user), a database migrated by `planregd migrate`, an app role
# that is a member of planreg_app, and a synthetic register (tests/bench/gen_register.sql).
# Then it times
#   a) the two queries GetStatus runs for a first page, planreg_status_rows(...) for the page and
#      planreg_status_totals(...), with pgbench as the app role (average, and p50/p95/p99/max from
#      pgbench's per-transaction log), and
#   b) GetStatus requests to a real planregd over mutual TLS (tests/bench/status_client.py),
#      each from the first byte sent to the last byte of the response,
# and prints both side by side. The daemon and the cluster are stopped on exit, even on failure.
#
# Environment (defaults in brackets):
#   BENCH_RUNS [30]          timed executions of each (after BENCH_WARMUP [3] untimed ones)
#   BENCH_PROJECTS [10000]   BENCH_PERIODS [40]   BENCH_ORGS [500]   (gen_register.sql)
#   BENCH_PERIOD [2026-Q3]   the period asked for; the previous period and the default due
#                            date (quarter end + 14 days) follow from it
#   BENCH_AS_AT [now]        an RFC 3339 moment for as_at (both the SQL and the request)
#   BENCH_PAGE_SIZE [500]    GetStatus page_size (500 is the server's default)
#   BENCH_BUILD_DIR [build/release]
#   BENCH_DIR                work in this directory and keep it; a second run with the same
#                            sizes reuses its generated database (no generation)
#   BENCH_KEEP=1             keep the temporary directory (the cluster is stopped; restart it
#                            with deploy/pgcluster.sh start DIR/pg)
#   BENCH_QUICKACK=1         diagnostic: the client acknowledges every TCP segment at once
#                            (TCP_QUICKACK), which hides a server-side Nagle/delayed-ACK stall
#   PGOPTIONS                passed to PostgreSQL by libpq for pgbench and the daemon alike,
#                            e.g. PGOPTIONS='-c jit=off'
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

explain=0
with_daemon=1
for arg in "$@"; do
  case "$arg" in
  --explain) explain=1 ;;
  --sql-only | --no-daemon) with_daemon=0 ;;
  -h | --help) usage ;;
  *)
    echo "status_bench.sh: unknown argument $arg" >&2
    usage
    ;;
  esac
done

die() {
  echo "status_bench.sh: $*" >&2
  exit 1
}

int_in() { # NAME VALUE MIN MAX
  if ! [[ $2 =~ ^[0-9]{1,9}$ ]] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
    die "$1 must be an integer in $3..$4 (got \"$2\")"
  fi
}

runs=${BENCH_RUNS:-30}
warmup=${BENCH_WARMUP:-3}
projects=${BENCH_PROJECTS:-10000}
periods=${BENCH_PERIODS:-40}
orgs=${BENCH_ORGS:-500}
page_size=${BENCH_PAGE_SIZE:-500}
period=${BENCH_PERIOD:-2026-Q3}
as_at=${BENCH_AS_AT:-}
quickack=
[ "${BENCH_QUICKACK:-0}" = 1 ] && quickack=1
int_in BENCH_RUNS "$runs" 1 100000
int_in BENCH_WARMUP "$warmup" 0 1000
int_in BENCH_PROJECTS "$projects" 1 100000
int_in BENCH_PERIODS "$periods" 3 400
int_in BENCH_ORGS "$orgs" 1 99999
int_in BENCH_PAGE_SIZE "$page_size" 1 1000
[[ $period =~ ^([0-9]{4})-Q([1-4])$ ]] || die "BENCH_PERIOD must look like 2026-Q3"
year=$((10#${BASH_REMATCH[1]}))
quarter=${BASH_REMATCH[2]}
if [ "$quarter" -eq 1 ]; then prev="$((year - 1))-Q4"; else prev="$year-Q$((quarter - 1))"; fi
due=$(date -u -d "$(printf '%04d-%02d-01' "$year" $((quarter * 3))) +1 month -1 day +14 days" +%F)
if [ -n "$as_at" ]; then
  [[ $as_at =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+)?(Z|[+-][0-9:]+)?$ ]] || die "BENCH_AS_AT must be RFC 3339"
  as_at_sql="'$as_at'::timestamptz"
else
  as_at_sql="now()"
fi

build=${BENCH_BUILD_DIR:-$root/build/release}
planregd=$build/server/planregd
bindir=${PLANREG_PG_BINDIR:-/usr/lib/postgresql/15/bin}
pgbench=$bindir/pgbench
py=/usr/bin/python3
[ -x "$planregd" ] || die "no $planregd: build first (cmake -S . -B build/release && cmake --build build/release)"
[ -x "$pgbench" ] || die "no $pgbench (PostgreSQL 15 client tools)"
[ -x "$py" ] || die "no $py"
command -v psql >/dev/null || die "no psql"

if [ -n "${BENCH_DIR:-}" ]; then
  mkdir -p "$BENCH_DIR"
  tmp=$(cd "$BENCH_DIR" && pwd)
  keep=1
else
  tmp=$(mktemp -d /tmp/planreg-bench.XXXXXX)
  keep=${BENCH_KEEP:-0}
fi
chmod 0755 "$tmp" # the postgres user must reach the cluster directory

# shellcheck source=tests/bench/harness.sh
. tests/bench/harness.sh
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# ------------------------------------------------------------------ cluster, database, data
echo "== cluster in $tmp/pg"
bash deploy/pgcluster.sh init "$tmp/pg"
bash deploy/pgcluster.sh start "$tmp/pg"
eval "$(bash deploy/pgcluster.sh env "$tmp/pg")"

db=planreg_bench
app_role=planregd_bench
owner_dsn="host=$PGHOST port=$PGPORT dbname=$db user=postgres"
app_dsn="host=$PGHOST port=$PGPORT dbname=$db user=$app_role"
sizes="projects=$projects periods=$periods orgs=$orgs"

psql_su() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

gen_txt="generation: reused from $tmp"
if [ -f "$tmp/ready" ] && [ "$(cat "$tmp/ready")" = "$sizes" ]; then
  echo "== reusing the generated register in $tmp ($sizes)"
  PLANREGD_DB_DSN=$owner_dsn "$planregd" migrate
else
  rm -f "$tmp/ready"
  psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  echo "== planregd migrate"
  PLANREGD_DB_DSN=$owner_dsn "$planregd" migrate
  echo "== generating the register ($sizes)"
  t0=$(now)
  psql -X -v ON_ERROR_STOP=1 -d "$db" -v projects="$projects" -v periods="$periods" -v orgs="$orgs" \
    -f tests/bench/gen_register.sql | tee "$tmp/gen.log"
  gen_s=$(secs "$t0" "$(now)")
  gen_txt="generation took $gen_s s"
  echo "== $gen_txt"
  echo "$sizes" >"$tmp/ready"
fi
psql_su -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$app_role') THEN
              CREATE ROLE $app_role LOGIN; END IF; END \$\$;" -c "GRANT planreg_app TO $app_role" \
  -c "ALTER ROLE $app_role RESET log_min_duration_statement" # left over by an interrupted run
psql_su -Atc "SELECT 1 FROM pg_indexes WHERE indexname = 'progress_update_status'" | grep -q 1 ||
  die "the database has no index progress_update_status: is 0003_status.sql compiled into $planregd?"

# ------------------------------------------------------------------ a) raw SQL
# the two statements GetStatus runs for a first page: the page's rows and the totals
query="SELECT * FROM planreg_status_rows('$period', $as_at_sql, '$prev', '$due', NULL, NULL, NULL, NULL, false, NULL, NULL, 0, $((page_size + 1)));"
totals="SELECT * FROM planreg_status_totals('$period', $as_at_sql, '$due', NULL, NULL, NULL, NULL, NULL, NULL);"
printf '%s\n%s\n' "$query" "$totals" >"$tmp/status.sql"
rows=$(psql -X -At -v ON_ERROR_STOP=1 -U "$app_role" -d "$db" \
  -c "SELECT projects FROM (${totals%;}) t WHERE dim = 'all'")
echo "== raw SQL, as $app_role: $query $totals"
echo "   $rows rows; $warmup warm-up runs, then $runs timed (pgbench -n -r -l -t $runs)"
rm -f "$tmp"/pgbench_log.*
if [ "$warmup" -gt 0 ]; then
  "$pgbench" -n -f "$tmp/status.sql" -t "$warmup" -U "$app_role" "$db" >/dev/null 2>&1 ||
    die "pgbench warm-up failed"
fi
"$pgbench" -n -r -f "$tmp/status.sql" -t "$runs" -l --log-prefix="$tmp/pgbench_log" -U "$app_role" "$db" \
  >"$tmp/pgbench.out" 2>"$tmp/pgbench.err" || { cat "$tmp/pgbench.err" >&2; die "pgbench failed"; }
grep -E "^(latency average|tps)" "$tmp/pgbench.out" | sed 's/^/   /'

if [ "$explain" = 1 ]; then
  echo "== EXPLAIN (ANALYZE, BUFFERS), as $app_role"
  psql -X -v ON_ERROR_STOP=1 -U "$app_role" -d "$db" -c "EXPLAIN (ANALYZE, BUFFERS) ${query%;}" \
    -c "EXPLAIN (ANALYZE, BUFFERS) ${totals%;}"
fi

# ------------------------------------------------------------------ b) the daemon over TLS
daemon_json=""
if [ "$with_daemon" = 1 ]; then
  echo "== planregd over mutual TLS"
  pki=$tmp/pki
  bash deploy/pki.sh init "$pki" >/dev/null
  bash deploy/pki.sh server "$pki" localhost >/dev/null
  issued=$(bash deploy/pki.sh issue "$pki" admin CA "Bench Admin" admin)
  fp=$(printf '%s\n' "$issued" | grep -Eo '[0-9a-f]{64}' | head -1)
  [ -n "$fp" ] || die "pki.sh issue printed no fingerprint: $issued"
  psql_su -c "DELETE FROM credential WHERE name = 'admin'" # a reused database: re-enrol the new certificate
  PLANREGD_DB_DSN=$owner_dsn "$planregd" enrol admin CA admin "$fp" "Bench Admin" >/dev/null

  # PostgreSQL logs the duration of every statement the daemon's role runs from now on, so the
  # table can tell the daemon's SQL time from the rest
  pglog=$tmp/pg/postgres.log
  psql_su -c "ALTER ROLE $app_role SET log_min_duration_statement = 0"
  pglog_from=$(($(stat -c %s "$pglog") + 1))

  log=$tmp/planregd.log
  planregd_start "$log" "$pki" "$app_dsn"
  echo "   planregd on 127.0.0.1:$port; $warmup warm-up requests, then $runs timed (page_size $page_size)"
  daemon_json=$tmp/daemon.json
  "$py" -B tests/bench/status_client.py run --port "$port" --ca "$pki/ca.crt" --cert "$pki/admin.crt" \
    --key "$pki/admin.key" --period "$period" --page-size "$page_size" --runs "$runs" --warmup "$warmup" \
    --as-at "$as_at" --expect-projects "$rows" --out "$daemon_json" ${quickack:+--quickack} ||
    { tail -20 "$log" >&2; die "the GetStatus client failed"; }
  planregd_stop || { tail -20 "$log" >&2; die "planregd did not exit cleanly"; }
  psql_su -c "ALTER ROLE $app_role RESET log_min_duration_statement"
  tail -c +"$pglog_from" "$pglog" >"$tmp/daemon-sql.log"
fi

# ------------------------------------------------------------------ the figures
echo
echo "== GetStatus $period, $projects projects, $(psql_su -Atc 'SELECT count(*) FROM progress_update') updates;" \
  "$gen_txt; PGOPTIONS='${PGOPTIONS:-}'${quickack:+; client TCP_QUICKACK}"
"$py" -B tests/bench/status_client.py table --pgbench-log "$tmp"/pgbench_log.* --pgbench-out "$tmp/pgbench.out" \
  --rows "$rows" ${daemon_json:+--daemon "$daemon_json" --daemon-log "$log" --sql-log "$tmp/daemon-sql.log"}
