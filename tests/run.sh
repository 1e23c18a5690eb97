#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, builds the
# normal and the ASan+UBSan variants, starts a private PostgreSQL cluster, runs
# every test of both builds through ctest, and stops the cluster even on failure.
# Exit status is non-zero when anything failed. Safe to run repeatedly.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
jobs=$(nproc)

bash deploy/install-deps.sh

build=${PLANREG_BUILD_DIR:-$root/build}
cmake -S . -B "$build/release" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build/release" -j"$jobs"
cmake -S . -B "$build/asan" -DCMAKE_BUILD_TYPE=Debug -DPLANREG_SANITIZE=ON >/dev/null
cmake --build "$build/asan" -j"$jobs"

tmp=$(mktemp -d /tmp/planreg-test.XXXXXX)
chmod 0755 "$tmp" # the postgres user must reach the cluster directory
cleanup() {
  bash deploy/pgcluster.sh stop "$tmp/pg" || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# --fast: a throwaway cluster that skips fsync (the quickstart's is durable)
bash deploy/pgcluster.sh init "$tmp/pg" --fast
bash deploy/pgcluster.sh start "$tmp/pg"
eval "$(bash deploy/pgcluster.sh env "$tmp/pg")"
export PLANREG_TEST_TMP=$tmp
# Roles are cluster-wide: made once here, so that test modules migrating their own
# databases at the same time do not race to create them (0001 creates planreg_app
# only when it is missing; the harness logs in as planregd_test).
psql -X -q -v ON_ERROR_STOP=1 -d postgres \
  -c "CREATE ROLE planreg_app NOLOGIN" -c "CREATE ROLE planregd_test LOGIN IN ROLE planreg_app"

status=0
for variant in release asan; do
  echo "== ctest ($variant build)"
  (cd "$build/$variant" && ctest --output-on-failure -j"$jobs" --timeout 600) || status=1
done
if [ $status -eq 0 ]; then
  echo "== all tests passed (release and asan builds)"
else
  echo "== TESTS FAILED" >&2
fi
exit $status
