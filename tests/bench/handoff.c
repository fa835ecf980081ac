/* handoff.c - what the sync engine's hand-off costs (make bench-handoff):
 * the time from rg_engine_publish() to the worker's call into the adapter,
 * on an adapter that answers at once, so no registry and no Docker are in
 * the figure: the wake-up of the worker thread, the copy of the desired
 * set and the reconcile step. One registry, one changed service per
 * publish, one publish per millisecond (an event burst is not the case
 * measured: there a worker behind skips to the newest snapshot).
 *
 *   build/bench-handoff [publishes]   (default 2000)
 *
 * Prints p50/p90/p99/max in microseconds; exit 1 if a publish is never
 * written within 5 s (the engine itself is broken). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registrator/engine.h"

/* when the adapter was called; the publisher sleeps on the condition
 * meanwhile, so that it takes no CPU from the worker */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int64_t written_ns;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int instant(void *state, const struct rg_service *s, char *err) {
  (void)state, (void)s, (void)err;
  int64_t t = now_ns();
  pthread_mutex_lock(&mu);
  written_ns = t;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
  return RG_OK;
}

static void nothing(void *state) { (void)state; }

static const struct rg_adapter instant_adapter = {
    .name = "instant", .register_service = instant, .deregister_service = instant, .close = nothing};

static int cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
  if (n < 10 || n > 1000000) {
    fprintf(stderr, "usage: %s [publishes: 10..1000000]\n", argv[0]);
    return 2;
  }
  static const struct rg_log quiet; /* zeroed: drops every line */
  char err[RG_ERRBUF];
  struct rg_engine *e = NULL;
  struct rg_registry *r = calloc(1, sizeof *r);
  int64_t *lat = malloc((size_t)n * sizeof *lat);
  if (r == NULL || lat == NULL || rg_engine_new(&e, &quiet, err) != RG_OK) return 1;
  r->adapter = &instant_adapter;
  r->uri = rg_strdup("instant://bench");
  r->label = rg_strdup("instant://bench");
  r->log = &quiet;
  const struct rg_reconciler_policy policy = {.retry_interval_ms = 1000};
  if (rg_engine_add(e, r, &policy, "h", err) != RG_OK) return 1;
  struct rg_service_list want = {0};
  int rc = 0;
  for (long i = 0; i < n && rc == 0; i++) {
    char id[32];
    snprintf(id, sizeof id, "h:c%ld:80", i % 2);
    struct rg_service s = {.id = id, .name = "web", .ip = "10.0.0.1", .port = (int)(1000 + i % 50000),
                           .proto = "tcp"};
    rg_service_list_free(&want);
    if (rg_service_list_upsert(&want, &s) != RG_OK) return 1;
    pthread_mutex_lock(&mu);
    written_ns = 0;
    pthread_mutex_unlock(&mu);
    int64_t t0 = now_ns();
    if (rg_engine_publish(e, &want, (uint64_t)i + 1, 0) != RG_OK) return 1;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    pthread_mutex_lock(&mu);
    while (written_ns == 0 && rc == 0)
      if (pthread_cond_timedwait(&cv, &mu, &deadline) != 0 && written_ns == 0) {
        fprintf(stderr, "bench-handoff: publish %ld was not written within 5 s\n", i + 1);
        rc = 1;
      }
    lat[i] = written_ns - t0;
    pthread_mutex_unlock(&mu);
    struct timespec gap = {0, 1000000};
    nanosleep(&gap, NULL);
  }
  if (rc == 0) {
    qsort(lat, (size_t)n, sizeof *lat, cmp);
    printf("engine hand-off (publish -> adapter call), %ld publishes: p50 %.1f us, p90 %.1f us, p99 %.1f us, "
           "max %.1f us\n",
           n, lat[n / 2] / 1e3, lat[n * 9 / 10] / 1e3, lat[n * 99 / 100] / 1e3, lat[n - 1] / 1e3);
  }
  rg_service_list_free(&want);
  rg_engine_free(e);
  free(lat);
  return rc;
}
