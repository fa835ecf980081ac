/* The metrics series, readiness and the exposition text (registrator/metrics.c). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "registrator/metrics.h"
#include "tests/unit/rg_test.h"

RG_SUITE(metrics);

static struct rg_metrics *new_metrics(void) {
  struct rg_metrics *m = NULL;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_metrics_new(&m, "1.2.3", err), RG_OK);
  return m;
}

/* The rendered exposition (malloc()ed). */
static char *render(struct rg_metrics *m) {
  struct rg_buf b = {0};
  cr_assert_eq(rg_metrics_render(m, &b), RG_OK);
  return b.data;
}

static void assert_has(const char *text, const char *line) {
  cr_assert(strstr(text, line) != NULL, "missing \"%s\" in:\n%s", line, text);
}

Test(metrics, null_means_off_and_every_call_is_a_no_op) {
  rg_metrics_event(NULL, "start");
  rg_metrics_stream(NULL, true);
  rg_metrics_heartbeat(NULL);
  rg_metrics_first_sync(NULL);
  cr_assert_null(rg_metrics_registry_open(NULL, "x"));
  rg_metrics_op(NULL, RG_METRICS_REGISTER, RG_METRICS_OK, 1);
  rg_metrics_request(NULL, 0.1);
  rg_metrics_registry_state(NULL, true, 1, 0, true);
  rg_metrics_registry_close(NULL);
  cr_assert_not(rg_metrics_healthy(NULL));
  cr_assert_not(rg_metrics_ready(NULL, NULL));
  rg_metrics_free(NULL);
}

Test(metrics, events_count_by_action_with_unknown_ones_as_other) {
  struct rg_metrics *m = new_metrics();
  rg_metrics_event(m, "start");
  rg_metrics_event(m, "start");
  rg_metrics_event(m, "health_status: healthy");
  rg_metrics_event(m, "exec_start: sh -c true");
  rg_metrics_event(m, "teleport");
  rg_metrics_event(m, "star");
  rg_metrics_event(m, "");
  char *t = render(m);
  assert_has(t, "registrator_docker_events_total{action=\"start\"} 2\n");
  assert_has(t, "registrator_docker_events_total{action=\"health_status\"} 1\n");
  assert_has(t, "registrator_docker_events_total{action=\"exec_start\"} 1\n");
  assert_has(t, "registrator_docker_events_total{action=\"other\"} 3\n");
  assert_has(t, "registrator_build_info{version=\"1.2.3\"} 1\n");
  free(t);
  rg_metrics_free(m);
}

Test(metrics, a_stream_that_comes_back_counts_one_reconnect) {
  struct rg_metrics *m = new_metrics();
  rg_metrics_stream(m, false); /* could not subscribe at start */
  rg_metrics_stream(m, true);
  char *t = render(m);
  assert_has(t, "registrator_docker_stream_up 1\n");
  assert_has(t, "registrator_docker_reconnects_total 0\n");
  free(t);
  rg_metrics_stream(m, false);
  rg_metrics_stream(m, false);
  t = render(m);
  assert_has(t, "registrator_docker_stream_up 0\n");
  free(t);
  rg_metrics_stream(m, true);
  rg_metrics_stream(m, true); /* no transition */
  t = render(m);
  assert_has(t, "registrator_docker_reconnects_total 1\n");
  free(t);
  rg_metrics_free(m);
}

Test(metrics, readiness_names_what_is_not_ready) {
  struct rg_metrics *m = new_metrics();
  struct rg_metrics_registry *r = rg_metrics_registry_open(m, "etcd://h:2379/p");
  struct rg_buf why = {0};
  cr_assert_not(rg_metrics_ready(m, &why));
  assert_has(why.data, "first sync not done\n");
  assert_has(why.data, "docker event stream down\n");
  assert_has(why.data, "registry etcd://h:2379/p: no pass yet\n");
  rg_metrics_first_sync(m);
  rg_metrics_stream(m, true);
  rg_metrics_registry_state(r, true, 3, 1, false);
  rg_buf_reset(&why);
  cr_assert_not(rg_metrics_ready(m, &why));
  cr_assert_str_eq(why.data, "registry etcd://h:2379/p: first pass not done\n");
  rg_metrics_registry_state(r, true, 4, 0, true);
  rg_buf_reset(&why);
  cr_assert(rg_metrics_ready(m, &why));
  cr_assert_str_eq(why.data, "ready\n");
  rg_metrics_registry_state(r, false, 4, 2, false); /* first_pass_done stays */
  rg_buf_reset(&why);
  cr_assert_not(rg_metrics_ready(m, &why));
  cr_assert_str_eq(why.data, "registry etcd://h:2379/p: not answering\n");
  char line[160];
  rg_metrics_summary(m, line, sizeof line);
  cr_assert_str_eq(line, "4 service(s) in 0/1 registry up; docker stream up");
  rg_buf_free(&why);
  rg_metrics_free(m); /* closes r */
}

Test(metrics, health_follows_the_heartbeat) {
  struct rg_metrics *m = new_metrics();
  cr_assert_not(rg_metrics_healthy(m)); /* the loop never turned */
  rg_metrics_heartbeat(m);
  cr_assert(rg_metrics_healthy(m));
  rg_metrics_free(m);
}

Test(metrics, registry_series_render_escaped_and_cumulative_and_go_with_close) {
  struct rg_metrics *m = new_metrics();
  struct rg_metrics_registry *a = rg_metrics_registry_open(m, "etcd://h/\"q\"\\");
  struct rg_metrics_registry *b = rg_metrics_registry_open(m, "consul://c:8500");
  rg_metrics_op(a, RG_METRICS_REGISTER, RG_METRICS_OK, 5);
  rg_metrics_op(a, RG_METRICS_REGISTER, RG_METRICS_REFUSED, 1);
  rg_metrics_op(a, RG_METRICS_LIST, RG_METRICS_ERROR, 2);
  rg_metrics_request(a, 0.0005);
  rg_metrics_request(a, 0.3);
  rg_metrics_request(a, 99);
  rg_metrics_registry_state(a, true, 5, 0, true);
  rg_metrics_registry_state(b, false, 0, 7, false);
  char *t = render(m);
  const char *L = "registry=\"etcd://h/\\\"q\\\"\\\\\"";
  char want[256];
  snprintf(want, sizeof want, "registrator_registry_operations_total{%s,op=\"register\",result=\"ok\"} 5\n", L);
  assert_has(t, want);
  snprintf(want, sizeof want, "registrator_registry_operations_total{%s,op=\"register\",result=\"refused\"} 1\n", L);
  assert_has(t, want);
  snprintf(want, sizeof want, "registrator_registry_operations_total{%s,op=\"list\",result=\"error\"} 2\n", L);
  assert_has(t, want);
  snprintf(want, sizeof want, "registrator_registry_request_duration_seconds_bucket{%s,le=\"0.001\"} 1\n", L);
  assert_has(t, want);
  snprintf(want, sizeof want, "registrator_registry_request_duration_seconds_bucket{%s,le=\"0.5\"} 2\n", L);
  assert_has(t, want);
  snprintf(want, sizeof want, "registrator_registry_request_duration_seconds_bucket{%s,le=\"10\"} 2\n", L);
  assert_has(t, want);
  snprintf(want, sizeof want, "registrator_registry_request_duration_seconds_bucket{%s,le=\"+Inf\"} 3\n", L);
  assert_has(t, want);
  snprintf(want, sizeof want, "registrator_registry_request_duration_seconds_count{%s} 3\n", L);
  assert_has(t, want);
  snprintf(want, sizeof want, "registrator_services{%s} 5\n", L);
  assert_has(t, want);
  assert_has(t, "registrator_pending_operations{registry=\"consul://c:8500\"} 7\n");
  assert_has(t, "registrator_registry_up{registry=\"consul://c:8500\"} 0\n");
  assert_has(t, "registrator_last_sync_timestamp_seconds{registry=\"consul://c:8500\"} 0.000\n");
  free(t);
  rg_metrics_registry_close(b);
  t = render(m);
  cr_assert_null(strstr(t, "consul://"), "a closed registry's series stay:\n%s", t);
  free(t);
  rg_metrics_free(m);
}

/* ---- many threads at once: counts are exact ---- */

struct worker {
  struct rg_metrics *m;
  struct rg_metrics_registry *r;
};

static void *hammer(void *ud) {
  struct worker *w = ud;
  for (int i = 0; i < 20000; i++) {
    rg_metrics_op(w->r, RG_METRICS_REGISTER, RG_METRICS_OK, 1);
    rg_metrics_request(w->r, 0.002);
    rg_metrics_registry_state(w->r, true, (size_t)i, 0, true);
  }
  return NULL;
}

static void *events(void *ud) {
  struct worker *w = ud;
  for (int i = 0; i < 100000; i++) {
    rg_metrics_event(w->m, i % 2 ? "start" : "die");
    rg_metrics_heartbeat(w->m);
  }
  return NULL;
}

Test(metrics, concurrent_writers_and_a_reader_lose_no_count) {
  struct rg_metrics *m = new_metrics();
  struct worker w[3];
  pthread_t t[4];
  char label[32];
  for (int i = 0; i < 3; i++) {
    snprintf(label, sizeof label, "etcd://r%d", i);
    w[i] = (struct worker){m, rg_metrics_registry_open(m, label)};
    cr_assert_eq(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
  }
  cr_assert_eq(pthread_create(&t[3], NULL, events, &w[0]), 0);
  for (int i = 0; i < 50; i++) {
    char *text = render(m);
    free(text);
  }
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  char *text = render(m);
  assert_has(text, "registrator_docker_events_total{action=\"start\"} 50000\n");
  assert_has(text, "registrator_docker_events_total{action=\"die\"} 50000\n");
  for (int i = 0; i < 3; i++) {
    char want[160];
    snprintf(want, sizeof want,
             "registrator_registry_operations_total{registry=\"etcd://r%d\",op=\"register\",result=\"ok\"} 20000\n", i);
    assert_has(text, want);
    snprintf(want, sizeof want, "registrator_registry_request_duration_seconds_count{registry=\"etcd://r%d\"} 20000\n",
             i);
    assert_has(text, want);
  }
  free(text);
  rg_metrics_free(m);
}
