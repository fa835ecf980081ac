#!/usr/bin/env bash
# Swarm mode end to end (README "Swarm mode"), on a real one-node swarm on
# the shared dockerd: two registrators (real etcd, and the Consul double's
# agent API) follow a replicated service with a routing-mesh port scaled
# 1 -> 3 -> 1, a host-mode service, --publish-add / --publish-rm, a stack
# deployed from a compose file and its removal, and `docker service rm`.
# Every check waits for its condition with a deadline.
#
# The engine is in swarm mode only while this runs: `docker swarm leave
# --force` runs on every exit, failures included, because the other suites
# assume a plain engine. An engine already in a swarm is left alone (the
# script refuses to run). Everything it makes is named h16-sw-*; published
# ports 31990-31993; the Consul double listens on 127.0.0.1:32500. Traffic
# goes to 127.0.0.1 only. Prints "swarm: N passed, N failed".
#
#   RG_BIN=build/registrator tests/swarm/test-swarm.sh
#   RG_SWARM_LOGS=/tmp/x ...   keeps the registrators' logs there
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=${RG_BIN:-build/registrator}
IMG=local/busybox
HOST=h16host
PREFIX=/h16-sw-$$
CONSUL_PORT=${RG_SWARM_CONSUL_PORT:-32500}
CONSUL=http://127.0.0.1:$CONSUL_PORT
STACK_FILE=tests/swarm/stack.yml
dir=$(mktemp -d /tmp/h16-sw.XXXXXX)
pass=0 fail=0 swarm_on=0 pids=()
export ETCDCTL_API=3

log() { printf 'swarm: %s\n' "$*" >&2; }
cleanup() {
  local rc=$?
  docker stack rm h16-sw-stack >/dev/null 2>&1
  for s in $(docker service ls -q --filter name=h16-sw- 2>/dev/null); do docker service rm "$s" >/dev/null 2>&1; done
  [ "$swarm_on" = 1 ] && docker swarm leave --force >/dev/null 2>&1 && log "left swarm mode"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  etcdctl del --prefix "$PREFIX/" >/dev/null 2>&1
  if [ -n "${RG_SWARM_LOGS:-}" ]; then rm -rf "$RG_SWARM_LOGS"; cp -r "$dir" "$RG_SWARM_LOGS"; fi
  rm -rf "$dir"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
check() { # name, then a command that must succeed
  local name=$1; shift
  if "$@" >/dev/null; then pass=$((pass + 1)); log "ok: $name"; else fail=$((fail + 1)); log "FAIL: $name"; fi
}
wait_for() { # seconds, command: polls until it succeeds or the deadline passes
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.2; done
}

# ---- what is registered ----
etcd_keys() { etcdctl get --prefix --keys-only "$PREFIX/" | grep -v '^$' | sort; }
etcd_is() { [ "$(etcdctl get --print-value-only "$PREFIX/$1")" = "$2" ]; }
etcd_gone() { [ -z "$(etcdctl get --prefix --keys-only "$PREFIX/$1")" ]; }
etcd_count() { [ "$(etcd_keys | grep -c "^$PREFIX/$1/")" -eq "$2" ]; }
# catalog <name> <jq filter that must be true of the whole answer>
catalog() { curl -sf "$CONSUL/v1/catalog/service/$1" | jq -e "$2" >/dev/null; }
catalog_is() { catalog "$1" "length == 1 and .[0].ServiceID == \"$2\" and .[0].ServiceAddress == \"127.0.0.1\" and .[0].ServicePort == $3"; }
catalog_gone() { catalog "$1" "length == 0"; }
tasks() { [ "$(docker ps -q --filter "label=com.docker.swarm.service.name=$1" | wc -l)" -eq "$2" ]; }

state=$(docker info -f '{{.Swarm.LocalNodeState}}') || { log "no dockerd"; exit 1; }
[ "$state" = inactive ] || { log "the engine is in swarm mode already ($state); not touching it"; exit 1; }
[ -x "$BIN" ] || { log "no $BIN (make all)"; exit 1; }

python3 tests/consul-double/consul_double.py --port "$CONSUL_PORT" >"$dir/consul-double.log" 2>&1 &
pids+=($!)
wait_for 10 curl -sf "$CONSUL/v1/agent/services" || { log "the Consul double did not start"; exit 1; }

swarm_on=1
docker swarm init --advertise-addr 127.0.0.1 >/dev/null || { log "swarm init failed"; exit 1; }

start_registrator() { # name, registry URI
  "$BIN" -hostname "$HOST" -ip 127.0.0.1 "$2" >"$dir/$1.log" 2>&1 &
  pids+=($!)
  eval "${1}_pid=$!"
}
start_registrator etcd "etcd://127.0.0.1:2379$PREFIX"
start_registrator consul "consul://127.0.0.1:$CONSUL_PORT"
check "both registrators see a manager" wait_for 60 \
  sh -c "grep -q 'is a swarm manager' '$dir/etcd.log' && grep -q 'is a swarm manager' '$dir/consul.log'"

# ---- a replicated service on the routing mesh ----
docker service create -d -q --no-resolve-image --name h16-sw-web -p 31990:80 \
  --label SERVICE_REGION=svc --label SERVICE_OWNER=svc-owner --label SERVICE_TAGS=mesh --container-label SERVICE_REGION=ctr \
  -e SERVICE_REGION=env -e SERVICE_OWNER=env-owner -e SERVICE_LEVEL=env "$IMG" httpd -f -p 80 >/dev/null
WEB="h16-sw-web/$HOST:swarm:h16-sw-web:80"
check "the service registers in etcd once, at this host and the published port" \
  wait_for 60 etcd_is "$WEB" 127.0.0.1:31990
check "and in the Consul catalog" wait_for 30 catalog_is h16-sw-web "$HOST:swarm:h16-sw-web:80" 31990
check "SERVICE_* precedence: container label > service label > env" \
  catalog h16-sw-web '.[0].ServiceMeta.region == "ctr" and .[0].ServiceMeta.owner == "svc-owner" and .[0].ServiceMeta.level == "env" and .[0].ServiceTags == ["mesh"]'

docker service scale -d h16-sw-web=3 >/dev/null
check "scaled to 3: three tasks run" wait_for 90 tasks h16-sw-web 3
check "scaled to 3: still one entry in etcd" etcd_count h16-sw-web 1
check "scaled to 3: still one entry in Consul" catalog h16-sw-web 'length == 1'
docker service scale -d h16-sw-web=1 >/dev/null
check "scaled back to 1" wait_for 90 tasks h16-sw-web 1
check "scaled to 1: the entry stays" etcd_is "$WEB" 127.0.0.1:31990

# ---- resync --dry-run prints the swarm services (and -internal the task) ----
"$BIN" resync --dry-run -hostname "$HOST" -ip 127.0.0.1 >"$dir/dry.jsonl" 2>"$dir/dry.log"
check "resync --dry-run prints the routing-mesh entry" \
  jq -e -s 'map(select(.id == "h16host:swarm:h16-sw-web:80" and .port == 31990 and .container_id == "swarm:\(.container_id[6:])")) | length == 1' "$dir/dry.jsonl"
"$BIN" resync --dry-run -internal -hostname "$HOST" >"$dir/dry-internal.jsonl" 2>>"$dir/dry.log"
check "with -internal the task registers its overlay address and the target port" \
  jq -e -s 'map(select(.name == "h16-sw-web" and .port == 80 and (.ip | startswith("10.")) and (.id | contains(":swarm:") | not))) | length == 1' "$dir/dry-internal.jsonl"

# ---- a host-mode published port ----
docker service create -d -q --no-resolve-image --name h16-sw-host \
  -p published=31991,target=80,mode=host "$IMG" httpd -f -p 80 >/dev/null
host_task() { etcd_keys | grep -q "^$PREFIX/h16-sw-host/$HOST:h16-sw-host\.1\.[a-z0-9]*:80$"; }
check "a host-mode task registers like a published port, named after its service" wait_for 60 host_task
host_value() { [ "$(etcdctl get --prefix --print-value-only "$PREFIX/h16-sw-host/")" = 127.0.0.1:31991 ]; }
check "at this host and the published port" host_value
check "and in Consul" wait_for 30 catalog h16-sw-host 'length == 1 and .[0].ServicePort == 31991'
docker service update -d -q --label-add SERVICE_TAGS=relabelled h16-sw-host >/dev/null
check "a service label added later reaches its running task's entry" \
  wait_for 30 catalog h16-sw-host 'length == 1 and .[0].ServiceTags == ["relabelled"]'

# ---- a reload keeps what the engine said of its swarm mode ----
kill -HUP "$etcd_pid"
check "SIGHUP reloads the etcd registrator" wait_for 30 grep -q "reloaded the settings" "$dir/etcd.log"
check "and the routing-mesh entry stays" etcd_is "$WEB" 127.0.0.1:31990

# ---- --publish-add and --publish-rm ----
# (after the reload above: the etcd registrator still knows it runs on a manager)
docker service update -d -q --publish-add 31992:8080 h16-sw-web >/dev/null
check "--publish-add registers the new port" \
  wait_for 60 etcd_is "h16-sw-web-8080/$HOST:swarm:h16-sw-web:8080" 127.0.0.1:31992
check "two ports: the names take the target port" etcd_is "h16-sw-web-80/$HOST:swarm:h16-sw-web:80" 127.0.0.1:31990
check "the old single-port name is gone" etcd_gone "h16-sw-web/"
check "Consul has the new port" wait_for 30 catalog h16-sw-web-8080 'length == 1 and .[0].ServicePort == 31992'
docker service update -d -q --publish-rm 8080 h16-sw-web >/dev/null # by target port
check "--publish-rm deregisters it" wait_for 60 etcd_gone "h16-sw-web-8080/"
check "and Consul follows" wait_for 30 catalog_gone h16-sw-web-8080
check "one port again: the service's own name" wait_for 30 etcd_is "$WEB" 127.0.0.1:31990

# ---- a stack from a compose file ----
docker stack deploy --resolve-image never -c "$STACK_FILE" h16-sw-stack >/dev/null 2>"$dir/stack.log"
check "docker stack deploy works" [ $? -eq 0 ]
APP="h16-sw-stack_app/$HOST:swarm:h16-sw-stack_app:80"
check "the stack's service appears in etcd with its name" wait_for 60 etcd_is "$APP" 127.0.0.1:31993
check "and in Consul, with the deploy labels' tags" \
  wait_for 30 catalog h16-sw-stack_app 'length == 1 and .[0].ServicePort == 31993 and .[0].ServiceTags == ["stacked"]'
docker service scale -d h16-sw-stack_app=3 >/dev/null
check "the stack scales to 3 tasks" wait_for 90 tasks h16-sw-stack_app 3
check "and keeps one entry" etcd_count h16-sw-stack_app 1
docker stack rm h16-sw-stack >/dev/null
check "docker stack rm takes it out of etcd" wait_for 60 etcd_gone "h16-sw-stack_app/"
check "and out of Consul" wait_for 30 catalog_gone h16-sw-stack_app

# ---- docker service rm: every entry is gone ----
docker service rm h16-sw-web h16-sw-host >/dev/null
# the registrators also register other suites' containers on this dockerd: look at ours only
no_keys() { ! etcd_keys | grep -q "^$PREFIX/h16-sw-"; }
check "after docker service rm nothing is left in etcd" wait_for 60 no_keys
consul_empty() { curl -sf "$CONSUL/v1/agent/services" | jq -e '[.[] | select(.Service | startswith("h16-sw-"))] | length == 0' >/dev/null; }
check "nor in Consul" wait_for 30 consul_empty

stop_ok() { # the registrator stops on SIGTERM, exit 0 (under ASan: no leak)
  kill -TERM "$1" && wait "$1"
}
check "the etcd registrator stops cleanly" stop_ok "$etcd_pid"
check "the Consul registrator stops cleanly" stop_ok "$consul_pid"
check "neither logged a warning or an error about swarm services" \
  sh -c "! grep -E ' (warn|error) ' '$dir/etcd.log' '$dir/consul.log' | grep -E 'swarm|h16-sw-(web|host|stack)'"
if [ "$fail" -ne 0 ]; then
  for f in etcd consul dry; do
    log "--- $f.log: its first lines, and what concerns swarm"
    head -5 "$dir/$f.log" >&2
    grep -E 'swarm|h16-sw-' "$dir/$f.log" | tail -40 >&2
  done
fi
echo "swarm: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
