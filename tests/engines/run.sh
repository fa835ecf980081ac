#!/usr/bin/env bash
# tests/engines/run.sh ENGINE FILTER [JOBS]: runs build/integration-tests
# with FILTER (a Criterion pattern) against the engine the environment names
# (DOCKER_HOST for registrator and the library; the docker CLI's own for the
# containers), through tests/run.sh. Prints the failures, every test skipped
# on this engine with its reason, the tests' own output and the summary.
set -uo pipefail
engine=$1 filter=$2 jobs=${3:-2}
BIN=${RG_BIN:-build/registrator}
log=$(mktemp)
echo "engines: $engine: $filter (DOCKER_HOST=${DOCKER_HOST:-unset}, docker CLI -> ${RG_CLI_DOCKER_HOST:-${DOCKER_HOST:-default}})"
start=$SECONDS
RG_BIN=$BIN tests/run.sh build/integration-tests --filter "$filter" -j"$jobs" --verbose >"$log" 2>&1
status=$?
grep -vE '^\[(RUN |PASS|====)\]|Test is disabled|^\[----\] Criterion' "$log"
grep -E '^\[====\] Synthesis' "$log"
skips=$(grep -E '^\[SKIP\]' "$log" | grep -vc 'Test is disabled' || true)
echo "engines: $engine: ${skips} skipped (reasons above), $((SECONDS - start)) s, exit $status"
rm -f "$log"
exit "$status"
