#!/usr/bin/env bash
# Builds the self-contained prebuild prebuilds/linux-x64/uplift.glibc.node with
# prebuildify (Node-API: one binary for every Node >= 18): static libcurl (HTTP/HTTPS) and
# OpenSSL 3 from scripts/prebuild/deps.sh, static libstdc++, only the Node-API entry points
# exported. The compile runs in a staging copy, so the checkout's build/ stays as it was.
# Then checks the result (scripts/prebuild/check.sh): glibc/libstdc++ floors, no shared
# libcurl/libssl/libcrypto, exports.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

prefix=$(bash scripts/prebuild/deps.sh)

nodedir=${npm_config_nodedir:-}
if [ -z "$nodedir" ]; then
  for d in "$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")" /usr /usr/local; do
    if [ -f "$d/include/node/node_api.h" ]; then nodedir=$d; break; fi
  done
fi
[ -n "$nodedir" ] || { echo "prebuild: Node's headers (include/node/node_api.h) not found; set npm_config_nodedir" >&2; exit 1; }

gyp=${npm_config_node_gyp:-}
if [ -z "$gyp" ] || [ ! -f "$gyp" ]; then
  gyp="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
fi
[ -f "$gyp" ] || { echo "prebuild: node-gyp not found (it ships with npm)" >&2; exit 1; }

stage=$(mktemp -d /tmp/uplift-prebuild.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/scripts/prebuild"
cp -r binding.gyp package.json src "$stage/"
cp scripts/prebuild/exports.map "$stage/scripts/prebuild/"
ln -s "$root/node_modules" "$stage/node_modules"

start=$SECONDS
(
  cd "$stage"
  UPLIFT_STATIC_DEPS="$prefix" npm_config_nodedir="$nodedir" PREBUILD_NODE_GYP="$gyp" \
    node "$root/node_modules/prebuildify/bin.js" --napi --strip --tag-libc \
    --target "node@${nodedir_version:-$(node -p process.versions.node)}"
)
rm -rf prebuilds/linux-x64
mkdir -p prebuilds
cp -r "$stage/prebuilds/linux-x64" prebuilds/
echo "prebuild: built prebuilds/linux-x64 in $((SECONDS - start)) s (deps: $prefix)"
bash scripts/prebuild/check.sh prebuilds/linux-x64/uplift.glibc.node
