#!/usr/bin/env bash
# A read-only Docker socket proxy for the tests: Debian's HAProxy running
# contrib/docker-socket-proxy.cfg, listening on a unix socket instead of
# :2375 and forwarding to the engine's socket (README "Without the raw
# socket").
#
#   tests/engines/haproxy.sh start   install haproxy if missing, start (or reuse) the proxy
#   tests/engines/haproxy.sh stop    stop the proxy this script started
#   tests/engines/haproxy.sh status  say whether it answers
#   tests/engines/haproxy.sh config [UPSTREAM] [BIND]   print the config it runs
#
# PROXY_SOCK (default $RG_TEST_STATE/haproxy/docker.sock) is where it
# listens; PROXY_UPSTREAM (default /var/run/docker.sock) the engine's socket.
# The config is the shipped one with only `bind` and `server` replaced, so
# the tests exercise the allow list users run.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CFG=$HERE/../../contrib/docker-socket-proxy.cfg
STATE=${RG_TEST_STATE:-/tmp/registrator-test}
SOCK=${PROXY_SOCK:-$STATE/haproxy/docker.sock}
UPSTREAM=${PROXY_UPSTREAM:-/var/run/docker.sock}
DIR=$(dirname "$SOCK")
PIDFILE=$DIR/haproxy.pid
NAME=haproxy
. "$HERE/../lib.sh"

up() { curl -sf --unix-socket "$SOCK" http://localhost/_ping; }

# config UPSTREAM BIND: the shipped config bound to BIND, forwarding to UPSTREAM.
config() {
  sed -e "s|^\( *\)bind :2375\$|\1bind $2|" \
      -e "s|^\( *\)server docker /var/run/docker.sock\$|\1server docker $1|" "$CFG"
}

start() {
  need haproxy haproxy
  if up >/dev/null 2>&1; then return 0; fi
  mkdir -p "$DIR"
  rm -f "$SOCK"
  config "$UPSTREAM" "unix@$SOCK mode 666" >"$DIR/haproxy.cfg"
  haproxy -c -q -f "$DIR/haproxy.cfg"
  log "starting haproxy on $SOCK -> $UPSTREAM (log: $DIR/haproxy.log)"
  setsid haproxy -db -f "$DIR/haproxy.cfg" >>"$DIR/haproxy.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  wait_for 20 up || { log "no answer on $SOCK"; tail -20 "$DIR/haproxy.log" >&2; return 1; }
}

stop() { stop_by_pidfile "$PIDFILE"; rm -f "$SOCK"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) up >/dev/null 2>&1 && echo "haproxy: up (unix://$SOCK -> $UPSTREAM)" || echo "haproxy: down" ;;
  config) config "${2:-$UPSTREAM}" "${3:-unix@$SOCK mode 666}" ;;
  *) echo "usage: $0 start|stop|status|config [UPSTREAM] [BIND]" >&2; exit 2 ;;
esac
