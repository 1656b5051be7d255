#!/usr/bin/env bash
# Builds the libFuzzer targets of the C++ core (test/fuzz/*_fuzz.cc) with clang, ASan and
# UBSan in build-fuzz/, then for each target:
#   1. replays its seed corpus (test/fuzz/corpus/<target>/*) whole, as regression inputs;
#   2. fuzzes for a fixed number of executions (FUZZ_RUNS, default 50000) from that corpus,
#      with a per-target time limit as a safety net (FUZZ_MAX_TIME seconds, default 180).
# Prints one line per target (seed count, executions, seconds, exec/s, coverage edges, new
# inputs found, result) and exits non-zero when the build fails or any target crashes,
# leaks, times out on an input or breaks an invariant. Crash inputs are kept in
# build-fuzz/artifacts/. Reaching the time limit before FUZZ_RUNS is reported, not failed.
# Usage: scripts/fuzz.sh [target ...]   (default: every target)
# Environment: FUZZ_RUNS, FUZZ_MAX_TIME, FUZZ_MAX_LEN (bytes, default 4096), FUZZ_SEED
#   (default 1: runs are reproducible), JOBS (build parallelism, default 2).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
corpus="$root/test/fuzz/corpus"
runs="${FUZZ_RUNS:-50000}"
maxTime="${FUZZ_MAX_TIME:-180}"
maxLen="${FUZZ_MAX_LEN:-4096}"
seed="${FUZZ_SEED:-1}"
jobs="${JOBS:-2}"

# clang and its runtime (libFuzzer, sanitizers): installed with apt-get when missing (root).
fuzzerLib() { clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null; }
if ! command -v clang++ >/dev/null || [ ! -f "$(fuzzerLib)" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== fuzz: installing clang and libclang-rt-14-dev"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev
  else
    echo "fuzz: clang++ with libFuzzer is missing; run: apt-get install -y clang libclang-rt-14-dev" >&2
    exit 2
  fi
fi

echo "== fuzz: building in ${build} (clang++, -j${jobs})"
start=$(date +%s)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DUPLIFT_FUZZ=ON -DUPLIFT_TESTS=OFF -DUPLIFT_ASAN=OFF -DUPLIFT_TSAN=OFF >/dev/null
cmake --build "$build" -j"$jobs" >"$build/build.log" 2>&1 || {
  tail -40 "$build/build.log" >&2
  echo "fuzz: build failed (full log: $build/build.log)" >&2
  exit 1
}
echo "== fuzz: built in $(($(date +%s) - start)) s"

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cd "$root/test/fuzz" && ls -1 *_fuzz.cc | sed 's/\.cc$//')
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$root/test/fuzz/ubsan.supp}"

work="$(mktemp -d "${TMPDIR:-/tmp}/uplift-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts"

failed=0
rows=()
for t in "${targets[@]}"; do
  bin="$build/$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz: no target named $t" >&2
    failed=1
    continue
  fi
  seeds="$corpus/$t"
  log="$work/$t.log"
  result="ok"

  # 1. Regression replay: every seed whole (no length cap), once.
  replayed=0
  if [ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ]; then
    mapfile -t files < <(find "$seeds" -type f | sort || true)
    replayed=${#files[@]}
    if ! "$bin" -artifact_prefix="$build/artifacts/$t-" "${files[@]}" >"$log.replay" 2>&1; then
      result="CRASH (replaying the seed corpus)"
      grep -E "ERROR|invariant broken|runtime error|SUMMARY|Running:" "$log.replay" | tail -6 >&2 || true
    fi
  fi

  # 2. Fuzzing: a fixed number of executions, new inputs kept in a temp folder only.
  execs=0 secs=0 rate=0 cov=0 newUnits=0
  if [ "$result" = "ok" ]; then
    mkdir -p "$work/$t"
    dirs=("$work/$t")
    [ -d "$seeds" ] && dirs+=("$seeds")
    t0=$(date +%s%N)
    status=0
    "$bin" -runs="$runs" -max_total_time="$maxTime" -max_len="$maxLen" -seed="$seed" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$t-" "${dirs[@]}" >"$log" 2>&1 || status=$?
    secs=$(awk -v ns="$(($(date +%s%N) - t0))" 'BEGIN { printf "%.1f", ns / 1e9 }')
    execs=$(grep -oE "stat::number_of_executed_units: [0-9]+" "$log" | awk '{print $2}' | tail -1 || true)
    cov=$(grep -oE "cov: [0-9]+" "$log" | tail -1 | awk '{print $2}' || true)
    newUnits=$(grep -oE "stat::new_units_added: +[0-9]+" "$log" | awk '{print $2}' | tail -1 || true)
    execs=${execs:-0} cov=${cov:-0} newUnits=${newUnits:-0}
    rate=$(awk -v n="$execs" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0) ? n / s : 0 }')
    if [ "$status" -ne 0 ]; then
      result="CRASH (exit ${status}; input in build-fuzz/artifacts/)"
      grep -E "ERROR|invariant broken|runtime error|SUMMARY|Test unit written" "$log" | tail -6 >&2 || true
    elif [ "$execs" -lt "$runs" ]; then
      result="ok, stopped by the ${maxTime} s limit before ${runs} runs"
    fi
  fi
  [[ "$result" == CRASH* ]] && failed=1
  rows+=("$(printf '| %-22s | %5s | %8s | %6s | %7s | %5s | %5s | %s |' "$t" "$replayed" "$execs" "$secs" "$rate" "$cov" "$newUnits" "$result")")
  echo "${rows[-1]}"
done

echo
echo "fuzz: ${runs} runs per target, max_len ${maxLen}, seed ${seed}, time limit ${maxTime} s per target"
printf '| %-22s | %5s | %8s | %6s | %7s | %5s | %5s | %s |\n' target seeds execs secs "exec/s" cov new result
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "== fuzz: total $(($(date +%s) - start)) s, $([ "$failed" = 0 ] && echo "no crash" || echo "FAILED")"
exit "$failed"
