/* test_inspect.c - docker/inspect.c on documents recorded from dockerd
 * (tests/fixtures/inspect, made by tests/fixtures/record-inspect.sh) and on
 * hostile variants of them. */
#include <stdio.h>
#include <string.h>

#include "docker/container.h"
#include "tests/unit/model_util.h"
#include "tests/unit/rg_test.h"

RG_SUITE(inspect);

static struct rg_container *parse_fixture(const char *name) {
  struct rg_container *c = load(name); /* model_util.c: asserts the parse */
  cr_assert_not_null(c);
  return c;
}

/* rg_container_parse on a NUL-terminated document; err gets the message. */
static int parse_text(const char *doc, char *err) {
  struct rg_container *c = (struct rg_container *)1;
  int rc = rg_container_parse(doc, strlen(doc), &c, err);
  if (rc != RG_OK) cr_assert_null(c, "nothing is half-returned");
  rg_container_free(rc == RG_OK ? c : NULL);
  return rc;
}

/* The fixture text with the first `from` replaced by `to` (malloc()ed). */
static char *fixture_with(const char *name, const char *from, const char *to) {
  char path[128];
  snprintf(path, sizeof path, "inspect/%s.json", name);
  char *doc = rg_test_fixture(path, NULL);
  char *at = strstr(doc, from);
  cr_assert_not_null(at, "%s does not contain %s", name, from);
  struct rg_buf b = {0};
  cr_assert_eq(rg_buf_append(&b, doc, (size_t)(at - doc)), RG_OK);
  cr_assert_eq(rg_buf_append(&b, to, strlen(to)), RG_OK);
  cr_assert_eq(rg_buf_append(&b, at + strlen(from), strlen(at + strlen(from))), RG_OK);
  free(doc);
  return b.data;
}

/* Asserts that the variant fails with code and a message containing word. */
static void expect_error(const char *doc, int code, const char *word) {
  char err[RG_ERRBUF] = "";
  int rc = parse_text(doc, err);
  cr_assert_eq(rc, code, "got %d (%s), want %d", rc, err, code);
  cr_assert_not_null(strstr(err, word), "message \"%s\" does not name \"%s\"", err, word);
}

static void expect_fixture_error(const char *name, const char *from, const char *to, int code,
                                 const char *word) {
  char *doc = fixture_with(name, from, to);
  expect_error(doc, code, word);
  free(doc);
}

#define MINIMAL(config, rest) \
  "{\"Id\":\"abc\",\"Name\":\"/n\",\"Config\":" config ",\"State\":{\"Running\":true}" rest "}"

Test(inspect, every_recorded_fixture_parses) {
  static const char *const names[] = {"published-single",
                                      "published-dual",
                                      "multi-port",
                                      "udp",
                                      "tcp-udp",
                                      "exposed-only",
                                      "metadata",
                                      "ignore-port",
                                      "ignore-all",
                                      "ignore-false",
                                      "host",
                                      "none",
                                      "container-peer",
                                      "container-mode",
                                      "two-networks",
                                      "bridge-plus",
                                      "ipv6",
                                      "ipv6-binding",
                                      "image-registry",
                                      "image-registry2",
                                      "stopped",
                                      "health"};
  for (size_t i = 0; i < RG_ARRAY_LEN(names); i++) {
    struct rg_container *c = parse_fixture(names[i]);
    cr_assert_eq(strlen(c->id), 64, "%s", names[i]);
    cr_assert_eq(strncmp(c->name, "rgt-fix-", 8), 0, "%s", names[i]);
    rg_container_free(c);
  }
}

Test(inspect, published_port_has_its_binding_and_the_basic_fields) {
  struct rg_container *c = parse_fixture("published-single");
  cr_assert_str_eq(c->id, "18a978b28cdf76b0bdc017b3dcda0ced07cda1cd4c9483764304a0f6425b6995");
  cr_assert_str_eq(c->name, "rgt-fix-published-single");
  cr_assert_str_eq(c->image, "local/busybox");
  cr_assert_str_eq(c->hostname, "18a978b28cdf");
  cr_assert_str_eq(c->network_mode, "default");
  cr_assert_str_eq(c->ip, "172.17.0.2");
  cr_assert(c->running);
  cr_assert_eq(c->exit_code, 0);
  cr_assert_null(c->health);
  cr_assert_eq(c->nports, 1);
  cr_assert_str_eq(c->ports[0].port, "80");
  cr_assert_str_eq(c->ports[0].proto, "tcp");
  cr_assert_eq(c->ports[0].nbindings, 1);
  cr_assert_str_eq(c->ports[0].bindings[0].host_ip, "127.0.0.1");
  cr_assert_str_eq(c->ports[0].bindings[0].host_port, "38080");
  cr_assert_eq(c->nnetworks, 1);
  cr_assert_str_eq(c->networks[0].name, "bridge");
  cr_assert_str_eq(c->networks[0].ip, "172.17.0.2");
  cr_assert_str_eq(c->networks[0].ip6, "");
  cr_assert_eq(c->labels.n, 0);
  rg_container_free(c);
}

Test(inspect, wildcard_publish_lists_ipv4_and_ipv6_bindings) {
  struct rg_container *c = parse_fixture("published-dual");
  cr_assert_eq(c->ports[0].nbindings, 2);
  cr_assert_str_eq(c->ports[0].bindings[0].host_ip, "0.0.0.0");
  cr_assert_str_eq(c->ports[0].bindings[1].host_ip, "::");
  cr_assert_str_eq(c->ports[0].bindings[1].host_port, "38081");
  rg_container_free(c);
}

Test(inspect, ports_are_the_union_sorted_by_number_then_protocol) {
  struct rg_container *c = parse_fixture("multi-port");
  cr_assert_eq(c->nports, 3); /* the document lists "443/tcp" before "80/tcp" */
  cr_assert_str_eq(c->ports[0].port, "80");
  cr_assert_str_eq(c->ports[1].port, "443");
  cr_assert_str_eq(c->ports[2].port, "9000");
  cr_assert_str_eq(c->ports[0].bindings[0].host_port, "38082");
  cr_assert_eq(c->ports[2].nbindings, 0, "9000 is exposed only (null)");
  rg_container_free(c);
  c = parse_fixture("tcp-udp");
  cr_assert_eq(c->nports, 2);
  cr_assert_str_eq(c->ports[0].proto, "tcp");
  cr_assert_str_eq(c->ports[1].proto, "udp");
  cr_assert_str_eq(c->ports[1].bindings[0].host_port, "38085");
  rg_container_free(c);
}

Test(inspect, exposed_only_port_has_no_bindings) {
  struct rg_container *c = parse_fixture("exposed-only");
  cr_assert_eq(c->nports, 1);
  cr_assert_str_eq(c->ports[0].port, "9000");
  cr_assert_eq(c->ports[0].nbindings, 0);
  rg_container_free(c);
}

Test(inspect, env_is_split_at_the_first_equals_and_labels_kept) {
  struct rg_container *c = parse_fixture("metadata");
  cr_assert_str_eq(rg_kvlist_get(&c->env, "SERVICE_80_TAGS"), "a\\,b, c ,a");
  cr_assert_str_eq(rg_kvlist_get(&c->env, "SERVICE_EMPTY"), "");
  cr_assert_str_eq(rg_kvlist_get(&c->env, "service_lower"), "nope");
  cr_assert_eq(c->labels.n, 9);
  cr_assert_str_eq(rg_kvlist_get(&c->labels, "SERVICE_443_ID"), "shop-tls-1");
  cr_assert_str_eq(rg_kvlist_get(&c->labels, "SERVICE_Version"), "2");
  rg_container_free(c);
}

Test(inspect, env_item_without_equals_gets_an_empty_value) {
  char err[RG_ERRBUF] = "";
  struct rg_container *c = NULL;
  const char *doc = MINIMAL("{\"Env\":[\"LONELY\",\"A=b=c\",\"=x\"]}", "");
  cr_assert_eq(rg_container_parse(doc, strlen(doc), &c, err), RG_OK, "%s", err);
  cr_assert_eq(c->env.n, 3);
  cr_assert_str_eq(c->env.items[0].key, "LONELY");
  cr_assert_str_eq(c->env.items[0].value, "");
  cr_assert_str_eq(c->env.items[1].value, "b=c");
  cr_assert_str_eq(c->env.items[2].key, "");
  rg_container_free(c);
}

Test(inspect, host_mode_has_exposed_ports_and_no_bindings) {
  struct rg_container *c = parse_fixture("host");
  cr_assert_str_eq(c->network_mode, "host");
  cr_assert_eq(c->nports, 2);
  cr_assert_str_eq(c->ports[0].port, "38093");
  cr_assert_str_eq(c->ports[1].port, "38094");
  cr_assert_str_eq(c->ports[1].proto, "udp");
  cr_assert_eq(c->ports[0].nbindings + c->ports[1].nbindings, 0);
  cr_assert_str_eq(c->ip, "");
  rg_container_free(c);
}

Test(inspect, container_mode_has_no_networks) {
  struct rg_container *c = parse_fixture("container-mode");
  cr_assert_str_eq(c->network_mode,
                   "container:31c7088a1507338cadf7d6b92ae250368f29b09c89d9644bf3d2a4511369b463");
  cr_assert_eq(c->nnetworks, 0);
  cr_assert_eq(c->nports, 1);
  cr_assert_str_eq(c->ports[0].port, "9100");
  rg_container_free(c);
  char *doc = fixture_with("container-mode", "\"Networks\": {}", "\"Networks\": null");
  cr_assert_eq(parse_text(doc, NULL), RG_OK, "Networks null reads as none");
  free(doc);
}

Test(inspect, networks_are_sorted_by_name) {
  struct rg_container *c = parse_fixture("two-networks");
  cr_assert_str_eq(c->network_mode, "rgt-fix-net-b");
  cr_assert_eq(c->nnetworks, 2);
  cr_assert_str_eq(c->networks[0].name, "rgt-fix-net-a");
  cr_assert_str_eq(c->networks[0].ip, "172.19.0.2");
  cr_assert_str_eq(c->networks[1].name, "rgt-fix-net-b");
  cr_assert_str_eq(c->networks[1].ip, "172.18.0.2");
  cr_assert_str_eq(c->ip, "", "no top-level address outside the default bridge");
  rg_container_free(c);
}

Test(inspect, ipv6_network_has_a_global_ipv6_address) {
  struct rg_container *c = parse_fixture("ipv6");
  cr_assert_str_eq(c->networks[0].ip, "172.20.0.2");
  cr_assert_str_eq(c->networks[0].ip6, "fd00:5eed:1::2");
  rg_container_free(c);
  c = parse_fixture("ipv6-binding");
  cr_assert_eq(c->ports[0].nbindings, 1);
  cr_assert_str_eq(c->ports[0].bindings[0].host_ip, "::1");
  rg_container_free(c);
}

Test(inspect, stopped_container_is_not_running_and_keeps_its_exit_code) {
  struct rg_container *c = parse_fixture("stopped");
  cr_assert_not(c->running);
  cr_assert_eq(c->exit_code, 3);
  cr_assert_eq(c->nports, 1);
  cr_assert_eq(c->ports[0].nbindings, 0);
  rg_container_free(c);
}

Test(inspect, health_status_is_read_when_there_is_a_healthcheck) {
  struct rg_container *c = parse_fixture("health");
  cr_assert_str_eq(c->health, "healthy");
  rg_container_free(c);
}

Test(inspect, image_keeps_registry_path_and_tag) {
  struct rg_container *c = parse_fixture("image-registry");
  cr_assert_str_eq(c->image, "localhost:5000/team/app:1.0");
  rg_container_free(c);
}

Test(inspect, missing_network_mode_reads_as_default) {
  struct rg_container *c = NULL;
  const char *doc = MINIMAL("{}", "");
  cr_assert_eq(rg_container_parse(doc, strlen(doc), &c, NULL), RG_OK);
  cr_assert_str_eq(c->network_mode, "default");
  cr_assert_str_eq(c->image, "");
  cr_assert_str_eq(c->ip, "");
  cr_assert_eq(c->nports + c->nnetworks + c->env.n + c->labels.n, 0);
  rg_container_free(c);
}

Test(inspect, exposed_and_published_keys_merge_into_one_port) {
  struct rg_container *c = NULL;
  const char *doc = MINIMAL("{\"ExposedPorts\":{\"80/tcp\":{},\"8/udp\":{}}}",
                            ",\"NetworkSettings\":{\"Ports\":{\"80/tcp\":[{\"HostIp\":\"\","
                            "\"HostPort\":\"1\"}],\"8/tcp\":null}}");
  cr_assert_eq(rg_container_parse(doc, strlen(doc), &c, NULL), RG_OK);
  cr_assert_eq(c->nports, 3);
  cr_assert_str_eq(c->ports[0].port, "8");
  cr_assert_str_eq(c->ports[0].proto, "tcp");
  cr_assert_str_eq(c->ports[1].proto, "udp");
  cr_assert_str_eq(c->ports[2].port, "80");
  cr_assert_eq(c->ports[2].nbindings, 1);
  cr_assert_str_eq(c->ports[2].bindings[0].host_port, "1");
  rg_container_free(c);
}

Test(inspect, wrong_types_are_errors_naming_the_field) {
  expect_fixture_error("published-single", "\"Labels\": {}", "\"Labels\": []", RG_EPROTO,
                       "Config.Labels");
  expect_fixture_error("metadata", "\"SERVICE_NAME\": \"shop\"", "\"SERVICE_NAME\": 1", RG_EPROTO,
                       "Config.Labels[\"SERVICE_NAME\"]");
  expect_fixture_error("published-single", "\"Ports\": {", "\"Ports\": {\"81/tcp\": \"x\",",
                       RG_EPROTO, "NetworkSettings.Ports[\"81/tcp\"]");
  expect_error(MINIMAL("{}", ",\"NetworkSettings\":{\"Ports\":{\"80/tcp\":[{\"HostIp\":127}]}}"),
               RG_EPROTO, "NetworkSettings.Ports[\"80/tcp\"][0].HostIp");
  expect_error(MINIMAL("{}", ",\"NetworkSettings\":{\"Ports\":{\"80/tcp\":[{\"HostPort\":[]}]}}"),
               RG_EPROTO, "NetworkSettings.Ports[\"80/tcp\"][0].HostPort");
  expect_fixture_error("published-single", "\"Running\": true", "\"Running\": \"yes\"", RG_EPROTO,
                       "State.Running");
  expect_fixture_error("published-single", "\"ExitCode\": 0", "\"ExitCode\": \"0\"", RG_EPROTO,
                       "State.ExitCode");
  expect_fixture_error("published-single", "\"ExitCode\": 0", "\"ExitCode\": 99999999999",
                       RG_EPROTO, "State.ExitCode");
  expect_fixture_error("published-single", "\"NetworkMode\": \"default\"", "\"NetworkMode\": {}",
                       RG_EPROTO, "HostConfig.NetworkMode");
  expect_fixture_error("published-single", "\"Image\": \"local/busybox\"", "\"Image\": []",
                       RG_EPROTO, "Config.Image");
  expect_fixture_error("published-single", "\"Networks\": {", "\"Networks\": {\"x\": 3,", RG_EPROTO,
                       "NetworkSettings.Networks[\"x\"]");
  expect_fixture_error("published-single", "\"IPAddress\": \"172.17.0.2\"", "\"IPAddress\": false",
                       RG_EPROTO, "IPAddress");
  expect_error(MINIMAL("{\"Env\":{}}", ""), RG_EPROTO, "Config.Env");
  expect_error(MINIMAL("{\"Env\":[\"A=b\",7]}", ""), RG_EPROTO, "Config.Env[1]");
  expect_error(MINIMAL("{\"ExposedPorts\":[\"80/tcp\"]}", ""), RG_EPROTO, "Config.ExposedPorts");
  expect_error(MINIMAL("{}", ",\"NetworkSettings\":{\"Ports\":{\"80/tcp\":[\"0.0.0.0\"]}}"),
               RG_EPROTO, "NetworkSettings.Ports[\"80/tcp\"][0]");
  expect_error(MINIMAL("{}", ",\"NetworkSettings\":[]"), RG_EPROTO, "NetworkSettings");
  expect_error(MINIMAL("[]", ""), RG_EPROTO, "Config");
  expect_error(MINIMAL("{}", ",\"HostConfig\":\"host\""), RG_EPROTO, "HostConfig");
  expect_error("{\"Id\":1,\"Name\":\"/n\"}", RG_EPROTO, "Id");
}

Test(inspect, missing_required_members_are_errors) {
  expect_error("{\"Name\":\"/n\",\"Config\":{},\"State\":{\"Running\":true}}", RG_EPROTO, "Id");
  expect_error("{\"Id\":\"\",\"Name\":\"/n\",\"Config\":{},\"State\":{\"Running\":true}}",
               RG_EPROTO, "Id");
  expect_error("{\"Id\":\"a\",\"Config\":{},\"State\":{\"Running\":true}}", RG_EPROTO, "Name");
  expect_error("{\"Id\":\"a\",\"Name\":\"/\",\"Config\":{},\"State\":{\"Running\":true}}",
               RG_EPROTO, "Name");
  expect_error("{\"Id\":\"a\",\"Name\":\"/n\",\"State\":{\"Running\":true}}", RG_EPROTO, "Config");
  expect_error("{\"Id\":\"a\",\"Name\":\"/n\",\"Config\":null,\"State\":{\"Running\":true}}",
               RG_EPROTO, "Config");
  expect_error("{\"Id\":\"a\",\"Name\":\"/n\",\"Config\":{}}", RG_EPROTO, "State");
  expect_error("{\"Id\":\"a\",\"Name\":\"/n\",\"Config\":{},\"State\":{}}", RG_EPROTO,
               "State.Running");
}

Test(inspect, null_and_empty_sections_read_as_empty) {
  struct rg_container *c = NULL;
  const char *doc = MINIMAL(
      "{\"Env\":null,\"Labels\":null,\"ExposedPorts\":null,\"Image\":null}",
      ",\"HostConfig\":null,\"NetworkSettings\":{\"Ports\":null,\"Networks\":{\"n\":null}}");
  cr_assert_eq(rg_container_parse(doc, strlen(doc), &c, NULL), RG_OK);
  cr_assert_eq(c->nports + c->env.n + c->labels.n, 0);
  cr_assert_eq(c->nnetworks, 1);
  cr_assert_str_eq(c->networks[0].ip, "");
  rg_container_free(c);
  char *text = fixture_with("health", "\"Health\": {", "\"Health\": null, \"Old\": {");
  cr_assert_eq(rg_container_parse(text, strlen(text), &c, NULL), RG_OK);
  cr_assert_null(c->health);
  rg_container_free(c);
  free(text);
}

Test(inspect, bad_port_keys_are_errors) {
  static const char *const bad[] = {"0/tcp",    "65536/tcp",  "80",    "80/",     "+80/tcp",
                                    "080/tcp",  "80/TCP",     "/tcp",  " 80/tcp", "8a/tcp",
                                    "80/tcp/x", "123456/tcp", "-1/udp"};
  for (size_t i = 0; i < RG_ARRAY_LEN(bad); i++) {
    struct rg_buf b = {0};
    cr_assert_eq(rg_buf_printf(&b, MINIMAL("{\"ExposedPorts\":{\"%s\":{}}}", ""), bad[i]), RG_OK);
    expect_error(b.data, RG_EPROTO, "Config.ExposedPorts");
    rg_buf_free(&b);
  }
  expect_error(MINIMAL("{}", ",\"NetworkSettings\":{\"Ports\":{\"99999/udp\":null}}"), RG_EPROTO,
               "NetworkSettings.Ports key \"99999/udp\"");
  char err[RG_ERRBUF];
  cr_assert_eq(parse_text(MINIMAL("{\"ExposedPorts\":{\"65535/sctp\":{},\"1/udp\":{}}}", ""), err),
               RG_OK, "%s", err);
}

Test(inspect, non_json_and_truncated_documents_are_errors) {
  expect_error("", RG_EPROTO, "not valid JSON");
  expect_error("hello", RG_EPROTO, "not valid JSON");
  expect_error("{\"Id\":", RG_EPROTO, "not valid JSON");
  expect_error("{} {}", RG_EPROTO, "not valid JSON");
  expect_error("[1,2]", RG_EPROTO, "not a JSON object");
  expect_error("\"Id\"", RG_EPROTO, "not a JSON object");
  expect_error("{\"Name\":\"\xff\xfe\"}", RG_EPROTO, "not valid JSON");
  size_t len = 0;
  char *doc = rg_test_fixture("inspect/metadata.json", &len);
  for (size_t cut = 0; cut + 2 < len; cut += 97) { /* every truncation fails cleanly */
    char err[RG_ERRBUF] = "";
    struct rg_container *c = NULL;
    cr_assert_eq(rg_container_parse(doc, cut, &c, err), RG_EPROTO, "cut at %zu", cut);
    cr_assert_null(c);
  }
  free(doc);
}

Test(inspect, nul_byte_inside_the_document_is_an_error) {
  const char doc[] = "{\"Id\":\"a\"}\0{}";
  struct rg_container *c = NULL;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_container_parse(doc, sizeof doc - 1, &c, err), RG_EPROTO);
  cr_assert_not_null(strstr(err, "NUL"));
}

Test(inspect, oversized_document_is_refused_before_parsing) {
  size_t len = RG_CONTAINER_MAX_BODY + 1;
  char *doc = malloc(len);
  cr_assert_not_null(doc);
  memset(doc, ' ', len);
  doc[0] = '{';
  doc[len - 1] = '}';
  struct rg_container *c = NULL;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_container_parse(doc, len, &c, err), RG_ETOOBIG);
  cr_assert_not_null(strstr(err, "exceeds"), "%s", err);
  cr_assert_null(c);
  free(doc);
}

Test(inspect, deep_nesting_is_refused) {
  struct rg_buf b = {0};
  const char *head = "{\"Id\":\"a\",\"x\":";
  cr_assert_eq(rg_buf_append(&b, head, strlen(head)), RG_OK);
  for (int i = 0; i < 100000; i++) cr_assert_eq(rg_buf_append(&b, "[", 1), RG_OK);
  for (int i = 0; i < 100000; i++) cr_assert_eq(rg_buf_append(&b, "]", 1), RG_OK);
  cr_assert_eq(rg_buf_append(&b, "}", 1), RG_OK);
  expect_error(b.data, RG_EPROTO, "nested");
  rg_buf_free(&b);
  /* brackets inside strings do not count */
  char err[RG_ERRBUF] = "";
  cr_assert_eq(parse_text(MINIMAL("{\"Image\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                                  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[\"}",
                                  ""),
                          err),
               RG_OK, "%s", err);
}

Test(inspect, too_many_labels_or_a_huge_label_are_refused) {
  struct rg_buf b = {0};
  cr_assert_eq(rg_buf_printf(&b,
                             "{\"Id\":\"a\",\"Name\":\"/n\",\"State\":{\"Running\":true},"
                             "\"Config\":{\"Labels\":{"),
               RG_OK);
  for (int i = 0; i <= RG_CONTAINER_MAX_ENTRIES; i++)
    cr_assert_eq(rg_buf_printf(&b, "%s\"l%d\":\"v\"", i ? "," : "", i), RG_OK);
  cr_assert_eq(rg_buf_printf(&b, "}}}"), RG_OK);
  expect_error(b.data, RG_ETOOBIG, "Config.Labels");
  rg_buf_free(&b);

  cr_assert_eq(rg_buf_printf(&b,
                             "{\"Id\":\"a\",\"Name\":\"/n\",\"State\":{\"Running\":true},"
                             "\"Config\":{\"Env\":[\"K="),
               RG_OK);
  for (int i = 0; i < RG_CONTAINER_MAX_ENTRY; i++) cr_assert_eq(rg_buf_append(&b, "v", 1), RG_OK);
  cr_assert_eq(rg_buf_printf(&b, "\"]}}"), RG_OK);
  expect_error(b.data, RG_ETOOBIG, "Config.Env[0]");
  rg_buf_free(&b);
}

Test(inspect, bad_arguments_are_refused) {
  struct rg_container *c = NULL;
  cr_assert_eq(rg_container_parse(NULL, 0, &c, NULL), RG_EINVAL);
  cr_assert_eq(rg_container_parse("{}", 2, NULL, NULL), RG_EINVAL);
  rg_container_free(NULL);
}

Test(inspect, document_need_not_be_nul_terminated) {
  size_t len = 0;
  char *doc = rg_test_fixture("inspect/udp.json", &len);
  char *copy = malloc(len);
  cr_assert_not_null(copy);
  memcpy(copy, doc, len); /* exactly len bytes: ASan catches a read past the end */
  struct rg_container *c = NULL;
  cr_assert_eq(rg_container_parse(copy, len, &c, NULL), RG_OK);
  cr_assert_str_eq(c->ports[0].proto, "udp");
  rg_container_free(c);
  free(copy);
  free(doc);
}
