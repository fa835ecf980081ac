/* The one classification of libcurl failures (registrator/curlerr.h), on
 * real transfers against tests/unit/fake_docker.c servers. */
#include <stdio.h>
#include <string.h>

#include "registrator/curlerr.h"
#include "tests/unit/fake_docker.h"
#include "tests/unit/rg_test.h"

RG_SUITE(curlerr);

static size_t drop(char *p, size_t s, size_t n, void *ud) {
  (void)p;
  (void)ud;
  return s * n;
}

/* One GET of url (over unix socket sock when not NULL), classified. */
static CURLcode get(const char *url, const char *sock, const char *ca, struct rg_net_error *ne) {
  CURL *h = curl_easy_init();
  char cerr[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, drop);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 500L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (sock) curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
  if (ca) curl_easy_setopt(h, CURLOPT_CAINFO, ca);
  CURLcode cc = curl_easy_perform(h);
  if (cc != CURLE_OK) rg_curl_classify(h, cc, cerr, sock != NULL, ne);
  curl_easy_cleanup(h);
  return cc;
}

Test(curlerr, failures_fall_into_four_kinds) {
  struct rg_net_error ne;
  cr_assert_neq(get("http://127.0.0.1:1/", NULL, NULL, &ne), CURLE_OK);
  cr_expect_eq(ne.kind, RG_NET_UNREACHABLE);
  cr_expect_eq(ne.code, RG_ECONNECT);
  cr_assert_neq(get("http://localhost/", "/nonexistent/rg.sock", NULL, &ne), CURLE_OK);
  cr_expect_eq(ne.kind, RG_NET_UNREACHABLE);
  cr_expect_str_eq(ne.detail, "No such file or directory");

  static const struct route routes[] = {{"/stall", NULL, 0}, {"/junk", "not http at all\r\n\r\n", 0}};
  struct server srv = serve(4, routes, 2);
  char url[200];
  snprintf(url, sizeof url, "http://%s/stall", srv.host + strlen("tcp://"));
  cr_assert_eq(get(url, NULL, NULL, &ne), CURLE_OPERATION_TIMEDOUT);
  cr_expect_eq(ne.kind, RG_NET_TIMEOUT, "connected, then no answer: %s", ne.detail);
  cr_expect_eq(ne.code, RG_EIO);
  snprintf(url, sizeof url, "http://%s/junk", srv.host + strlen("tcp://"));
  cr_assert_neq(get(url, NULL, NULL, &ne), CURLE_OK);
  cr_expect_eq(ne.kind, RG_NET_PROTOCOL, "%s", ne.detail);
  snprintf(url, sizeof url, "https://%s/junk", srv.host + strlen("tcp://"));
  cr_assert_neq(get(url, NULL, "/nonexistent/rg-ca.pem", &ne), CURLE_OK);
  cr_expect_eq(ne.kind, RG_NET_TLS, "a CA file that cannot be read: %s", ne.detail);
  stop_server(&srv);
  cr_expect_str_eq(rg_net_failure_name(RG_NET_TLS), "TLS error");
}
