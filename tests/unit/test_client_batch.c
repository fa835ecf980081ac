/* test_client_batch.c - rg_docker_inspect_many (docker/batch.c) against the
 * fake server of fake_docker.h: results in the order asked whatever the
 * order of completion, per-container errors delivered, cancellation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker/client.h"
#include "tests/unit/fake_docker.h"
#include "tests/unit/rg_test.h"

RG_SUITE(client_batch);

#define NIDS 12

struct got {
  size_t n;
  size_t order[NIDS + 4];
  int rc[NIDS + 4];
  char id[NIDS + 4][16];
  char err[NIDS + 4][RG_ERRBUF];
};

static void on_done(void *ud, size_t i, int rc, struct rg_container *c, const char *err) {
  struct got *g = ud;
  g->order[g->n] = i;
  g->rc[g->n] = rc;
  snprintf(g->id[g->n], sizeof g->id[0], "%s", c ? c->id : "");
  snprintf(g->err[g->n], sizeof g->err[0], "%s", err ? err : "");
  g->n++;
  rg_container_free(c);
}

/* Routes for containers c0..c<NIDS-1>: a minimal inspect document each;
 * c3 is missing (Docker's 404), c5 sends a body over the cap. */
struct fixture {
  char *bodies[NIDS];
  char targets[NIDS][64];
  struct route routes[NIDS + 1];
  char *ids[NIDS];
  char *big;
};

static void fixture_init(struct fixture *f) {
  memset(f, 0, sizeof *f);
  f->routes[0] = (struct route){"/_ping", PING("1.41"), 0};
  for (int i = 0; i < NIDS; i++) {
    char id[16], doc[256];
    snprintf(id, sizeof id, "c%d", i);
    f->ids[i] = strdup(id);
    snprintf(f->targets[i], sizeof f->targets[i], "/v1.41/containers/%s/json", id);
    snprintf(doc, sizeof doc,
             "{\"Id\":\"%s\",\"Name\":\"/%s\",\"State\":{\"Running\":true},\"Config\":{}}", id, id);
    f->bodies[i] = http("200 OK", "application/json", doc);
    f->routes[i + 1] = (struct route){f->targets[i], f->bodies[i], 0};
  }
  f->routes[3 + 1].response = JSON("404 Not Found", 36) "{\"message\":\"No such container: c3\"}\n";
  size_t body = RG_DOCKER_INSPECT_MAX + 1;
  struct rg_buf head = {0};
  rg_buf_printf(&head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", body);
  f->big = malloc(head.len + body);
  memcpy(f->big, head.data, head.len);
  memset(f->big + head.len, ' ', body);
  f->routes[5 + 1] = (struct route){f->targets[5], f->big, head.len + body};
  rg_buf_free(&head);
}

static void fixture_free(struct fixture *f) {
  for (int i = 0; i < NIDS; i++) {
    free(f->bodies[i]);
    free(f->ids[i]);
  }
  free(f->big);
}

static void check_results(const struct got *g) {
  cr_assert_eq(g->n, NIDS);
  for (size_t i = 0; i < NIDS; i++) {
    cr_assert_eq(g->order[i], i, "delivered out of order at %zu: %zu", i, g->order[i]);
    char want[16];
    snprintf(want, sizeof want, "c%zu", i);
    if (i == 3) {
      cr_assert_eq(g->rc[i], RG_ENOTFOUND);
      cr_assert(strstr(g->err[i], "inspect container c3: No such container: c3 (HTTP 404)"), "%s",
                g->err[i]);
    } else if (i == 5) {
      cr_assert_eq(g->rc[i], RG_ETOOBIG);
      cr_assert(strstr(g->err[i], "inspect container c5: response exceeds 4194304 bytes"), "%s",
                g->err[i]);
    } else {
      cr_assert_eq(g->rc[i], RG_OK, "%zu: %s", i, g->err[i]);
      cr_assert_str_eq(g->id[i], want);
    }
  }
}

Test(client_batch, results_come_in_the_order_asked_with_per_container_errors) {
  struct fixture f;
  fixture_init(&f);
  struct server s = serve(0, f.routes, NIDS + 1);
  for (int parallel = 1; parallel <= 8; parallel *= 2) {
    struct rg_docker *d = open_ok(s.host);
    struct got g = {0};
    char err[RG_ERRBUF] = "";
    cr_assert_eq(rg_docker_inspect_many(d, f.ids, NIDS, parallel, on_done, &g, err), RG_OK, "%s", err);
    check_results(&g);
    rg_docker_close(d);
  }
  stop_server(&s);
  fixture_free(&f);
}

Test(client_batch, nothing_to_read_calls_nothing) {
  struct rg_docker *d = open_ok("unix:///nonexistent/docker.sock");
  struct got g = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_inspect_many(d, NULL, 0, 4, on_done, &g, err), RG_OK);
  cr_assert_eq(g.n, 0);
  rg_docker_close(d);
}

Test(client_batch, docker_unreachable_stops_the_batch_before_any_read) {
  struct rg_docker *d = open_ok("unix:///nonexistent/docker.sock");
  char *ids[] = {"a", "b", "c"};
  struct got g = {0};
  char err[RG_ERRBUF] = "";
  /* the version negotiation (one ping) fails first: the batch stops */
  cr_assert_eq(rg_docker_inspect_many(d, ids, 3, 4, on_done, &g, err), RG_ECONNECT);
  cr_assert(strstr(err, "cannot connect to Docker at unix:///nonexistent/docker.sock"), "%s", err);
  cr_assert_eq(g.n, 0);
  rg_docker_close(d);
}

Test(client_batch, a_cancelled_batch_stops_with_estopped) {
  struct route r[] = {{"/_ping", PING("1.41"), 0},
                      {"/v1.41/containers/a/json", NULL, 0},
                      {"/v1.41/containers/b/json", NULL, 0}};
  struct server s = serve(0, r, 3);
  struct rg_docker *d = open_ok(s.host);
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_docker_ping(d, err), RG_OK, "%s", err);
  volatile int cancel = 1;
  rg_docker_set_cancel(d, &cancel);
  char *ids[] = {"a", "b"};
  struct got g = {0};
  cr_assert_eq(rg_docker_inspect_many(d, ids, 2, 4, on_done, &g, err), RG_ESTOPPED);
  cr_assert(strstr(err, "abandoned (stopping)"), "%s", err);
  cr_assert_eq(g.n, 0);
  rg_docker_close(d);
  stop_server(&s);
}
