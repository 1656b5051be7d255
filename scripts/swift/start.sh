#!/usr/bin/env bash
# Starts a single-node OpenStack Swift with the s3api middleware on 127.0.0.1 (free
# ports), for the interop tests. Usage: scripts/swift/start.sh <workdir>
# Writes every config, ring and device under <workdir> (plus the fixed path
# /etc/swift/swift.conf), records every PID in <workdir>/pids, waits until s3api answers,
# and prints UPLIFT_SWIFT_* lines (also written to <workdir>/env). Stop with stop.sh.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 <workdir>" >&2; exit 2; }
mkdir -p "$1"
W=$(cd "$1" && pwd)
if [ -s "$W/pids" ]; then
  echo "swift: $W/pids exists; run stop.sh $W first" >&2
  exit 1
fi
for b in curl swift-proxy-server swift-account-server swift-container-server swift-object-server swift-ring-builder memcached python3; do
  command -v "$b" >/dev/null || { echo "swift: $b not found; run scripts/swift/install.sh" >&2; exit 1; }
done

# Servers drop to this user; it must own the device folder.
if [ "$(id -u)" -eq 0 ]; then run_user=swift; mc_user=(-u memcache); else run_user=$(id -un); mc_user=(); fi

read -r MC_PORT PROXY_PORT ACCOUNT_PORT CONTAINER_PORT OBJECT_PORT < <(python3 - <<'PY'
import socket
socks = []
for _ in range(5):
    s = socket.socket(); s.bind(('127.0.0.1', 0)); socks.append(s)
print(' '.join(str(s.getsockname()[1]) for s in socks))
PY
)

mkdir -p "$W/etc" "$W/srv/d1" "$W/log" "$W/cache" "$W/run"
[ "$(id -u)" -eq 0 ] && chown -R "$run_user" "$W/srv" "$W/cache" "$W/run"

# Fixed path read by every Swift process.
if ! { mkdir -p /etc/swift && [ -w /etc/swift ]; } 2>/dev/null; then
  echo "swift: /etc/swift/swift.conf must be written; run this script as root (sudo bash $0 $W)" >&2
  exit 1
fi
cat > /etc/swift/swift.conf <<CONF
[swift-hash]
swift_hash_path_suffix = uplift-sandbox
swift_hash_path_prefix = uplift-sandbox

[storage-policy:0]
name = Policy-0
default = yes

[swift-constraints]
max_meta_value_length = 2048
CONF

common() {  # $1 = port
  cat <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $1
workers = 0
user = $run_user
swift_dir = $W/etc
devices = $W/srv
mount_check = false
recon_cache_path = $W/cache
log_level = INFO
CONF
}

{ common "$ACCOUNT_PORT"; cat <<CONF
[pipeline:main]
pipeline = account-server
[app:account-server]
use = egg:swift#account
CONF
} > "$W/etc/account-server.conf"

{ common "$CONTAINER_PORT"; cat <<CONF
[pipeline:main]
pipeline = container-server
[app:container-server]
use = egg:swift#container
CONF
} > "$W/etc/container-server.conf"

{ common "$OBJECT_PORT"; cat <<CONF
[pipeline:main]
pipeline = object-server
[app:object-server]
use = egg:swift#object
CONF
} > "$W/etc/object-server.conf"

{ common "$PROXY_PORT"; cat <<CONF
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MC_PORT
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
CONF
} > "$W/etc/proxy-server.conf"

# Rings: 1 replica, one device (d1) per ring; the three are built in parallel (~1 s each).
build_ring() {  # $1 = name, $2 = port
  local b="$W/etc/$1.builder" rc=0
  rm -f "$b" "$W/etc/$1.ring.gz"
  swift-ring-builder "$b" create 6 1 1 >/dev/null &&
    swift-ring-builder "$b" add "r1z1-127.0.0.1:$2/d1" 100 >/dev/null || return 1
  swift-ring-builder "$b" rebalance >/dev/null || rc=$?
  [ "$rc" -le 1 ]  # 1 = rebalanced with warnings
}
ring_pids=()
for ring in account:$ACCOUNT_PORT container:$CONTAINER_PORT object:$OBJECT_PORT; do
  build_ring "${ring%%:*}" "${ring##*:}" & ring_pids+=($!)
done
for pid in "${ring_pids[@]}"; do
  wait "$pid" || { echo "swift: building a ring failed (see above)" >&2; exit 1; }
done

: > "$W/pids"
memcached -l 127.0.0.1 -p "$MC_PORT" -U 0 -m 64 "${mc_user[@]}" > "$W/log/memcached.log" 2>&1 &
echo $! >> "$W/pids"
for s in account container object proxy; do
  "swift-$s-server" "$W/etc/$s-server.conf" -v > "$W/log/$s.log" 2>&1 &
  echo $! >> "$W/pids"
done

ENDPOINT="http://127.0.0.1:$PROXY_PORT"
# s3api (with tempauth behind it) answers a request with a bogus signature by an S3 XML
# SignatureDoesNotMatch once the whole pipeline is up.
probe() {
  curl -s -m 2 -H 'Authorization: AWS test:tester:probe' -H "Date: $(date -u '+%a, %d %b %Y %H:%M:%S GMT')" \
    "$ENDPOINT/" 2>/dev/null | grep -q '<Code>SignatureDoesNotMatch</Code>'
}
ok=0
for _ in $(seq 1 600); do
  if probe
  then ok=1; break; fi
  for pid in $(cat "$W/pids"); do
    kill -0 "$pid" 2>/dev/null || { echo "swift: process $pid exited early; logs in $W/log" >&2; tail -n 20 "$W"/log/*.log >&2; exit 1; }
  done
  sleep 0.1
done
[ "$ok" = 1 ] || { echo "swift: s3api did not answer within 60 s; logs in $W/log" >&2; exit 1; }

cat > "$W/env" <<ENV
UPLIFT_SWIFT_ENDPOINT=$ENDPOINT
UPLIFT_SWIFT_ACCESS_KEY=test:tester
UPLIFT_SWIFT_SECRET_KEY=testing
UPLIFT_SWIFT_REGION=us-east-1
ENV
cat "$W/env"
