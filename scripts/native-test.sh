#!/usr/bin/env bash
# Configures, builds and runs the C++ core's GoogleTest suite (uplift_core_tests) in one mode:
#   scripts/native-test.sh plain   -> build-native, no sanitizer
#   scripts/native-test.sh asan    -> build-asan, AddressSanitizer + UndefinedBehaviorSanitizer
#   scripts/native-test.sh tsan    -> build-tsan, ThreadSanitizer (test/native/tsan.supp)
# Extra arguments go to ctest (e.g. -R EnginePut). Builds with -j2 (JOBS overrides).
# Exits non-zero when configuring, building or any test fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-plain}"
[ $# -gt 0 ] && shift
jobs="${JOBS:-2}"

case "$mode" in
  plain) dir="build-native"; flags=(-DUPLIFT_ASAN=OFF -DUPLIFT_TSAN=OFF) ;;
  asan) dir="build-asan"; flags=(-DUPLIFT_ASAN=ON -DUPLIFT_TSAN=OFF) ;;
  tsan) dir="build-tsan"; flags=(-DUPLIFT_ASAN=OFF -DUPLIFT_TSAN=ON) ;;
  *)
    echo "usage: $0 plain|asan|tsan [ctest args...]" >&2
    exit 2
    ;;
esac

echo "== native-test: mode ${mode} (build dir ${dir}, -j${jobs})"

# Sanitizer settings: fail on the first report, with stacks that name our files.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=${root}/test/native/tsan.supp}"

# A fresh machine: cmake, GoogleTest and the sanitizer runtimes come from Debian.
bash "$root/scripts/system-deps.sh" test

start=$(date +%s)
cmake -S "$root" -B "$root/$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUPLIFT_TESTS=ON "${flags[@]}"
cmake --build "$root/$dir" --target uplift_core_tests -j"$jobs"
built=$(date +%s)

cd "$root/$dir"
status=0
ctest --output-on-failure -j1 "$@" || status=$?
end=$(date +%s)

echo "== native-test: mode ${mode}: build $((built - start)) s, tests $((end - built)) s, exit ${status}"
exit "$status"
