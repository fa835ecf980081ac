# registrator - plain Makefile.
#
#   make                 build/registrator, build/libregistrator.{a,so}
#   make test            install deps, start dockerd + etcd, run every test
#                        (plain and under ASan+UBSan; a leak fails the run)
#   make run             start the local servers and run the daemon in the foreground
#   make WERROR=         build without -Werror (for packagers)
#   make SAN=1 BUILD=build/asan   a sanitizer build in its own folder

CC      ?= cc
BUILD   ?= build
WERROR  ?= -Werror
CFLAGS  ?= -O2 -g
SAN     ?=
PKGS    := libcurl yajl libconfig libmicrohttpd

WARN     := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wvla $(WERROR)
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SANFLAGS := $(if $(SAN),$(SANITIZE))
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcurl -lyajl -lconfig -lmicrohttpd) -pthread
ALL_CPPFLAGS := -I. -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(CPPFLAGS)
ALL_CFLAGS   := $(WARN) $(CFLAGS) $(SANFLAGS) -fPIC -fvisibility=hidden $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS  := $(SANFLAGS) $(LDFLAGS)

LIB_SRCS  := $(sort $(wildcard registrator/*.c docker/*.c adapters/*.c))
LIB_SRCS  := $(filter-out registrator/main.c,$(LIB_SRCS))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ  := $(BUILD)/obj/registrator/main.o
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/obj/%.o)
INT_SRCS  := $(sort $(wildcard tests/integration/*.c))
INT_OBJS  := $(INT_SRCS:%.c=$(BUILD)/obj/%.o)
FAULT_SRCS := $(sort $(wildcard tests/faults/*.c)) tests/integration/itest.c
FAULT_OBJS := $(FAULT_SRCS:%.c=$(BUILD)/obj/%.o)

SONAME  := libregistrator.so.0
VERSION := $(shell sed -n 's/^\#define RG_VERSION "\(.*\)"/\1/p' registrator/registrator.h)
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=
TEST_JOBS ?= 2

.PHONY: all test unit integration faults run servers clean install deb
all: $(BUILD)/registrator $(BUILD)/libregistrator.a $(BUILD)/libregistrator.so

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libregistrator.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libregistrator.so: $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,$(SONAME) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/registrator: $(MAIN_OBJ) $(BUILD)/libregistrator.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/unit-tests: $(UNIT_OBJS) $(BUILD)/libregistrator.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcriterion -lpthread

$(BUILD)/integration-tests: $(INT_OBJS) $(BUILD)/libregistrator.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcriterion -lpthread

$(BUILD)/fault-tests: $(FAULT_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcriterion

servers:
	tests/servers.sh start

# The one test command. Plain build first, then the sanitizer build; unit tests
# run under both, integration tests drive the sanitizer binary (LeakSanitizer
# makes a leaking run exit non-zero, which fails the test that ran it).
test: servers
	$(MAKE) BUILD=build all build/unit-tests build/integration-tests build/fault-tests
	$(MAKE) BUILD=build/asan SAN=1 all build/asan/unit-tests
	tests/run.sh build/unit-tests -j$(TEST_JOBS)
	ASAN_OPTIONS=detect_leaks=1 tests/run.sh build/asan/unit-tests -j$(TEST_JOBS)
	RG_BIN=build/asan/registrator ASAN_OPTIONS=detect_leaks=1 tests/run.sh build/integration-tests -j$(TEST_JOBS)
	RG_BIN=build/asan/registrator ASAN_OPTIONS=detect_leaks=1 tests/run.sh build/fault-tests -j1
	$(MAKE) fuzz-replay
	tests/image/test-image.sh

# The fault tests alone (they restart dockerd: nothing else may run meanwhile).
faults: servers all $(BUILD)/fault-tests
	RG_BIN=$(BUILD)/registrator tests/run.sh $(BUILD)/fault-tests -j1

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

integration: servers all $(BUILD)/integration-tests
	RG_BIN=$(BUILD)/registrator $(BUILD)/integration-tests

run: servers all
	$(BUILD)/registrator -resync 30 -ttl 30 -ttl-refresh 10 etcd://127.0.0.1:2379/services

# bin/registrator, lib/libregistrator.{a,so} (with soname), the one public
# header, lib/pkgconfig/registrator.pc and the man page registrator(8).
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig \
	  $(DESTDIR)$(PREFIX)/include/registrator $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(BUILD)/registrator $(DESTDIR)$(PREFIX)/bin/registrator
	install -m 644 $(BUILD)/libregistrator.a $(DESTDIR)$(LIBDIR)/libregistrator.a
	install -m 755 $(BUILD)/libregistrator.so $(DESTDIR)$(LIBDIR)/libregistrator.so.$(VERSION)
	ln -sf libregistrator.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libregistrator.so
	install -m 644 registrator/registrator.h $(DESTDIR)$(PREFIX)/include/registrator/registrator.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	  contrib/registrator.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/registrator.pc
	install -m 644 doc/registrator.8 $(DESTDIR)$(MANDIR)/man8/registrator.8

# A binary Debian package in build/deb/ (contrib/mkdeb.sh): the program, the
# library, the header, the .pc, the man page and the systemd unit.
# Compiled with Debian's hardening flags (dpkg-buildflags, hardening=+all).
DEB_FLAGS = DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get
deb:
	rm -rf build/deb
	$(MAKE) BUILD=build/deb/build SAN= WERROR= CFLAGS="$$($(DEB_FLAGS) CFLAGS)" \
	  CPPFLAGS="$$($(DEB_FLAGS) CPPFLAGS)" LDFLAGS="$$($(DEB_FLAGS) LDFLAGS)" all
	contrib/mkdeb.sh build/deb/build build/deb $(VERSION)

clean:
	rm -rf build

# Extra targets kept beside their code (make fuzz, make bench, ...).
-include $(sort $(wildcard tests/*/*.mk))

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
