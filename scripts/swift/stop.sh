#!/usr/bin/env bash
# Stops the Swift started by start.sh <workdir>: kills every PID in <workdir>/pids
# (TERM, then KILL after 5 s) and removes what start.sh created under <workdir>.
set -uo pipefail

[ $# -eq 1 ] || { echo "usage: $0 <workdir>" >&2; exit 2; }
W=$1
[ -d "$W" ] || exit 0
if [ -f "$W/pids" ]; then
  pids=$(cat "$W/pids")
  for pid in $pids; do kill "$pid" 2>/dev/null; done
  for _ in $(seq 1 50); do
    alive=0
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in $pids; do kill -9 "$pid" 2>/dev/null; done
fi
rm -rf "$W/etc" "$W/srv" "$W/log" "$W/cache" "$W/run" "$W/pids" "$W/env"
rmdir "$W" 2>/dev/null || true
echo "swift: stopped"
