/* test_http_multi.c - requests in flight at once (adapters/http_multi.c)
 * against the forked fake server of fake_docker.h (one process per
 * connection): results per index, a failure in the middle, a dead registry
 * costing one timeout, failover, a stop in the middle. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapters/http_multi.h"
#include "tests/unit/fake_docker.h"
#include "tests/unit/rg_test.h"

RG_SUITE(http_multi);

#define NCALLS 40

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int judge(void *ud, struct rg_http_call *c) {
  int *judged = ud;
  (*judged)++;
  if (c->resp.status / 100 == 2) return RG_OK;
  return rg_err(c->err, c->resp.status >= 500 ? RG_EAGAIN : RG_EPROTO, "HTTP %ld", c->resp.status);
}

struct fixture {
  char targets[NCALLS][32];
  char *bodies[NCALLS];
  struct route routes[NCALLS + 2];
  struct server srv;
  struct rg_strlist hosts;
  struct rg_http *h;
  struct rg_http_multi *m;
  struct rg_http_call calls[NCALLS];
  volatile int cancel;
};

/* /ok/<i> answers 200 "body-<i>", /fail answers 500, /hang never answers. */
static void setup_fixture(struct fixture *f, const char *first_host, long timeout_ms, int cap) {
  memset(f, 0, sizeof *f);
  for (int i = 0; i < NCALLS; i++) {
    char b[32];
    snprintf(f->targets[i], sizeof f->targets[i], "/ok/%d", i);
    snprintf(b, sizeof b, "body-%d", i);
    f->bodies[i] = http("200 OK", "text/plain", b);
    f->routes[i] = (struct route){f->targets[i], f->bodies[i], 0};
  }
  f->routes[NCALLS] = (struct route){"/fail", JSON("500 Internal Server Error", 2) "{}", 0};
  f->routes[NCALLS + 1] = (struct route){"/hang", NULL, 0};
  f->srv = serve(4, f->routes, NCALLS + 2);
  if (first_host) rg_strlist_add(&f->hosts, first_host);
  rg_strlist_add(&f->hosts, f->srv.host + strlen("tcp://"));
  struct rg_http_options o = {.connect_timeout_ms = 1000, .timeout_ms = timeout_ms, .cancel = &f->cancel};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_http_open(&f->h, &f->hosts, &o, err), RG_OK, "%s", err);
  cr_assert_eq(rg_http_multi_open(&f->m, f->h, cap, err), RG_OK, "%s", err);
  for (int i = 0; i < NCALLS; i++)
    f->calls[i] = (struct rg_http_call){.method = "GET", .path = f->targets[i], .after = RG_INFLIGHT_NONE};
}

static void teardown_fixture(struct fixture *f) {
  rg_http_calls_free(f->calls, NCALLS);
  rg_http_multi_free(f->m);
  rg_http_free(f->h);
  rg_strlist_free(&f->hosts);
  stop_server(&f->srv);
  for (int i = 0; i < NCALLS; i++) free(f->bodies[i]);
}

Test(http_multi, every_call_gets_its_own_answer_and_a_failure_fails_only_its_call) {
  struct fixture f;
  setup_fixture(&f, NULL, 5000, 4);
  f.calls[7].path = "/fail";
  f.calls[8].after = 7;  /* waits for 7, which fails: not sent */
  f.calls[20].after = 3; /* waits for 3, which succeeds */
  int judged = 0;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_http_multi_perform(f.m, f.calls, NCALLS, judge, &judged, err), RG_OK, "%s", err);
  cr_assert_eq(judged, NCALLS - 1);
  for (int i = 0; i < NCALLS; i++) {
    char want[32];
    snprintf(want, sizeof want, "body-%d", i);
    if (i == 7) {
      cr_assert_eq(f.calls[i].rc, RG_EAGAIN);
      cr_assert_str_eq(f.calls[i].err, "HTTP 500");
    } else if (i == 8) {
      cr_assert_eq(f.calls[i].rc, RG_EAGAIN);
      cr_assert(strstr(f.calls[i].err, "/ok/8 not sent: HTTP 500") != NULL, "%s", f.calls[i].err);
    } else {
      cr_assert_eq(f.calls[i].rc, RG_OK, "%d: %s", i, f.calls[i].err);
      cr_assert_str_eq(f.calls[i].resp.body.data, want);
    }
  }
  /* the pool and its connections serve the next call too */
  judged = 0;
  cr_assert_eq(rg_http_multi_perform(f.m, f.calls, 10, judge, &judged, err), RG_OK, "%s", err);
  cr_assert_eq(judged, 9, "8 waits for 7, which fails again");
  teardown_fixture(&f);
}

Test(http_multi, a_dead_registry_costs_one_timeout_and_the_rest_is_not_sent) {
  struct fixture f;
  setup_fixture(&f, NULL, 400, 8);
  for (int i = 0; i < NCALLS; i++) f.calls[i].path = "/hang";
  int judged = 0;
  char err[RG_ERRBUF] = "";
  double t0 = now_s();
  cr_assert_eq(rg_http_multi_perform(f.m, f.calls, NCALLS, judge, &judged, err), RG_ECONNECT);
  double took = now_s() - t0;
  cr_assert_lt(took, 0.75, "one timeout (0.4 s), not one per wave of 8: took %.3f s", took);
  cr_assert_eq(judged, 0);
  size_t unsent = 0;
  for (int i = 0; i < NCALLS; i++) {
    cr_assert_eq(f.calls[i].rc, RG_ECONNECT, "%d", i);
    unsent += strstr(f.calls[i].err, "not sent") != NULL;
  }
  cr_assert_eq(unsent, NCALLS - 8, "only the 8 in flight were sent");
  cr_assert(strstr(err, "timed out") || strstr(err, "Timeout"), "%s", err);
  teardown_fixture(&f);
}

Test(http_multi, a_refused_first_endpoint_moves_the_call_to_the_next_one) {
  struct fixture f;
  setup_fixture(&f, "127.0.0.1:1", 5000, 8);
  int judged = 0;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_http_multi_perform(f.m, f.calls, NCALLS, judge, &judged, err), RG_OK, "%s", err);
  cr_assert_eq(judged, NCALLS);
  for (int i = 0; i < NCALLS; i++) cr_assert_eq(f.calls[i].rc, RG_OK, "%d: %s", i, f.calls[i].err);
  cr_assert_str_eq(rg_http_endpoint(f.h) + strlen("http://"), f.srv.host + strlen("tcp://"),
                   "the endpoint that answered is current");
  teardown_fixture(&f);
}

Test(http_multi, nothing_listening_fails_every_call_at_once) {
  struct rg_strlist hosts = {0};
  rg_strlist_add(&hosts, "127.0.0.1:1");
  struct rg_http_options o = {.connect_timeout_ms = 1000, .timeout_ms = 2000};
  struct rg_http *h = NULL;
  struct rg_http_multi *m = NULL;
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_http_open(&h, &hosts, &o, err), RG_OK);
  cr_assert_eq(rg_http_multi_open(&m, h, 8, err), RG_OK);
  struct rg_http_call calls[20];
  for (int i = 0; i < 20; i++)
    calls[i] = (struct rg_http_call){.method = "PUT", .path = "/x", .body = "a=b", .body_len = 3,
                                     .after = RG_INFLIGHT_NONE};
  int judged = 0;
  cr_assert_eq(rg_http_multi_perform(m, calls, 20, judge, &judged, err), RG_ECONNECT);
  cr_assert(strstr(err, "http://127.0.0.1:1") != NULL, "%s", err);
  for (int i = 0; i < 20; i++) cr_assert_eq(calls[i].rc, RG_ECONNECT);
  rg_http_multi_free(m);
  cr_assert_eq(rg_http_multi_open(&m, h, RG_INFLIGHT_MAX_CAP + 1, err), RG_EINVAL);
  cr_assert_null(m);
  rg_http_calls_free(calls, 20);
  rg_http_free(h);
  rg_strlist_free(&hosts);
}

static void *cancel_later(void *ud) {
  struct fixture *f = ud;
  usleep(200 * 1000);
  f->cancel = 1;
  return NULL;
}

Test(http_multi, a_stop_in_the_middle_abandons_what_is_in_flight) {
  struct fixture f;
  setup_fixture(&f, NULL, 10000, 4);
  for (int i = 0; i < NCALLS; i += 2) f.calls[i].path = "/hang"; /* the odd ones answer */
  pthread_t t;
  pthread_create(&t, NULL, cancel_later, &f);
  int judged = 0;
  char err[RG_ERRBUF] = "";
  double t0 = now_s();
  cr_assert_eq(rg_http_multi_perform(f.m, f.calls, NCALLS, judge, &judged, err), RG_ESTOPPED);
  double took = now_s() - t0;
  pthread_join(t, NULL);
  cr_assert_lt(took, 1.0, "stopped within a poll of the flag: %.3f s", took);
  size_t stopped = 0;
  for (int i = 0; i < NCALLS; i++) {
    cr_assert(f.calls[i].rc == RG_OK || f.calls[i].rc == RG_ESTOPPED, "%d: %d", i, f.calls[i].rc);
    cr_assert(f.calls[i].rc == RG_OK || i % 2 == 0 || strstr(f.calls[i].err, "not sent"), "%d", i);
    stopped += f.calls[i].rc == RG_ESTOPPED;
  }
  cr_assert_geq(stopped, NCALLS / 2);
  teardown_fixture(&f);
}
