/* engine.c - see engine.h. */
#include "registrator/engine.h"

#include "registrator/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An immutable desired set shared by the workers. */
struct snapshot {
  int refs; /* under the engine's mutex */
  uint64_t gen;
  struct rg_service_list list;
};

struct worker {
  struct rg_engine *e;
  struct rg_reconciler *rc; /* touched by the worker thread alone while it runs */
  char *uri, *label;        /* owned copies: read on the engine's thread */
  struct rg_registry *newest; /* the engine thread's view: the registry last handed over (its cfg) */
  pthread_t thread;
  bool started;
  pthread_cond_t wake;
  /* under e->mu */
  struct snapshot *snap; /* the newest published */
  unsigned flags;        /* RG_STEP_* for the next step */
  struct rg_reconciler_policy policy;
  bool policy_changed;
  struct rg_registry *fresh; /* reopened with new settings, not yet taken over */
  bool stop, deregister_on_stop, done;
  uint64_t stepped_gen;
  bool stepped;
  struct rg_engine_status status;
  struct worker *next_retired;
};

struct rg_engine {
  pthread_mutex_t mu;
  pthread_cond_t progress; /* a worker stepped or ended */
  struct worker **w;
  size_t n, cap;
  struct worker *retired; /* removed, ending on their own */
  const struct rg_log *log;
  struct rg_metrics *metrics; /* NULL: off */
};

static void snap_unref(struct rg_engine *e, struct snapshot *s) {
  if (s == NULL) return;
  pthread_mutex_lock(&e->mu);
  bool last = --s->refs == 0;
  pthread_mutex_unlock(&e->mu);
  if (last) {
    rg_service_list_free(&s->list);
    free(s);
  }
}

static void deadline_ts(int64_t at_ms, struct timespec *ts) {
  ts->tv_sec = (time_t)(at_ms / 1000);
  ts->tv_nsec = (long)(at_ms % 1000) * 1000000L;
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  struct rg_engine *e = w->e;
  pthread_mutex_lock(&e->mu);
  for (;;) {
    while (!w->stop && w->snap == NULL) pthread_cond_wait(&w->wake, &e->mu); /* nothing published yet */
    if (w->stop) break;
    struct snapshot *s = w->snap;
    s->refs++;
    unsigned flags = w->flags;
    w->flags = 0;
    if (w->policy_changed) {
      rg_reconciler_set_policy(w->rc, &w->policy, rg_now_ms());
      w->policy_changed = false;
    }
    struct rg_registry *fresh = w->fresh;
    w->fresh = NULL;
    pthread_mutex_unlock(&e->mu);

    if (fresh) rg_reconciler_reopen(w->rc, fresh);
    int64_t next = rg_reconciler_step(w->rc, &s->list, s->gen, flags, rg_now_ms());
    uint64_t gen = s->gen;
    snap_unref(e, s);

    pthread_mutex_lock(&e->mu);
    w->stepped_gen = gen;
    w->stepped = true;
    w->status.up = w->rc->reg->up;
    w->status.in_step = w->rc->in_step;
    w->status.passed = w->rc->passed;
    w->status.pending = w->rc->pending;
    w->status.registered = w->rc->reg->registered.n;
    rg_metrics_registry_state(w->rc->reg->metrics, w->status.up, w->status.registered, w->status.pending,
                              w->status.passed);
    pthread_cond_broadcast(&e->progress);
    /* sleep until something new is published, a flag is raised, or the
     * reconciler's next deadline */
    while (!w->stop && w->flags == 0 && !w->policy_changed && !w->fresh && w->snap->gen == gen) {
      if (next < 0) {
        pthread_cond_wait(&w->wake, &e->mu);
      } else {
        if (rg_now_ms() >= next) break;
        struct timespec ts;
        deadline_ts(next, &ts);
        pthread_cond_timedwait(&w->wake, &e->mu, &ts);
      }
    }
    if (w->stop) break;
  }
  bool deregister = w->deregister_on_stop;
  struct rg_registry *fresh = deregister ? w->fresh : NULL; /* a reload's settings: they deregister */
  if (fresh) w->fresh = NULL;
  pthread_mutex_unlock(&e->mu);
  if (fresh) rg_reconciler_reopen(w->rc, fresh);
  if (deregister) {
    size_t failed = rg_reconciler_deregister_all(w->rc);
    if (failed)
      rg_log(e->log, RG_LOG_WARN, "%s: %zu service(s) could not be deregistered", w->rc->reg->label, failed);
  }
  pthread_mutex_lock(&e->mu);
  w->done = true;
  pthread_cond_broadcast(&e->progress);
  pthread_mutex_unlock(&e->mu);
  return NULL;
}

int rg_engine_new(struct rg_engine **out, const struct rg_log *log, char *err) {
  *out = NULL;
  struct rg_engine *e = calloc(1, sizeof *e);
  if (e == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  pthread_mutex_init(&e->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&e->progress, &ca);
  pthread_condattr_destroy(&ca);
  e->log = log;
  *out = e;
  return RG_OK;
}

static void worker_free(struct rg_engine *e, struct worker *w) {
  if (w == NULL) return;
  if (w->started) pthread_join(w->thread, NULL);
  snap_unref(e, w->snap);
  pthread_cond_destroy(&w->wake);
  rg_registry_close(w->fresh);
  rg_reconciler_free(w->rc);
  free(w->uri);
  free(w->label);
  free(w);
}

/* Joins the retired workers that have ended. */
static void reap(struct rg_engine *e, bool all) {
  pthread_mutex_lock(&e->mu);
  struct worker **p = &e->retired;
  while (*p) {
    struct worker *w = *p;
    if (!all && !w->done) {
      p = &w->next_retired;
      continue;
    }
    *p = w->next_retired;
    pthread_mutex_unlock(&e->mu);
    worker_free(e, w);
    pthread_mutex_lock(&e->mu);
  }
  pthread_mutex_unlock(&e->mu);
}

static void stop_all(struct rg_engine *e) {
  pthread_mutex_lock(&e->mu);
  for (size_t i = 0; i < e->n; i++) {
    e->w[i]->stop = true;
    pthread_cond_signal(&e->w[i]->wake);
  }
  pthread_mutex_unlock(&e->mu);
  for (size_t i = 0; i < e->n; i++)
    if (e->w[i]->started) {
      pthread_join(e->w[i]->thread, NULL);
      e->w[i]->started = false;
    }
}

void rg_engine_stop(struct rg_engine *e) {
  if (e) stop_all(e);
}

void rg_engine_deregister_all(struct rg_engine *e) {
  for (size_t i = 0; e && i < e->n; i++) {
    if (e->w[i]->fresh) { /* a reload's settings the worker did not take over: they deregister */
      rg_reconciler_reopen(e->w[i]->rc, e->w[i]->fresh);
      e->w[i]->fresh = NULL;
    }
    size_t failed = rg_reconciler_deregister_all(e->w[i]->rc);
    if (failed)
      rg_log(e->log, RG_LOG_WARN, "%s: %zu service(s) could not be deregistered on exit",
             e->w[i]->label, failed);
  }
}

void rg_engine_free(struct rg_engine *e) {
  if (e == NULL) return;
  stop_all(e);
  for (size_t i = 0; i < e->n; i++) worker_free(e, e->w[i]);
  free(e->w);
  reap(e, true);
  pthread_cond_destroy(&e->progress);
  pthread_mutex_destroy(&e->mu);
  free(e);
}

void rg_engine_set_metrics(struct rg_engine *e, struct rg_metrics *m) {
  pthread_mutex_lock(&e->mu);
  e->metrics = m;
  for (size_t i = 0; i < e->n; i++) {
    struct rg_registry *reg = e->w[i]->rc->reg;
    rg_registry_set_metrics(reg, rg_metrics_registry_open(m, reg->label));
  }
  pthread_mutex_unlock(&e->mu);
}

int rg_engine_add(struct rg_engine *e, struct rg_registry *reg, const struct rg_reconciler_policy *policy,
                  const char *hostname, char *err) {
  reap(e, false);
  if (e->metrics) rg_registry_set_metrics(reg, rg_metrics_registry_open(e->metrics, reg->label));
  if (e->n == e->cap) {
    size_t cap = e->cap ? e->cap * 2 : 4;
    struct worker **grown = realloc(e->w, cap * sizeof *grown);
    if (grown == NULL) {
      rg_registry_close(reg);
      return rg_err(err, RG_ENOMEM, "out of memory");
    }
    e->w = grown;
    e->cap = cap;
  }
  struct worker *w = calloc(1, sizeof *w);
  if (w == NULL || (w->uri = rg_strdup(reg->uri)) == NULL || (w->label = rg_strdup(reg->label)) == NULL) {
    if (w) free(w->uri);
    free(w);
    rg_registry_close(reg);
    return rg_err(err, RG_ENOMEM, "out of memory");
  }
  int rc = rg_reconciler_new(&w->rc, reg, policy, hostname, rg_now_ms(), err);
  if (rc) {
    free(w->uri);
    free(w->label);
    free(w);
    return rc;
  }
  w->e = e;
  w->newest = reg;
  w->policy = *policy;
  w->status.label = w->label;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&w->wake, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_lock(&e->mu);
  if (e->n > 0 && e->w[0]->snap) { /* catch up with what is published */
    w->snap = e->w[0]->snap;
    w->snap->refs++;
    w->flags = RG_STEP_VERIFY;
  }
  pthread_mutex_unlock(&e->mu);
  if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
    worker_free(e, w);
    return rg_err(err, RG_ENOMEM, "cannot start a worker for %s", reg->label);
  }
  w->started = true;
  pthread_mutex_lock(&e->mu);
  e->w[e->n++] = w;
  pthread_mutex_unlock(&e->mu);
  return RG_OK;
}

static size_t find(const struct rg_engine *e, const char *uri) {
  for (size_t i = 0; i < e->n; i++)
    if (strcmp(e->w[i]->uri, uri) == 0) return i;
  return e->n;
}

bool rg_engine_has(const struct rg_engine *e, const char *uri) { return find(e, uri) < e->n; }

bool rg_engine_remove(struct rg_engine *e, const char *uri, bool deregister) {
  size_t i = find(e, uri);
  if (i == e->n) return false;
  pthread_mutex_lock(&e->mu);
  struct worker *w = e->w[i];
  memmove(&e->w[i], &e->w[i + 1], (e->n - i - 1) * sizeof *e->w);
  e->n--;
  w->stop = true;
  w->deregister_on_stop = deregister;
  pthread_cond_signal(&w->wake);
  w->next_retired = e->retired;
  e->retired = w;
  pthread_mutex_unlock(&e->mu);
  reap(e, false);
  return true;
}

bool rg_engine_reopen(struct rg_engine *e, struct rg_registry *fresh) {
  size_t i = find(e, fresh->uri);
  if (i == e->n) {
    rg_registry_close(fresh);
    return false;
  }
  pthread_mutex_lock(&e->mu);
  struct worker *w = e->w[i];
  struct rg_registry *superseded = w->fresh; /* an earlier reload's, never taken over */
  w->fresh = w->newest = fresh;
  pthread_cond_signal(&w->wake);
  pthread_mutex_unlock(&e->mu);
  rg_registry_close(superseded);
  return true;
}

const struct rg_adapter_config *rg_engine_config(const struct rg_engine *e, size_t i) { return &e->w[i]->newest->cfg; }

void rg_engine_set_policy(struct rg_engine *e, const struct rg_reconciler_policy *policy) {
  pthread_mutex_lock(&e->mu);
  for (size_t i = 0; i < e->n; i++) {
    e->w[i]->policy = *policy;
    e->w[i]->policy_changed = true;
    pthread_cond_signal(&e->w[i]->wake);
  }
  pthread_mutex_unlock(&e->mu);
}

int rg_engine_publish(struct rg_engine *e, const struct rg_service_list *desired, uint64_t gen, unsigned flags) {
  reap(e, false);
  struct snapshot *s = calloc(1, sizeof *s);
  int rc = s ? RG_OK : RG_ENOMEM;
  for (size_t i = 0; rc == RG_OK && i < desired->n; i++) rc = rg_service_list_push_copy(&s->list, &desired->items[i]);
  if (rc) {
    if (s) rg_service_list_free(&s->list);
    free(s);
    return rc;
  }
  s->gen = gen;
  s->refs = 1; /* the publisher's, dropped below */
  pthread_mutex_lock(&e->mu);
  for (size_t i = 0; i < e->n; i++) {
    struct worker *w = e->w[i];
    struct snapshot *prev = w->snap;
    w->snap = s;
    s->refs++;
    w->flags |= flags;
    if (prev && --prev->refs == 0) { /* no worker is stepping on it: free it here */
      rg_service_list_free(&prev->list);
      free(prev);
    }
    pthread_cond_signal(&w->wake);
  }
  bool last = --s->refs == 0;
  pthread_mutex_unlock(&e->mu);
  if (last) { /* no registry open */
    rg_service_list_free(&s->list);
    free(s);
  }
  return RG_OK;
}

size_t rg_engine_count(const struct rg_engine *e) { return e->n; }
const char *rg_engine_uri(const struct rg_engine *e, size_t i) { return e->w[i]->uri; }
const char *rg_engine_label(const struct rg_engine *e, size_t i) { return e->w[i]->label; }

void rg_engine_status(struct rg_engine *e, size_t i, struct rg_engine_status *out) {
  pthread_mutex_lock(&e->mu);
  if (i < e->n) *out = e->w[i]->status;
  else memset(out, 0, sizeof *out);
  pthread_mutex_unlock(&e->mu);
}

bool rg_engine_wait(struct rg_engine *e, uint64_t gen, int64_t deadline_ms, const volatile int *stop) {
  pthread_mutex_lock(&e->mu);
  for (;;) {
    bool all = true;
    for (size_t i = 0; all && i < e->n; i++) all = e->w[i]->stepped && e->w[i]->stepped_gen >= gen;
    int64_t now = rg_now_ms();
    if (all || now >= deadline_ms || (stop && *stop)) {
      pthread_mutex_unlock(&e->mu);
      return all;
    }
    struct timespec ts;
    deadline_ts(now + 100 < deadline_ms ? now + 100 : deadline_ms, &ts); /* wakes to look at stop */
    pthread_cond_timedwait(&e->progress, &e->mu, &ts);
  }
}
