#!/usr/bin/env bash
# A current Docker (Debian 13's docker.io 26.1, API 1.45) beside the host's
# dockerd: a container on the host dockerd whose own dockerd serves its socket
# on the host at $D26_DIR/docker.sock (README "Engines").
#
#   tests/engines/docker26.sh start   build the image if missing, start (or reuse) it, wait
#   tests/engines/docker26.sh stop    stop the container (image and data volume are kept)
#   tests/engines/docker26.sh status  say whether it answers
#   tests/engines/docker26.sh rm      remove the container, its volume and its image
#
# The image local/trixie-docker is a Debian trixie root made with debootstrap
# (about a minute) with docker.io installed in it, imported into the host
# dockerd. --privileged does not work on every host (it needs
# cap_sys_resource); the explicit capabilities below do. A container that
# exists but stopped (the host dockerd was restarted) is replaced by a new one.
# Ports published inside live in that container's network namespace: tests
# read what was registered and send no traffic there.
set -euo pipefail

D26_DIR=${D26_DIR:-/tmp/d26}
CONTAINER=${D26_NAME:-rg-d26}
IMAGE=${D26_IMAGE:-local/trixie-docker}
VOLUME=${D26_VOLUME:-rg-d26-data}
STATE=${RG_TEST_STATE:-/tmp/registrator-test}
MIRROR=${D26_MIRROR:-http://deb.debian.org/debian}
SOCK=$D26_DIR/docker.sock
unset DOCKER_HOST # the container runs on the host dockerd
BUSYBOX=local/busybox
NAME=docker26
. "$(dirname "$0")/../lib.sh"

up() { curl -sf --unix-socket "$SOCK" http://localhost/_ping; }

build_image() {
  docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
  need debootstrap debootstrap
  local root=$STATE/trixie-root
  mkdir -p "$STATE"
  rm -rf "$root"
  log "debootstrap trixie into $root (log: $STATE/debootstrap.log)"
  debootstrap --variant=minbase trixie "$root" "$MIRROR" >"$STATE/debootstrap.log" 2>&1 ||
    { tail -20 "$STATE/debootstrap.log" >&2; return 1; }
  log "installing docker.io in it"
  mount -t proc proc "$root/proc"
  local rc=0
  chroot "$root" /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive;
    apt-get update -qq && apt-get install -y -qq --no-install-recommends docker.io iptables \
      ca-certificates && apt-get clean' >>"$STATE/debootstrap.log" 2>&1 || rc=$?
  umount "$root/proc"
  [ "$rc" -eq 0 ] || { tail -20 "$STATE/debootstrap.log" >&2; return 1; }
  log "importing $IMAGE"
  tar -C "$root" -c . | docker import - "$IMAGE" >/dev/null
  rm -rf "$root"
}

start() {
  if up >/dev/null 2>&1; then return 0; fi
  mkdir -p "$D26_DIR"
  local state
  state=$(docker inspect -f '{{.State.Running}}' "$CONTAINER" 2>/dev/null || echo missing)
  if [ "$state" = false ]; then
    # `docker start` would find the pid file its last dockerd left in
    # /var/run and refuse ("process with PID 1 is still running": itself);
    # a new container starts clean, and the volume keeps /var/lib/docker
    log "replacing the stopped $CONTAINER"
    docker rm -f "$CONTAINER" >/dev/null
    state=missing
  fi
  case $state in
    true) ;;
    *)
      build_image
      log "running $CONTAINER (socket: $SOCK)"
      rm -f "$SOCK"
      docker run -d --name "$CONTAINER" --cap-add=ALL --cap-drop=SYS_RESOURCE \
        --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
        --security-opt systempaths=unconfined --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup \
        -v "$D26_DIR:/sock" -v "$VOLUME:/var/lib/docker" "$IMAGE" \
        dockerd --storage-driver=vfs -H unix:///sock/docker.sock >/dev/null ;;
  esac
  wait_for 90 up || { log "no answer on $SOCK"; docker logs --tail 20 "$CONTAINER" >&2; return 1; }
  if ! DOCKER_HOST=unix://$SOCK docker image inspect "$BUSYBOX" >/dev/null 2>&1; then
    log "loading $BUSYBOX"
    docker save "$BUSYBOX" | DOCKER_HOST=unix://$SOCK docker load >/dev/null
  fi
}

case "${1:-}" in
  start) start ;;
  stop) docker stop "$CONTAINER" >/dev/null 2>&1 || true ;;
  rm)
    docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
    docker volume rm "$VOLUME" >/dev/null 2>&1 || true
    docker rmi "$IMAGE" >/dev/null 2>&1 || true ;;
  status) up >/dev/null 2>&1 && echo "docker26: up (unix://$SOCK)" || echo "docker26: down" ;;
  *) echo "usage: $0 start|stop|status|rm" >&2; exit 2 ;;
esac
