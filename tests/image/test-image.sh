#!/usr/bin/env bash
# Builds contrib/Dockerfile and runs the image against the real dockerd and
# etcd, as an operator deploys it; checks that it registers a container.
# No image registry is reachable here: debian:bookworm-slim is made locally
# with debootstrap when missing. Prints "image: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
tag="rgt-image-$$"
prefix="/$tag"
image=${RG_IMAGE:-registrator:test}
pass=0 fail=0
log() { printf 'image: %s\n' "$*" >&2; }
cleanup() {
  docker rm -f "$tag" "$tag-web" >/dev/null 2>&1
  ETCDCTL_API=3 etcdctl del --prefix "$prefix/" >/dev/null 2>&1
}
trap cleanup EXIT
check() { # name, then a command that must succeed
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); log "ok: $name"; else fail=$((fail + 1)); log "FAIL: $name"; fi
}
wait_for() { # seconds, command
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.2; done
}

if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  root=$(mktemp -d)
  log "making debian:bookworm-slim with debootstrap (about a minute)"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null 2>&1 \
    || { log "debootstrap failed"; exit 1; }
  tar -C "$root" -c . | docker import - debian:bookworm-slim >/dev/null
  rm -rf "$root"
fi

build() { docker build -q -f contrib/Dockerfile -t "$image" . >/dev/null; }
check "the image builds from contrib/Dockerfile" build
ships_only_the_binary() {
  # the runtime stage has no compiler: only the binary and its libraries
  ! docker run --rm --entrypoint sh "$image" -c 'command -v gcc' >/dev/null 2>&1 &&
    docker run --rm "$image" --version | grep -q '^registrator '
}
check "the runtime stage ships the binary without the toolchain" ships_only_the_binary

# the image's HEALTHCHECK, sooner than its 30 s interval; the endpoint on a port of the tests' own
docker run -d --name "$tag" --net host -v /var/run/docker.sock:/tmp/docker.sock \
  -e DOCKER_HOST=unix:///tmp/docker.sock -e REGISTRATOR_METRICS=127.0.0.1:29592 \
  --health-interval 1s --health-start-period 1s "$image" -hostname imagehost \
  -ttl 30 -ttl-refresh 10 "etcd://127.0.0.1:2379$prefix" >/dev/null
docker run -d --name "$tag-web" -p 127.0.0.1::80 -l SERVICE_NAME=imgweb local/busybox \
  httpd -f -p 80 >/dev/null
port=$(docker port "$tag-web" 80/tcp | head -n1 | sed 's/.*://')
registered() {
  [ "$(ETCDCTL_API=3 etcdctl get --print-value-only "$prefix/imgweb/imagehost:$tag-web:80")" = "127.0.0.1:$port" ]
}
check "the container registers a service" wait_for 30 registered
healthy() { [ "$(docker inspect -f '{{.State.Health.Status}}' "$tag")" = healthy ]; }
check "its HEALTHCHECK (registrator healthcheck) reports healthy" wait_for 30 healthy
deregistered() { [ -z "$(ETCDCTL_API=3 etcdctl get --print-value-only "$prefix/imgweb/imagehost:$tag-web:80")" ]; }
docker rm -f "$tag-web" >/dev/null
check "and deregisters it when it dies" wait_for 30 deregistered
[ "$fail" -eq 0 ] || docker logs "$tag" 2>&1 | tail -20 >&2
echo "image: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
