/* test_host.c - what events do to the desired set (registrator/host.c),
 * driven by the recorded event stream of tests/fixtures/events and a
 * Docker of the test's own that answers the reads the decisions ask for. */
#include <stdio.h>
#include <string.h>

#include "docker/events.h"
#include "registrator/host.h"
#include "tests/unit/model_util.h"

RG_SUITE(host);

/* The Docker of the test: which containers run, with what services. */
struct world {
  struct rg_host h;
  const char *running[4]; /* ids answering an inspect */
  int port[4];
  const char *name[4];
  size_t reads, predicts;
};

static void one_service(struct rg_service_list *l, const char *cid, const char *name, int port) {
  char id[96];
  snprintf(id, sizeof id, "h:%.12s:80", cid);
  struct rg_service s = {.id = id, .name = (char *)name, .ip = "10.0.0.1", .port = port, .proto = "tcp",
                         .container_id = (char *)cid};
  cr_assert_eq(rg_service_list_upsert(l, &s), RG_OK);
}

static void read_it(struct world *w, const char *id) {
  w->reads++;
  struct rg_service_list found = {0};
  for (size_t i = 0; i < 4; i++)
    if (w->running[i] && strcmp(w->running[i], id) == 0) {
      one_service(&found, id, w->name[i], w->port[i]);
      rg_host_take(&w->h, id, RG_OK, &found, NULL);
      return;
    }
  rg_host_take(&w->h, id, RG_ENOTFOUND, &found, "no such container");
}

static int on_event(void *ud, const struct rg_event *ev) {
  struct world *w = ud;
  unsigned todo = rg_host_event(&w->h, ev->action, ev->id, ev->exit_code);
  if (todo & RG_HOST_PREDICT) w->predicts++;
  if (todo & RG_HOST_READ) read_it(w, ev->id);
  return 0;
}

static const char *A = "55e4638af1a693064874633b075d1c637856c58a9943b75ea471a09d0ca3ede4";

/* Feeds the recorded lines [from, to) of the lifecycle fixture. */
static void feed(struct world *w, int from, int to) {
  size_t len;
  char *all = rg_test_fixture("events/container-lifecycle.jsonl", &len);
  struct rg_event_parser *p = NULL;
  cr_assert_eq(rg_event_parser_new(&p, 65536, on_event, w), RG_OK);
  char *line = all, err[RG_ERRBUF];
  for (int i = 0; i < to && *line; i++) {
    char *nl = strchr(line, '\n');
    size_t n = nl ? (size_t)(nl - line + 1) : strlen(line);
    if (i >= from) cr_assert_eq(rg_event_parser_feed(p, line, n, err), RG_OK, "%s", err);
    line += n;
  }
  rg_event_parser_free(p);
  free(all);
}

Test(host, the_recorded_lifecycle_registers_renames_pauses_and_drops) {
  struct world w = {.running = {A}, .port = {8080}, .name = {"x"}};
  rg_host_init(&w.h, RG_DEREGISTER_ALWAYS, &test_log);
  feed(&w, 0, 2); /* create, start */
  cr_expect_eq(w.predicts, 1, "a create asks for a prediction");
  cr_assert_eq(w.h.desired.n, 1, "start reads and registers");
  cr_expect_str_eq(w.h.desired.items[0].name, "x");
  w.name[0] = "x-renamed";
  uint64_t gen = w.h.gen;
  feed(&w, 2, 3); /* rename */
  cr_expect_str_eq(w.h.desired.items[0].name, "x-renamed", "a rename re-reads");
  cr_expect_gt(w.h.gen, gen, "a change bumps the generation");
  feed(&w, 3, 4); /* pause */
  cr_expect_eq(w.h.desired.n, 0, "a paused container is taken out");
  feed(&w, 4, 6); /* unpause, health_status */
  cr_expect_eq(w.h.desired.n, 1, "unpause and health_status read it back");
  w.running[0] = NULL;
  feed(&w, 6, 17); /* the second container, kills, dies, destroys */
  cr_expect_eq(w.h.desired.n, 0, "die drops it");
  cr_expect_eq(w.h.known.n, 0);
  rg_host_free(&w.h);
  reset_log();
}

Test(host, on_success_keeps_a_failed_container_and_drops_a_clean_exit) {
  struct rg_host h;
  rg_host_init(&h, RG_DEREGISTER_ON_SUCCESS, &test_log);
  struct rg_service_list l = {0};
  one_service(&l, A, "x", 1);
  rg_host_take(&h, A, RG_OK, &l, NULL);
  cr_expect_eq(rg_host_event(&h, "die", A, 1), 0);
  cr_expect_eq(h.desired.n, 1, "exit 1: kept");
  cr_expect(log_has("info", "exited 1; kept"));
  rg_host_event(&h, "die", A, 137);
  cr_expect_eq(h.desired.n, 0, "killed by a signal: dropped");
  rg_host_free(&h);
  reset_log();
}

Test(host, a_prediction_is_written_at_start_before_the_read) {
  struct rg_host h;
  rg_host_init(&h, RG_DEREGISTER_ALWAYS, &test_log);
  cr_expect_eq(rg_host_event(&h, "create", A, -1), RG_HOST_PREDICT);
  struct rg_service_list p = {0};
  one_service(&p, A, "predicted", 9000);
  rg_host_predict(&h, A, &p);
  cr_expect_eq(h.desired.n, 0, "nothing is desired before the start");
  cr_expect_eq(rg_host_event(&h, "start", A, -1), RG_HOST_READ, "start still reads");
  cr_assert_eq(h.desired.n, 1, "the prediction is in the desired set at once");
  cr_expect_str_eq(h.desired.items[0].name, "predicted");
  rg_host_event(&h, "destroy", A, -1);
  cr_expect_eq(h.desired.n, 0);
  rg_host_free(&h);
  reset_log();
}

/* A host whose first resync found container A running and read it (one
 * service "x"); running holds A for the test's later resyncs. */
static void host_with_a_read(struct rg_host *h, struct rg_strlist *running) {
  rg_host_init(h, RG_DEREGISTER_ALWAYS, &test_log);
  struct rg_strlist unread = {0};
  rg_strlist_add(running, A);
  cr_assert_eq(rg_host_resync(h, running, &unread), RG_OK);
  cr_assert_eq(unread.n, 1, "first resync: every container is read");
  struct rg_service_list l = {0};
  one_service(&l, A, "x", 1);
  rg_host_take(h, A, RG_OK, &l, NULL);
  rg_strlist_free(&unread);
}

Test(host, a_failed_read_keeps_what_was_there_and_the_next_resync_reads_it) {
  struct rg_host h;
  struct rg_strlist running = {0}, unread = {0};
  host_with_a_read(&h, &running);
  cr_assert_eq(rg_host_resync(&h, &running, &unread), RG_OK);
  cr_expect_eq(unread.n, 0, "a periodic resync reads nothing already read");
  struct rg_service_list none = {0};
  rg_host_take(&h, A, RG_EIO, &none, "docker hiccup");
  cr_expect_eq(h.desired.n, 1, "a failed read keeps the services");
  cr_expect(log_has("warn", "docker hiccup"));
  cr_assert_eq(rg_host_resync(&h, &running, &unread), RG_OK);
  cr_expect_eq(unread.n, 1, "and the next resync reads it again");
  rg_strlist_free(&unread);
  rg_strlist_free(&running);
  rg_host_free(&h);
  reset_log();
}

Test(host, a_stream_gap_makes_a_full_resync_that_drops_what_vanished) {
  struct rg_host h;
  struct rg_strlist running = {0}, unread = {0};
  host_with_a_read(&h, &running);
  rg_strlist_free(&running); /* A died while the stream was down: no event */
  h.full = true;             /* what the daemon sets on a reconnect */
  uint64_t gen = h.gen;
  cr_assert_eq(rg_host_resync(&h, &running, &unread), RG_OK);
  cr_expect_eq(h.desired.n, 0, "gone after the gap");
  cr_expect_gt(h.gen, gen);
  cr_expect_not(h.full);
  rg_host_free(&h);
  reset_log();
}

/* Podman 4.3 sends a bare "health_status", sometimes before it saves the new
 * status, so the read it triggers may see the old one: the container is read
 * again at the next resync. Docker's "health_status: healthy" needs no second
 * read. */
Test(host, a_bare_health_status_is_read_again_at_the_next_resync) {
  struct rg_host h;
  struct rg_strlist running = {0}, unread = {0};
  host_with_a_read(&h, &running);
  cr_expect_eq(rg_host_event(&h, "health_status: healthy", A, -1), RG_HOST_READ);
  struct rg_service_list none = {0};
  rg_host_take(&h, A, RG_OK, &none, NULL);
  cr_assert_eq(rg_host_resync(&h, &running, &unread), RG_OK);
  cr_expect_eq(unread.n, 0, "Docker's event carries the status: one read is enough");
  cr_expect_eq(rg_host_event(&h, "health_status", A, -1), RG_HOST_READ);
  rg_host_take(&h, A, RG_OK, &none, NULL); /* read the status of before */
  cr_assert_eq(rg_host_resync(&h, &running, &unread), RG_OK);
  cr_expect_eq(unread.n, 1, "Podman's bare event: read again at the next resync");
  struct rg_service_list l = {0};
  one_service(&l, A, "x", 1);
  rg_host_take(&h, A, RG_OK, &l, NULL); /* the resync's read */
  cr_expect_eq(h.desired.n, 1);
  rg_strlist_free(&unread);
  cr_assert_eq(rg_host_resync(&h, &running, &unread), RG_OK);
  cr_expect_eq(unread.n, 0, "and only once");
  rg_strlist_free(&running);
  rg_host_free(&h);
  reset_log();
}
