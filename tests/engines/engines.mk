# make test-engines   the integration tests that exercise the engine, against the
#                     engines other than the default dockerd (README "Engines"):
#   test-podman       Podman's Docker-compatible API (podman system service), plus
#                     tests/integration/test_podman.c driven with the podman CLI
#   test-proxy        through HAProxy running contrib/docker-socket-proxy.cfg
#                     (GETs of five paths only), plus tests/integration/test_proxy.c
#   test-docker26     Docker 26.1 (API 1.45) in a container on the host dockerd
# make engines-stop   stops the Podman service, the proxy and the Docker 26 container
#
# Each installs what it needs (podman, haproxy, debootstrap) and starts or reuses
# its engine. The suites run per engine are those that talk to the engine: daemon,
# docker_client, dryrun. Not run per engine, because what they test does not
# depend on it: etcd, etcd2, etcd_batch, etcd_cluster, etcd_tls, etcd_auth, skydns,
# consul_agent, consul_modes, multi (registry backends: the engine only feeds them
# the same services), hostile (a fake Docker of its own), library (the build and
# the public header). Tests that need a fact one engine lacks skip there and say why.
ENGINES_STATE := $(or $(RG_TEST_STATE),/tmp/registrator-test)
PODMAN_SOCK ?= $(ENGINES_STATE)/podman/podman.sock
PROXY_SOCK ?= $(ENGINES_STATE)/haproxy/docker.sock
D26_DIR ?= /tmp/d26
ENGINE_SUITES := daemon|docker_client|dryrun
ENGINES_RUN := tests/engines/run.sh

.PHONY: test-engines test-podman test-proxy test-docker26 engines-build engines-stop
test-engines: test-podman test-proxy test-docker26
	@echo "engines: not run per engine (the same whatever the engine; run once by make test):" \
	  "etcd*, skydns, consul*, multi (registry backends), hostile (its own fake Docker), library (the build)"

engines-build: servers
	$(MAKE) BUILD=build all build/integration-tests

test-podman: engines-build
	PODMAN_SOCK=$(PODMAN_SOCK) tests/engines/podman.sh start
	DOCKER_HOST=unix://$(PODMAN_SOCK) RG_IT_API=1.41 \
	  $(ENGINES_RUN) podman '@($(ENGINE_SUITES)|podman)/!(reconnects*)' $(TEST_JOBS)
	# alone: it restarts the Podman service under the others' feet
	DOCKER_HOST=unix://$(PODMAN_SOCK) $(ENGINES_RUN) podman 'podman/reconnects*' 1

# The daemon and the library talk to the proxy; the docker CLI of the tests
# (tests/engines/cli/docker) makes containers on the engine behind it.
test-proxy: engines-build
	PROXY_SOCK=$(PROXY_SOCK) tests/engines/haproxy.sh start
	$(ENGINES_RUN) proxy-suite 'proxy/*' $(TEST_JOBS)
	DOCKER_HOST=unix://$(PROXY_SOCK) RG_CLI_DOCKER_HOST=unix:///var/run/docker.sock \
	  RG_REAL_DOCKER=$$(command -v docker) PATH=$(CURDIR)/tests/engines/cli:$$PATH \
	  $(ENGINES_RUN) haproxy '@($(ENGINE_SUITES))/*' $(TEST_JOBS)

test-docker26: engines-build
	D26_DIR=$(D26_DIR) tests/engines/docker26.sh start
	DOCKER_HOST=unix://$(D26_DIR)/docker.sock RG_IT_API=1.45 \
	  $(ENGINES_RUN) docker26 '@($(ENGINE_SUITES))/*' $(TEST_JOBS)

engines-stop:
	PODMAN_SOCK=$(PODMAN_SOCK) tests/engines/podman.sh stop
	PROXY_SOCK=$(PROXY_SOCK) tests/engines/haproxy.sh stop
	D26_DIR=$(D26_DIR) tests/engines/docker26.sh stop
