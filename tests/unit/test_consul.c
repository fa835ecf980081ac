/* Consul adapter: request bodies byte for byte (consul_body.c, consul_check.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/consul.h"
#include "tests/unit/rg_test.h"

RG_SUITE(consul);

/* A service at 10.0.0.5:8080 with tags a,b; checks/attrs as "k=v" pairs. */
static void make(struct rg_service *s, const char *const *checks, const char *const *attrs) {
  memset(s, 0, sizeof *s);
  s->id = rg_strdup("h:web:80");
  s->name = rg_strdup("web");
  s->ip = rg_strdup("10.0.0.5");
  s->port = 8080;
  s->proto = rg_strdup("tcp");
  s->container_id = rg_strdup("0123456789abcdef0123");
  s->exposed_port = rg_strdup("80");
  rg_strlist_add(&s->tags, "a");
  rg_strlist_add(&s->tags, "b");
  for (const char *const *p = checks; p && *p; p += 2) rg_kvlist_add(&s->checks, p[0], p[1]);
  for (const char *const *p = attrs; p && *p; p += 2) rg_kvlist_add(&s->attrs, p[0], p[1]);
}

#define HEAD "{\"ID\":\"h:web:80\",\"Name\":\"web\",\"Tags\":[\"a\",\"b\"],\"Address\":\"10.0.0.5\",\"Port\":8080"

/* Builds the agent body of a service with these checks and compares. */
static void expect_agent(const char *const *checks, const char *const *attrs, int ttl, const char *want,
                         struct rg_consul_notes *notes_out) {
  struct rg_service s;
  struct rg_consul_notes notes = {0};
  struct rg_buf b = {0};
  make(&s, checks, attrs);
  cr_assert_eq(rg_consul_agent_body(&b, &s, ttl, &notes), RG_OK);
  cr_expect_str_eq(b.data, want);
  if (notes_out) *notes_out = notes;
  else rg_consul_notes_free(&notes);
  rg_buf_free(&b);
  rg_service_clear(&s);
}

Test(consul, agent_body_without_checks_has_only_the_service_fields) {
  expect_agent(NULL, NULL, 0, HEAD "}", NULL);
}

Test(consul, http_check_gets_the_service_address_and_the_default_interval) {
  const char *c[] = {"check_http", "/health", NULL};
  expect_agent(c, NULL, 0, HEAD ",\"Check\":{\"HTTP\":\"http://10.0.0.5:8080/health\",\"Interval\":\"10s\"}}", NULL);
}

Test(consul, http_check_carries_every_option) {
  const char *c[] = {"check_deregister_after", "90m", "check_header", "X-A: 1; X-B: two; X-A: 3",
                     "check_http", "health", "check_http_method", "HEAD", "check_initial_status", "warning",
                     "check_interval", "15", "check_timeout", "2s", "check_tls_skip_verify", "true", NULL};
  expect_agent(c, NULL, 0,
               HEAD ",\"Check\":{\"HTTP\":\"http://10.0.0.5:8080/health\",\"Method\":\"HEAD\","
                    "\"Header\":{\"X-A\":[\"1\",\"3\"],\"X-B\":[\"two\"]},\"TLSSkipVerify\":true,"
                    "\"Interval\":\"15s\",\"Timeout\":\"2s\",\"Status\":\"warning\","
                    "\"DeregisterCriticalServiceAfter\":\"90m\"}}",
               NULL);
}

Test(consul, https_check_uses_its_own_method_key_and_json_headers) {
  const char *c[] = {"check_header", "{\"Authorization\":[\"Bearer x\"],\"X-Y\":\"z\"}", "check_https", "/ok",
                     "check_https_method", "POST", "check_method", "GET", "check_tls_skip_verify", "1", NULL};
  expect_agent(c, NULL, 0,
               HEAD ",\"Check\":{\"HTTP\":\"https://10.0.0.5:8080/ok\",\"Method\":\"POST\","
                    "\"Header\":{\"Authorization\":[\"Bearer x\"],\"X-Y\":[\"z\"]},\"TLSSkipVerify\":true,"
                    "\"Interval\":\"10s\"}}",
               NULL);
}

Test(consul, a_bad_header_is_skipped_and_reported_but_the_check_stays) {
  const char *c[] = {"check_header", "no colon here", "check_http", "/h", NULL};
  struct rg_consul_notes n;
  expect_agent(c, NULL, 0, HEAD ",\"Check\":{\"HTTP\":\"http://10.0.0.5:8080/h\",\"Interval\":\"10s\"}}", &n);
  cr_expect_not_null(rg_kvlist_get(&n.skipped, "check_header"));
  rg_consul_notes_free(&n);
}

/* A label read as JSON goes through the base guard: nested 400,000 deep
 * (a label may be that big) it is skipped and reported, never parsed; the
 * check itself stays. */
Test(consul, a_deeply_nested_json_header_label_is_refused_not_parsed) {
  for (int big = 0; big <= 1; big++) {
    size_t half = big ? 400000 : 1000;
    char *deep = malloc(2 * half + 8);
    cr_assert_not_null(deep);
    deep[0] = '{';
    memcpy(deep + 1, "\"a\":", 4);
    memset(deep + 5, '[', half);
    memset(deep + 5 + half, ']', half);
    memcpy(deep + 5 + 2 * half, "}", 2);
    const char *c[] = {"check_header", deep, "check_http", "/h", NULL};
    struct rg_consul_notes n;
    expect_agent(c, NULL, 0, HEAD ",\"Check\":{\"HTTP\":\"http://10.0.0.5:8080/h\",\"Interval\":\"10s\"}}", &n);
    cr_expect_str_eq(rg_kvlist_get(&n.skipped, "check_header"),
                     big ? "is a JSON document over 64 KiB" : "is JSON nested deeper than 64 levels");
    rg_consul_notes_free(&n);
    free(deep);
  }
}

Test(consul, tcp_check_and_its_timeout) {
  const char *c[] = {"check_tcp", "true", "check_timeout", "3s", NULL};
  expect_agent(c, NULL, 0, HEAD ",\"Check\":{\"TCP\":\"10.0.0.5:8080\",\"Interval\":\"10s\",\"Timeout\":\"3s\"}}",
               NULL);
}

Test(consul, tcp_false_means_no_check) {
  const char *c[] = {"check_tcp", "false", NULL};
  expect_agent(c, NULL, 0, HEAD "}", NULL);
}

Test(consul, ttl_check_starts_passing_and_is_marked_for_heartbeats) {
  const char *c[] = {"check_ttl", "30s", NULL};
  struct rg_consul_notes n;
  expect_agent(c, NULL, 0, HEAD ",\"Check\":{\"TTL\":\"30s\",\"Status\":\"passing\"}}", &n);
  cr_expect(n.ttl_check);
  cr_expect(!n.auto_ttl);
  rg_consul_notes_free(&n);
}

Test(consul, ttl_check_keeps_an_explicit_initial_status) {
  const char *c[] = {"check_initial_status", "critical", "check_ttl", "20", NULL};
  expect_agent(c, NULL, 0, HEAD ",\"Check\":{\"TTL\":\"20s\",\"Status\":\"critical\"}}", NULL);
}

Test(consul, grpc_check_with_tls_and_skip_verify) {
  const char *c[] = {"check_grpc", "true", "check_grpc_use_tls", "true", "check_interval", "5s",
                     "check_tls_skip_verify", "true", NULL};
  expect_agent(c, NULL, 0,
               HEAD ",\"Check\":{\"GRPC\":\"10.0.0.5:8080\",\"TLSSkipVerify\":true,\"GRPCUseTLS\":true,"
                    "\"Interval\":\"5s\"}}",
               NULL);
}

Test(consul, grpc_check_names_a_grpc_service_and_skips_verify_only_with_tls) {
  const char *c[] = {"check_grpc", "health.v1", "check_tls_skip_verify", "true", NULL};
  expect_agent(c, NULL, 0, HEAD ",\"Check\":{\"GRPC\":\"10.0.0.5:8080/health.v1\",\"Interval\":\"10s\"}}", NULL);
}

Test(consul, script_check_is_split_with_placeholders_substituted) {
  const char *c[] = {"check_script", "check.sh --host $SERVICE_IP --port=${SERVICE_PORT} 'two words'", NULL};
  expect_agent(c, NULL, 0,
               HEAD ",\"Check\":{\"Args\":[\"check.sh\",\"--host\",\"10.0.0.5\",\"--port=8080\",\"two words\"],"
                    "\"Interval\":\"10s\"}}",
               NULL);
}

Test(consul, script_check_with_a_pipe_runs_under_sh) {
  const char *c[] = {"check_interval", "30s", "check_script", "nc $SERVICE_IP $SERVICE_PORT | grep OK", NULL};
  expect_agent(c, NULL, 0,
               HEAD ",\"Check\":{\"Args\":[\"/bin/sh\",\"-c\",\"nc 10.0.0.5 8080 | grep OK\"],"
                    "\"Interval\":\"30s\"}}",
               NULL);
}

Test(consul, cmd_check_follows_registrators_check_cmd_convention) {
  const char *c[] = {"check_cmd", "/bin/health", NULL};
  expect_agent(c, NULL, 0,
               HEAD ",\"Check\":{\"Args\":[\"check-cmd\",\"0123456789ab\",\"80\",\"/bin/health\"],"
                    "\"Interval\":\"10s\"}}",
               NULL);
}

Test(consul, one_check_per_service_in_registrators_order) {
  const char *c[] = {"check_http", "/h", "check_tcp", "true", "check_ttl", "5s", NULL};
  struct rg_consul_notes n;
  expect_agent(c, NULL, 0, HEAD ",\"Check\":{\"HTTP\":\"http://10.0.0.5:8080/h\",\"Interval\":\"10s\"}}", &n);
  cr_expect_not_null(rg_kvlist_get(&n.skipped, "check_tcp"));
  cr_expect_not_null(rg_kvlist_get(&n.skipped, "check_ttl"));
  cr_expect(!n.ttl_check);
  rg_consul_notes_free(&n);
}

Test(consul, ttl_option_gives_a_service_without_a_check_a_reaping_ttl_check) {
  struct rg_consul_notes n;
  expect_agent(NULL, NULL, 5,
               HEAD ",\"Check\":{\"TTL\":\"5s\",\"Status\":\"passing\",\"DeregisterCriticalServiceAfter\":\"60s\"}}",
               &n);
  cr_expect(n.ttl_check && n.auto_ttl);
  rg_consul_notes_free(&n);
  expect_agent(NULL, NULL, 30,
               HEAD ",\"Check\":{\"TTL\":\"30s\",\"Status\":\"passing\",\"DeregisterCriticalServiceAfter\":\"90s\"}}",
               NULL);
}

Test(consul, ttl_option_leaves_a_users_check_alone) {
  const char *c[] = {"check_tcp", "yes", NULL};
  expect_agent(c, NULL, 5, HEAD ",\"Check\":{\"TCP\":\"10.0.0.5:8080\",\"Interval\":\"10s\"}}", NULL);
}

Test(consul, broken_script_is_reported_and_falls_back_to_the_ttl_check) {
  const char *c[] = {"check_script", "echo 'unterminated", NULL};
  struct rg_consul_notes n;
  expect_agent(c, NULL, 0, HEAD "}", &n);
  cr_expect_str_eq(rg_kvlist_get(&n.skipped, "check_script"), "unterminated quote");
  rg_consul_notes_free(&n);
  expect_agent(c, NULL, 7,
               HEAD ",\"Check\":{\"TTL\":\"7s\",\"Status\":\"passing\",\"DeregisterCriticalServiceAfter\":\"60s\"}}",
               NULL);
}

Test(consul, a_broken_check_gives_way_to_the_next_valid_kind) {
  const char *c[] = {"check_script", "\"open", "check_ttl", "9s", NULL};
  struct rg_consul_notes n;
  expect_agent(c, NULL, 0, HEAD ",\"Check\":{\"TTL\":\"9s\",\"Status\":\"passing\"}}", &n);
  cr_expect_eq(n.skipped.n, 1);
  cr_expect_str_eq(rg_kvlist_get(&n.skipped, "check_script"), "unterminated quote");
  rg_consul_notes_free(&n);
}

Test(consul, ipv6_addresses_are_bracketed_in_check_targets) {
  struct rg_service s;
  struct rg_consul_notes n = {0};
  struct rg_buf b = {0};
  const char *c[] = {"check_http", "/h", NULL};
  make(&s, c, NULL);
  free(s.ip);
  s.ip = rg_strdup("fd00::5");
  cr_assert_eq(rg_consul_agent_body(&b, &s, 0, &n), RG_OK);
  cr_expect(strstr(b.data, "\"Address\":\"fd00::5\"") != NULL);
  cr_expect(strstr(b.data, "\"HTTP\":\"http://[fd00::5]:8080/h\"") != NULL, "%s", b.data);
  rg_buf_free(&b);
  rg_consul_notes_free(&n);
  rg_service_clear(&s);
}

Test(consul, meta_keeps_valid_attrs_and_reports_the_rest) {
  const char *a[] = {"consul-x", "1", "enable_tag_override", "true", "good_key-1", "v", "has.dot", "x",
                     "region", "eu\"west", NULL};
  struct rg_consul_notes n;
  expect_agent(NULL, a, 0,
               HEAD ",\"Meta\":{\"good_key-1\":\"v\",\"region\":\"eu\\\"west\"},\"EnableTagOverride\":true}", &n);
  cr_expect_eq(n.skipped.n, 2);
  cr_expect_not_null(rg_kvlist_get(&n.skipped, "consul-x"));
  cr_expect_not_null(rg_kvlist_get(&n.skipped, "has.dot"));
  rg_consul_notes_free(&n);
}

Test(consul, enable_tag_override_false_is_not_sent) {
  const char *a[] = {"enable_tag_override", "false", NULL};
  expect_agent(NULL, a, 0, HEAD "}", NULL);
}

Test(consul, meta_stops_at_64_pairs_and_long_values) {
  struct rg_service s;
  struct rg_consul_notes n = {0};
  struct rg_buf b = {0};
  char long_value[514];
  memset(long_value, 'v', 513);
  long_value[513] = '\0';
  make(&s, NULL, NULL);
  rg_kvlist_add(&s.attrs, "a_long", long_value);
  for (int i = 0; i < 70; i++) {
    char k[16];
    snprintf(k, sizeof k, "k%02d", i);
    rg_kvlist_add(&s.attrs, k, "x");
  }
  cr_assert_eq(rg_consul_agent_body(&b, &s, 0, &n), RG_OK);
  cr_expect(strstr(b.data, "\"k63\":\"x\"") != NULL);
  cr_expect(strstr(b.data, "\"k64\"") == NULL);
  cr_expect(strstr(b.data, "a_long") == NULL);
  cr_expect_eq(n.skipped.n, 7);
  cr_expect_str_eq(rg_kvlist_get(&n.skipped, "a_long"), "Meta value longer than 512 characters");
  rg_buf_free(&b);
  rg_consul_notes_free(&n);
  rg_service_clear(&s);
}

Test(consul, meta_key_rules_match_consuls) {
  char k129[130];
  memset(k129, 'k', 129);
  k129[129] = '\0';
  cr_expect(rg_consul_meta_valid("A-z_0", "v", NULL));
  cr_expect(!rg_consul_meta_valid("", "v", NULL));
  cr_expect(!rg_consul_meta_valid(k129, "v", NULL));
  cr_expect(rg_consul_meta_valid(k129 + 1, "v", NULL));
  cr_expect(!rg_consul_meta_valid("consul-version", "v", NULL));
  cr_expect(!rg_consul_meta_valid("a b", "v", NULL));
}

Test(consul, invalid_utf8_fails_the_body_instead_of_shifting_fields) {
  struct rg_service s;
  struct rg_consul_notes n = {0};
  struct rg_buf b = {0};
  make(&s, NULL, NULL);
  rg_strlist_add(&s.tags, "bad\xff");
  cr_expect_eq(rg_consul_agent_body(&b, &s, 0, &n), RG_EINVAL);
  rg_buf_free(&b);
  rg_consul_notes_free(&n);
  rg_service_clear(&s);
}

Test(consul, catalog_body_names_the_node_and_skips_node_updates) {
  struct rg_service s;
  struct rg_consul_notes n = {0};
  struct rg_buf b = {0};
  const char *c[] = {"check_http", "/h", NULL};
  const char *a[] = {"region", "eu", NULL};
  make(&s, c, a);
  cr_assert_eq(rg_consul_catalog_body(&b, "node1", &s, &n), RG_OK);
  cr_expect_str_eq(b.data, "{\"Node\":\"node1\",\"Address\":\"10.0.0.5\",\"Service\":{\"ID\":\"h:web:80\","
                           "\"Service\":\"web\",\"Tags\":[\"a\",\"b\"],\"Address\":\"10.0.0.5\",\"Port\":8080,"
                           "\"Meta\":{\"region\":\"eu\"}},\"SkipNodeUpdate\":true}");
  cr_expect_not_null(rg_kvlist_get(&n.skipped, "check_http"));
  rg_buf_reset(&b);
  cr_assert_eq(rg_consul_catalog_deregister_body(&b, "node1", "h:web:80"), RG_OK);
  cr_expect_str_eq(b.data, "{\"Node\":\"node1\",\"ServiceID\":\"h:web:80\"}");
  rg_buf_free(&b);
  rg_consul_notes_free(&n);
  rg_service_clear(&s);
}

Test(consul, catalog_body_carries_enable_tag_override_inside_the_service) {
  struct rg_service s;
  struct rg_consul_notes n = {0};
  struct rg_buf b = {0};
  const char *a[] = {"enable_tag_override", "True", NULL}; /* a word of Go's strconv.ParseBool */
  make(&s, NULL, a);
  cr_assert_eq(rg_consul_catalog_body(&b, "n", &s, &n), RG_OK);
  cr_expect_str_eq(b.data, "{\"Node\":\"n\",\"Address\":\"10.0.0.5\",\"Service\":{\"ID\":\"h:web:80\","
                           "\"Service\":\"web\",\"Tags\":[\"a\",\"b\"],\"Address\":\"10.0.0.5\",\"Port\":8080,"
                           "\"EnableTagOverride\":true},\"SkipNodeUpdate\":true}");
  cr_expect_eq(n.skipped.n, 0);
  rg_buf_free(&b);
  rg_consul_notes_free(&n);
  rg_service_clear(&s);
}
