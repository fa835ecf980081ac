/* The one classification of libcurl failures (registrator/curlerr.h), on
 * real transfers against tests/unit/fake_docker.c servers. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

struct canceller {
  volatile int *flag;
  long after_ms;
};

static void *cancel_later(void *ud) {
  struct canceller *c = ud;
  struct timespec ts = {0, c->after_ms * 1000000L};
  nanosleep(&ts, NULL);
  *c->flag = 1;
  return NULL;
}

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(curlerr, a_cancelled_transfer_ends_at_the_next_poll_not_the_next_progress_call) {
  static const struct route routes[] = {{"/stall", NULL, 0}, {"/v1.41/_ping", PING("1.41"), 0}};
  struct server srv = serve(4, routes, 2);
  char url[200];
  CURL *h = curl_easy_init();
  CURLM *waiter = NULL;
  volatile int cancel = 0;
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, drop);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  snprintf(url, sizeof url, "http://%s/v1.41/_ping", srv.host + strlen("tcp://"));
  curl_easy_setopt(h, CURLOPT_URL, url);
  cr_expect_eq(rg_curl_perform(&waiter, h, &cancel), CURLE_OK, "an answered transfer");
  cr_expect_eq(rg_curl_perform(&waiter, h, &cancel), CURLE_OK, "the next one on the same handles");
  cr_expect_not_null(waiter);

  snprintf(url, sizeof url, "http://%s/stall", srv.host + strlen("tcp://"));
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
  struct canceller c = {&cancel, 100};
  pthread_t t;
  pthread_create(&t, NULL, cancel_later, &c);
  double t0 = mono_s();
  CURLcode cc = rg_curl_perform(&waiter, h, &cancel);
  double took = mono_s() - t0;
  pthread_join(t, NULL);
  cr_expect_eq(cc, CURLE_ABORTED_BY_CALLBACK);
  /* 100 ms until the flag, then at most one poll; libcurl's own progress
   * callback would have come about a second in */
  cr_expect_lt(took, 0.1 + 0.5, "a cancel took %.3f s to end the transfer", took);
  curl_easy_cleanup(h);
  curl_multi_cleanup(waiter);
  stop_server(&srv);
}
