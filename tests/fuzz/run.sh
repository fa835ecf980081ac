#!/usr/bin/env bash
# tests/fuzz/run.sh - drives the fuzz targets (see fuzz.mk).
#
#   run.sh deps                     install clang + libFuzzer runtime when missing
#   run.sh fuzz DIR SECONDS JOBS T… run each target DIR/fuzz_T for SECONDS,
#                                   JOBS at a time; crashes go to DIR/artifacts/T/
#   run.sh replay DIR T…            run DIR/replay_T once over each target's
#                                   regressions and seeds (no libFuzzer needed)
#
# Inputs of target T: tests/fuzz/regressions/T (every crash ever found),
# plus its seeds (corpus_dirs below). New corpus entries go to DIR/corpus/T.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export LSAN_OPTIONS="suppressions=$here/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# The seed directories of a target: recordings from tests/fixtures and
# what mkseeds.sh derives from them (in DIR/seeds).
corpus_dirs() {
  local dir=$1 t=$2
  case $t in
    events) echo "$dir/seeds/events $root/tests/fixtures/events" ;;
    inspect) echo "$root/tests/fixtures/inspect" ;;
    registry) echo "$root/tests/fixtures/registry" ;;
    swarm) echo "$root/tests/fixtures/swarm" ;;
    metadata) echo "$dir/seeds/metadata" ;;
    config) echo "$dir/seeds/config" ;;
    uri | cli) echo "$here/seeds/$t" ;;
  esac
  # git keeps no empty folders: a target without regressions has none
  if [ -d "$here/regressions/$t" ]; then echo "$here/regressions/$t"; fi
}

max_len() {
  case $1 in events | inspect | registry | swarm) echo 65536 ;; *) echo 4096 ;; esac
}

seeds() {
  local dir=$1
  "$here/mkseeds.sh" "$dir/seeds"
  mkdir -p "$dir/seeds/config"
  cp "$root/contrib/registrator.cfg" "$dir/seeds/config/contrib.cfg"
}

fuzz_one() {
  local dir=$1 secs=$2 t=$3
  mkdir -p "$dir/corpus/$t" "$dir/artifacts/$t"
  local log="$dir/fuzz-$t.log"
  # shellcheck disable=SC2046
  if "$dir/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -max_len="$(max_len "$t")" -print_final_stats=1 -artifact_prefix="$dir/artifacts/$t/" \
    "$dir/corpus/$t" $(corpus_dirs "$dir" "$t") >"$log" 2>&1; then
    echo "fuzz: $t: OK ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs, corpus $(ls "$dir/corpus/$t" | wc -l))"
  else
    echo "fuzz: $t: FAILED; log $log, inputs in $dir/artifacts/$t/:"
    grep -E 'ERROR|SUMMARY|invariant broken|runtime error' "$log" | head -20
    ls "$dir/artifacts/$t/"
    echo "  keep the input as tests/fuzz/regressions/$t/<name> once it is fixed"
    return 1
  fi
}

case ${1:-} in
  deps)
    probe=$(mktemp -d)
    echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$probe/p.c"
    if ! ${FUZZ_CC:-clang} -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" >/dev/null 2>&1 ||
      ! command -v jq >/dev/null; then
      [ "$(id -u)" -eq 0 ] || { echo "fuzz: clang with libFuzzer (clang, libclang-rt-14-dev) and jq are needed; run as root to install" >&2; exit 1; }
      echo "fuzz: installing clang, libclang-rt-14-dev, jq" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq clang libclang-rt-14-dev jq >/dev/null
    fi
    rm -rf "$probe"
    ;;
  fuzz)
    dir=$2 secs=$3 jobs=$4
    shift 4
    seeds "$dir"
    export -f fuzz_one corpus_dirs max_len
    export here root
    printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'fuzz_one "$0" "$1" {}' "$dir" "$secs"
    ;;
  replay)
    dir=$2
    shift 2
    seeds "$dir"
    for t in "$@"; do
      # shellcheck disable=SC2046
      "$dir/replay_$t" $(corpus_dirs "$dir" "$t")
    done
    ;;
  *)
    sed -n '2,12p' "$0" >&2
    exit 2
    ;;
esac
