/* test_etcd.c - the etcd adapter's key layout and the shared name safety
 * check (adapters/etcd.c, adapters/safename.c). No servers. */
#include <string.h>

#include "adapters/etcd.h"
#include "adapters/safename.h"
#include "adapters/skydns.h"
#include "tests/unit/rg_test.h"

RG_SUITE(etcd);

Test(etcd, adapters_are_in_the_scheme_table) {
  cr_assert_eq(rg_adapter_find("etcd"), &rg_adapter_etcd);
  cr_assert_eq(rg_adapter_find("etcd2"), &rg_adapter_etcd);
  cr_assert_eq(rg_adapter_find("skydns"), &rg_adapter_skydns);
  cr_assert_eq(rg_adapter_find("skydns2"), &rg_adapter_skydns);
  cr_assert_null(rg_adapter_find("etcd3"));
}

Test(etcd, prefix_is_normalized_and_refuses_dot_segments) {
  char *p = NULL, err[RG_ERRBUF];
  const char *in[] = {"/services", "/services/", "//a//b/", "", "/"};
  const char *want[] = {"/services", "/services", "/a/b", "", ""};
  for (size_t i = 0; i < RG_ARRAY_LEN(in); i++) {
    cr_assert_eq(rg_etcd_prefix(in[i], &p, err), RG_OK);
    cr_assert_str_eq(p, want[i], "%s", in[i]);
    free(p);
  }
  cr_assert_eq(rg_etcd_prefix("/a/../b", &p, err), RG_EINVAL);
  cr_assert_eq(rg_etcd_prefix("/a/./b", &p, err), RG_EINVAL);
}

Test(etcd, key_and_value_bytes) {
  struct rg_buf b = {0};
  cr_assert_eq(rg_etcd_key(&b, "/services", "web", "host:web1:80"), RG_OK);
  cr_assert_str_eq(b.data, "/services/web/host:web1:80");
  rg_buf_reset(&b);
  cr_assert_eq(rg_etcd_value(&b, "10.0.0.5", 8080), RG_OK);
  cr_assert_str_eq(b.data, "10.0.0.5:8080");
  rg_buf_reset(&b);
  cr_assert_eq(rg_etcd_value(&b, "fd00::5", 80), RG_OK);
  cr_assert_str_eq(b.data, "[fd00::5]:80");
  rg_buf_free(&b);
}

Test(etcd, listed_entries_parse_back_into_services) {
  struct rg_service s = {0};
  cr_assert_eq(rg_etcd_parse_entry("/services", "/services/web/h:c:53:udp", "[fd00::5]:53", &s), RG_OK);
  cr_assert_str_eq(s.name, "web");
  cr_assert_str_eq(s.id, "h:c:53:udp");
  cr_assert_str_eq(s.ip, "fd00::5");
  cr_assert_eq(s.port, 53);
  cr_assert_str_eq(s.proto, "udp");
  rg_service_clear(&s);
  cr_assert_eq(rg_etcd_parse_entry("", "/web/h:c:80", "1.2.3.4:80", &s), RG_OK);
  cr_assert_str_eq(s.proto, "tcp");
  rg_service_clear(&s);
  const char *bad[][2] = {{"/services/web", "1.2.3.4:80"},        {"/services/web/a/b", "1.2.3.4:80"},
                          {"/other/web/a", "1.2.3.4:80"},         {"/services/web/a", "1.2.3.4"},
                          {"/services/web/a", "1.2.3.4:0"},       {"/services/web/a", "fd00::1:80"},
                          {"/servicesX/web/a", "1.2.3.4:80"},     {"/services//a", "1.2.3.4:80"},
                          {"/services/web/a", "[fd00::1]80"}};
  for (size_t i = 0; i < RG_ARRAY_LEN(bad); i++)
    cr_assert_eq(rg_etcd_parse_entry("/services", bad[i][0], bad[i][1], &s), RG_EINVAL, "%s = %s", bad[i][0],
                 bad[i][1]);
}

Test(etcd, safe_names_pass) {
  const char *ok[] = {"web", "host:web-1:80", "host:web:53:udp", "ünïcode", "a.b", "x y"};
  for (size_t i = 0; i < RG_ARRAY_LEN(ok); i++) cr_assert_eq(rg_safename_check(ok[i], NULL), RG_OK, "%s", ok[i]);
}

Test(etcd, name_validation_rejects_escapes) {
  char longname[RG_SEGMENT_MAX + 2];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  const char *bad[] = {"",          "a/b",        "/",         "..",         ".",        "x..y",
                       "../../etc", "a\nb",       "a\x7f",     "\xc3\x28",   "\xe0\x80\xaf", /* overlong '/' */
                       "\xed\xa0\x80", /* surrogate */ "\xf4\x90\x80\x80", "\xff", longname, ".hidden"};
  for (size_t i = 0; i < RG_ARRAY_LEN(bad); i++) {
    const char *why = NULL;
    cr_assert_eq(rg_safename_check(bad[i], &why), RG_EINVAL, "bad[%zu] accepted", i);
    cr_assert_not_null(why);
  }
}

Test(etcd, service_check_names_the_service_and_container_printably) {
  struct rg_service s = {.id = "host:evil:80", .name = "../x\n", .port = 80, .container_name = "evil"};
  char err[RG_ERRBUF];
  cr_assert_eq(rg_safename_check_service(&s, err), RG_EINVAL);
  cr_assert_str_eq(err, "service host:evil:80 (container evil) rejected: its name \"../x\\x0a\" contains \"..\"");
  s.name = "web";
  s.id = "a/b";
  cr_assert_eq(rg_safename_check_service(&s, err), RG_EINVAL);
  cr_assert(strstr(err, "its ID \"a/b\" contains '/'") != NULL, "%s", err);
  s.id = "ok";
  s.port = 0;
  cr_assert_eq(rg_safename_check_service(&s, err), RG_EINVAL);
  cr_assert(strstr(err, "port 0") != NULL, "%s", err);
  s.port = 80;
  cr_assert_eq(rg_safename_check_service(&s, err), RG_OK);
}

Test(etcd, open_rejects_unknown_options_and_half_tls) {
  const char *uris[] = {"etcd://127.0.0.1:2379/s?bogus=1", "etcd://127.0.0.1:2379/s?cert=/x",
                        "etcd://127.0.0.1:2379/s?timeout=0", "etcd://127.0.0.1:2379/a/../b", "etcd:///s"};
  const char *want[] = {"unknown URI option \"bogus\"", "both a cert and a key", "timeout=0", "\"..\"",
                        "no host"};
  struct rg_adapter_config cfg = {.hostname = "h"};
  for (size_t i = 0; i < RG_ARRAY_LEN(uris); i++) {
    struct rg_uri u = {0};
    char err[RG_ERRBUF] = "";
    void *state = NULL;
    cr_assert_eq(rg_uri_parse(uris[i], &u, err), RG_OK);
    cr_assert_eq(rg_adapter_etcd.open(&state, &u, &cfg, err), RG_EINVAL, "%s", uris[i]);
    cr_assert(strstr(err, want[i]) != NULL, "%s: %s", uris[i], err);
    cr_assert_null(state);
    rg_uri_free(&u);
  }
}
