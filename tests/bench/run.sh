#!/usr/bin/env bash
# run.sh - planregd's performance figures, each beside what bounds it, one line per comparison.
#
# From a clone, after `cmake --build build/release`:
#
#   bash tests/bench/run.sh                    # the full run (~2 minutes plus ~45 s of register generation)
#   BENCH_QUICK=1 BENCH_SKIP_STATUS=1 bash tests/bench/run.sh   # a 1-second smoke (ctest bench.smoke)
#
# It makes a private DURABLE PostgreSQL cluster in a temporary directory (deploy/pgcluster.sh init without
# --fast; fsync is checked to be on), a database migrated by `planregd migrate`, an app role that is a member
# of planreg_app, a PKI with an enrolled admin, starts planregd (room for many connections), imports the real
# plan (data/lcr-digital-action-plan-2021-2023.txt) as admin with the CLI, then measures:
#   submit             planreg-bench --workload submit, 8 connections, the log signed (log_key), db_pool_size 8, beside
#                      pgbench -M prepared -c 8 -j 2 inserting the same rows (update, milestone, risk) in one
#                      transaction each, without chain, log or lock; throughput, p50 and p99 of both
#   status             tests/bench/status_bench.sh (its own cluster and 10,000 x 40 register)
#   idle               planreg-bench --idle K --pid: the daemon's RSS per idle authenticated connection
#   whoami pipelined   one connection, 32 requests in flight
#   proofs             planreg-bench --workload proofs on the same connection and depth: random inclusion proofs
#                      (one in 8 a consistency proof) over the history the submit workload made, under the signed
#                      checkpoint, every 10th checked against leaves and heads the bench fetched (merkle.h)
#   audit verify       a history of BENCH_HISTORY leaves (made as the database owner through planreg_submit_update,
#                      so the daemon signs it as any other), verified by `planreg audit verify`: leaves/s, beside
#                      SHA-256 alone over the same bytes (openssl speed at the leaves' mean size and at a node's)
#   handshakes         full and resumed TLS handshakes (each with one Whoami), sequentially
#   cli whoami         `planreg whoami`, 20 runs: median wall time, mean CPU time
# The daemon and the cluster are stopped on exit, even on failure.
#
# Environment (defaults in brackets):
#   BENCH_SECONDS [10]        length of each timed run
#   BENCH_QUICK=1             1-second runs, small counts, no status register (for the smoke test)
#   BENCH_SKIP_STATUS=1       no status comparison (it generates a 10,000-project register: ~45 s)
#   BENCH_IDLE [5000]         idle connections (lowered to what the open-file limit allows)
#   BENCH_HANDSHAKES [200]    handshakes of each kind
#   BENCH_HISTORY [100000]    leaves of the history `audit verify` checks (the submit workload's and more)
#   BENCH_DB_POOL [8]         planregd's db_pool_size (8: PostgreSQL sees as many sessions as from pgbench -c 8)
#   BENCH_BUILD_DIR [build/release]
#   BENCH_KEEP=1              keep the temporary directory
#   BENCH_TOOL                planreg-bench to run [BENCH_BUILD_DIR/tests/planreg-bench]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

die() {
  echo "run.sh: $*" >&2
  exit 1
}

quick=${BENCH_QUICK:-0}
seconds=${BENCH_SECONDS:-10}
idle=${BENCH_IDLE:-5000}
handshakes=${BENCH_HANDSHAKES:-200}
history=${BENCH_HISTORY:-100000}
cli_runs=20
db_pool=${BENCH_DB_POOL:-8} # as many PostgreSQL sessions as pgbench's clients on the submit line
skip_status=${BENCH_SKIP_STATUS:-0}
if [ "$quick" = 1 ]; then
  seconds=1
  idle=${BENCH_IDLE:-200}
  handshakes=${BENCH_HANDSHAKES:-20}
  history=${BENCH_HISTORY:-300}
  cli_runs=5
  skip_status=1
fi
[[ $seconds =~ ^[0-9]{1,5}$ ]] && [ "$seconds" -ge 1 ] || die "BENCH_SECONDS must be a whole number of seconds >= 1"
[[ $idle =~ ^[0-9]{1,6}$ ]] || die "BENCH_IDLE must be a count"
[[ $handshakes =~ ^[0-9]{1,6}$ ]] && [ "$handshakes" -ge 1 ] || die "BENCH_HANDSHAKES must be a count >= 1"
[[ $history =~ ^[0-9]{1,7}$ ]] || die "BENCH_HISTORY must be a count of leaves"
[[ $db_pool =~ ^[0-9]{1,3}$ ]] && [ "$db_pool" -ge 1 ] && [ "$db_pool" -le 100 ] || die "BENCH_DB_POOL must be 1..100"

build=${BENCH_BUILD_DIR:-$root/build/release}
build=$(cd "$build" && pwd)
planregd=$build/server/planregd
planreg=$build/client/planreg
bench=${BENCH_TOOL:-$build/tests/planreg-bench} # BENCH_TOOL: e.g. the ASan build's, to check it
bindir=${PLANREG_PG_BINDIR:-/usr/lib/postgresql/15/bin}
pgbench=$bindir/pgbench
for f in "$planregd" "$planreg" "$bench"; do
  [ -x "$f" ] || die "no $f: build first (cmake --build $build --target planregd planreg planreg-bench)"
done
[ -x "$pgbench" ] || die "no $pgbench (PostgreSQL 15 client tools)"
command -v psql >/dev/null || die "no psql"
command -v openssl >/dev/null || die "no openssl (the hashing bound of audit verify)"

tmp=$(mktemp -d /tmp/planreg-run.XXXXXX)
chmod 0755 "$tmp" # the postgres user must reach the cluster directory
keep=${BENCH_KEEP:-0}
# shellcheck source=tests/bench/harness.sh
. tests/bench/harness.sh
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

lines=$tmp/lines
: >"$lines"
result() { # one comparison line, printed now and again in the summary
  echo "$*" | tee -a "$lines"
}
json_get() { # FILE KEY
  /usr/bin/python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v)' "$1" "$2"
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# ------------------------------------------------------------------ cluster, database, daemon
echo "== durable cluster in $tmp/pg"
bash deploy/pgcluster.sh init "$tmp/pg" >/dev/null
bash deploy/pgcluster.sh start "$tmp/pg" >/dev/null
eval "$(bash deploy/pgcluster.sh env "$tmp/pg")"
fsync=$(psql -X -At -d postgres -c "SHOW fsync")
synchronous_commit=$(psql -X -At -d postgres -c "SHOW synchronous_commit")
[ "$fsync" = on ] || die "the cluster runs with fsync=$fsync: not durable"
echo "   fsync=$fsync synchronous_commit=$synchronous_commit"

db=planreg_run
app_role=planregd_run
owner_dsn="host=$PGHOST port=$PGPORT dbname=$db user=postgres"
app_dsn="host=$PGHOST port=$PGPORT dbname=$db user=$app_role"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db"
PLANREGD_DB_DSN=$owner_dsn "$planregd" migrate >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE ROLE $app_role LOGIN" -c "GRANT planreg_app TO $app_role"

pki=$tmp/pki
bash deploy/pki.sh init "$pki" >/dev/null
bash deploy/pki.sh server "$pki" localhost >/dev/null
bash deploy/pki.sh issue "$pki" admin CA "Bench Admin" admin >/dev/null
PLANREGD_DB_DSN=$owner_dsn "$planregd" enrol admin CA admin "$(bash deploy/pki.sh fingerprint "$pki/admin.crt")" \
  "Bench Admin" >/dev/null

# room for the idle connections: the daemon and planreg-bench inherit this limit
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_limit=$(ulimit -n)
log=$tmp/planregd.log
PLANREGD_LOG_KEY=$tmp/log.key PLANREGD_LOG_ORIGIN=bench.localhost/planreg "$planregd" log-key >"$tmp/log.vkey"
planregd_start "$log" "$pki" "$app_dsn" PLANREGD_LOG_KEY="$tmp/log.key" PLANREGD_DB_POOL_SIZE="$db_pool" PLANREGD_MAX_CONNECTIONS="${PLANREGD_MAX_CONNECTIONS:-6000}" \
  PLANREGD_MAX_CONNECTIONS_PER_ADDR="${PLANREGD_MAX_CONNECTIONS_PER_ADDR:-6000}"
echo "   planregd (pid $daemon_pid) on 127.0.0.1:$port; open-file limit $fd_limit"

export PLANREG_SERVER=localhost:$port PLANREG_CA=$pki/ca.crt PLANREG_CERT=$pki/admin.crt PLANREG_KEY=$pki/admin.key
"$planreg" plan import data/lcr-digital-action-plan-2021-2023.txt >"$tmp/import.out" 2>&1 ||
  { cat "$tmp/import.out" >&2; die "plan import failed"; }
refs=$(psql -X -At -d "$db" -c "SELECT max(ref) FROM project WHERE plan_id = (SELECT max(id) FROM plan)")
[[ $refs =~ ^[0-9]+$ ]] || die "no projects after the import"
echo "   plan imported: projects 1..$refs"

period=2026-Q3
b_args=(--server "127.0.0.1:$port" --cert "$pki/admin.crt" --key "$pki/admin.key" --ca "$pki/ca.crt")
run_bench() { # OUT.json ARGS...: planreg-bench --json, stderr shown on failure
  local out=$1
  shift
  "$bench" "${b_args[@]}" --json "$@" >"$out" 2>"$out.err" || { cat "$out.err" >&2; die "planreg-bench $* failed"; }
}

# ------------------------------------------------------------------ submit vs pgbench
# planregd as deployed (its log signed: log_key) against PostgreSQL inserting the same rows (the update, one
# milestone, one risk) in one transaction per submission, at the same concurrency, into copies of the tables
# without the chain, the log, their lock or triggers: what the same cluster can do with those rows
# (issue 20, item 8). Revisions come from a sequence there, which is not a lock. pgbench uses prepared statements
# (-M prepared), as planregd does: the best PostgreSQL does with these rows. With the simple protocol it plans every
# statement again and managed a third of that here (docs/performance.md, "The anchor").
echo "== submit: planreg-bench 8 connections vs pgbench -M prepared -c 8 -j 2 inserting the same rows, ${seconds} s each"
run_bench "$tmp/submit.json" --workload submit --connections 8 --duration "$seconds" --refs "$refs" --period "$period"
sub_rps=$(json_get "$tmp/submit.json" rps)
sub_err=$(json_get "$tmp/submit.json" errors)
sub_p50=$(json_get "$tmp/submit.json" p50_ms)
sub_p99=$(json_get "$tmp/submit.json" p99_ms)
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE SCHEMA bench;
CREATE TABLE bench.progress_update (LIKE public.progress_update INCLUDING ALL);
CREATE TABLE bench.update_milestone (LIKE public.update_milestone INCLUDING ALL);
CREATE TABLE bench.update_risk (LIKE public.update_risk INCLUDING ALL);
CREATE SEQUENCE bench.revision;
SQL
cat >"$tmp/submit.sql" <<EOF
\set ref random(1, $refs)
\set k random(1, 1000000000000)
BEGIN;
WITH u AS (INSERT INTO bench.progress_update (project_id, period, revision, confidence, stage, narrative, spend_to_date_pence, forecast_total_pence, variance_note, submitted_by, submitted_org, submitted_person, on_behalf, submitted_at, idempotency_key, content_sha256, warnings, prev_hash, hash) VALUES ((SELECT id FROM project WHERE plan_id = (SELECT max(id) FROM plan) AND ref = :ref), '$period', nextval('bench.revision'), 'amber'::confidence, 'live'::stage, 'bench ' || :client_id || '-' || :k, NULL::bigint, NULL::bigint, '', 'admin', 'CA', 'Bench Admin', false, now(), 'pgb-' || :client_id || '-' || :k, encode(sha256(('c' || :client_id || '-' || :k)::bytea), 'hex'), '{}', encode(sha256(('p' || :client_id || '-' || :k || clock_timestamp())::bytea), 'hex'), encode(sha256(('h' || :client_id || '-' || :k || clock_timestamp())::bytea), 'hex')) RETURNING id), m AS (INSERT INTO bench.update_milestone (update_id, position, title, baseline, forecast, achieved) SELECT u.id, 1, 'Bench milestone', '2026-09-30'::date, '2026-12-31'::date, NULL FROM u) INSERT INTO bench.update_risk (update_id, position, risk) SELECT u.id, 1, 'Bench risk' FROM u;
COMMIT;
EOF
(cd "$tmp" && "$pgbench" -n -M prepared -c 8 -j 2 -T "$seconds" -l --log-prefix=pgb -f "$tmp/submit.sql" "$db" \
  >"$tmp/pgbench.out" 2>"$tmp/pgbench.err") ||
  { cat "$tmp/pgbench.err" "$tmp/pgbench.out" >&2; die "pgbench (the same rows) failed"; }
pg_tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$tmp/pgbench.out" | head -1)
pg_failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$tmp/pgbench.out" | head -1)
[ -n "$pg_tps" ] || { cat "$tmp/pgbench.out" >&2; die "pgbench printed no tps"; }
# per-transaction latencies: the third field of pgbench's log, in microseconds
read -r pg_p50 pg_p99 < <(cat "$tmp"/pgb.* | /usr/bin/python3 -c '
import sys
lat = sorted(int(line.split()[2]) / 1000.0 for line in sys.stdin if line.strip())
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p / 100))] if lat else 0.0
print("%.2f %.2f" % (pct(50), pct(99)))')
signed=$(grep -c "event=log_signed" "$log" || true)
result "submit: planregd $(calc %.0f "$sub_rps") req/s (p50 $sub_p50 ms, p99 $sub_p99 ms; log signed," \
  "$signed checkpoints, db_pool_size $db_pool), pgbench (prepared) inserting the same rows unchained $(calc %.0f "$pg_tps") tps (p50 $pg_p50 ms," \
  "p99 $pg_p99 ms), ratio $(calc %.2f "$sub_rps / $pg_tps") (target >= 0.9)" \
  "[errors: planregd $sub_err, pgbench ${pg_failed:-0}]"

# ------------------------------------------------------------------ idle connections
echo "== idle: $idle connections held while one connection runs Whoami for ${seconds} s"
run_bench "$tmp/idle.json" --idle "$idle" --pid "$daemon_pid" --workload whoami --connections 1 --duration "$seconds"
held=$(json_get "$tmp/idle.json" idle_held)
tried=$(json_get "$tmp/idle.json" idle_tried)
idle_failed=$(json_get "$tmp/idle.json" idle_failed)
kib=$(json_get "$tmp/idle.json" idle_kib_each)
idle_req=$(json_get "$tmp/idle.json" requests)
idle_err=$(json_get "$tmp/idle.json" errors)
refused=no
{ [ "$idle_failed" -gt 0 ] || [ "$idle_req" -eq 0 ] || [ "$idle_err" -gt 0 ]; } && refused=yes
note=""
[ "$tried" -lt "$idle" ] && note=" [the open-file limit ($fd_limit) allowed $tried of $idle]"
result "idle: $held connections held, $(calc %.1f "$kib") KiB each (target <= 24 KiB)," \
  "new connections refused: $refused$note"

# ------------------------------------------------------------------ whoami pipelined, and proofs beside it
echo "== whoami: one connection, depth 32, ${seconds} s"
run_bench "$tmp/whoami.json" --workload whoami --connections 1 --depth 32 --duration "$seconds"
who_rps=$(json_get "$tmp/whoami.json" rps)
result "whoami pipelined: $(calc %.0f "$who_rps") req/s on one connection (target >= 20000)" \
  "[p50 $(json_get "$tmp/whoami.json" p50_ms) ms, p99 $(json_get "$tmp/whoami.json" p99_ms) ms," \
  "errors $(json_get "$tmp/whoami.json" errors)]"

# The same connection and pipelining as the Whoami line, asking for proofs of the submit workload's history under
# the checkpoint GetCheckpoint signs first; every 10th proof is checked, so the figure is of correct proofs.
echo "== proofs: one connection, depth 32, ${seconds} s, every 10th proof verified"
run_bench "$tmp/proofs.json" --workload proofs --connections 1 --depth 32 --duration "$seconds" --check-every 10
pr_bad=$(json_get "$tmp/proofs.json" proofs_bad)
[ "$pr_bad" = 0 ] || die "planregd served $pr_bad proofs that do not verify"
pr_rps=$(json_get "$tmp/proofs.json" rps)
result "proofs: $(calc %.0f "$pr_rps") proofs/s on one connection, depth 32 (log of" \
  "$(json_get "$tmp/proofs.json" log_size) entries; $(json_get "$tmp/proofs.json" proofs_inclusion) inclusion," \
  "$(json_get "$tmp/proofs.json" proofs_consistency) consistency; $(json_get "$tmp/proofs.json" proofs_checked)" \
  "verified, 0 bad), beside whoami pipelined $(calc %.0f "$who_rps") req/s: ratio" \
  "$(calc %.2f "$pr_rps / $who_rps") [p50 $(json_get "$tmp/proofs.json" p50_ms) ms, p99" \
  "$(json_get "$tmp/proofs.json" p99_ms) ms, errors $(json_get "$tmp/proofs.json" errors)]"

# ------------------------------------------------------------------ handshakes
echo "== handshakes: $handshakes full, then $handshakes resumed, one at a time"
run_bench "$tmp/hs.json" --handshakes "$handshakes"
result "handshakes: full $(calc %.0f "$(json_get "$tmp/hs.json" handshakes_per_s_full)")/s," \
  "resumed $(calc %.0f "$(json_get "$tmp/hs.json" handshakes_per_s_resumed)")/s" \
  "[server resumed $(json_get "$tmp/hs.json" handshakes_reused) of $(json_get "$tmp/hs.json" handshakes_ok_resumed)]"

# ------------------------------------------------------------------ the CLI
echo "== planreg whoami, $cli_runs runs"
"$planreg" whoami >/dev/null || die "planreg whoami failed"
# Each run is spawned and reaped by Python (os.posix_spawn, os.wait4): the wall time is spawn to reap, the
# CPU time is the child's own rusage. (Timing with `date` around the command in this shell added the
# forks of two `date` processes to every run: ~10 ms.)
/usr/bin/python3 - "$planreg" "$cli_runs" >"$tmp/cli.out" <<'PY' || die "planreg whoami failed during the timed runs"
import os, statistics, sys, time
prog, runs = sys.argv[1], int(sys.argv[2])
walls, cpus = [], []
devnull = os.open(os.devnull, os.O_WRONLY)
for _ in range(runs):
    t0 = time.perf_counter()
    pid = os.posix_spawn(prog, [prog, "whoami"], os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status, ru = os.wait4(pid, 0)
    walls.append((time.perf_counter() - t0) * 1000)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(1)
    cpus.append((ru.ru_utime + ru.ru_stime) * 1000)
print("%.1f %.1f" % (statistics.median(walls), statistics.mean(cpus)))
PY
read -r wall cpu <"$tmp/cli.out"
result "cli whoami: $wall ms wall, $cpu ms CPU (target <= 15 ms wall)" \
  "[median wall and mean CPU of $cli_runs runs]"

# ------------------------------------------------------------------ audit verify of a long history
# The history is made fast but real: as the database owner, through planreg_submit_update (the function the daemon's
# SubmitUpdate calls), each return's canonical content built as proto/chain.c builds it (docs/audit.md), so the
# chain, the leaves and the node table are what the daemon would have written; `audit verify` makes the daemon sign
# the grown tree (after checking it extends the last one it signed), then checks all of it.
have_leaves=$(psql -X -At -d "$db" -c "SELECT count(*) FROM log_leaf")
more=$((history > have_leaves ? history - have_leaves : 0))
echo "== audit verify: $have_leaves leaves, $more more through planreg_submit_update"
history_chunk() { # FROM TO: one transaction (each return takes its own advisory locks, migrations/0025, so 100,000
  # in one would overflow the lock table), then the sequencer gives them their leaves as the daemon would
  psql -X -q -At -v ON_ERROR_STOP=1 -v lo="$1" -v hi="$2" -v refs="$refs" -v period="$period" -d "$owner_dsn" \
  >"$tmp/history.out" 2>&1 <<'SQL' || { cat "$tmp/history.out" >&2; die "making the history failed"; }
SELECT count(*) FILTER (WHERE s.outcome = 'written')
FROM generate_series(:lo, :hi) g
CROSS JOIN LATERAL (SELECT p.id, p.ref, 'bench history ' || g AS narrative FROM project p
                    WHERE p.plan_id = (SELECT max(id) FROM plan) AND p.ref = 1 + g % :refs) x
CROSS JOIN LATERAL (SELECT 'planreg-update-v1' || E'\n' || 'ref=' || x.ref || E'\n'
  || 'period=' || octet_length(:'period') || ':' || :'period' || E'\n' || 'confidence=5:amber' || E'\n'
  || 'stage=4:live' || E'\n' || 'narrative=' || octet_length(x.narrative) || ':' || x.narrative || E'\n'
  || 'spend_to_date_pence=-' || E'\n' || 'forecast_total_pence=-' || E'\n' || 'variance_note=0:' || E'\n'
  || 'milestones=0' || E'\n' || 'risks=0' || E'\n' AS content) c
CROSS JOIN LATERAL planreg_submit_update(x.id, :'period', 'amber', 'live', x.narrative, NULL, NULL, '', 'admin',
  'CA', 'Bench Admin', false, 'history-' || g, encode(sha256(convert_to(c.content, 'UTF8')), 'hex'), c.content,
  '[]', '[]', '[]', '2026-07-01', '2026-09-30', '2026-10-31', NULL, NULL, NULL) s;
SELECT sequenced FROM planreg_log_sequence();
SQL
}
for ((lo = 1; lo <= more; lo += 2000)); do
  history_chunk "$lo" $((lo + 1999 < more ? lo + 1999 : more))
done
leaves=$(psql -X -At -d "$db" -c "SELECT count(*) FROM log_leaf")
mean=$(psql -X -At -d "$db" -c "SELECT round(avg(octet_length(entry))) FROM log_leaf")
mkdir -p "$tmp/verifier/state" "$tmp/verifier/data"
t0=$(date +%s.%N)
XDG_STATE_HOME=$tmp/verifier/state XDG_DATA_HOME=$tmp/verifier/data "$planreg" audit verify --vkey "$tmp/log.vkey" \
  --format json >"$tmp/verify.json" 2>"$tmp/verify.err" || { cat "$tmp/verify.err" "$tmp/verify.json" >&2; die "audit verify failed"; }
t1=$(date +%s.%N)
[ "$(json_get "$tmp/verify.json" log_size)" = "$leaves" ] || die "audit verify checked another size than $leaves"
# The hashing bound: one SHA-256 of each leaf (0x00 and the entry) and of each node (0x01 and two hashes, 65 bytes;
# a tree of n leaves has n - 1), at openssl's speed for those sizes.
sha_rate() { # BYTES: hashes per second of that many bytes
  openssl speed -evp sha256 -bytes "$1" -seconds 1 2>/dev/null |
    awk -v b="$1" '$1 == "sha256" { sub(/k$/, "", $2); printf "%.0f", $2 * 1000 / b }'
}
leaf_rate=$(sha_rate $((mean + 1)))
node_rate=$(sha_rate 65)
[ -n "$leaf_rate" ] && [ -n "$node_rate" ] || die "openssl speed printed no SHA-256 figure"
verify_s=$(calc %.2f "$t1 - $t0")
result "audit verify: $leaves leaves in $verify_s s = $(calc %.0f "$leaves / ($t1 - $t0)") leaves/s (the chain," \
  "the tree rebuilt from every entry, the signatures), beside SHA-256 alone over the same bytes" \
  "$(calc %.0f "1 / (1 / $leaf_rate + 1 / $node_rate)") leaves/s [openssl speed, $((mean + 1))-byte leaves and" \
  "65-byte nodes]"

planregd_stop || true # as before the figures: a daemon's exit status does not stop the run
# The status comparison brings its own cluster: stop this one first, so that its checkpoint of the
# submit workload's writes does not land in the middle of the status timings.
bash deploy/pgcluster.sh stop "$tmp/pg" >/dev/null

# ------------------------------------------------------------------ status (its own cluster)
if [ "$skip_status" != 1 ]; then
  echo "== status: tests/bench/status_bench.sh (10,000 projects x 40 periods)"
  BENCH_BUILD_DIR=$build bash tests/bench/status_bench.sh >"$tmp/status.out" 2>&1 ||
    { tail -30 "$tmp/status.out" >&2; die "status_bench.sh failed"; }
  p50s=$(awk '$1 == "p50" && $2 == "ms" { print $3, $4; exit }' "$tmp/status.out")
  raw_p50=${p50s% *}
  d_p50=${p50s#* }
  [ -n "$raw_p50" ] && [ -n "$d_p50" ] || { cat "$tmp/status.out" >&2; die "no p50 in status_bench.sh's table"; }
  result "status: planregd p50 $d_p50 ms, raw SQL p50 $raw_p50 ms, ratio $(calc %.2f "$d_p50 / $raw_p50")" \
    "(targets < 50 ms and <= 1.3)"
else
  echo "== status: skipped (BENCH_SKIP_STATUS=1 or BENCH_QUICK=1)"
fi

echo
echo "== results ($(date -u +%FT%TZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
cat "$lines"
