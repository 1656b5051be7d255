#!/usr/bin/env bash
# Builds the Node addon with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan-addon/uplift.node and runs the Worker-terminate stress test under it: Workers
# uploading (sized streams, Buffers through putPresigned and uploadPresignedParts, with and
# without onProgress) terminated mid-upload, ROUNDS times in a row (default 50).
#   scripts/asan-addon.sh [rounds]
# The core comes from build-asan (the CMake ASan build that scripts/native-test.sh asan also
# uses; only what changed is rebuilt); the binding's sources and defines are read from
# binding.gyp. Node itself is not instrumented, so the sanitizer runtime is preloaded and
# leak detection is off (Node does not free everything at exit). Any sanitizer report, crash
# or failed round exits non-zero. Needs dist/ (npm run build:ts).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-50}"
jobs="${JOBS:-2}"
out="$root/build-asan-addon"
cd "$root"

bash scripts/system-deps.sh test
start=$(date +%s)

cmake -S "$root" -B "$root/build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUPLIFT_TESTS=ON \
  -DUPLIFT_ASAN=ON -DUPLIFT_TSAN=OFF >/dev/null
cmake --build "$root/build-asan" --target uplift_core -j"$jobs"

# The binding's sources and defines, as binding.gyp lists them.
mapfile -t gyp < <(python3 - "$root/binding.gyp" <<'PY'
import ast, re, sys
text = re.sub(r"#[^\n]*", "", open(sys.argv[1]).read())
target = ast.literal_eval(text)["targets"][0]
for s in target["sources"]:
    if s.startswith("src/addon/"):
        print("src:" + s)
for d in target["defines"]:
    print("def:" + d)
PY
)
sources=(); defines=(-DBUILDING_NODE_EXTENSION)
for line in "${gyp[@]}"; do
  case "$line" in
    src:*) sources+=("${line#src:}") ;;
    def:*) defines+=("-D${line#def:}") ;;
  esac
done

nodedir=""
for d in "${npm_config_nodedir:-}" "$(dirname "$(command -v node)")/.." /usr /usr/local; do
  if [ -n "$d" ] && [ -f "$d/include/node/node_api.h" ]; then nodedir="$d"; break; fi
done
[ -n "$nodedir" ] || { echo "asan-addon: Node's headers (include/node/node_api.h) not found" >&2; exit 1; }
napi_include="$(node -p "require('node-addon-api').include_dir")"

flags=(-std=c++17 -fPIC -fexceptions -O1 -g -fno-omit-frame-pointer
  -fsanitize=address,undefined -fno-sanitize-recover=undefined
  -I"$nodedir/include/node" -I"$napi_include" -I"$root/src/core" "${defines[@]}")
mkdir -p "$out"
objs=()
pids=()
# An object is rebuilt when anything of the binding, a core header or binding.gyp is newer.
stale() {
  [ ! -f "$1" ] || [ -n "$(find src/addon src/core binding.gyp -newer "$1" \( -path 'src/addon/*' -o -name '*.h' -o -name binding.gyp \) -print -quit)" ]
}
for src in "${sources[@]}"; do
  obj="$out/$(basename "${src%.cc}").o"
  objs+=("$obj")
  if stale "$obj"; then
    g++ "${flags[@]}" -c "$src" -o "$obj" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  fi
done
for p in "${pids[@]}"; do wait "$p"; done
g++ -shared -fsanitize=address,undefined -o "$out/uplift.node" "${objs[@]}" \
  "$root/build-asan/libuplift_core.a" -lcurl -lcrypto -lpthread
built=$(date +%s)

asan_rt="$(g++ -print-file-name=libasan.so)"
status=0
LD_PRELOAD="$asan_rt" \
  ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0:exitcode=86" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  UPLIFT_ADDON_PATH="$out/uplift.node" \
  node test/engine/fixtures/worker-teardown.js all "$rounds" >"$out/stress.log" 2>&1 || status=$?
end=$(date +%s)
cat "$out/stress.log"
if [ "$status" -eq 0 ] && ! grep -q "^survived $rounds\$" "$out/stress.log"; then status=1; fi
if grep -qE "ERROR: AddressSanitizer|runtime error:" "$out/stress.log"; then status=1; fi
echo "== asan-addon: build $((built - start)) s, ${rounds} Worker terminations $((end - built)) s, exit ${status}"
exit "$status"
