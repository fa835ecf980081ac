# make test-swarm: swarm mode end to end on a real one-node swarm (README
# "Swarm mode"). It turns the shared dockerd into a swarm for its run and
# always leaves it (tests/swarm/test-swarm.sh), so run it alone, not beside
# the other integration suites. Drives the sanitizer build.
.PHONY: test-swarm
test-swarm: servers
	$(MAKE) BUILD=build/asan SAN=1 all
	RG_BIN=build/asan/registrator ASAN_OPTIONS=detect_leaks=1 tests/swarm/test-swarm.sh
