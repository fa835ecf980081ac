#!/usr/bin/env bash
# Single etcd instances with TLS or with auth, for the adapters' tests.
# Owned by the adapters' tests.
#
#   tests/etcd-secure.sh start tls    https://127.0.0.1:23379, client certs required
#   tests/etcd-secure.sh start auth   http://127.0.0.1:24379, v3 and v2 auth, root:rg-test-pw
#   tests/etcd-secure.sh stop tls|auth
#
# TLS material (made with openssl, under $STATE/tls): ca.pem, server.pem +
# server.key (SAN IP:127.0.0.1), client.pem + client.key, and other-ca.pem,
# a CA that signed nothing (for the verification failure test).
# State under $RG_ETCD_SECURE_STATE (default /tmp/rg-etcd-secure). Calls are
# serialized with flock; start reuses a healthy instance.
set -euo pipefail

STATE=${RG_ETCD_SECURE_STATE:-/tmp/rg-etcd-secure}
TLS=$STATE/tls
PW=rg-test-pw
log() { printf 'etcd-secure: %s\n' "$*" >&2; }
# Running, and not a zombie (PID 1 here does not always reap orphans).
alive() {
  [ -f "$STATE/$1.pid" ] || return 1
  local pid; pid=$(cat "$STATE/$1.pid")
  [ -e "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

certs() {
  [ -f "$TLS/client.key" ] && return 0
  mkdir -p "$TLS"
  local o="openssl"
  (
    cd "$TLS"
    $o req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=rg-test-ca -keyout ca.key -out ca.pem 2>/dev/null
    $o req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=rg-other-ca -keyout other-ca.key -out other-ca.pem 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >server.ext
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    $o req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>/dev/null
    $o x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext -out server.pem 2>/dev/null
    $o req -newkey rsa:2048 -nodes -subj /CN=root -keyout client.key -out client.csr 2>/dev/null
    $o x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile client.ext -out client.pem 2>/dev/null
  )
}

health() {
  case $1 in
    tls) curl -sf --max-time 1 --cacert "$TLS/ca.pem" --cert "$TLS/client.pem" --key "$TLS/client.key" \
           https://127.0.0.1:23379/health ;;
    auth) curl -sf --max-time 1 http://127.0.0.1:24379/health ;;
  esac
}

wait_healthy() {
  local deadline=$((SECONDS + 30))
  until health "$1" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then log "$1 instance not healthy"; tail -5 "$STATE/$1.log" >&2; return 1; fi
    sleep 0.1
  done
}

start() {
  local kind=$1
  if alive "$kind" && health "$kind" >/dev/null 2>&1; then return 0; fi
  rm -rf "$STATE/$kind.data"
  case $kind in
    tls)
      certs
      log "starting etcd with TLS on https://127.0.0.1:23379"
      setsid etcd --name tls --data-dir "$STATE/tls.data" \
        --listen-client-urls https://127.0.0.1:23379 --advertise-client-urls https://127.0.0.1:23379 \
        --listen-peer-urls http://127.0.0.1:23380 --initial-advertise-peer-urls http://127.0.0.1:23380 \
        --initial-cluster tls=http://127.0.0.1:23380 --enable-v2 \
        --cert-file "$TLS/server.pem" --key-file "$TLS/server.key" \
        --client-cert-auth --trusted-ca-file "$TLS/ca.pem" \
        >"$STATE/tls.log" 2>&1 </dev/null 9>&- &
      echo $! >"$STATE/tls.pid"
      wait_healthy tls ;;
    auth)
      log "starting etcd with auth on http://127.0.0.1:24379"
      setsid etcd --name auth --data-dir "$STATE/auth.data" \
        --listen-client-urls http://127.0.0.1:24379 --advertise-client-urls http://127.0.0.1:24379 \
        --listen-peer-urls http://127.0.0.1:24380 --initial-advertise-peer-urls http://127.0.0.1:24380 \
        --initial-cluster auth=http://127.0.0.1:24380 --enable-v2 --auth-token simple --auth-token-ttl 1 \
        >"$STATE/auth.log" 2>&1 </dev/null 9>&- &
      echo $! >"$STATE/auth.pid"
      wait_healthy auth
      local ctl="etcdctl --endpoints 127.0.0.1:24379"
      ETCDCTL_API=3 $ctl user add "root:$PW" >/dev/null
      ETCDCTL_API=3 $ctl user grant-role root root >/dev/null
      ETCDCTL_API=3 $ctl auth enable >/dev/null
      # v2 auth is separate: a root user and enable
      curl -sf -X PUT http://127.0.0.1:24379/v2/auth/users/root \
        -d "{\"user\":\"root\",\"password\":\"$PW\"}" >/dev/null
      curl -sf -X PUT http://127.0.0.1:24379/v2/auth/enable >/dev/null ;;
    *) echo "unknown instance $kind (tls or auth)" >&2; return 2 ;;
  esac
}

stop() {
  local kind=$1 pid
  [ -f "$STATE/$kind.pid" ] || return 0
  pid=$(cat "$STATE/$kind.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -rf "$STATE/$kind.pid" "$STATE/$kind.data"
}

mkdir -p "$STATE"
exec 9>"$STATE/lock.${2:-x}"
flock 9
case "${1:-}" in
  start) start "${2:?tls or auth}" ;;
  stop) stop "${2:?tls or auth}" ;;
  *) echo "usage: $0 start|stop tls|auth" >&2; exit 2 ;;
esac
