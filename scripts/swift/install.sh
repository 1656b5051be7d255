#!/usr/bin/env bash
# Installs Debian's OpenStack Swift (proxy, account, container, object servers) and
# memcached, used as a real S3 implementation (s3api) for the interop tests.
# Idempotent: does nothing when every package is already installed. Needs root.
set -euo pipefail

pkgs=(swift swift-proxy swift-object swift-container swift-account python3-swift memcached)
missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "swift: all packages present (${pkgs[*]})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "swift: missing packages: ${missing[*]}" >&2
  echo "run as root: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Do not let the packages' init scripts start services on the default ports.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
echo "swift: installed ${missing[*]}"
