/* test_engine_inspect.c - docker/inspect.c and the model on inspect documents
 * recorded from Docker 26.1 (API 1.45) and Podman 4.3 (tests/fixtures/inspect/
 * docker-26, podman-4.3; tests/fixtures/record-inspect.sh with the same
 * container names and host ports as the dockerd 20.10 set). The services of
 * each case must be the ones dockerd 20.10's document gives, except where an
 * engine differs on purpose: those cases are asserted on their own. */
#include <stdio.h>
#include <string.h>

#include "tests/unit/model_util.h"
#include "tests/unit/rg_test.h"

RG_SUITE(engine_inspect);

/* One line per service, with the container IP (which differs from engine to
 * engine) written as "<cip>" when it is the container's. */
static char *signature(const char *fixture, bool internal, const char *peer_fixture) {
  struct rg_container *c = load(fixture);
  struct rg_container *peer = peer_fixture ? load(peer_fixture) : NULL;
  struct rg_model_options opt = defaults();
  opt.internal = internal;
  struct rg_service_list l = model(c, peer, &opt);
  rg_service_list_sort(&l);
  struct rg_buf b = {0};
  for (size_t i = 0; i < l.n; i++) {
    const struct rg_service *s = &l.items[i];
    bool cip = internal && strcmp(s->ip, DEFAULT_IP) != 0;
    rg_buf_printf(&b, "%s|%s|%s|%d|%s|", s->id, s->name, cip ? "<cip>" : s->ip, s->port, s->proto);
    for (size_t t = 0; t < s->tags.n; t++) rg_buf_printf(&b, "%s,", s->tags.items[t]);
    for (size_t a = 0; a < s->attrs.n; a++)
      rg_buf_printf(&b, "|%s=%s", s->attrs.items[a].key, s->attrs.items[a].value);
    rg_buf_printf(&b, "\n");
  }
  done(&l);
  rg_container_free(c);
  rg_container_free(peer);
  return b.data ? b.data : calloc(1, 1);
}

/* Cases whose services are the same on every engine. */
static const char *const same[] = {
    "published-single", "published-dual", "multi-port",      "udp",
    "tcp-udp",          "exposed-only",   "metadata",        "ignore-port",
    "ignore-all",       "ignore-false",   "none",            "container-peer",
    "two-networks",     "bridge-plus",    "ipv6",            "image-registry",
    "image-registry2",  "created-explicit", "created-ephemeral", "stopped",
    "health",
};

static void expect_same(const char *engine, const char *c, bool internal) {
  char path[96];
  snprintf(path, sizeof path, "%s/%s", engine, c);
  char *want = signature(c, internal, NULL), *got = signature(path, internal, NULL);
  cr_expect_str_eq(got, want, "%s%s differs from dockerd 20.10's", path,
                   internal ? " (-internal)" : "");
  free(want);
  free(got);
}

Test(engine_inspect, docker_26_documents_give_the_services_of_docker_20_10) {
  for (size_t i = 0; i < RG_ARRAY_LEN(same); i++) {
    expect_same("docker-26", same[i], false);
    expect_same("docker-26", same[i], true);
  }
  expect_same("docker-26", "host", false);
  expect_same("docker-26", "container-mode", false);
  char *want = signature("container-mode", true, "container-peer");
  char *got = signature("docker-26/container-mode", true, "docker-26/container-peer");
  cr_expect_str_eq(got, want);
  free(want);
  free(got);
}

/* derived from Docker 26's by the API 1.52 changes (tests/fixtures/derive-api152.sh):
 * no top-level NetworkSettings.IPAddress and the like */
Test(engine_inspect, docker_29_shape_gives_the_services_of_docker_20_10) {
  for (size_t i = 0; i < RG_ARRAY_LEN(same); i++) {
    expect_same("docker-29", same[i], false);
    expect_same("docker-29", same[i], true);
  }
  expect_same("docker-29", "host", false);
}

Test(engine_inspect, podman_documents_give_the_services_of_docker_20_10) {
  for (size_t i = 0; i < RG_ARRAY_LEN(same); i++) {
    expect_same("podman-4.3", same[i], false);
    expect_same("podman-4.3", same[i], true);
  }
}
Test(engine_inspect, podman_shows_a_peers_bindings_in_a_container_mode_container) {
  struct rg_container *c = load("podman-4.3/container-mode");
  cr_assert(strncmp(c->network_mode, "container:", 10) == 0);
  cr_assert_eq(c->nports, 1, "the peer's 80/tcp, bound on the host");
  cr_assert_eq(c->ports[0].nbindings, 1);
  cr_assert_str_eq(c->ports[0].bindings[0].host_port, "38095");
  rg_container_free(c);
  /* they are the peer's to register: nothing without -internal, as on Docker */
  char *got = signature("podman-4.3/container-mode", false, NULL);
  cr_expect_str_eq(got, "");
  free(got);
  got = signature("podman-4.3/container-peer", false, NULL);
  cr_expect_str_eq(got, "host1:rgt-fix-peer:80|busybox|192.0.2.10|38095|tcp|\n");
  free(got);
  /* with -internal at the peer's address; Podman keeps no image EXPOSE here */
  got = signature("podman-4.3/container-mode", true, "podman-4.3/container-peer");
  cr_expect_str_eq(got, "host1:rgt-fix-sidecar:80|sidecar|<cip>|80|tcp|\n");
  free(got);
}

Test(engine_inspect, podman_drops_exposed_ports_in_host_network_mode) {
  struct rg_container *c = load("podman-4.3/host");
  cr_assert_str_eq(c->network_mode, "host");
  cr_expect_eq(c->nports, 0, "Podman 4.3 keeps no --expose with --net host");
  rg_container_free(c);
  char *got = signature("podman-4.3/host", false, NULL);
  cr_expect_str_eq(got, "");
  free(got);
}

/* "podman" is Podman's default network, as "bridge" is Docker's: it wins
 * over a user network that sorts first. */
Test(engine_inspect, the_podman_network_is_the_default_choice) {
  size_t len;
  char *doc = rg_test_fixture("inspect/podman-4.3/bridge-plus.json", &len);
  char *at = strstr(doc, "\"rgt-fix-net-a\": {");
  cr_assert_not_null(at);
  memcpy(at, "\"aaa-fix-net-a\"", strlen("\"aaa-fix-net-a\"")); /* now first by name */
  struct rg_container *c = NULL;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_container_parse(doc, len, &c, err), RG_OK, "%s", err);
  free(doc);
  const char *podman_ip = NULL, *other_ip = NULL;
  for (size_t i = 0; i < c->nnetworks; i++)
    *(strcmp(c->networks[i].name, "podman") == 0 ? &podman_ip : &other_ip) = c->networks[i].ip;
  cr_assert(podman_ip && other_ip && strcmp(podman_ip, other_ip) != 0);
  struct rg_model_options opt = defaults();
  opt.internal = true;
  struct rg_service_list l = model(c, NULL, &opt);
  cr_assert_eq(l.n, 1);
  cr_expect_str_eq(l.items[0].ip, podman_ip, "not the podman network's address");
  done(&l);
  rg_container_free(c);
}

Test(engine_inspect, podman_image_names_carry_the_registry_it_assumed) {
  struct rg_container *c = load("podman-4.3/published-single");
  cr_expect_str_eq(c->image, "localhost/local/busybox:latest");
  cr_expect_str_eq(c->name, "rgt-fix-published-single");
  rg_container_free(c);
  char *got = signature("podman-4.3/published-single", false, NULL);
  cr_expect(strstr(got, "|busybox|127.0.0.1|38080|tcp|"), "%s", got);
  free(got);
}
