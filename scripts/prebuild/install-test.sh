#!/usr/bin/env bash
# Installs a packed uplift tarball the way its users do, in a minimal Debian 12 root
# filesystem (no compiler, no libcurl, no libssl-dev, no ca-certificates) under the official
# Node.js binaries 18, 20, 22 and 24, then runs test/install/rootfs/smoke.js (sandbox uploads:
# Plaud multipart, Eka form; HTTPS PUT trusted through NODE_EXTRA_CA_CERTS; untrusted
# certificate -> ERR_UPLIFT_TLS). Cases: `npm install` on every Node version (the install
# script must report the prebuilt binary and compile nothing), `npm install --ignore-scripts`
# and pnpm 10 on one version each. Needs root (chroot, mounts). Registry traffic from the
# chroot uses npm's own cafile setting of this machine; uplift never reads it.
#   install-test.sh path/to/uplift-x.y.z.tgz
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tarball=$(readlink -f "${1:?usage: install-test.sh uplift.tgz}")
nodes=${UPLIFT_TEST_NODES:-18.20.8 20.20.2 22.23.5 24.22.3}
read -r -a node_list <<< "$nodes"
first=${node_list[0]}
last=${node_list[${#node_list[@]}-1]}

rootfs=$(bash "$here/rootfs.sh" rootfs)
work=$(mktemp -d /var/tmp/uplift-itest.XXXXXX)
root="$work/root"
mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/upper" "$work/ow" "$root"
if mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$work/upper,workdir=$work/ow" "$root" 2>/dev/null; then
  mounts+=("$root")
else
  cp -a "$rootfs/." "$root/"
fi
mount -t proc proc "$root/proc" && mounts+=("$root/proc")
mount --bind /dev "$root/dev" && mounts+=("$root/dev")
cat /etc/resolv.conf > "$root/etc/resolv.conf"
mkdir -p "$root/pkg/certs" "$root/opt"
npm_ca=$(npm config get cafile 2>/dev/null || true)
if [ -n "$npm_ca" ] && [ "$npm_ca" != "null" ] && [ -f "$npm_ca" ]; then cp "$npm_ca" "$root/opt/npm-ca.pem"; fi
for v in "${node_list[@]}"; do
  nd=$(bash "$here/rootfs.sh" node "$v")
  mkdir -p "$root/opt/node-$v"
  mount --bind "$nd" "$root/opt/node-$v" && mounts+=("$root/opt/node-$v")
done
npm_dir=$(bash "$here/rootfs.sh" npm "${UPLIFT_TEST_NPM:-10.9.3}")
mkdir -p "$root/opt/npm"
mount --bind "$npm_dir" "$root/opt/npm" && mounts+=("$root/opt/npm")
mkdir -p "$root/opt/bin"
printf '#!/bin/sh\nexec node /opt/npm/bin/npm-cli.js "$@"\n' > "$root/opt/bin/npm"
printf '#!/bin/sh\nexec node /opt/npm/bin/npx-cli.js "$@"\n' > "$root/opt/bin/npx"
chmod +x "$root/opt/bin/npm" "$root/opt/bin/npx"
cp "$tarball" "$root/pkg/uplift.tgz"
cp "$repo/test/install/rootfs/smoke.js" "$root/pkg/smoke.js"

# certificates: a CA + a leaf for 127.0.0.1 (trusted through NODE_EXTRA_CA_CERTS), and a
# self-signed leaf nobody trusts
(
  cd "$root/pkg/certs"
  o() { openssl "$@" >/dev/null 2>&1; }
  o req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=uplift install test CA' \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  o req -newkey rsa:2048 -nodes -keyout good.key -out good.csr -subj /CN=good
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > good.ext
  o x509 -req -in good.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out good.pem -days 2 -extfile good.ext
  o req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.pem -days 2 -subj /CN=rogue \
    -addext subjectAltName=IP:127.0.0.1
)

inroot() { # inroot <node version> <shell command>
  chroot "$root" /usr/bin/env -i PATH="/opt/node-$1/bin:/opt/bin:/opt/pnpm/node_modules/.bin:/usr/bin:/bin" HOME=/root \
    LANG=C.UTF-8 UPLIFT_NO_APT=1 npm_config_cafile=/opt/npm-ca.pem npm_config_update_notifier=false \
    npm_config_fund=false npm_config_audit=false /bin/sh -c "$2"
}

echo "== root filesystem: $(sed -n 's/^PRETTY_NAME=//p' "$root/etc/os-release")"
tools=$(inroot "$first" 'for t in cc gcc g++ make python3 curl; do command -v $t; done; ls /usr/lib/x86_64-linux-gnu/ | grep -E "^lib(curl|ssl|crypto)\.so" ; ls /etc/ssl/certs 2>/dev/null | head -1' || true)
if [ -n "$tools" ]; then echo "FAIL: the root filesystem is not minimal: $tools"; exit 1; fi
echo "   no compiler, make, python3, libcurl, libssl/libcrypto or CA store: ok"

fail=0
results=()
run_case() { # run_case <node version> <installer: npm|npm-ignore-scripts|pnpm>
  local v=$1 how=$2 app="/app/$1-$2" cmd log t0 secs
  case "$how" in
    npm) cmd="npm install --foreground-scripts /pkg/uplift.tgz" ;;
    npm-ignore-scripts) cmd="npm install --ignore-scripts /pkg/uplift.tgz" ;;
    pnpm) cmd="pnpm add /pkg/uplift.tgz" ;;
  esac
  log="$work/install-$v-$how.log"
  t0=$SECONDS
  if ! inroot "$v" "mkdir -p $app && cd $app && echo '{\"name\":\"app\",\"private\":true}' > package.json && $cmd" > "$log" 2>&1; then
    echo "FAIL: node $v $how: install failed"; tail -30 "$log"; fail=1; return
  fi
  secs=$((SECONDS - t0))
  if [ "$how" = npm ] && ! grep -q 'uplift: using the prebuilt binary prebuilds/linux-x64/' "$log"; then
    echo "FAIL: node $v $how: the install script did not use the prebuilt binary"; tail -30 "$log"; fail=1; return
  fi
  cp "$root/pkg/smoke.js" "$root$app/smoke.js"
  local out
  out=$(inroot "$v" "cd $app && NODE_EXTRA_CA_CERTS=/pkg/certs/ca.pem node smoke.js /pkg/certs" 2>&1) || { echo "FAIL: node $v $how: $out"; fail=1; return; }
  echo "   node $v, $how: install ${secs}s; $out"
  results+=("$v $how ok")
}

inroot "$last" 'npm install --silent --prefix /opt/pnpm pnpm@10 >/dev/null' || { echo "FAIL: could not install pnpm"; exit 1; }
for v in "${node_list[@]}"; do run_case "$v" npm; done
run_case "$first" npm-ignore-scripts
run_case "$last" pnpm
[ "$fail" = 0 ] && echo "OK: ${#results[@]} install cases passed in ${SECONDS} s"
exit "$fail"
