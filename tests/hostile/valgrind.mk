# tests/hostile/valgrind.mk - the integration tests with the daemon under
# valgrind memcheck (included by the Makefile).
#
#   make test-valgrind   a plain -O1 -g build in $(VG_BUILD) (default
#                        build/valgrind), then build/integration-tests with
#                        RG_BIN = a wrapper that runs the binary under
#                        `valgrind --error-exitcode=99 --leak-check=full
#                        --errors-for-leak-kinds=definite`. A memcheck error
#                        or a definite leak makes the daemon exit 99, which
#                        fails the test that ran it; afterwards every
#                        valgrind log is scanned as well, so that a run whose
#                        exit status no test checks still fails the target.
#                        About 5 minutes on 2 cores.

VG_BUILD ?= build/valgrind
VG_JOBS  ?= 2
VG_ABS    = $(abspath $(VG_BUILD))

.PHONY: test-valgrind
test-valgrind: servers
	@command -v valgrind >/dev/null || { [ "$$(id -u)" -eq 0 ] && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
	$(MAKE) --no-print-directory BUILD=$(VG_BUILD) CFLAGS="-O1 -g" SAN= \
	  $(VG_BUILD)/registrator $(VG_BUILD)/integration-tests
	rm -rf $(VG_BUILD)/vglogs && mkdir -p $(VG_BUILD)/vglogs
	printf '%s\n' '#!/bin/sh' \
	  'exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \' \
	  '  --show-leak-kinds=definite --track-fds=no --child-silent-after-fork=yes \' \
	  '  --log-file=$(VG_ABS)/vglogs/vg.%p.log $(VG_ABS)/registrator "$$@"' \
	  > $(VG_BUILD)/registrator-vg
	chmod +x $(VG_BUILD)/registrator-vg
	RG_BIN=$(VG_BUILD)/registrator-vg tests/run.sh $(VG_BUILD)/integration-tests -j$(VG_JOBS)
	@if grep -lE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|Invalid (read|write)|uninitialised' \
	    $(VG_BUILD)/vglogs/*.log 2>/dev/null; then \
	  echo "test-valgrind: memcheck errors in the logs above:" >&2; \
	  grep -hE -B2 -A20 'Invalid|uninitialised|definitely lost in' $(VG_BUILD)/vglogs/*.log | head -200 >&2; \
	  exit 1; \
	fi
	@echo "test-valgrind: $$(ls $(VG_BUILD)/vglogs | wc -l) daemon runs under memcheck, no errors"
