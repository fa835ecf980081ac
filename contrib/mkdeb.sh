#!/usr/bin/env bash
# contrib/mkdeb.sh BUILD OUT VERSION: the binary package registrator_VERSION_ARCH.deb
# in OUT from the objects `make BUILD=BUILD all` made (run by `make deb`).
# Layout (Debian policy for bookworm): /usr/bin, the multiarch library folder
# (.so with its soname links, .a, pkgconfig/registrator.pc), /usr/include,
# the man page gzipped, the unit in /lib/systemd/system, the example settings
# as a conffile, copyright and changelog. Depends from dpkg-shlibdeps.
# DEB_MAINTAINER names the maintainer (default below).
set -euo pipefail
build=$1 out=$2 version=$3
maintainer=${DEB_MAINTAINER:-registrator maintainers <registrator@users.noreply.github.com>}
cd "$(dirname "$0")/.."
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
root=$out/root
rm -rf "$root" "$out"/*.deb
mkdir -p "$root/DEBIAN"
make -s BUILD="$build" SAN= install DESTDIR="$root" PREFIX=/usr LIBDIR="/usr/lib/$multiarch" >/dev/null
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/registrator" \
  "$root/usr/lib/$multiarch/libregistrator.so.$version"
chmod 644 "$root/usr/lib/$multiarch/libregistrator.so.$version" # policy: shared libraries are not executable
strip --strip-debug --remove-section=.comment "$root/usr/lib/$multiarch/libregistrator.a"
gzip -9n "$root/usr/share/man/man8/registrator.8"
install -D -m 644 contrib/registrator.service "$root/lib/systemd/system/registrator.service"
install -D -m 644 contrib/registrator.cfg "$root/etc/registrator/registrator.cfg"
doc=$root/usr/share/doc/registrator
install -d "$doc"
cat >"$doc/copyright" <<'COPY'
registrator: registers the services of Docker containers in etcd, SkyDNS and Consul.

Copyright (C) 2026 the registrator authors.

The project has not stated its license yet; until it does, this package
grants no rights beyond those of its authors.
COPY
date=$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")
printf 'registrator (%s) unstable; urgency=medium\n\n  * Package built from the registrator sources (make deb).\n\n -- %s  %s\n' \
  "$version" "$maintainer" "$date" | gzip -9n >"$doc/changelog.gz"
chmod 644 "$doc"/*

# Depends: what the program and the library link, as dpkg-shlibdeps says
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/debian"
printf 'Source: registrator\n\nPackage: registrator\nArchitecture: any\n' >"$tmp/debian/control"
depends=$(cd "$tmp" && dpkg-shlibdeps -O "$OLDPWD/$root/usr/bin/registrator" \
  "$OLDPWD/$root/usr/lib/$multiarch/libregistrator.so.$version" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')

echo "libregistrator 0 registrator (>= $version)" >"$root/DEBIAN/shlibs"
echo "activate-noawait ldconfig" >"$root/DEBIAN/triggers"
echo "/etc/registrator/registrator.cfg" >"$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CTRL
Package: registrator
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Section: admin
Priority: optional
Homepage: https://github.com/gliderlabs/registrator
Description: registers Docker containers' services in etcd, SkyDNS or Consul
 registrator watches the Docker engine of a host and keeps a service registry
 in step with it: each published port of a running container becomes a
 service in etcd (v3 or v2), SkyDNS or Consul, and goes when the container
 dies. It serves Prometheus metrics, health and readiness, and speaks
 systemd's notify protocol with a watchdog.
 .
 This package holds the program, its C library (shared and static), the
 header, the pkg-config file, the man page and the systemd unit.
CTRL
(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' | sort -z | xargs -0 md5sum) \
  >"$root/DEBIAN/md5sums"
chmod 644 "$root"/DEBIAN/*
deb=$out/registrator_${version}_$arch.deb
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
