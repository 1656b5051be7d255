#!/usr/bin/env bash
# Builds the static libraries the self-contained prebuild links, once per machine, and prints
# their prefix (include/, lib/):
#   - libcurl from Debian's source package, HTTP and HTTPS only (no other protocol, no
#     compression, IDN, PSL, HTTP/2, SSH or LDAP), static, position-independent;
#   - OpenSSL 3: Debian's static libssl.a / libcrypto.a (libssl-dev), copied beside it.
# Cached in $UPLIFT_PREBUILD_CACHE (default /var/cache/uplift-prebuild), keyed by the curl
# and OpenSSL package versions and this script's content. Needs root for apt-get the first
# time (deb-src lines, build packages); later runs only read the cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${UPLIFT_PREBUILD_CACHE:-/var/cache/uplift-prebuild}
log() { printf 'prebuild deps: %s\n' "$*" >&2; }

apt_install() {
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

apt_install libssl-dev dpkg-dev g++ make pkg-config

# Debian's source packages: add deb-src lines for the configured mirror when there are none.
if ! apt-cache showsrc curl 2>/dev/null | grep '^Version:' >/dev/null; then
  src=/etc/apt/sources.list.d/uplift-deb-src.sources
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$src"
  else
    grep -h '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' > /etc/apt/sources.list.d/uplift-deb-src.list
  fi
  log "added deb-src lines; apt-get update"
  apt-get update -qq >&2
fi

curl_ver=$(apt-cache showsrc curl | sed -n 's/^Version: //p' | sort -V | tail -1)
ssl_ver=$(dpkg-query -W -f='${Version}' libssl-dev)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
script_sum=$(sha256sum "$here/deps.sh" | cut -c1-12)
prefix="$cache/curl-${curl_ver}_openssl-${ssl_ver}_${script_sum}"
if [ -f "$prefix/.complete" ]; then
  echo "$prefix"
  exit 0
fi

log "building static libcurl $curl_ver against OpenSSL $ssl_ver into $prefix"
mkdir -p "$cache"
work=$(mktemp -d "$cache/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source -qq "curl=$curl_ver" >&2 2>&1
srcdir=$(find . -maxdepth 1 -type d -name 'curl-*' | head -1)
cd "$srcdir"
CFLAGS="-O2 -fPIC -fvisibility=hidden -ffunction-sections -fdata-sections" \
  ./configure --prefix="$work/out" --disable-shared --enable-static --with-pic \
  --with-openssl --without-ca-bundle --without-ca-path --without-ca-fallback \
  --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp --disable-dict \
  --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
  --disable-gopher --disable-mqtt --disable-manual --disable-ntlm --disable-ntlm-wb \
  --disable-alt-svc --disable-netrc --disable-doh --disable-websockets \
  --without-zlib --without-brotli --without-zstd --without-libpsl --without-libidn2 \
  --without-nghttp2 --without-nghttp3 --without-ngtcp2 --without-librtmp --without-libssh2 \
  --without-libssh --without-gssapi --without-libgsasl \
  --enable-threaded-resolver --enable-symbol-hiding --disable-versioned-symbols >&2
make -s -j"$(nproc)" -C lib >&2
make -s -C lib install >&2
make -s -C include install >&2
cp "/usr/lib/$multiarch/libssl.a" "/usr/lib/$multiarch/libcrypto.a" "$work/out/lib/"
cp -r /usr/include/openssl "$work/out/include/"
cp "/usr/include/$multiarch/openssl/"*.h "$work/out/include/openssl/"
printf 'curl %s (Debian source)\nopenssl %s (Debian libssl-dev)\n' "$curl_ver" "$ssl_ver" > "$work/out/VERSIONS"
rm -rf "$prefix"
mv "$work/out" "$prefix"
touch "$prefix/.complete"
log "done: $prefix"
echo "$prefix"
