# make bench        the benchmark suite of issue 7 (tests/bench/README.md); prints one table
# make bench-smoke  the same harness, few containers and short windows (CI: a couple of minutes)
# make bench-backends  every backend's start-up sync and -deregister-on-exit beside etcd v3's (issue 17)
#
# BENCH_OTHER="<command line>" measures a second registrator side by side (same flags and URI
# appended). Both reuse the running dockerd (tests/servers.sh start) and start their own etcd
# on 127.0.0.1:26379 with its data on /dev/shm. Missed targets do not fail the target; a
# broken harness does.
# make bench-metrics  -metrics off against on, side by side (issue 15): latency, RssAnon, idle CPU
# make bench-handoff  the sync engine's own cost: rg_engine_publish -> the worker's adapter call,
#                     no registry and no Docker in it (tests/bench/handoff.c; a few seconds)
.PHONY: bench bench-smoke bench-backends bench-metrics bench-handoff
bench: servers bench-handoff
	$(MAKE) BUILD=build SAN= all
	python3 tests/bench/bench.py --bin build/registrator

bench-smoke: servers
	$(MAKE) BUILD=build SAN= all build/bench-handoff
	build/bench-handoff 500
	BENCH_QUICK=1 python3 tests/bench/bench.py --bin build/registrator

bench-handoff:
	$(MAKE) BUILD=build SAN= build/bench-handoff
	build/bench-handoff

$(BUILD)/bench-handoff: $(BUILD)/obj/tests/bench/handoff.o $(BUILD)/libregistrator.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

bench-backends: servers
	$(MAKE) BUILD=build SAN= all
	python3 tests/bench/bench_backends.py --bin build/registrator

bench-metrics: servers
	$(MAKE) BUILD=build SAN= all
	python3 tests/bench/bench.py --bin build/registrator --metrics
