# tests/fuzz/fuzz.mk - libFuzzer targets (included by the Makefile).
#
#   make fuzz            install clang/libFuzzer if missing, then run every
#                        target for FUZZ_SECONDS (default 60), FUZZ_JOBS (2)
#                        at a time: about 3 minutes on 2 cores
#   make fuzz-smoke      the same, 10 s per target
#   make fuzz-replay     re-run tests/fuzz/regressions/* and the seeds once
#                        through each target under ASan+UBSan with $(CC)
#                        (no libFuzzer needed; a few seconds)
#
# Targets (tests/fuzz/fuzz_<name>.c): events (incremental event parser,
# chunked), inspect (inspect JSON -> container -> services -> safe names),
# metadata (SERVICE_* labels/env), uri (registry URIs), config (libconfig
# file), cli (argv), registry (every parser of etcd, SkyDNS and Consul
# answers), swarm (GET /services and /info -> routing-mesh entries). Seeds
# come from tests/fixtures (see run.sh; registry: answers recorded from a
# real etcd and the Consul double).

FUZZ_BUILD   ?= build/fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
FUZZ_TARGETS := events inspect metadata uri config cli registry swarm
FUZZ_REPLAY_BUILD ?= $(BUILD)/asan-replay
FUZZ_FLAGS   := $(ALL_CPPFLAGS) $(WARN) -O1 -g $(SANITIZE) $(PKG_CFLAGS)

.PHONY: fuzz fuzz-smoke fuzz-replay fuzz-build fuzz-deps fuzz-lib fuzz-replay-lib

fuzz-deps:
	FUZZ_CC=$(FUZZ_CC) tests/fuzz/run.sh deps

# The library instrumented for libFuzzer, in its own folder (sub-make, so
# that the Makefile's object rules and dependency files are reused).
fuzz-lib: fuzz-deps
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) SAN=1 \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" $(FUZZ_BUILD)/libregistrator.a

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h fuzz-lib
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libregistrator.a $(PKG_LIBS)

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

fuzz: fuzz-build
	tests/fuzz/run.sh fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

fuzz-smoke:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

# Replay: the same targets linked with replay.c by $(CC) under ASan+UBSan.
fuzz-replay-lib:
	$(MAKE) --no-print-directory BUILD=$(FUZZ_REPLAY_BUILD) SAN=1 $(FUZZ_REPLAY_BUILD)/libregistrator.a

$(FUZZ_REPLAY_BUILD)/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h fuzz-replay-lib
	$(CC) $(FUZZ_FLAGS) -o $@ $< tests/fuzz/replay.c $(FUZZ_REPLAY_BUILD)/libregistrator.a $(PKG_LIBS)

fuzz-replay: $(FUZZ_TARGETS:%=$(FUZZ_REPLAY_BUILD)/replay_%)
	ASAN_OPTIONS=detect_leaks=1 tests/fuzz/run.sh replay $(FUZZ_REPLAY_BUILD) $(FUZZ_TARGETS)
