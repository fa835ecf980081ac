#!/usr/bin/env bash
# Podman's Docker-compatible API for the tests (README "Engines"): a rootful
# `podman system service` on its own socket, $PODMAN_SOCK (default
# $RG_TEST_STATE/podman/podman.sock).
#
#   tests/engines/podman.sh start    install podman if missing, start (or reuse) the service
#   tests/engines/podman.sh stop     stop the service this script started
#   tests/engines/podman.sh restart  stop it and start it again (the reconnect test)
#   tests/engines/podman.sh status   say whether it answers
#
# The service reads containers.conf from the socket's folder: under tight
# host limits (a hard nofile limit below Podman's default) containers need
# `--ulimit nofile=1024:1024 --ulimit nproc=1024:1024`, which it sets as the
# default, so containers made through the API need no option. The image
# local/busybox is made from the static busybox, as tests/servers.sh does.
set -euo pipefail

STATE=${RG_TEST_STATE:-/tmp/registrator-test}
SOCK=${PODMAN_SOCK:-$STATE/podman/podman.sock}
DIR=$(dirname "$SOCK")
PIDFILE=$DIR/podman-service.pid
IMAGE=local/busybox
NAME=podman
. "$(dirname "$0")/../lib.sh"

up() { curl -sf --unix-socket "$SOCK" http://localhost/_ping; }

make_image() {
  podman image exists "$IMAGE" && return 0
  log "making $IMAGE from the static busybox"
  busybox_tar | podman import - "$IMAGE" >/dev/null
}

start() {
  need podman podman
  make_image
  if up >/dev/null 2>&1; then return 0; fi
  mkdir -p "$DIR"
  cat >"$DIR/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
EOF
  rm -f "$SOCK"
  log "starting podman system service on $SOCK (log: $DIR/podman-service.log)"
  CONTAINERS_CONF=$DIR/containers.conf setsid podman system service --time=0 "unix://$SOCK" \
    >>"$DIR/podman-service.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  wait_for 30 up || { log "no answer on $SOCK"; tail -20 "$DIR/podman-service.log" >&2; return 1; }
}

stop() { stop_by_pidfile "$PIDFILE"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart)
    [ -f "$PIDFILE" ] || { log "no service of this script on $SOCK"; exit 1; }
    stop; start ;;
  status) up >/dev/null 2>&1 && echo "podman: up (unix://$SOCK)" || echo "podman: down" ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
