/* test_skydns.c - SkyDNS keys, values and id-labels (adapters/skydns.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/skydns.h"
#include "tests/unit/rg_test.h"

RG_SUITE(skydns);

Test(skydns, base_reverses_domain_labels) {
  struct rg_buf b = {0};
  char err[RG_ERRBUF];
  cr_assert_eq(rg_skydns_base("/skydns.local", &b, err), RG_OK);
  cr_assert_str_eq(b.data, "/skydns/local/skydns");
  rg_buf_reset(&b);
  cr_assert_eq(rg_skydns_base("/production.East.skydns.local./", &b, err), RG_OK);
  cr_assert_str_eq(b.data, "/skydns/local/skydns/east/production");
  rg_buf_reset(&b);
  cr_assert_eq(rg_skydns_base("", &b, err), RG_EINVAL);
  cr_assert(strstr(err, "needs a domain") != NULL);
  rg_buf_reset(&b);
  cr_assert_eq(rg_skydns_base("/a..local", &b, err), RG_EINVAL);
  rg_buf_reset(&b);
  cr_assert_eq(rg_skydns_base("/a_b.local", &b, err), RG_EINVAL);
  cr_assert(strstr(err, "\"a_b\" is not a valid DNS label") != NULL, "%s", err);
  rg_buf_free(&b);
}

Test(skydns, key_and_value_bytes) {
  struct rg_buf b = {0};
  char label[64];
  rg_skydns_id_label("myhost:web1:80", label);
  cr_assert_eq(rg_skydns_key(&b, "/skydns/local/skydns", "Web", "myhost:web1:80"), RG_OK);
  char want[160];
  snprintf(want, sizeof want, "/skydns/local/skydns/web/%s", label);
  cr_assert_str_eq(b.data, want);
  cr_assert_eq(strncmp(label, "myhost-web1-80-", 15), 0, "%s", label);
  cr_assert_eq(strlen(label), 15 + 12);
  rg_buf_reset(&b);
  cr_assert_eq(rg_skydns_value(&b, "10.0.0.5", 8080, 30, "myhost:web1:80"), RG_OK);
  cr_assert_str_eq(b.data, "{\"host\":\"10.0.0.5\",\"port\":8080,\"ttl\":30,"
                           "\"registrator_id\":\"myhost:web1:80\"}");
  rg_buf_reset(&b);
  cr_assert_eq(rg_skydns_value(&b, "fd00::5", 53, 0, NULL), RG_OK);
  cr_assert_str_eq(b.data, "{\"host\":\"fd00::5\",\"port\":53,\"ttl\":0}");
  rg_buf_free(&b);
}

Test(skydns, listed_entries_are_ours_only_when_the_marker_matches_the_key) {
  char label[64], key[160];
  rg_skydns_id_label("h:web:80", label);
  snprintf(key, sizeof key, "/skydns/local/skydns/web/%s", label);
  const char *mine = "{\"host\":\"10.0.0.5\",\"port\":8080,\"ttl\":0,\"registrator_id\":\"h:web:80\"}";
  struct rg_service s;
  cr_assert_eq(rg_skydns_parse_entry("/skydns/local/skydns", key, mine, &s, NULL), RG_OK);
  cr_expect_str_eq(s.id, "h:web:80");
  cr_expect_str_eq(s.name, "web");
  cr_expect_str_eq(s.ip, "10.0.0.5");
  cr_expect_eq(s.port, 8080);
  rg_service_clear(&s);
  /* no marker, a marker of another key, deeper keys, garbage: not ours */
  cr_expect_eq(rg_skydns_parse_entry("/skydns/local/skydns", key, "{\"host\":\"1.2.3.4\",\"port\":1}", &s, NULL),
               RG_EINVAL);
  cr_expect_eq(rg_skydns_parse_entry("/skydns/local/skydns", "/skydns/local/skydns/web/other", mine, &s, NULL),
               RG_EINVAL);
  cr_expect_eq(rg_skydns_parse_entry("/skydns/local/skydns", "/skydns/local/skydns/a/web/x", mine, &s, NULL),
               RG_EINVAL);
  cr_expect_eq(rg_skydns_parse_entry("/skydns/local/skydns", key, "not json", &s, NULL), RG_EINVAL);
  cr_expect_eq(rg_skydns_parse_entry("/skydns/local/skydns", "/elsewhere/web/x", mine, &s, NULL), RG_EINVAL);
}

/* A value another host nested 400,000 levels deep: refused by the JSON
 * guard, naming its key, instead of a stack overflow in yajl_tree_free. */
Test(skydns, a_deep_value_is_refused_naming_its_key) {
  size_t half = 400000;
  char *deep = malloc(2 * half + 1);
  cr_assert_not_null(deep);
  memset(deep, '[', half);
  memset(deep + half, ']', half);
  deep[2 * half] = '\0';
  struct rg_service s;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_skydns_parse_entry("/skydns/local/skydns", "/skydns/local/skydns/web/x", deep, &s, err),
               RG_ETOOBIG);
  cr_assert_str_eq(err, "SkyDNS entry /skydns/local/skydns/web/x: JSON document of 800000 bytes exceeds the "
                        "limit of 65536");
  deep[20000] = '\0';
  memset(deep + 10000, ']', 10000);
  cr_assert_eq(rg_skydns_parse_entry("/skydns/local/skydns", "/skydns/local/skydns/web/x", deep, &s, err),
               RG_EPROTO);
  cr_assert_str_eq(err, "SkyDNS entry /skydns/local/skydns/web/x: JSON nested deeper than 64 levels");
  free(deep);
}

Test(skydns, id_label_of_a_known_id_is_fixed) {
  char label[64];
  rg_skydns_id_label("", label); /* FNV-1a 64 offset basis, low 48 bits */
  cr_assert_str_eq(label, "9ce484222325");
  rg_skydns_id_label("a", label); /* FNV-1a 64 of "a" = af63dc4c8601ec8c */
  cr_assert_str_eq(label, "a-dc4c8601ec8c", "%s", label);
}

Test(skydns, id_label_is_stable_and_unique) {
  char a[64], b[64];
  rg_skydns_id_label("host:web:80", a);
  rg_skydns_id_label("host:web:80", b);
  cr_assert_str_eq(a, b);
  const char *ids[] = {"host:web:80", "host.web.80", "host:web:80:udp", "HOST:web:80", "host-web-80",
                       "host:web:8080"};
  for (size_t i = 0; i < RG_ARRAY_LEN(ids); i++)
    for (size_t j = i + 1; j < RG_ARRAY_LEN(ids); j++) {
      rg_skydns_id_label(ids[i], a);
      rg_skydns_id_label(ids[j], b);
      cr_assert_str_neq(a, b, "%s and %s", ids[i], ids[j]);
    }
}

Test(skydns, id_label_is_a_valid_dns_label_for_hostile_ids) {
  char longid[600];
  memset(longid, 'x', sizeof longid - 1);
  longid[sizeof longid - 1] = '\0';
  char dashes[100];
  memset(dashes, ':', sizeof dashes - 1);
  dashes[sizeof dashes - 1] = '\0';
  char cut[80]; /* a '-' would fall exactly at the cut */
  memset(cut, 'a', sizeof cut - 1);
  cut[49] = ':';
  cut[sizeof cut - 1] = '\0';
  const char *ids[] = {"", "-", "---a---", "../../etc/passwd", "a\nb\x01", "\xff\xfe", "ÜBER:Straße:80",
                       "UPPER_case.ID:80", longid, dashes, cut, "0"};
  for (size_t i = 0; i < RG_ARRAY_LEN(ids); i++) {
    char label[64];
    rg_skydns_id_label(ids[i], label);
    cr_assert(rg_skydns_valid_label(label), "ids[%zu] -> \"%s\"", i, label);
    cr_assert_leq(strlen(label), 63);
  }
}

Test(skydns, names_are_lower_cased_and_must_be_dns_labels) {
  char out[64];
  cr_assert_eq(rg_skydns_name("Web-1", out), RG_OK);
  cr_assert_str_eq(out, "web-1");
  const char *bad[] = {"", "-web", "web-", "we_b", "we.b", "we b", "wéb",
                       "a234567890123456789012345678901234567890123456789012345678901234"};
  for (size_t i = 0; i < RG_ARRAY_LEN(bad); i++)
    cr_assert_eq(rg_skydns_name(bad[i], out), RG_EINVAL, "%s", bad[i]);
}

static char logged[512];
static void sink(void *ud, enum rg_log_level level, const char *msg) {
  (void)ud;
  (void)level;
  snprintf(logged, sizeof logged, "%s", msg);
}

Test(skydns, register_rejects_an_invalid_name_naming_the_container) {
  struct rg_log log = {.fn = sink, .min = RG_LOG_DEBUG};
  struct rg_adapter_config cfg = {.hostname = "h", .log = &log};
  struct rg_uri u = {0};
  char err[RG_ERRBUF];
  void *st = NULL;
  cr_assert_eq(rg_uri_parse("skydns://127.0.0.1:1/skydns.local", &u, err), RG_OK);
  cr_assert_eq(rg_adapter_skydns.open(&st, &u, &cfg, err), RG_OK, "%s", err);
  struct rg_service s = {.id = "h:c:80", .name = "my_app", .ip = "1.2.3.4", .port = 80, .container_name = "c"};
  cr_assert_eq(rg_adapter_skydns.register_service(st, &s, err), RG_EINVAL);
  cr_assert(strstr(err, "\"my_app\" is not a valid DNS label") != NULL, "%s", err);
  cr_assert(strstr(err, "container c") != NULL, "%s", err);
  cr_assert_null(strstr(logged, "my_app"), "the registry layer logs a refusal, not the adapter: %s", logged);
  rg_adapter_skydns.close(st);
  rg_uri_free(&u);
}
