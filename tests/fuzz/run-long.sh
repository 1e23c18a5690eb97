#!/usr/bin/env bash
# run-long.sh - runs the libFuzzer targets for long: each for SECONDS, with ASan and UBSan, on a corpus kept
# from one run to the next, and prints for each its executions, its coverage (libFuzzer's cov: and ft:
# figures at the start and at the end, and how many edges the binary has) and any crash. docs/fuzzing.md
# records a run and reads the figures.
#
#   tests/fuzz/run-long.sh [--build DIR] [--corpus DIR] [--jobs N] SECONDS [NAME...]
#
#   --build DIR   the clang build (default build/fuzz): configured here when it has no cache yet, then
#                 `cmake --build DIR --target fuzz` every time, so a target that stopped linking fails here
#   --corpus DIR  where each target's corpus (DIR/NAME), dictionary (DIR/dict/NAME), crashes
#                 (DIR/crashes/NAME/) and log (DIR/logs/NAME.log) live; default var/fuzz (git-ignored)
#   --jobs N      targets run at once (default 1: the machine is shared)
#   NAME          request, plan, ...: one per tests/fuzz/fuzz_NAME.c (default: every one)
#
# Each corpus is seeded from the driver's seeds every time (fuzz_NAME --write-corpus: the seeds made in
# code and tests/fuzz/seeds/NAME/), and the target's tokens become its dictionary (fuzz_NAME --write-dict).
# Exit status: 0 when nothing crashed, 1 when a target did (the input is kept; the summary says how to
# replay it), 2 on a usage or build error. tests/CMakeLists.txt runs it for a few seconds per target in
# the normal suite (fuzz.clang_build), so that the clang build and this script cannot rot unnoticed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$root/build/fuzz
corpus=$root/var/fuzz
jobs=1
usage() {
  echo "usage: tests/fuzz/run-long.sh [--build DIR] [--corpus DIR] [--jobs N] SECONDS [NAME...]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
    --build) [ $# -ge 2 ] || usage; build=$2; shift 2 ;;
    --corpus) [ $# -ge 2 ] || usage; corpus=$2; shift 2 ;;
    --jobs) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || usage
seconds=$1
shift
[[ $seconds =~ ^[1-9][0-9]*$ && $jobs =~ ^[1-9][0-9]*$ ]] || usage

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in "$root"/tests/fuzz/fuzz_*.c; do
    n=${f##*/fuzz_}
    names+=("${n%.c}")
  done
fi
for n in "${names[@]}"; do
  [ -f "$root/tests/fuzz/fuzz_$n.c" ] || { echo "run-long: no target $n (tests/fuzz/fuzz_$n.c)" >&2; exit 2; }
done

mkdir -p "$corpus/logs" "$corpus/dict"
cmake=${CMAKE:-cmake}
if [ ! -f "$build/CMakeCache.txt" ]; then
  "$cmake" -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >"$corpus/logs/build.log" 2>&1 || { tail -40 "$corpus/logs/build.log" >&2; exit 2; }
fi
echo "run-long: building the fuzz targets in $build"
if ! "$cmake" --build "$build" --target fuzz -j"$(nproc)" >>"$corpus/logs/build.log" 2>&1; then
  grep -E 'error|undefined reference' "$corpus/logs/build.log" | head -40 >&2
  echo "run-long: the build failed (whole log: $corpus/logs/build.log)" >&2
  exit 2
fi
bin=$build/tests
for n in "${names[@]}"; do
  if [ ! -x "$bin/fuzz_${n}_libfuzzer" ]; then
    echo "run-long: $bin/fuzz_${n}_libfuzzer was not built: is $build a clang build, and is $n" \
      "declared with planreg_fuzz() in tests/CMakeLists.txt?" >&2
    exit 2
  fi
done

# The figures of one libFuzzer status line ("#N  DONE  cov: C ft: F corp: K/SIZE ..."), as "C F K SIZE".
figures() {
  sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\)\/\([0-9a-zA-Z]*\) .*/\1 \2 \3 \4/p' | tail -1
}

# Runs target $1 for $seconds; writes its log and a one-line summary beside it. The status is libFuzzer's.
run_one() {
  local n=$1 log=$corpus/logs/$1.log crashes=$corpus/crashes/$1/
  mkdir -p "$corpus/$n" "$crashes"
  "$bin/fuzz_$n" --write-corpus "$corpus/$n" >/dev/null
  "$bin/fuzz_$n" --write-dict "$corpus/dict/$n" >/dev/null
  local status=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin/fuzz_${n}_libfuzzer" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
    -dict="$corpus/dict/$n" -artifact_prefix="$crashes" "$corpus/$n" >"$log" 2>&1 || status=$?
  local start end execs rate found edges
  start=$(grep -E '^#[0-9]+[[:space:]]+INITED' "$log" | figures || true)
  end=$(grep -E '^#[0-9]+[[:space:]]+(DONE|NEW|REDUCE|pulse)' "$log" | figures || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: //p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: //p' "$log")
  found=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | head -1)
  edges=$(sed -n 's/^INFO: Loaded 1 modules *(\([0-9]*\) inline 8-bit counters.*/\1/p' "$log" | head -1)
  read -r c0 f0 _ _ <<<"${start:-? ? ? ?}"
  read -r c1 f1 k1 s1 <<<"${end:-? ? ? ?}"
  {
    printf '%-8s %11s execs %8s/s  cov %5s -> %-5s of %-5s  ft %6s -> %-6s  corpus %5s (%s)  ' \
      "$n" "${execs:-?}" "${rate:-?}" "$c0" "$c1" "${edges:-?}" "$f0" "$f1" "$k1" "$s1"
    if [ $status -eq 0 ]; then
      echo "no crash"
    else
      echo "CRASH (exit $status): ${found:-see $log}; replay: $bin/fuzz_${n}_libfuzzer ${found:-FILE}"
    fi
  } >"$corpus/logs/$n.summary"
  return $status
}

echo "run-long: ${#names[@]} targets, $seconds s each, $jobs at a time; corpus in $corpus"
failed=0
running=0
for n in "${names[@]}"; do
  if [ $running -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_one "$n" &
  running=$((running + 1))
done
while [ $running -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done

echo "run-long: executions, their rate, coverage (start -> end, of the edges instrumented), features, corpus files (bytes):"
for n in "${names[@]}"; do
  cat "$corpus/logs/$n.summary" 2>/dev/null || echo "$n: no summary: see $corpus/logs/$n.log"
done
[ $failed -eq 0 ] || { echo "run-long: a target crashed; its log is in $corpus/logs/" >&2; exit 1; }
