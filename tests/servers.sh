#!/usr/bin/env bash
# Test servers for registrator: a real dockerd and a real etcd on loopback.
#
#   tests/servers.sh deps    install the Debian packages the build and tests need
#   tests/servers.sh start   deps + dockerd + etcd + the local/busybox image
#   tests/servers.sh stop    stop what *this script* started (never a foreign one)
#   tests/servers.sh restart-docker   stop every dockerd and start one (fault tests)
#   tests/servers.sh status  say what is running
#
# A dockerd or etcd that is already answering is reused and left alone.
# State lives under $RG_TEST_STATE (default /tmp/registrator-test).
set -euo pipefail

STATE=${RG_TEST_STATE:-/tmp/registrator-test}
DOCKER_SOCK=/var/run/docker.sock
ETCD_URL=http://127.0.0.1:2379
IMAGE=local/busybox
PACKAGES="docker.io etcd-server etcd-client busybox-static libcurl4-openssl-dev libmicrohttpd-dev prometheus
  libyajl-dev libconfig-dev libcriterion-dev jq pkg-config gcc g++ make python3 openssl binutils curl valgrind"

NAME=servers
. "$(dirname "$0")/lib.sh" # log, wait_for, gone, busybox_tar

deps() {
  local missing=() p
  for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || { log "missing packages (${missing[*]}); run as root to install"; return 1; }
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
}

docker_up() { curl -sf --unix-socket "$DOCKER_SOCK" http://localhost/_ping; }
etcd_up() { curl -sf "$ETCD_URL/health"; }

start_dockerd() {
  if docker_up >/dev/null 2>&1; then return 0; fi
  mkdir -p "$STATE"
  log "starting dockerd (log: $STATE/dockerd.log)"
  setsid dockerd --storage-driver=vfs >"$STATE/dockerd.log" 2>&1 < /dev/null &
  echo $! >"$STATE/dockerd.pid"
  wait_for 60 docker_up || { log "dockerd did not answer on $DOCKER_SOCK"; tail -20 "$STATE/dockerd.log" >&2; return 1; }
}

start_etcd() {
  if etcd_up >/dev/null 2>&1; then return 0; fi
  mkdir -p "$STATE"
  rm -rf "$STATE/etcd.data"
  log "starting etcd on $ETCD_URL (log: $STATE/etcd.log)"
  setsid etcd --name rg-test --data-dir "$STATE/etcd.data" \
    --listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster rg-test=http://127.0.0.1:2380 --enable-v2 \
    >"$STATE/etcd.log" 2>&1 < /dev/null &
  echo $! >"$STATE/etcd.pid"
  wait_for 30 etcd_up || { log "etcd did not answer on $ETCD_URL"; tail -20 "$STATE/etcd.log" >&2; return 1; }
}

make_image() {
  docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
  log "making $IMAGE from the static busybox"
  busybox_tar | docker import - "$IMAGE" >/dev/null
}

restart_docker() {
  local pid
  for pid in $(pidof dockerd); do
    log "stopping dockerd ($pid)"
    kill "$pid" 2>/dev/null || true
    wait_for 60 gone "$pid" || { log "dockerd $pid did not stop"; return 1; }
  done
  rm -f "$STATE/dockerd.pid"
  start_dockerd
}

stop_pidfile() {
  local f=$STATE/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill "$pid" 2>/dev/null; then
    wait_for 10 gone "$pid" || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

case "${1:-}" in
  deps) deps ;;
  start) deps; start_dockerd; start_etcd; make_image ;;
  stop) stop_pidfile etcd; stop_pidfile dockerd ;;
  restart-docker) restart_docker ;;
  status)
    docker_up >/dev/null 2>&1 && echo "dockerd: up ($DOCKER_SOCK)" || echo "dockerd: down"
    etcd_up >/dev/null 2>&1 && echo "etcd: up ($ETCD_URL)" || echo "etcd: down" ;;
  *) echo "usage: $0 deps|start|stop|status|restart-docker" >&2; exit 2 ;;
esac
