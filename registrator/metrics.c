/* metrics.c - see metrics.h. */
#include "registrator/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registrator/notify.h"

/* Docker's container actions (Engine API "Monitor events"); anything else
 * (a future action, a truncated one) is "other", the last slot. */
static const char *const actions[] = {
    "attach", "commit",  "copy",   "create", "destroy", "detach",  "die",    "exec_create",
    "exec_detach", "exec_die", "exec_start", "export", "health_status", "kill", "oom", "pause",
    "prune",  "rename",  "resize", "restart", "start",  "stop",    "top",    "unpause",
    "update", "other"};
#define N_ACTIONS RG_ARRAY_LEN(actions)

static const char *const op_names[] = {"register", "deregister", "refresh", "list"};
static const char *const result_names[] = {"ok", "error", "refused"};
#define N_OPS RG_ARRAY_LEN(op_names)
#define N_RESULTS RG_ARRAY_LEN(result_names)

/* Request duration buckets (seconds); requests time out after 5 s by default. */
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define N_BUCKETS RG_ARRAY_LEN(buckets)

struct rg_metrics_registry {
  struct rg_metrics *m;
  struct rg_metrics_registry *next;
  char *label;
  /* under m->lock */
  uint64_t ops[N_OPS][N_RESULTS];
  uint64_t hist[N_BUCKETS]; /* not cumulative: rendering sums them */
  uint64_t hist_count;
  double hist_sum;
  bool up, first_pass_done, reported;
  size_t services, pending;
  double last_sync; /* CLOCK_REALTIME seconds, 0: never in step */
};

struct rg_metrics {
  char *version;
  /* the event loop's, read by the HTTP thread */
  atomic_uint_fast64_t events[N_ACTIONS];
  atomic_uint_fast64_t reconnects;
  atomic_bool stream_up, stream_was_up, first_sync;
  atomic_int_fast64_t heartbeat_ms; /* CLOCK_MONOTONIC ms of the last loop turn, 0: none yet */
  /* the registries' */
  pthread_mutex_t lock;
  struct rg_metrics_registry *registries;
  /* systemd: the event loop thread alone touches these */
  struct rg_notify *notify;
  int64_t next_watchdog, next_status;
  char status[160];
};

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double real_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int rg_metrics_new(struct rg_metrics **out, const char *version, char *err) {
  *out = NULL;
  struct rg_metrics *m = calloc(1, sizeof *m);
  if (m == NULL || (m->version = rg_strdup(version ? version : "")) == NULL) {
    free(m);
    return rg_err(err, RG_ENOMEM, "out of memory");
  }
  if (pthread_mutex_init(&m->lock, NULL) != 0) {
    free(m->version);
    free(m);
    return rg_err(err, RG_ENOMEM, "cannot create the metrics lock");
  }
  for (size_t i = 0; i < N_ACTIONS; i++) atomic_init(&m->events[i], 0);
  atomic_init(&m->reconnects, 0);
  atomic_init(&m->stream_up, false);
  atomic_init(&m->stream_was_up, false);
  atomic_init(&m->first_sync, false);
  atomic_init(&m->heartbeat_ms, 0);
  *out = m;
  return RG_OK;
}

void rg_metrics_free(struct rg_metrics *m) {
  if (m == NULL) return;
  while (m->registries) rg_metrics_registry_close(m->registries);
  rg_notify_free(m->notify);
  pthread_mutex_destroy(&m->lock);
  free(m->version);
  free(m);
}

void rg_metrics_set_notify(struct rg_metrics *m, struct rg_notify *n) {
  if (m == NULL) {
    rg_notify_free(n);
    return;
  }
  rg_notify_free(m->notify);
  m->notify = n;
}

struct rg_metrics_registry *rg_metrics_registry_open(struct rg_metrics *m, const char *label) {
  if (m == NULL) return NULL;
  struct rg_metrics_registry *r = calloc(1, sizeof *r);
  if (r == NULL || (r->label = rg_strdup(label ? label : "")) == NULL) {
    free(r);
    return NULL;
  }
  r->m = m;
  pthread_mutex_lock(&m->lock);
  struct rg_metrics_registry **p = &m->registries; /* appended: series keep their order */
  while (*p) p = &(*p)->next;
  *p = r;
  pthread_mutex_unlock(&m->lock);
  return r;
}

void rg_metrics_registry_close(struct rg_metrics_registry *r) {
  if (r == NULL) return;
  struct rg_metrics *m = r->m;
  pthread_mutex_lock(&m->lock);
  for (struct rg_metrics_registry **p = &m->registries; *p; p = &(*p)->next)
    if (*p == r) {
      *p = r->next;
      break;
    }
  pthread_mutex_unlock(&m->lock);
  free(r->label);
  free(r);
}

void rg_metrics_op(struct rg_metrics_registry *r, enum rg_metrics_op op, enum rg_metrics_result res,
                   size_t count) {
  if (r == NULL || (unsigned)op >= N_OPS || (unsigned)res >= N_RESULTS || count == 0) return;
  pthread_mutex_lock(&r->m->lock);
  r->ops[op][res] += count;
  pthread_mutex_unlock(&r->m->lock);
}

void rg_metrics_request(struct rg_metrics_registry *r, double seconds) {
  if (r == NULL) return;
  if (!(seconds >= 0)) seconds = 0; /* NaN or a clock step */
  size_t b = 0;
  while (b < N_BUCKETS && seconds > buckets[b]) b++;
  pthread_mutex_lock(&r->m->lock);
  if (b < N_BUCKETS) r->hist[b]++;
  r->hist_count++;
  r->hist_sum += seconds;
  pthread_mutex_unlock(&r->m->lock);
}

void rg_metrics_registry_state(struct rg_metrics_registry *r, bool up, size_t services, size_t pending,
                               bool first_pass_done) {
  if (r == NULL) return;
  double now = pending == 0 ? real_s() : 0;
  pthread_mutex_lock(&r->m->lock);
  r->reported = true;
  r->up = up;
  r->services = services;
  r->pending = pending;
  r->first_pass_done = r->first_pass_done || first_pass_done;
  if (pending == 0) r->last_sync = now;
  pthread_mutex_unlock(&r->m->lock);
}

/* The table slot of a Docker action: "health_status: healthy" is
 * health_status, "exec_start: sh" exec_start. */
static size_t action_slot(const char *a) {
  size_t n = strcspn(a, ":");
  for (size_t i = 0; i + 1 < N_ACTIONS; i++)
    if (actions[i][0] == a[0] && strncmp(actions[i], a, n) == 0 && actions[i][n] == '\0') return i;
  return N_ACTIONS - 1;
}

void rg_metrics_event(struct rg_metrics *m, const char *action) {
  if (m == NULL || action == NULL) return;
  atomic_fetch_add_explicit(&m->events[action_slot(action)], 1, memory_order_relaxed);
}

void rg_metrics_stream(struct rg_metrics *m, bool up) {
  if (m == NULL) return;
  bool was = atomic_exchange(&m->stream_up, up);
  if (up && !was && atomic_exchange(&m->stream_was_up, true))
    atomic_fetch_add_explicit(&m->reconnects, 1, memory_order_relaxed);
}

/* systemd, on the event loop thread: WATCHDOG=1 every half interval (only
 * called while the loop turns), STATUS= when the summary changed (looked at
 * once a second). */
static void notify_tick(struct rg_metrics *m, int64_t now, bool force_status) {
  int64_t wd = rg_notify_watchdog_ms(m->notify);
  if (wd > 0 && now >= m->next_watchdog) {
    rg_notify_send(m->notify, "WATCHDOG=1");
    m->next_watchdog = now + wd;
  }
  if (!force_status && now < m->next_status) return;
  m->next_status = now + 1000;
  char line[sizeof m->status];
  rg_metrics_summary(m, line, sizeof line);
  if (!force_status && strcmp(line, m->status) == 0) return;
  memcpy(m->status, line, sizeof line);
  char msg[sizeof line + 8];
  snprintf(msg, sizeof msg, "STATUS=%s", line);
  rg_notify_send(m->notify, msg);
}

void rg_metrics_heartbeat(struct rg_metrics *m) {
  if (m == NULL) return;
  int64_t now = mono_ms();
  atomic_store_explicit(&m->heartbeat_ms, now, memory_order_relaxed);
  if (m->notify) notify_tick(m, now, false);
}

long rg_metrics_poll_timeout(struct rg_metrics *m, long timeout_ms) {
  if (m == NULL || rg_notify_watchdog_ms(m->notify) == 0) return timeout_ms;
  int64_t left = m->next_watchdog - mono_ms();
  if (left < 0) left = 0;
  return left < timeout_ms ? (long)left : timeout_ms;
}

void rg_metrics_first_sync(struct rg_metrics *m) {
  if (m == NULL || atomic_exchange(&m->first_sync, true)) return;
  if (m->notify == NULL) return;
  notify_tick(m, mono_ms(), true);
  rg_notify_send(m->notify, "READY=1");
}

bool rg_metrics_healthy(struct rg_metrics *m) {
  if (m == NULL) return false;
  int64_t hb = atomic_load_explicit(&m->heartbeat_ms, memory_order_relaxed);
  return hb != 0 && mono_ms() - hb <= RG_METRICS_STALL_MS;
}

bool rg_metrics_ready(struct rg_metrics *m, struct rg_buf *why) {
  if (m == NULL) return false;
  bool ready = true;
  if (!atomic_load(&m->first_sync)) {
    ready = false;
    if (why) rg_buf_printf(why, "first sync not done\n");
  }
  if (!atomic_load(&m->stream_up)) {
    ready = false;
    if (why) rg_buf_printf(why, "docker event stream down\n");
  }
  pthread_mutex_lock(&m->lock);
  for (struct rg_metrics_registry *r = m->registries; r; r = r->next) {
    if (!r->up || !r->first_pass_done) {
      ready = false;
      if (why)
        rg_buf_printf(why, "registry %s: %s\n", r->label,
                      !r->reported ? "no pass yet" : !r->up ? "not answering" : "first pass not done");
    }
  }
  pthread_mutex_unlock(&m->lock);
  if (ready && why) rg_buf_printf(why, "ready\n");
  return ready;
}

void rg_metrics_summary(struct rg_metrics *m, char *buf, size_t size) {
  if (size == 0) return;
  buf[0] = '\0';
  if (m == NULL) return;
  size_t services = 0, up = 0, n = 0;
  pthread_mutex_lock(&m->lock);
  for (struct rg_metrics_registry *r = m->registries; r; r = r->next, n++) {
    services += r->services;
    up += r->up;
  }
  pthread_mutex_unlock(&m->lock);
  snprintf(buf, size, "%zu service(s) in %zu/%zu registr%s up; docker stream %s", services, up, n,
           n == 1 ? "y" : "ies", atomic_load(&m->stream_up) ? "up" : "down");
}

/* ---- the exposition ---- */

/* A label value with \, " and newline escaped (the text format's rule). */
static int put_label(struct rg_buf *b, const char *v) {
  int rc = RG_OK;
  for (const char *p = v; rc == RG_OK && *p; p++) {
    if (*p == '\\') rc = rg_buf_append(b, "\\\\", 2);
    else if (*p == '"') rc = rg_buf_append(b, "\\\"", 2);
    else if (*p == '\n') rc = rg_buf_append(b, "\\n", 2);
    else rc = rg_buf_append(b, p, 1);
  }
  return rc;
}

static int head(struct rg_buf *b, const char *name, const char *type, const char *help) {
  return rg_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{registry="label"<extra>} value */
static int reg_line(struct rg_buf *b, const char *name, const char *label, const char *extra,
                    const char *value) {
  int rc = rg_buf_printf(b, "%s{registry=\"", name);
  if (rc == RG_OK) rc = put_label(b, label);
  if (rc == RG_OK) rc = rg_buf_printf(b, "\"%s} %s\n", extra, value);
  return rc;
}

static int render_registries(struct rg_metrics *m, struct rg_buf *b) {
  int rc = RG_OK;
  char v[64], extra[96];
  struct rg_metrics_registry *r;
#define EACH for (r = m->registries; rc == RG_OK && r; r = r->next)
  rc = head(b, "registrator_registry_up", "gauge", "Whether the registry answered its last request.");
  EACH rc = reg_line(b, "registrator_registry_up", r->label, "", r->up ? "1" : "0");
  if (rc == RG_OK) rc = head(b, "registrator_services", "gauge", "Services registered in the registry now.");
  EACH {
    snprintf(v, sizeof v, "%zu", r->services);
    rc = reg_line(b, "registrator_services", r->label, "", v);
  }
  if (rc == RG_OK) rc = head(b, "registrator_pending_operations", "gauge", "Writes not yet in step.");
  EACH {
    snprintf(v, sizeof v, "%zu", r->pending);
    rc = reg_line(b, "registrator_pending_operations", r->label, "", v);
  }
  if (rc == RG_OK)
    rc = head(b, "registrator_last_sync_timestamp_seconds", "gauge",
              "When the registry was last fully in step (Unix time; 0: never).");
  EACH {
    snprintf(v, sizeof v, "%.3f", r->last_sync);
    rc = reg_line(b, "registrator_last_sync_timestamp_seconds", r->label, "", v);
  }
  if (rc == RG_OK)
    rc = head(b, "registrator_registry_operations_total", "counter", "Registry operations by kind and outcome.");
  EACH for (size_t o = 0; rc == RG_OK && o < N_OPS; o++) for (size_t k = 0; rc == RG_OK && k < N_RESULTS; k++) {
    snprintf(extra, sizeof extra, ",op=\"%s\",result=\"%s\"", op_names[o], result_names[k]);
    snprintf(v, sizeof v, "%llu", (unsigned long long)r->ops[o][k]);
    rc = reg_line(b, "registrator_registry_operations_total", r->label, extra, v);
  }
  if (rc == RG_OK)
    rc = head(b, "registrator_registry_request_duration_seconds", "histogram", "Registry request durations.");
  EACH {
    uint64_t cum = 0;
    for (size_t k = 0; rc == RG_OK && k <= N_BUCKETS; k++) {
      if (k < N_BUCKETS) {
        cum += r->hist[k];
        snprintf(extra, sizeof extra, ",le=\"%g\"", buckets[k]);
      } else {
        cum = r->hist_count;
        snprintf(extra, sizeof extra, ",le=\"+Inf\"");
      }
      snprintf(v, sizeof v, "%llu", (unsigned long long)cum);
      rc = reg_line(b, "registrator_registry_request_duration_seconds_bucket", r->label, extra, v);
    }
    snprintf(v, sizeof v, "%.6f", r->hist_sum);
    if (rc == RG_OK) rc = reg_line(b, "registrator_registry_request_duration_seconds_sum", r->label, "", v);
    snprintf(v, sizeof v, "%llu", (unsigned long long)r->hist_count);
    if (rc == RG_OK) rc = reg_line(b, "registrator_registry_request_duration_seconds_count", r->label, "", v);
  }
#undef EACH
  return rc;
}

int rg_metrics_render(struct rg_metrics *m, struct rg_buf *b) {
  if (m == NULL) return RG_OK;
  int rc = head(b, "registrator_build_info", "gauge", "Always 1; the version is a label.");
  if (rc == RG_OK) rc = rg_buf_printf(b, "registrator_build_info{version=\"");
  if (rc == RG_OK) rc = put_label(b, m->version);
  if (rc == RG_OK) rc = rg_buf_printf(b, "\"} 1\n");
  if (rc == RG_OK) rc = head(b, "registrator_docker_events_total", "counter", "Docker container events received.");
  for (size_t i = 0; rc == RG_OK && i < N_ACTIONS; i++)
    rc = rg_buf_printf(b, "registrator_docker_events_total{action=\"%s\"} %llu\n", actions[i],
                       (unsigned long long)atomic_load_explicit(&m->events[i], memory_order_relaxed));
  if (rc == RG_OK) rc = head(b, "registrator_docker_stream_up", "gauge", "Whether the Docker event stream is connected.");
  if (rc == RG_OK) rc = rg_buf_printf(b, "registrator_docker_stream_up %d\n", atomic_load(&m->stream_up) ? 1 : 0);
  if (rc == RG_OK)
    rc = head(b, "registrator_docker_reconnects_total", "counter", "Docker event stream reconnections.");
  if (rc == RG_OK)
    rc = rg_buf_printf(b, "registrator_docker_reconnects_total %llu\n",
                       (unsigned long long)atomic_load_explicit(&m->reconnects, memory_order_relaxed));
  if (rc == RG_OK) rc = head(b, "registrator_ready", "gauge", "Whether /readyz answers 200.");
  if (rc == RG_OK) rc = rg_buf_printf(b, "registrator_ready %d\n", rg_metrics_ready(m, NULL) ? 1 : 0);
  if (rc != RG_OK) return rc;
  pthread_mutex_lock(&m->lock);
  rc = render_registries(m, b);
  pthread_mutex_unlock(&m->lock);
  return rc;
}
