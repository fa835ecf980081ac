#!/usr/bin/env bash
# tests/fuzz/mkseeds.sh OUT: writes the seed corpora that are derived from
# the recordings in tests/fixtures/ (the others are pointed at directly):
#   OUT/metadata/<fixture>  the first exposed port, then E<env item>,
#                           L<label>=<value>, I<image> lines (fuzz_metadata.c)
#   OUT/events/<fixture>.N  each event recording cut into pieces, blank and
#                           "\r\n" lines mixed in (fuzz_events.c)
set -euo pipefail
out=$1
fx=$(dirname "$0")/../fixtures
mkdir -p "$out/metadata" "$out/events"
for f in "$fx"/inspect/*.json; do
  jq -r '
    ((.Config.ExposedPorts // {}) | keys | (.[0] // "80/tcp") | split("/")[0]),
    ((.Config.Env // [])[] | "E" + .),
    ((.Config.Labels // {}) | to_entries[] | "L" + .key + "=" + .value),
    ("I" + (.Config.Image // "")),
    ("TSERVICE_TAGS-like, list\\,with , escapes")' "$f" >"$out/metadata/$(basename "$f" .json)"
done
for f in "$fx"/events/*.jsonl; do
  b=$(basename "$f" .jsonl)
  cp "$f" "$out/events/$b.0"
  sed 's/$/\r/' "$f" >"$out/events/$b.crlf"
  awk '{print; print ""}' "$f" >"$out/events/$b.blank"
  head -c 300 "$f" >"$out/events/$b.partial"
done
