/* test_uri.c - rg_uri_parse (adapters/uri.c). Owned by the adapters. */
#include <string.h>

#include "adapters/adapter.h"
#include "tests/unit/rg_test.h"

RG_SUITE(uri);

static struct rg_uri parse_ok(const char *s) {
  struct rg_uri u = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_uri_parse(s, &u, err), RG_OK, "%s: %s", s, err);
  return u;
}

/* Parses s expecting failure; err must contain want. */
static void parse_bad(const char *s, const char *want) {
  struct rg_uri u = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_uri_parse(s, &u, err), RG_EINVAL, "%s parsed", s);
  cr_assert(strstr(err, want) != NULL, "%s: error \"%s\" lacks \"%s\"", s, err, want);
  rg_uri_free(&u);
}

Test(uri, splits_scheme_hosts_path_and_query) {
  struct rg_uri u = parse_ok("ETCD://h1:2379,h2:2379/services/x?cacert=%2Fetc%2Fca.pem&tls");
  cr_assert_str_eq(u.scheme, "etcd");
  cr_assert_eq(u.hosts.n, 2);
  cr_assert_str_eq(u.hosts.items[0], "h1:2379");
  cr_assert_str_eq(u.hosts.items[1], "h2:2379");
  cr_assert_str_eq(u.path, "/services/x");
  cr_assert_eq(u.query.n, 2);
  cr_assert_str_eq(rg_kvlist_get(&u.query, "cacert"), "/etc/ca.pem");
  cr_assert_str_eq(rg_kvlist_get(&u.query, "tls"), "");
  rg_uri_free(&u);
}

Test(uri, accepts_ipv6_literals_with_and_without_port) {
  struct rg_uri u = parse_ok("etcd://[::1]:2379,[fe80::1],127.0.0.1/p");
  cr_assert_eq(u.hosts.n, 3);
  cr_assert_str_eq(u.hosts.items[0], "[::1]:2379");
  cr_assert_str_eq(u.hosts.items[1], "[fe80::1]");
  cr_assert_str_eq(u.hosts.items[2], "127.0.0.1");
  rg_uri_free(&u);
}

Test(uri, unix_socket_uri_has_no_host_and_a_path) {
  struct rg_uri u = parse_ok("consul-unix:///var/run/consul.sock");
  cr_assert_str_eq(u.scheme, "consul-unix");
  cr_assert_eq(u.hosts.n, 0);
  cr_assert_str_eq(u.path, "/var/run/consul.sock");
  rg_uri_free(&u);
}

Test(uri, path_is_empty_string_when_absent) {
  struct rg_uri u = parse_ok("consul://127.0.0.1:8500");
  cr_assert_str_eq(u.path, "");
  cr_assert_eq(u.query.n, 0);
  rg_uri_free(&u);
}

Test(uri, errors_name_the_bad_part) {
  parse_bad("", "empty");
  parse_bad("127.0.0.1:2379/x", "no scheme");
  parse_bad("1tcd://h/x", "invalid scheme");
  parse_bad("etcd://h:99999/x", "invalid port \"99999\"");
  parse_bad("etcd://h:abc/x", "invalid port \"abc\"");
  parse_bad("etcd://h:/x", "invalid port in URI host \"h:\"");
  parse_bad("etcd://h1,,h2/x", "empty host");
  parse_bad("etcd://[::1/x", "unterminated IPv6");
  parse_bad("etcd://[::1]x/x", "after ']'");
  parse_bad("etcd://[zz::1]:2379/x", "IPv6 literal");
  parse_bad("etcd://::1:2379/x", "must be in brackets");
  parse_bad("etcd://user:pw@h/x", "credentials");
  parse_bad("etcd://h,user:pw@h2/x", "credentials");
  parse_bad("etcd://h/x%zz", "percent escape");
  parse_bad("etcd://h/x%0a", "control character");
  parse_bad("etcd://h/x?a=%00", "control character");
  parse_bad("etcd://h/x#frag", "fragments");
}

Test(uri, free_accepts_a_half_built_uri) {
  struct rg_uri u = {0};
  char err[RG_ERRBUF];
  cr_assert_neq(rg_uri_parse("etcd://ok:1,bad:0/x", &u, err), RG_OK);
  rg_uri_free(&u);
  rg_uri_free(&u);
}
