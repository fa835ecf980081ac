#!/usr/bin/env bash
# tests/run.sh BINARY [ARGS...]: runs a Criterion test binary and fails when
# its output shows a sanitizer report. Criterion 2.4 counts a test whose
# teardown aborted (our leak check in RG_SUITE's .fini) as passing, so the
# report in the output is what fails the run.
set -uo pipefail
log=$(mktemp)
"$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|crashed during its setup or teardown' "$log"; then
  echo "tests/run.sh: $1: a sanitizer reported an error or a leak (see above)" >&2
  grep -E 'crashed during its setup or teardown|SUMMARY: (Address|Undefined)' "$log" >&2
  status=1
fi
rm -f "$log"
exit "$status"
