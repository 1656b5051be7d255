#!/usr/bin/env bash
# Installs the Debian packages that building and testing uplift need, when missing.
# Usage: scripts/system-deps.sh [build|test]   (test = build + test-only tools)
# As root it runs apt-get; otherwise it prints the exact command and exits 1.
set -euo pipefail

mode=${1:-build}
pkgs=(g++ make cmake pkg-config python3 libcurl4-openssl-dev rapidjson-dev libssl-dev)
if [ "$mode" = test ]; then
  pkgs+=(googletest libgtest-dev clang libclang-rt-14-dev curl tmux chromium redis-server)
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system-deps: all present (${mode})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system-deps: done"
