/* test_swarm.c - swarm mode on the Docker side (docker/swarm.c): the
 * recorded /info and GET /services documents of a one-node swarm
 * (tests/fixtures/swarm/, tests/fixtures/record-swarm.sh), hostile variants,
 * and the requests against the fake server of fake_docker.h. */
#include <stdio.h>
#include <string.h>

#include "docker/internal.h"
#include "docker/swarm.h"
#include "tests/unit/fake_docker.h"
#include "tests/unit/rg_test.h"

RG_SUITE(swarm);

static struct rg_docker_swarm_services parse_fixture(const char *name) {
  size_t len = 0;
  char *doc = rg_test_fixture(name, &len);
  struct rg_docker_swarm_services l = {0};
  char err[RG_ERRBUF] = "";
  int rc = rg_docker_swarm_services_parse(doc, len, &l, err);
  free(doc);
  cr_assert_eq(rc, RG_OK, "%s: %s", name, err);
  return l;
}

static const struct rg_docker_swarm_service *by_name(const struct rg_docker_swarm_services *l,
                                                     const char *name) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->items[i].name, name) == 0) return &l->items[i];
  cr_assert_fail("no service %s", name);
  return NULL;
}

static void assert_port(const struct rg_docker_swarm_port *p, const char *proto, int target,
                        int published, bool ingress) {
  cr_assert_str_eq(p->proto, proto);
  cr_assert_eq(p->target, target);
  cr_assert_eq(p->published, published);
  cr_assert_eq(p->ingress, ingress);
}

Test(swarm, services_list_reads_names_labels_env_and_allocated_ports) {
  struct rg_docker_swarm_services l = parse_fixture("swarm/services.json");
  cr_assert_eq(l.n, 3);
  const struct rg_docker_swarm_service *web = by_name(&l, "h16-fix-web");
  cr_assert_str_eq(web->id, "pca4zs8s0ey8fag11n5yrei53");
  cr_assert_eq(web->labels.n, 3);
  cr_assert_str_eq(rg_kvlist_get(&web->labels, "SERVICE_TAGS"), "svc-tag");
  cr_assert_str_eq(rg_kvlist_get(&web->labels, "SERVICE_REGION"), "svc-region");
  cr_assert_eq(web->container_labels.n, 1);
  cr_assert_str_eq(rg_kvlist_get(&web->container_labels, "SERVICE_REGION"), "ctr-region");
  cr_assert_eq(web->env.n, 3);
  cr_assert_str_eq(web->env.items[0].key, "SERVICE_OWNER");
  cr_assert_str_eq(web->env.items[0].value, "env-owner");
  cr_assert_eq(web->nports, 3);
  assert_port(&web->ports[0], "tcp", 80, 32901, true);
  assert_port(&web->ports[1], "udp", 53, 32902, true);
  assert_port(&web->ports[2], "tcp", 8080, 32904, true); /* --publish-add */

  const struct rg_docker_swarm_service *host = by_name(&l, "h16-fix-host");
  cr_assert_eq(host->nports, 1);
  assert_port(&host->ports[0], "tcp", 80, 32903, false); /* mode=host */
  const struct rg_docker_swarm_service *quiet = by_name(&l, "h16-fix-quiet");
  cr_assert_eq(quiet->nports, 0);
  cr_assert_eq(quiet->labels.n, 0);
  cr_assert_eq(quiet->env.n, 0);
  rg_docker_swarm_services_free(&l);
  cr_assert_eq(l.n, 0);
  rg_docker_swarm_services_free(&l); /* twice is fine */
}

Test(swarm, a_stack_service_carries_its_deploy_labels) {
  struct rg_docker_swarm_services l = parse_fixture("swarm/services-stack.json");
  cr_assert_eq(l.n, 1);
  cr_assert_str_eq(l.items[0].name, "h16-fix-stack_app");
  cr_assert_str_eq(rg_kvlist_get(&l.items[0].labels, "SERVICE_TAGS"), "from-stack");
  cr_assert_str_eq(rg_kvlist_get(&l.items[0].labels, "com.docker.stack.namespace"), "h16-fix-stack");
  cr_assert_eq(l.items[0].nports, 1);
  assert_port(&l.items[0].ports[0], "tcp", 80, 32905, true);
  rg_docker_swarm_services_free(&l);
}

Test(swarm, one_service_inspect_is_not_a_list) {
  size_t len = 0;
  char *doc = rg_test_fixture("swarm/service-web.json", &len);
  struct rg_docker_swarm_services l = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_swarm_services_parse(doc, len, &l, err), RG_EPROTO);
  cr_assert(strstr(err, "not a JSON array"), "%s", err);
  free(doc);
}

Test(swarm, copies_are_deep) {
  struct rg_docker_swarm_services l = parse_fixture("swarm/services.json"), c = {0};
  cr_assert_eq(rg_docker_swarm_services_copy(&c, &l), RG_OK);
  rg_docker_swarm_services_free(&l);
  cr_assert_eq(c.n, 3);
  const struct rg_docker_swarm_service *web = by_name(&c, "h16-fix-web");
  assert_port(&web->ports[1], "udp", 53, 32902, true);
  cr_assert_str_eq(rg_kvlist_get(&web->labels, "SERVICE_OWNER"), "svc-owner");
  rg_docker_swarm_services_free(&c);
}

static void expect_bad(const char *doc, int code, const char *text) {
  struct rg_docker_swarm_services l = {0};
  char err[RG_ERRBUF] = "";
  int rc = rg_docker_swarm_services_parse(doc, strlen(doc), &l, err);
  cr_assert_eq(rc, code, "%s: rc %d (%s)", doc, rc, err);
  cr_assert(strstr(err, text), "%s: '%s' lacks '%s'", doc, err, text);
  cr_assert_eq(l.n, 0);
  cr_assert_null(l.items);
}

#define SVC(ports) "[{\"ID\":\"a\",\"Spec\":{\"Name\":\"n\"}},{\"ID\":\"b\",\"Spec\":{\"Name\":\"m\"},\"Endpoint\":{\"Ports\":" ports "}}]"

Test(swarm, hostile_services_documents_are_refused_naming_the_member) {
  expect_bad("{}", RG_EPROTO, "not a JSON array");
  expect_bad("[1]", RG_EPROTO, "[0] is not an object");
  expect_bad("[{\"Spec\":{\"Name\":\"n\"}}]", RG_EPROTO, "[0].ID is missing");
  expect_bad("[{\"ID\":\"\",\"Spec\":{\"Name\":\"n\"}}]", RG_EPROTO, "[0].ID is not a non-empty");
  expect_bad("[{\"ID\":\"a\"}]", RG_EPROTO, "[0].Spec.Name is missing");
  expect_bad("[{\"ID\":\"a\",\"Spec\":[]}]", RG_EPROTO, "[0].Spec is not an object");
  expect_bad("[{\"ID\":\"a\",\"Spec\":{\"Name\":\"n\",\"Labels\":{\"k\":1}}}]", RG_EPROTO,
             "[0].Spec.Labels[\"k\"] is not a string");
  expect_bad("[{\"ID\":\"a\",\"Spec\":{\"Name\":\"n\",\"TaskTemplate\":{\"ContainerSpec\":{\"Env\":[2]}}}}]",
             RG_EPROTO, "[0].Spec.TaskTemplate.ContainerSpec.Env[0] is not a string");
  expect_bad(SVC("{}"), RG_EPROTO, "[1].Endpoint.Ports is not an array");
  expect_bad(SVC("[7]"), RG_EPROTO, "[1].Endpoint.Ports[0] is not an object");
  expect_bad(SVC("[{\"TargetPort\":0}]"), RG_EPROTO, "[1].Endpoint.Ports[0].TargetPort is not a port");
  expect_bad(SVC("[{}]"), RG_EPROTO, "TargetPort is not a port");
  expect_bad(SVC("[{\"TargetPort\":80,\"PublishedPort\":65536}]"), RG_EPROTO, "PublishedPort is not a port");
  expect_bad(SVC("[{\"TargetPort\":80,\"PublishedPort\":\"80\"}]"), RG_EPROTO, "PublishedPort");
  expect_bad(SVC("[{\"TargetPort\":80,\"Protocol\":\"TCP\"}]"), RG_EPROTO, "Protocol is not a protocol");
  expect_bad(SVC("[{\"TargetPort\":80,\"PublishMode\":3}]"), RG_EPROTO, "PublishMode is not a string");
  expect_bad("[{\"ID\":\"a\"", RG_EPROTO, "not valid JSON");
  struct rg_buf deep = {0};
  for (int i = 0; i < 100; i++) rg_buf_append(&deep, "[", 1);
  expect_bad(deep.data, RG_EPROTO, "nested deeper than 64");
  rg_buf_free(&deep);
  struct rg_docker_swarm_services l = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_swarm_services_parse("[]\0x", 4, &l, err), RG_EPROTO);
  cr_assert(strstr(err, "NUL"), "%s", err);
}

Test(swarm, defaults_of_a_port_are_tcp_on_the_routing_mesh) {
  const char *doc = SVC("[{\"TargetPort\":80},{\"TargetPort\":81,\"PublishedPort\":8081,\"PublishMode\":\"host\",\"Protocol\":\"sctp\"}]");
  struct rg_docker_swarm_services l = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_swarm_services_parse(doc, strlen(doc), &l, err), RG_OK, "%s", err);
  cr_assert_eq(l.items[1].nports, 2);
  assert_port(&l.items[1].ports[0], "tcp", 80, 0, true);
  assert_port(&l.items[1].ports[1], "sctp", 81, 8081, false);
  rg_docker_swarm_services_free(&l);
}

/* ---- the role ---- */

Test(swarm, ping_header_values_name_the_role) {
  static const struct {
    const char *status;
    enum rg_docker_swarm_role role;
  } cases[] = {{"inactive", RG_DOCKER_SWARM_OFF},       {"pending", RG_DOCKER_SWARM_OFF},
               {"error", RG_DOCKER_SWARM_OFF},          {"locked", RG_DOCKER_SWARM_OFF},
               {"active/worker", RG_DOCKER_SWARM_WORKER}, {"active/manager", RG_DOCKER_SWARM_MANAGER}};
  for (size_t i = 0; i < RG_ARRAY_LEN(cases); i++) {
    enum rg_docker_swarm_role r = 99;
    cr_assert_eq(rg_docker_swarm_role_of_status(cases[i].status, &r), RG_OK);
    cr_assert_eq(r, cases[i].role, "%s", cases[i].status);
  }
  enum rg_docker_swarm_role r;
  cr_assert_eq(rg_docker_swarm_role_of_status("", &r), RG_EINVAL);
  cr_assert_eq(rg_docker_swarm_role_of_status("active", &r), RG_EINVAL);
  cr_assert_eq(rg_docker_swarm_role_of_status(NULL, &r), RG_EINVAL);
}

static enum rg_docker_swarm_role info_role(const char *doc, int want_rc) {
  enum rg_docker_swarm_role r = 99;
  char err[RG_ERRBUF] = "";
  int rc = rg_docker_swarm_info_parse(doc, strlen(doc), &r, err);
  cr_assert_eq(rc, want_rc, "%s: %s", doc, err);
  return r;
}

Test(swarm, info_tells_manager_worker_and_off) {
  size_t len = 0;
  char *doc = rg_test_fixture("swarm/info-manager.json", &len);
  cr_assert_eq(info_role(doc, RG_OK), RG_DOCKER_SWARM_MANAGER);
  free(doc);
  doc = rg_test_fixture("swarm/info-inactive.json", &len);
  cr_assert_eq(info_role(doc, RG_OK), RG_DOCKER_SWARM_OFF);
  free(doc);
  cr_assert_eq(info_role("{\"Swarm\":{\"LocalNodeState\":\"active\",\"ControlAvailable\":false}}", RG_OK),
               RG_DOCKER_SWARM_WORKER);
  cr_assert_eq(info_role("{\"Swarm\":{\"LocalNodeState\":\"locked\",\"ControlAvailable\":true}}", RG_OK),
               RG_DOCKER_SWARM_OFF);
  cr_assert_eq(info_role("{}", RG_OK), RG_DOCKER_SWARM_OFF);
  info_role("[]", RG_EPROTO);
  info_role("{\"Swarm\":1}", RG_EPROTO);
  info_role("{\"Swarm\":{\"LocalNodeState\":1}}", RG_EPROTO);
  info_role("{\"Swarm\":{\"ControlAvailable\":\"yes\"}}", RG_EPROTO);
}

/* ---- the requests ---- */

#define PING_SWARM(v) "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nSwarm: " v "\r\nContent-Length: 2\r\n\r\nOK"

Test(swarm, the_ping_header_answers_without_info) {
  struct route r[] = {{"/_ping", PING_SWARM("active/manager"), 0}}; /* /info would be a 404 */
  struct server s = serve(0, r, 1);
  struct rg_docker *d = open_ok(s.host);
  enum rg_docker_swarm_role role = RG_DOCKER_SWARM_OFF;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_swarm_role(d, &role, err), RG_OK, "%s", err);
  cr_assert_eq(role, RG_DOCKER_SWARM_MANAGER);
  cr_assert_str_eq(rg_docker_swarm_status(d), "active/manager");
  rg_docker_close(d);
  stop_server(&s);
}

Test(swarm, without_the_header_info_answers) {
  size_t len = 0;
  char *info = rg_test_fixture("swarm/info-inactive.json", &len);
  char *resp = http("200 OK", "application/json", info);
  struct route r[] = {{"/_ping", PING("1.41"), 0}, {"/v1.41/info", resp, 0}};
  struct server s = serve(0, r, 2);
  struct rg_docker *d = open_ok(s.host);
  enum rg_docker_swarm_role role = RG_DOCKER_SWARM_MANAGER;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_swarm_role(d, &role, err), RG_OK, "%s", err);
  cr_assert_eq(role, RG_DOCKER_SWARM_OFF);
  cr_assert_str_eq(rg_docker_swarm_status(d), "");
  rg_docker_close(d);
  stop_server(&s);
  free(resp);
  free(info);
}

/* GET /services against a server that answers status with body. */
static int list_from(const char *status, const char *body, struct rg_docker_swarm_services *l,
                     char *err) {
  char *resp = http(status, "application/json", body);
  struct route r[] = {{"/_ping", PING("1.41"), 0}, {"/v1.41/services", resp, 0}};
  struct server s = serve(0, r, 2);
  struct rg_docker *d = open_ok(s.host);
  int rc = rg_docker_swarm_services(d, l, err);
  rg_docker_close(d);
  stop_server(&s);
  free(resp);
  return rc;
}

Test(swarm, a_plain_engine_refuses_the_services_list_as_unsupported) {
  size_t len = 0;
  char *body = rg_test_fixture("swarm/services-inactive.txt", &len);
  struct rg_docker_swarm_services l = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(list_from("503 Service Unavailable", body, &l, err), RG_EUNSUPPORTED, "%s", err);
  cr_assert(strstr(err, "This node is not a swarm manager"), "%s", err);
  cr_assert(strstr(err, "(HTTP 503)"), "%s", err);
  cr_assert_eq(l.n, 0);
  free(body);
}

Test(swarm, a_manager_lists_its_services) {
  size_t len = 0;
  char *body = rg_test_fixture("swarm/services.json", &len);
  struct rg_docker_swarm_services l = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(list_from("200 OK", body, &l, err), RG_OK, "%s", err);
  cr_assert_eq(l.n, 3);
  rg_docker_swarm_services_free(&l);
  free(body);
}

Test(swarm, a_broken_services_answer_names_the_endpoint) {
  struct rg_docker_swarm_services l = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(list_from("200 OK", "[{\"ID\":7}]", &l, err), RG_EPROTO, "%s", err);
  cr_assert(strstr(err, "Docker at unix://"), "%s", err);
  cr_assert(strstr(err, "services: [0].ID"), "%s", err);
  cr_assert_eq(l.n, 0);
}

/* ---- Docker 26 (API 1.45), recorded in a Docker-in-Docker engine ---- */

/* A recorded response (LF line ends, as saved) back into HTTP's CRLF. */
static char *crlf(const char *text) {
  struct rg_buf b = {0};
  for (const char *p = text; *p; p++)
    cr_assert_eq(*p == '\n' ? rg_buf_append(&b, "\r\n", 2) : rg_buf_append(&b, p, 1), RG_OK);
  return b.data;
}

static enum rg_docker_swarm_role role_from_recorded_ping(const char *fixture) {
  char *text = rg_test_fixture(fixture, NULL);
  char *ping = crlf(text);
  struct route r[] = {{"/_ping", ping, 0}}; /* no /info: a request for it would fail */
  struct server s = serve(0, r, 1);
  struct rg_docker *d = open_ok(s.host);
  enum rg_docker_swarm_role role = 99;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_swarm_role(d, &role, err), RG_OK, "%s: %s", fixture, err);
  cr_assert_str_eq(rg_docker_api_version(d), "1.45");
  rg_docker_close(d);
  stop_server(&s);
  free(ping);
  free(text);
  return role;
}

Test(swarm, docker_26_says_its_role_in_the_ping_header) {
  cr_assert_eq(role_from_recorded_ping("swarm/docker26/ping-manager.txt"), RG_DOCKER_SWARM_MANAGER);
  cr_assert_eq(role_from_recorded_ping("swarm/docker26/ping-inactive.txt"), RG_DOCKER_SWARM_OFF);
}

Test(swarm, docker_26_lists_services_as_20_10_does) {
  struct rg_docker_swarm_services l = parse_fixture("swarm/docker26/services.json");
  cr_assert_eq(l.n, 3);
  const struct rg_docker_swarm_service *web = by_name(&l, "h16-fix-web");
  cr_assert_str_eq(web->id, "pr1yb0hh75i66s7dcs88x8a3f");
  cr_assert_eq(web->nports, 3);
  assert_port(&web->ports[0], "tcp", 80, 32901, true);
  assert_port(&web->ports[1], "udp", 53, 32902, true);
  assert_port(&web->ports[2], "tcp", 8080, 32904, true);
  cr_assert_eq(web->labels.n, 3);
  assert_port(&by_name(&l, "h16-fix-host")->ports[0], "tcp", 80, 32903, false);
  cr_assert_eq(by_name(&l, "h16-fix-quiet")->nports, 0); /* "Endpoint":{"Spec":{}} */
  rg_docker_swarm_services_free(&l);
  size_t len = 0;
  char *doc = rg_test_fixture("swarm/docker26/info-manager.json", &len);
  cr_assert_eq(info_role(doc, RG_OK), RG_DOCKER_SWARM_MANAGER);
  free(doc);
}
