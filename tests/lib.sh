# tests/lib.sh - shared by tests/servers.sh and tests/engines/*.sh (sourced).
# They set NAME (for messages) before sourcing.

log() { printf '%s: %s\n' "$NAME" "$*" >&2; }

# wait_for SECONDS CMD...: run CMD until it succeeds or the deadline passes.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# A process is gone when /proc has no entry or shows a zombie (PID 1 here
# does not always reap orphans, so kill -0 is not enough).
gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

# need CMD PACKAGE: installs the Debian package when CMD is missing (root only).
need() {
  command -v "$1" >/dev/null && return 0
  [ "$(id -u)" -eq 0 ] || { log "$1 missing; run as root to install $2"; return 1; }
  log "installing $2"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "$2" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }
}

# stop_by_pidfile FILE: stops the process whose pid FILE holds (started by us), then removes FILE.
stop_by_pidfile() {
  [ -f "$1" ] || return 0
  local pid; pid=$(cat "$1")
  if kill "$pid" 2>/dev/null; then
    wait_for 20 gone "$pid" || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

# busybox_tar: on stdout, a tar of the root of the local/busybox test image
# (Debian's static busybox and the applets the tests use), for `docker import`
# or `podman import`.
busybox_tar() {
  local root; root=$(mktemp -d)
  mkdir -p "$root/bin"
  cp /bin/busybox "$root/bin/"
  for a in sh httpd nc sleep true false ls cat; do ln -s busybox "$root/bin/$a"; done
  tar -C "$root" -c .
  rm -rf "$root"
}
