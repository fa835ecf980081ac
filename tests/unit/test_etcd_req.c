/* test_etcd_req.c - base64 and the etcd v3/v2 request builders and response
 * parsers (adapters/base64.c, adapters/etcd_req.c), byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "adapters/base64.h"
#include "adapters/etcd_req.h"
#include "tests/unit/rg_test.h"

RG_SUITE(etcd_req);

static void b64(const char *in, const char *want) {
  struct rg_buf b = {0};
  cr_assert_eq(rg_base64_encode(in, strlen(in), &b), RG_OK);
  cr_assert_str_eq(b.data, want);
  rg_buf_reset(&b);
  cr_assert_eq(rg_base64_decode(want, strlen(want), &b), RG_OK);
  cr_assert_eq(b.len, strlen(in));
  cr_assert_str_eq(b.data, in);
  rg_buf_free(&b);
}

Test(etcd_req, base64_round_trips_rfc4648_vectors) {
  b64("", "");
  b64("f", "Zg==");
  b64("fo", "Zm8=");
  b64("foo", "Zm9v");
  b64("foob", "Zm9vYg==");
  b64("fooba", "Zm9vYmE=");
  b64("foobar", "Zm9vYmFy");
  b64("/services/web/h:c:80", "L3NlcnZpY2VzL3dlYi9oOmM6ODA=");
}

Test(etcd_req, base64_decode_rejects_malformed_input) {
  struct rg_buf b = {0};
  const char *bad[] = {"Zg=", "Zg", "Z===", "Zm9v!A==", "Zh==", "Zm9=", "=Zm9", "Zg==Zg=="};
  for (size_t i = 0; i < RG_ARRAY_LEN(bad); i++) {
    rg_buf_reset(&b);
    cr_assert_eq(rg_base64_decode(bad[i], strlen(bad[i]), &b), RG_EINVAL, "%s", bad[i]);
  }
  rg_buf_free(&b);
}

#define BODY(call, want)                  \
  do {                                    \
    struct rg_buf b_ = {0};               \
    cr_assert_eq((call), RG_OK);          \
    cr_assert_str_eq(b_.data, (want));    \
    rg_buf_free(&b_);                     \
  } while (0)

Test(etcd_req, v3_put_body_with_and_without_lease) {
  /* "/s/web/id" "10.0.0.1:80" */
  BODY(rg_etcd3_put_body(&b_, "/s/web/id", "10.0.0.1:80", 0),
       "{\"key\":\"L3Mvd2ViL2lk\",\"value\":\"MTAuMC4wLjE6ODA=\"}");
  BODY(rg_etcd3_put_body(&b_, "/s/web/id", "10.0.0.1:80", 7668682473534140424LL),
       "{\"key\":\"L3Mvd2ViL2lk\",\"value\":\"MTAuMC4wLjE6ODA=\",\"lease\":\"7668682473534140424\"}");
}

Test(etcd_req, v3_txn_body_holds_puts_and_deletes_in_order_with_the_lease_on_puts) {
  struct rg_etcd3_op ops[] = {{"/s/old/id", NULL}, {"/s/web/id", "10.0.0.1:80"}, {"/s/db/x", "10.0.0.2:5432"}};
  BODY(rg_etcd3_txn_body(&b_, ops, 3, 0),
       "{\"success\":[{\"request_delete_range\":{\"key\":\"L3Mvb2xkL2lk\"}},"
       "{\"request_put\":{\"key\":\"L3Mvd2ViL2lk\",\"value\":\"MTAuMC4wLjE6ODA=\"}},"
       "{\"request_put\":{\"key\":\"L3MvZGIveA==\",\"value\":\"MTAuMC4wLjI6NTQzMg==\"}}]}");
  BODY(rg_etcd3_txn_body(&b_, ops, 2, 7668682473534140424LL),
       "{\"success\":[{\"request_delete_range\":{\"key\":\"L3Mvb2xkL2lk\"}},"
       "{\"request_put\":{\"key\":\"L3Mvd2ViL2lk\",\"value\":\"MTAuMC4wLjE6ODA=\","
       "\"lease\":\"7668682473534140424\"}}]}");
  BODY(rg_etcd3_txn_body(&b_, ops, 0, 0), "{\"success\":[]}");
  struct rg_etcd3_op bad = {"/s/x", "\xc3"};
  struct rg_buf b = {0};
  cr_assert_eq(rg_etcd3_txn_body(&b, &bad, 1, 0), RG_OK, "values are base64: any bytes go");
  rg_buf_free(&b);
}

Test(etcd_req, v3_txn_has_finds_a_key_already_in_the_txn) {
  struct rg_etcd3_op ops[] = {{"/s/old/id", NULL}, {"/s/web/id", "10.0.0.1:80"}};
  cr_assert(rg_etcd3_txn_has(ops, 2, "/s/old/id"), "deletes count");
  cr_assert(rg_etcd3_txn_has(ops, 2, "/s/web/id"));
  cr_assert_not(rg_etcd3_txn_has(ops, 2, "/s/web/i"));
  cr_assert_not(rg_etcd3_txn_has(ops, 1, "/s/web/id"), "only the first n ops");
  cr_assert_not(rg_etcd3_txn_has(ops, 0, "/s/old/id"));
}

Test(etcd_req, v3_txn_answer_succeeded_or_not) {
  cr_assert_eq(rg_etcd3_parse_txn("{\"header\":{\"revision\":\"5618\"},\"succeeded\":true,\"responses\":"
                                  "[{\"response_put\":{\"header\":{\"revision\":\"5618\"}}},"
                                  "{\"response_delete_range\":{\"header\":{\"revision\":\"5618\"}}}]}"),
               RG_OK);
  cr_assert_eq(rg_etcd3_parse_txn("{\"header\":{}}"), RG_EPROTO, "succeeded omitted: false");
  cr_assert_eq(rg_etcd3_parse_txn("{\"succeeded\":\"true\"}"), RG_EPROTO);
  cr_assert_eq(rg_etcd3_parse_txn("<html>"), RG_EPROTO);
}

Test(etcd_req, v3_range_deleterange_grant_keepalive_auth_bodies) {
  /* prefix "/s/" -> range_end "/s0" */
  BODY(rg_etcd3_range_body(&b_, "/s/", true, false, false), "{\"key\":\"L3Mv\",\"range_end\":\"L3Mw\"}");
  BODY(rg_etcd3_range_body(&b_, "/s/", true, true, true),
       "{\"key\":\"L3Mv\",\"range_end\":\"L3Mw\",\"keys_only\":true,\"count_only\":true}");
  BODY(rg_etcd3_range_body(&b_, "/s/x", false, false, false), "{\"key\":\"L3MveA==\"}");
  BODY(rg_etcd3_delete_body(&b_, "/s/web/id"), "{\"key\":\"L3Mvd2ViL2lk\"}");
  BODY(rg_etcd3_grant_body(&b_, 30), "{\"TTL\":30}");
  BODY(rg_etcd3_lease_body(&b_, 7668682473534140424LL), "{\"ID\":\"7668682473534140424\"}");
  BODY(rg_etcd3_auth_body(&b_, "root", "p\"w"), "{\"name\":\"root\",\"password\":\"p\\\"w\"}");
}

Test(etcd_req, prefix_end_increments_the_last_byte_below_0xff) {
  struct rg_buf b = {0};
  cr_assert_eq(rg_etcd3_prefix_end("/a/", &b), RG_OK);
  cr_assert_str_eq(b.data, "/a0");
  rg_buf_reset(&b);
  cr_assert_eq(rg_etcd3_prefix_end("a\xff", &b), RG_OK);
  cr_assert_str_eq(b.data, "b");
  rg_buf_reset(&b);
  cr_assert_eq(rg_etcd3_prefix_end("\xff\xff", &b), RG_OK);
  cr_assert_eq(b.len, 1);
  cr_assert_eq(b.data[0], '\0');
  rg_buf_free(&b);
}

Test(etcd_req, builders_refuse_strings_that_are_not_utf8) {
  struct rg_buf b = {0};
  cr_assert_eq(rg_etcd3_auth_body(&b, "ro\xc3", "pw"), RG_EINVAL);
  rg_buf_free(&b);
}

Test(etcd_req, v3_parses_grant_keepalive_token_and_errors) {
  int64_t id = 0;
  long ttl = 0;
  cr_assert_eq(rg_etcd3_parse_grant("{\"header\":{},\"ID\":\"7668682473534140424\",\"TTL\":\"30\"}", &id, &ttl),
               RG_OK);
  cr_assert_eq(id, 7668682473534140424LL);
  cr_assert_eq(ttl, 30);
  cr_assert_eq(rg_etcd3_parse_grant("{\"header\":{}}", &id, &ttl), RG_EPROTO);
  /* the gateway wraps stream answers in "result"; an expired lease has no TTL */
  cr_assert_eq(rg_etcd3_parse_keepalive("{\"result\":{\"ID\":\"1\",\"TTL\":\"30\"}}", &ttl), RG_OK);
  cr_assert_eq(ttl, 30);
  cr_assert_eq(rg_etcd3_parse_keepalive("{\"result\":{\"header\":{},\"ID\":\"1\"}}", &ttl), RG_OK);
  cr_assert_eq(ttl, 0);
  cr_assert_eq(rg_etcd3_parse_keepalive("{\"ID\":\"1\",\"TTL\":\"5\"}", &ttl), RG_OK);
  cr_assert_eq(ttl, 5);
  cr_assert_eq(rg_etcd3_parse_keepalive("not json", &ttl), RG_EPROTO);
  char *token = NULL;
  cr_assert_eq(rg_etcd3_parse_token("{\"header\":{},\"token\":\"abc.12\"}", &token), RG_OK);
  cr_assert_str_eq(token, "abc.12");
  free(token);
  char msg[128];
  rg_etcd3_error_message("{\"error\":\"e\",\"message\":\"etcdserver: requested lease not found\",\"code\":5}",
                         msg, sizeof msg);
  cr_assert_str_eq(msg, "etcdserver: requested lease not found");
  rg_etcd3_error_message("<html>", msg, sizeof msg);
  cr_assert_str_eq(msg, "(no message)");
}

Test(etcd_req, v3_parses_range_answers) {
  struct rg_kvlist l = {0};
  cr_assert_eq(rg_etcd3_parse_range("{\"header\":{},\"kvs\":[{\"key\":\"L3Mvd2ViL2lk\",\"create_revision\":\"2\","
                                    "\"value\":\"MTAuMC4wLjE6ODA=\"},{\"key\":\"AA==\",\"value\":\"\"}],"
                                    "\"count\":\"2\"}",
                                    &l, NULL),
               RG_OK);
  cr_assert_eq(l.n, 1, "a key holding NUL is skipped");
  cr_assert_str_eq(l.items[0].key, "/s/web/id");
  cr_assert_str_eq(l.items[0].value, "10.0.0.1:80");
  rg_kvlist_free(&l);
  cr_assert_eq(rg_etcd3_parse_range("{\"header\":{}}", &l, NULL), RG_OK);
  cr_assert_eq(l.n, 0);
  cr_assert_eq(rg_etcd3_parse_range("[", &l, NULL), RG_EPROTO);
}

Test(etcd_req, v2_paths_escape_each_segment_and_bodies_are_form_encoded) {
  BODY(rg_etcd2_path(&b_, "/services/web/host:c 1:80", NULL), "/v2/keys/services/web/host%3Ac%201%3A80");
  BODY(rg_etcd2_path(&b_, "/s/w/i", "ttl=30&refresh=true&prevExist=true"),
       "/v2/keys/s/w/i?ttl=30&refresh=true&prevExist=true");
  BODY(rg_etcd2_path(&b_, "/s/a?b#c", "recursive=true"), "/v2/keys/s/a%3Fb%23c?recursive=true");
  BODY(rg_etcd2_value_body(&b_, "10.0.0.1:80"), "value=10.0.0.1%3A80");
  BODY(rg_etcd2_value_body(&b_, "{\"host\":\"::1\",\"port\":80}"),
       "value=%7B%22host%22%3A%22%3A%3A1%22%2C%22port%22%3A80%7D");
}

Test(etcd_req, v2_parses_listings_and_errors) {
  struct rg_kvlist l = {0};
  cr_assert_eq(rg_etcd2_parse_list(
                   "{\"action\":\"get\",\"node\":{\"key\":\"/s\",\"dir\":true,\"nodes\":[{\"key\":\"/s/web\","
                   "\"dir\":true,\"nodes\":[{\"key\":\"/s/web/a\",\"value\":\"1.2.3.4:80\",\"ttl\":30}]},"
                   "{\"key\":\"/s/db\",\"dir\":true}]}}",
                   &l, NULL),
               RG_OK);
  cr_assert_eq(l.n, 1);
  cr_assert_str_eq(l.items[0].key, "/s/web/a");
  cr_assert_str_eq(l.items[0].value, "1.2.3.4:80");
  rg_kvlist_free(&l);
  long code;
  char msg[128];
  rg_etcd2_error("{\"errorCode\":100,\"message\":\"Key not found\",\"cause\":\"/s/x\",\"index\":9}", &code, msg,
                 sizeof msg);
  cr_assert_eq(code, 100);
  cr_assert_str_eq(msg, "Key not found (/s/x)");
}

/* /v3/lease/timetolive with keys, as etcd 3.4 answers through the gateway. */
Test(etcd_req, v3_lease_keys_body_and_answers) {
  struct rg_buf b = {0};
  cr_assert_eq(rg_etcd3_lease_keys_body(&b, 7668682478482044130), RG_OK);
  cr_assert_str_eq(b.data, "{\"ID\":\"7668682478482044130\",\"keys\":true}");
  rg_buf_free(&b);
  struct rg_strlist keys = {0};
  long ttl = 0;
  cr_assert_eq(rg_etcd3_parse_lease_keys("{\"header\":{\"revision\":\"66252\"},\"ID\":\"7668682478482044130\","
                                         "\"TTL\":\"59\",\"grantedTTL\":\"60\",\"keys\":[\"L3R0bC9hL2I=\","
                                         "\"!!\",5,\"L2I=\"]}",
                                         &keys, &ttl, NULL),
               RG_OK);
  cr_assert_eq(ttl, 59);
  cr_assert_eq(keys.n, 2, "undecodable and non-string keys are skipped");
  cr_assert_str_eq(keys.items[0], "/ttl/a/b");
  cr_assert_str_eq(keys.items[1], "/b");
  rg_strlist_free(&keys);
  /* a revoked or expired lease: TTL -1 and no keys */
  cr_assert_eq(rg_etcd3_parse_lease_keys("{\"header\":{},\"ID\":\"1\",\"TTL\":\"-1\"}", &keys, &ttl, NULL), RG_OK);
  cr_assert_eq(ttl, -1);
  cr_assert_eq(keys.n, 0);
  cr_assert_eq(rg_etcd3_parse_lease_keys("{\"header\":{}}", &keys, &ttl, NULL), RG_EPROTO);
  cr_assert_eq(rg_etcd3_parse_lease_keys("[", &keys, &ttl, NULL), RG_EPROTO);
}

/* Answers nested 400,000 levels deep (a hostile member, or a v2 directory
 * tree another client built) are refused by the base guard, naming the
 * source, instead of overflowing the stack in yajl_tree_free. */
Test(etcd_req, deep_answers_are_refused_not_parsed) {
  size_t half = 400000;
  char *deep = malloc(2 * half + 16);
  cr_assert_not_null(deep);
  memcpy(deep, "{\"kvs\":", 7);
  memset(deep + 7, '[', half);
  memset(deep + 7 + half, ']', half);
  memcpy(deep + 7 + 2 * half, "}", 2);
  struct rg_kvlist l = {0};
  struct rg_strlist keys = {0};
  long ttl;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_etcd3_parse_range(deep, &l, err), RG_EPROTO);
  cr_assert_str_eq(err, "etcd answer: JSON nested deeper than 64 levels");
  cr_assert_eq(rg_etcd3_parse_lease_keys(deep, &keys, &ttl, err), RG_EPROTO);
  cr_assert_eq(rg_etcd2_parse_list(deep, &l, err), RG_OK, "streamed: nothing deep is built: %s", err);
  cr_assert_eq(rg_etcd3_parse_txn(deep), RG_EPROTO);
  cr_assert_eq(rg_etcd3_parse_keepalive(deep, &ttl), RG_EPROTO);
  char msg[64];
  long code;
  rg_etcd3_error_message(deep, msg, sizeof msg);
  cr_assert_str_eq(msg, "(no message)");
  rg_etcd2_error(deep, &code, msg, sizeof msg);
  cr_assert_eq(code, 0);
  cr_assert_eq(l.n, 0);
  free(deep);
}

/* A v2 directory nested 100,000 deep beside good leaves (another client
 * can build one): the listing is streamed, the deep branch skipped below
 * RG_ETCD2_DEPTH_MAX, and every other leaf read, in document order. */
Test(etcd_req, v2_a_deep_directory_hides_no_other_entry) {
  struct rg_buf b = {0};
  rg_buf_printf(&b, "{\"action\":\"get\",\"node\":{\"key\":\"/s\",\"dir\":true,\"nodes\":["
                    "{\"key\":\"/s/web\",\"dir\":true,\"nodes\":[{\"key\":\"/s/web/a\",\"value\":\"1.1.1.1:1\"}]},");
  for (int i = 0; i < 100000; i++) rg_buf_printf(&b, "{\"key\":\"/s/d\",\"dir\":true,\"nodes\":[");
  rg_buf_printf(&b, "{\"key\":\"/s/deep\",\"value\":\"hidden\"}");
  for (int i = 0; i < 100000; i++) rg_buf_printf(&b, "]}");
  rg_buf_printf(&b, ",{\"key\":\"/s/db\",\"dir\":true,\"nodes\":[{\"key\":\"/s/db/b\",\"value\":\"2.2.2.2:2\"}]}]}}");
  struct rg_kvlist l = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_etcd2_parse_list(b.data, &l, err), RG_OK, "%s", err);
  cr_assert_eq(l.n, 2);
  cr_expect_str_eq(l.items[0].key, "/s/web/a");
  cr_expect_str_eq(l.items[1].key, "/s/db/b");
  cr_expect_str_eq(l.items[1].value, "2.2.2.2:2");
  rg_kvlist_free(&l);
  cr_assert_eq(rg_etcd2_parse_list("{\"node\":{\"key\":\"/s\",\"value\":", &l, err), RG_EPROTO);
  cr_expect_str_eq(err, "etcd answer: not a JSON object");
  cr_assert_eq(rg_etcd2_parse_list("[1]", &l, err), RG_EPROTO);
  cr_assert_eq(l.n, 0);
  rg_buf_free(&b);
}
