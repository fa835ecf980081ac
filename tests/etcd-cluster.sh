#!/usr/bin/env bash
# A three-member etcd cluster on loopback for the failover tests.
# Owned by the adapters' tests.
#
#   tests/etcd-cluster.sh start        start missing members, wait for a healthy cluster
#   tests/etcd-cluster.sh stop         stop the members and remove the data
#   tests/etcd-cluster.sh pid NAME     print the pid of member a, b or c
#   tests/etcd-cluster.sh status
#
# Members a, b, c serve clients on 127.0.0.1:22379, 22479, 22579 (peers on
# 22380, 22480, 22580). A member killed by a test is started again (it rejoins
# with its data) by the next `start`. State under $RG_ETCD_CLUSTER_STATE
# (default /tmp/rg-etcd-cluster). Calls are serialized with flock.
set -euo pipefail

STATE=${RG_ETCD_CLUSTER_STATE:-/tmp/rg-etcd-cluster}
NAMES="a b c"
client_port() { case $1 in a) echo 22379 ;; b) echo 22479 ;; c) echo 22579 ;; esac; }
peer_port() { echo $(($(client_port "$1") + 1)); }
CLUSTER="a=http://127.0.0.1:22380,b=http://127.0.0.1:22480,c=http://127.0.0.1:22580"

log() { printf 'etcd-cluster: %s\n' "$*" >&2; }
# Running, and not a zombie (PID 1 here does not always reap orphans).
alive() {
  [ -f "$STATE/$1.pid" ] || return 1
  local pid; pid=$(cat "$STATE/$1.pid")
  [ -e "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}
healthy() { curl -sf --max-time 1 "http://127.0.0.1:$(client_port "$1")/health" | grep -q '"health":"true"'; }

start_member() {
  local n=$1 cp pp
  cp=$(client_port "$n"); pp=$(peer_port "$n")
  alive "$n" && return 0
  log "starting member $n on 127.0.0.1:$cp"
  setsid etcd --name "$n" --data-dir "$STATE/$n.data" \
    --listen-client-urls "http://127.0.0.1:$cp" --advertise-client-urls "http://127.0.0.1:$cp" \
    --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "$CLUSTER" --initial-cluster-state new --initial-cluster-token rg-test-cluster \
    --enable-v2 >>"$STATE/$n.log" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/$n.pid"
}

start() {
  local n deadline
  for n in $NAMES; do start_member "$n"; done
  deadline=$((SECONDS + 30))
  for n in $NAMES; do
    until healthy "$n"; do
      if [ "$SECONDS" -ge "$deadline" ]; then log "member $n not healthy"; tail -5 "$STATE/$n.log" >&2; return 1; fi
      sleep 0.1
    done
  done
}

stop() {
  local n pid
  for n in $NAMES; do
    [ -f "$STATE/$n.pid" ] || continue
    pid=$(cat "$STATE/$n.pid")
    kill "$pid" 2>/dev/null || true
  done
  for n in $NAMES; do
    [ -f "$STATE/$n.pid" ] || continue
    pid=$(cat "$STATE/$n.pid")
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$STATE/$n.pid"
  done
  rm -rf "$STATE"/*.data "$STATE"/*.log
}

mkdir -p "$STATE"
exec 9>"$STATE/lock"
flock 9
case "${1:-}" in
  start) start ;;
  stop) stop ;;
  pid) cat "$STATE/${2:?member name}.pid" ;;
  status) for n in $NAMES; do healthy "$n" && echo "$n: up" || echo "$n: down"; done ;;
  *) echo "usage: $0 start|stop|pid NAME|status" >&2; exit 2 ;;
esac
