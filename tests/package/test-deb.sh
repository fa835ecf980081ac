#!/usr/bin/env bash
# make test-deb: builds the .deb (make deb), runs lintian on it (an error
# fails; warnings are printed), installs it on this machine, checks what it
# installed (program, library through pkg-config, man page, unit), removes
# and purges it, and checks that nothing is left. Needs root (dpkg -i).
# Prints "deb: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
pass=0 fail=0
log() { printf 'deb: %s\n' "$*" >&2; }
check() { # name, then a command that must succeed
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); log "ok: $name"; else fail=$((fail + 1)); log "FAIL: $name"; fi
}
for tool in lintian:lintian dpkg-shlibdeps:dpkg-dev; do
  command -v "${tool%%:*}" >/dev/null ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${tool#*:}" >/dev/null
done
if dpkg -s registrator >/dev/null 2>&1; then log "a registrator package is installed already: not touching it"; exit 1; fi
deb=$(make -s deb 2>/dev/null | tail -n1)
check "make deb builds a package" test -f "$deb"
lint=$(lintian --tag-display-limit 0 "$deb" 2>/dev/null)
printf '%s\n' "$lint" | sed 's/^/deb: lintian: /' >&2
check "lintian reports no error" bash -c '! grep -q "^E:" <<<"$1"' _ "$lint"
check "dpkg -i installs it" dpkg -i "$deb"
check "the program runs" bash -c '/usr/bin/registrator -version | grep -q "^registrator "'
check "the man page is found" bash -c 'man -w registrator | grep -q "/man8/registrator.8.gz"'
check "the unit is in place" test -f /lib/systemd/system/registrator.service
check "the unit passes systemd-analyze verify" bash -c \
  'out=$(systemd-analyze verify /lib/systemd/system/registrator.service 2>&1 | grep -v -e "bus" -e "docker.service");
   [ -z "$out" ] || { echo "$out" >&2; exit 1; }'
prog=$(mktemp -d)
cat >"$prog/t.c" <<'C'
#include <registrator/registrator.h>
#include <stdio.h>
int main(void) { puts(rg_strerror(RG_ENOTFOUND)); return 0; }
C
check "a program builds against it with pkg-config" bash -c \
  "cc -o $prog/t $prog/t.c \$(pkg-config --cflags --libs registrator) && $prog/t | grep -q 'not found'"
rm -rf "$prog"
files=$(dpkg -L registrator | while read -r f; do [ -d "$f" ] || echo "$f"; done)
check "dpkg -r removes it" dpkg -r registrator
check "only the conffile stays after remove" bash -c \
  'for f in $1; do if [ -e "$f" ] && [ "$f" != /etc/registrator/registrator.cfg ]; then echo "left: $f" >&2; exit 1; fi; done' _ "$files"
check "dpkg -P purges it" dpkg -P registrator
check "nothing stays after purge" bash -c \
  'for f in $1; do if [ -e "$f" ]; then echo "left: $f" >&2; exit 1; fi; done; [ ! -e /etc/registrator ]' _ "$files"
log "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
