/* test_http.c - the shared HTTP client (adapters/http.c) without servers:
 * escaping, endpoint URLs, and errors that name endpoints but no secret. */
#include <string.h>

#include "adapters/http.h"
#include "tests/unit/rg_test.h"

RG_SUITE(http);

Test(http, escape_keeps_only_unreserved_bytes) {
  struct rg_buf b = {0};
  const char *s = "a-Z_0.9~ /:?#%&=+\xc3\xa9";
  cr_assert_eq(rg_http_escape(&b, s, strlen(s)), RG_OK);
  cr_assert_str_eq(b.data, "a-Z_0.9~%20%2F%3A%3F%23%25%26%3D%2B%C3%A9");
  rg_buf_free(&b);
}

static struct rg_strlist hosts(const char *a, const char *b) {
  struct rg_strlist l = {0};
  rg_strlist_add(&l, a);
  if (b) rg_strlist_add(&l, b);
  return l;
}

Test(http, endpoints_get_scheme_and_default_port) {
  struct rg_strlist l = hosts("[::1]", "127.0.0.1:7");
  struct rg_http_options o = {.tls = true, .default_port = 2379};
  struct rg_http *h = NULL;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_http_open(&h, &l, &o, err), RG_OK);
  cr_assert_str_eq(rg_http_endpoint(h), "https://[::1]:2379");
  rg_http_free(h);
  rg_strlist_free(&l);
}

Test(http, unreachable_endpoints_are_all_named_and_secrets_are_not) {
  /* port 1 on loopback: nothing listens, the connection is refused at once */
  struct rg_strlist l = hosts("127.0.0.1:1", "[::1]:1");
  struct rg_http_options o = {.connect_timeout_ms = 500, .timeout_ms = 1000};
  struct rg_http *h = NULL;
  struct rg_http_response r = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_http_open(&h, &l, &o, err), RG_OK);
  cr_assert_eq(rg_http_set_basic_auth(h, "root", "s3cret-pw"), RG_OK);
  cr_assert_eq(rg_http_set_header(h, "Authorization", "tok-s3cret"), RG_OK);
  cr_assert_eq(rg_http_request(h, "GET", "/v2/keys/x", NULL, NULL, 0, &r, err), RG_ECONNECT);
  cr_assert(strstr(err, "http://127.0.0.1:1") != NULL, "%s", err);
  cr_assert(strstr(err, "http://[::1]:1") != NULL, "%s", err);
  cr_assert(strstr(err, "s3cret") == NULL, "%s", err);
  cr_assert_str_eq(rg_http_endpoint(h), "http://127.0.0.1:1", "no healthy endpoint: stay");
  rg_buf_free(&r.body);
  rg_http_free(h);
  rg_strlist_free(&l);
}

Test(http, headers_can_be_replaced_and_removed) {
  struct rg_strlist l = hosts("127.0.0.1:1", NULL);
  struct rg_http_options o = {0};
  struct rg_http *h = NULL;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_http_open(&h, &l, &o, err), RG_OK);
  cr_assert_eq(rg_http_set_header(h, "Authorization", "a"), RG_OK);
  cr_assert_eq(rg_http_set_header(h, "Authorization", "b"), RG_OK);
  cr_assert_eq(rg_http_set_header(h, "X-Other", "c"), RG_OK);
  cr_assert_eq(rg_http_set_header(h, "Authorization", NULL), RG_OK);
  cr_assert_eq(rg_http_set_header(h, "Missing", NULL), RG_OK);
  rg_http_free(h);
  rg_strlist_free(&l);
}

Test(http, open_needs_a_host) {
  struct rg_strlist l = {0};
  struct rg_http_options o = {0};
  struct rg_http *h = NULL;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_http_open(&h, &l, &o, err), RG_EINVAL);
  cr_assert_null(h);
}
