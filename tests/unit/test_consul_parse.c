/* Consul adapter: status codes, error messages, service listings (consul_parse.c). */
#include <string.h>

#include "adapters/consul.h"
#include "tests/unit/rg_test.h"

RG_SUITE(consul_parse);

Test(consul_parse, status_codes_map_to_what_the_core_does_next) {
  cr_expect_eq(rg_consul_status_rc(200), RG_OK);
  cr_expect_eq(rg_consul_status_rc(400), RG_EINVAL);
  cr_expect_eq(rg_consul_status_rc(401), RG_EAUTH);
  cr_expect_eq(rg_consul_status_rc(403), RG_EAUTH);
  cr_expect_eq(rg_consul_status_rc(404), RG_ENOTFOUND);
  cr_expect_eq(rg_consul_status_rc(405), RG_EPROTO);
  cr_expect_eq(rg_consul_status_rc(429), RG_EAGAIN);
  cr_expect_eq(rg_consul_status_rc(500), RG_EAGAIN);
  cr_expect_eq(rg_consul_status_rc(503), RG_EAGAIN);
}

Test(consul_parse, messages_are_one_printable_line_without_the_token) {
  struct rg_buf b = {0};
  const char body[] = "Permission denied: token s3cret\nis bad\x01\n";
  cr_assert_eq(rg_consul_message(&b, body, sizeof body - 1, "s3cret"), RG_OK);
  cr_expect_str_eq(b.data, "Permission denied: token <redacted> is bad\\x01");
  rg_buf_reset(&b);
  cr_assert_eq(rg_consul_message(&b, "", 0, NULL), RG_OK);
  cr_expect_str_eq(b.data, "");
  rg_buf_free(&b);
}

Test(consul_parse, long_messages_are_truncated) {
  char body[1000];
  memset(body, 'x', sizeof body);
  struct rg_buf b = {0};
  cr_assert_eq(rg_consul_message(&b, body, sizeof body, NULL), RG_OK);
  cr_expect_eq(b.len, 203);
  cr_expect_str_eq(b.data + 200, "...");
  rg_buf_free(&b);
}

Test(consul_parse, agent_services_become_services_with_their_fields) {
  const char *json =
      "{\"h:web:80\":{\"ID\":\"h:web:80\",\"Service\":\"web\",\"Tags\":[\"a\"],\"Meta\":{},\"Port\":8080,"
      "\"Address\":\"10.0.0.5\",\"EnableTagOverride\":false},"
      "\"h:dns:53:udp\":{\"ID\":\"h:dns:53:udp\",\"Service\":\"dns\",\"Tags\":null,\"Port\":53,\"Address\":\"\"}}";
  struct rg_service_list l = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_consul_parse_services(json, strlen(json), false, &l, err), RG_OK, "%s", err);
  cr_assert_eq(l.n, 2);
  rg_service_list_sort(&l);
  cr_expect_str_eq(l.items[0].id, "h:dns:53:udp");
  cr_expect_str_eq(l.items[0].proto, "udp");
  cr_expect_str_eq(l.items[0].ip, "");
  cr_expect_str_eq(l.items[1].name, "web");
  cr_expect_str_eq(l.items[1].ip, "10.0.0.5");
  cr_expect_eq(l.items[1].port, 8080);
  cr_expect_eq(l.items[1].tags.n, 1);
  cr_expect_str_eq(l.items[1].proto, "tcp");
  rg_service_list_free(&l);
}

Test(consul_parse, catalog_node_services_fall_back_to_the_node_address) {
  const char *json = "{\"Node\":{\"Node\":\"n1\",\"Address\":\"10.0.0.9\"},\"Services\":{\"h:web:80\":"
                     "{\"ID\":\"h:web:80\",\"Service\":\"web\",\"Tags\":[],\"Address\":\"\",\"Port\":80}}}";
  struct rg_service_list l = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_consul_parse_services(json, strlen(json), true, &l, err), RG_OK, "%s", err);
  cr_assert_eq(l.n, 1);
  cr_expect_str_eq(l.items[0].ip, "10.0.0.9");
  rg_service_list_free(&l);
}

Test(consul_parse, an_unknown_catalog_node_has_no_services) {
  struct rg_service_list l = {0};
  char err[RG_ERRBUF] = "";
  cr_expect_eq(rg_consul_parse_services("null", 4, true, &l, err), RG_OK);
  cr_expect_eq(rg_consul_parse_services("{\"Node\":null,\"Services\":null}", 29, true, &l, err), RG_OK);
  cr_expect_eq(l.n, 0);
}

Test(consul_parse, garbage_and_wrong_shapes_are_protocol_errors) {
  struct rg_service_list l = {0};
  char err[RG_ERRBUF] = "";
  cr_expect_eq(rg_consul_parse_services("<html>", 6, false, &l, err), RG_EPROTO);
  cr_expect(strstr(err, "not JSON") != NULL, "%s", err);
  cr_expect_eq(rg_consul_parse_services("[1]", 3, false, &l, err), RG_EPROTO);
  cr_expect_eq(rg_consul_parse_services("[1]", 3, true, &l, err), RG_EPROTO);
  cr_expect_eq(rg_consul_parse_services("{\"a\":1}", 7, false, &l, err), RG_EPROTO);
  rg_service_list_free(&l);
}
