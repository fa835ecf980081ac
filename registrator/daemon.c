/* daemon.c - see daemon.h. */
#include "registrator/daemon.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "docker/events.h"
#include "registrator/collect.h"
#include "registrator/httpd.h"
#include "registrator/metrics.h"

#define MAX_EVENT_LINE (256 * 1024)   /* one Docker event; real ones are < 4 KiB */
#define MAX_QUEUED_EVENTS 4096        /* past this, drop the queue and resync */
#define MAX_PREDICTIONS 256           /* created, not yet started containers */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000         /* Docker reconnects */

struct queued_event {
  char *action;
  char *id;
  int exit_code;
};

/* The services a created container will have at start (rg_model_predict). */
struct prediction {
  char *id;
  struct rg_service_list services;
};

struct rg_daemon {
  struct rg_docker *docker;
  struct rg_registry *reg;
  const struct rg_config *cfg;
  const struct rg_model_options *mo;
  const struct rg_log *log;
  CURLM *multi;
  struct rg_event_parser *parser;
  struct rg_docker_stream *stream; /* NULL while disconnected */
  int wake[2];                     /* self-pipe: 's' stop, 'r' resync */
  struct rg_service_list desired;  /* sorted by id */
  struct queued_event *queue;
  size_t nqueue, capqueue;
  bool overflow;
  bool stop;
  bool resync_now;
  int64_t next_stream_try, stream_backoff, stream_since;
  int64_t next_resync;
  int64_t next_refresh;
  int64_t next_retry, retry_backoff; /* next_retry 0: nothing pending */
  int (*reload)(void *ud);
  void *reload_ud;
  volatile int *cancel;
  struct rg_strlist known; /* containers read into desired, sorted by id */
  struct prediction predictions[MAX_PREDICTIONS]; /* a ring, oldest overwritten */
  size_t next_prediction;
  bool full_resync;        /* next resync reads every container again */
  struct rg_metrics *metrics; /* NULL: off (metrics.h) */
  struct rg_httpd *httpd;     /* -metrics */
};

void rg_daemon_set_metrics(struct rg_daemon *d, struct rg_metrics *m, struct rg_httpd *h) {
  d->metrics = m;
  d->httpd = h;
}

void rg_daemon_set_cancel(struct rg_daemon *d, volatile int *cancel) { d->cancel = cancel; }

void rg_daemon_set_reload(struct rg_daemon *d, int (*fn)(void *ud), void *ud) {
  d->reload = fn;
  d->reload_ud = ud;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t grow_backoff(int64_t cur, int64_t max) {
  int64_t next = cur ? cur * 2 : BACKOFF_MIN_MS;
  return next > max ? max : next;
}

/* ---- event intake (runs inside curl's write callback: queue only) ---- */

static int on_event(void *ud, const struct rg_event *ev) {
  struct rg_daemon *d = ud;
  if (ev->id == NULL || ev->action == NULL) return 0;
  rg_metrics_event(d->metrics, ev->action);
  if (d->nqueue == MAX_QUEUED_EVENTS) {
    d->overflow = true;
    return 0;
  }
  if (d->nqueue == d->capqueue) {
    size_t cap = d->capqueue ? d->capqueue * 2 : 32;
    struct queued_event *q = realloc(d->queue, cap * sizeof *q);
    if (q == NULL) {
      d->overflow = true;
      return 0;
    }
    d->queue = q;
    d->capqueue = cap;
  }
  struct queued_event *e = &d->queue[d->nqueue];
  e->action = rg_strdup(ev->action);
  e->id = rg_strdup(ev->id);
  e->exit_code = ev->exit_code;
  if (e->action == NULL || e->id == NULL) {
    free(e->action);
    free(e->id);
    d->overflow = true;
    return 0;
  }
  d->nqueue++;
  return 0;
}

/* ---- desired set ---- */

static void drop_container(struct rg_daemon *d, const char *id) {
  size_t w = 0;
  for (size_t i = 0; i < d->desired.n; i++) {
    struct rg_service *s = &d->desired.items[i];
    if (s->container_id && strcmp(s->container_id, id) == 0) rg_service_clear(s);
    else d->desired.items[w++] = *s;
  }
  d->desired.n = w;
}

static int cmp_id(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool known_has(const struct rg_daemon *d, const char *id) {
  return d->known.n && bsearch(&id, d->known.items, d->known.n, sizeof(char *), cmp_id) != NULL;
}

/* Forgets that a container was read, so that the next resync reads it. */
static void known_forget(struct rg_daemon *d, const char *id) {
  char **hit = d->known.n ? bsearch(&id, d->known.items, d->known.n, sizeof(char *), cmp_id) : NULL;
  if (hit == NULL) return;
  free(*hit);
  size_t i = (size_t)(hit - d->known.items);
  memmove(hit, hit + 1, (d->known.n - i - 1) * sizeof(char *));
  d->known.n--;
}

/* Puts what Docker said of one container (rc, and found when RG_OK) into
 * the desired set. */
static int take_container(struct rg_daemon *d, const char *id, int rc, struct rg_service_list *found,
                          const char *err) {
  if (rc) {
    rg_log_ctx(d->log, RG_LOG_WARN, &(struct rg_log_fields){.container = id},
               "cannot inspect container %.12s: %s (resync will retry)", id, err);
    rg_service_list_free(found);
    known_forget(d, id);
    return rc;
  }
  drop_container(d, id);
  for (size_t i = 0; rc == RG_OK && i < found->n; i++) {
    if (rg_service_list_find(&d->desired, found->items[i].id) != NULL)
      rg_log(d->log, RG_LOG_WARN, "service ID %s is used by two containers; the later one wins",
             found->items[i].id);
    rc = rg_service_list_upsert(&d->desired, &found->items[i]);
  }
  rg_service_list_free(found);
  return rc;
}

/* Re-reads one container from Docker into the desired set. */
static int refresh_container(struct rg_daemon *d, const char *id) {
  struct rg_service_list found = {0};
  char err[RG_ERRBUF] = "";
  int rc = rg_collect_container(d->docker, id, d->mo, d->log, &found, err);
  return take_container(d, id, rc, &found, err);
}

/* A resync's reads of the containers not read yet (rg_docker_inspect_many). */
struct reads {
  struct rg_daemon *d;
  char *const *ids;
  struct rg_strlist *read; /* the ids read successfully */
};

static void on_read(void *ud, size_t i, int rc, struct rg_container *c, const char *ierr) {
  struct reads *r = ud;
  struct rg_daemon *d = r->d;
  struct rg_service_list found = {0};
  char err[RG_ERRBUF] = "";
  if (rc == RG_ENOTFOUND) rc = RG_OK; /* gone meanwhile: nothing to register */
  else if (rc == RG_OK) rc = rg_collect_inspected(d->docker, c, d->mo, d->log, &found, err);
  else snprintf(err, sizeof err, "%s", ierr);
  if (take_container(d, r->ids[i], rc, &found, err) == RG_OK) rg_strlist_add(r->read, r->ids[i]);
}

/* ---- predictions: register at `start` without waiting for an inspect ---- */

static void apply(struct rg_daemon *d);

static void prediction_clear(struct prediction *p) {
  free(p->id);
  rg_service_list_free(&p->services);
  p->id = NULL;
}

static struct prediction *prediction_find(struct rg_daemon *d, const char *id) {
  for (size_t i = 0; i < MAX_PREDICTIONS; i++)
    if (d->predictions[i].id && strcmp(d->predictions[i].id, id) == 0) return &d->predictions[i];
  return NULL;
}

/* At `create`: what the container will register once started, when that is
 * already certain (explicit host ports). Anything else waits for `start`. */
static void predict(struct rg_daemon *d, const char *id) {
  struct rg_container *c = NULL;
  char err[RG_ERRBUF] = "";
  if (rg_docker_inspect(d->docker, id, &c, err) != RG_OK) return; /* start will inspect */
  struct prediction *p = &d->predictions[d->next_prediction];
  prediction_clear(p);
  if (rg_model_predict(c, d->mo, d->log, &p->services, err) == RG_OK && (p->id = rg_strdup(id)) != NULL)
    d->next_prediction = (d->next_prediction + 1) % MAX_PREDICTIONS;
  else
    rg_service_list_free(&p->services);
  rg_container_free(c);
}

/* At `start`: writes the predicted services at once, then reads the
 * container anyway, so that anything the prediction got wrong is corrected
 * by the same event. */
static void start_container(struct rg_daemon *d, const char *id) {
  struct prediction *p = prediction_find(d, id);
  if (p != NULL) {
    drop_container(d, id);
    int rc = RG_OK;
    for (size_t i = 0; rc == RG_OK && i < p->services.n; i++)
      rc = rg_service_list_upsert(&d->desired, &p->services.items[i]);
    rg_log_ctx(d->log, RG_LOG_DEBUG, &(struct rg_log_fields){.container = id},
               "container %.12s started: writing its create-time prediction", id);
    prediction_clear(p);
    if (rc == RG_OK && d->next_retry == 0) apply(d);
  }
  refresh_container(d, id);
}

/* Whether a die with this exit code deregisters (registrator's rule). */
static bool should_deregister(const struct rg_daemon *d, int exit_code) {
  if (d->cfg->deregister_mode == RG_DEREGISTER_ALWAYS) return true;
  return exit_code <= 0 || (exit_code & 0x80) != 0; /* success, unknown, or killed by a signal */
}

static void handle_event(struct rg_daemon *d, const struct queued_event *e) {
  const char *a = e->action;
  rg_log_ctx(d->log, RG_LOG_DEBUG, &(struct rg_log_fields){.container = e->id}, "event %s %.12s", a, e->id);
  if (strcmp(a, "create") == 0) {
    predict(d, e->id);
  } else if (strcmp(a, "start") == 0) {
    start_container(d, e->id);
  } else if (strcmp(a, "unpause") == 0 || strcmp(a, "rename") == 0 ||
             strncmp(a, "health_status", 13) == 0) {
    refresh_container(d, e->id);
  } else if (strcmp(a, "die") == 0) {
    if (should_deregister(d, e->exit_code)) drop_container(d, e->id);
    else rg_log_ctx(d->log, RG_LOG_INFO, &(struct rg_log_fields){.container = e->id},
                    "container %.12s exited %d; kept (-deregister on-success)", e->id, e->exit_code);
  } else if (strcmp(a, "destroy") == 0 || strcmp(a, "pause") == 0) {
    drop_container(d, e->id); /* a paused container answers nothing: take it out */
    struct prediction *p = prediction_find(d, e->id);
    if (p) prediction_clear(p);
  }
}

/* ---- registry writes ---- */

static void apply(struct rg_daemon *d) {
  size_t failed = rg_registry_apply(d->reg, &d->desired);
  if (failed == 0) {
    d->next_retry = 0;
    d->retry_backoff = 0;
    return;
  }
  /* write retries back off up to -retry-interval, so a registry that comes
   * back is caught up within one retry interval */
  d->retry_backoff = grow_backoff(d->retry_backoff, d->cfg->retry_interval);
  d->next_retry = now_ms() + d->retry_backoff;
  rg_log(d->log, RG_LOG_WARN, "%zu registry write(s) failed; retrying in %lld ms", failed,
         (long long)d->retry_backoff);
}

/* Brings the desired set in step with Docker, then the registry with it.
 * A full resync (at start, after a reconnect, on SIGHUP) reads every
 * container; a periodic one lists the running containers and reads only
 * those it has not read yet (events keep the others current), so an
 * unchanged host costs one Docker request. Then one listing of the registry
 * repairs drift and, with -cleanup, removes this host's dangling entries. */
static void resync(struct rg_daemon *d) {
  char err[RG_ERRBUF] = "";
  bool full = d->full_resync;
  d->resync_now = false;
  if (d->cfg->resync > 0) d->next_resync = now_ms() + d->cfg->resync * 1000;
  struct rg_strlist ids = {0};
  if (rg_docker_list_running(d->docker, &ids, err) != RG_OK) {
    rg_log(d->log, RG_LOG_WARN, "resync: %s", err);
    rg_strlist_free(&ids);
    return; /* keep the desired set; the stream's reconnect resyncs again */
  }
  if (ids.n > 1) qsort(ids.items, ids.n, sizeof(char *), cmp_id);
  if (full) rg_strlist_free(&d->known);
  for (size_t i = 0; i < d->known.n; i++) /* gone since the last resync */
    if (bsearch(&d->known.items[i], ids.items, ids.n, sizeof(char *), cmp_id) == NULL)
      drop_container(d, d->known.items[i]);
  if (full) {
    rg_service_list_free(&d->desired);
    d->desired = (struct rg_service_list){0};
  }
  struct rg_strlist read = {0}, unread = {0};
  for (size_t i = 0; i < ids.n; i++) {
    if (known_has(d, ids.items[i])) {
      rg_strlist_add(&read, ids.items[i]);
    } else {
      rg_strlist_add(&unread, ids.items[i]);
    }
  }
  struct reads r = {.d = d, .ids = unread.items, .read = &read};
  if (rg_docker_inspect_many(d->docker, unread.items, unread.n, RG_COLLECT_PARALLEL, on_read, &r, err))
    rg_log(d->log, RG_LOG_WARN, "resync: %s", err);
  rg_strlist_free(&ids);
  rg_strlist_free(&d->known);
  if (read.n > 1) qsort(read.items, read.n, sizeof(char *), cmp_id);
  d->known = read;
  bool trim = unread.n > 0;
  rg_strlist_free(&unread);
  d->full_resync = false;
  apply(d);
  rg_metrics_first_sync(d->metrics); /* Docker read and the registry written (or retrying) */
  size_t drifted = 0;
  size_t failed = rg_registry_verify(d->reg, &d->desired, d->mo->hostname, d->cfg->cleanup, &drifted);
  if (drifted) apply(d);
  if (failed && d->next_retry == 0)
    d->next_retry = now_ms() + grow_backoff(d->retry_backoff, d->cfg->retry_interval);
#ifdef __GLIBC__
  if (trim) malloc_trim(0); /* the reads' and the listing's buffers are free: give the pages back */
#else
  (void)trim;
#endif
}

/* ---- the Docker event stream ---- */

static void stream_close(struct rg_daemon *d) {
  if (d->stream == NULL) return;
  curl_multi_remove_handle(d->multi, rg_docker_stream_handle(d->stream));
  rg_docker_stream_free(d->stream);
  d->stream = NULL;
}

static void stream_open(struct rg_daemon *d) {
  char err[RG_ERRBUF] = "";
  rg_event_parser_reset(d->parser);
  if (rg_docker_events_open(d->docker, NULL, d->parser, &d->stream, err) != RG_OK ||
      curl_multi_add_handle(d->multi, rg_docker_stream_handle(d->stream)) != CURLM_OK) {
    if (d->stream) rg_docker_stream_free(d->stream);
    d->stream = NULL;
    d->stream_backoff = grow_backoff(d->stream_backoff, BACKOFF_MAX_MS);
    d->next_stream_try = now_ms() + d->stream_backoff;
    rg_metrics_stream(d->metrics, false);
    rg_log(d->log, RG_LOG_WARN, "%s; retrying in %lld ms", err[0] ? err : "cannot subscribe",
           (long long)d->stream_backoff);
    return;
  }
  /* Subscribe first, then list: wait (briefly) until Docker has answered the
   * subscription, so that every change after the resync's list arrives as an
   * event. Events queued meanwhile are applied after the resync; they only
   * re-read Docker's current state, so applying them twice is harmless. */
  CURL *easy = rg_docker_stream_handle(d->stream);
  long code = 0;
  for (int i = 0; i < 250; i++) {
    int running = 0;
    curl_multi_perform(d->multi, &running);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    if (code != 0 || running == 0 || (d->cancel && *d->cancel)) break;
    curl_multi_poll(d->multi, NULL, 0, 20, NULL);
  }
  rg_metrics_stream(d->metrics, code == 200);
  d->stream_since = now_ms();
  rg_log(d->log, RG_LOG_INFO, "listening for Docker events on %s", rg_docker_endpoint(d->docker));
  d->resync_now = true;
  d->full_resync = true; /* events may have been missed while disconnected */
}

static void stream_check(struct rg_daemon *d) {
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(d->multi, &left)) != NULL) {
    if (m->msg != CURLMSG_DONE || d->stream == NULL || m->easy_handle != rg_docker_stream_handle(d->stream))
      continue;
    char err[RG_ERRBUF] = "";
    rg_docker_stream_result(d->stream, m->data.result, err);
    stream_close(d);
    rg_metrics_stream(d->metrics, false);
    if (now_ms() - d->stream_since > 10000) d->stream_backoff = 0; /* it was healthy */
    d->stream_backoff = grow_backoff(d->stream_backoff, BACKOFF_MAX_MS);
    d->next_stream_try = now_ms() + d->stream_backoff;
    rg_log(d->log, RG_LOG_WARN, "%s; reconnecting in %lld ms", err, (long long)d->stream_backoff);
    return;
  }
}

/* ---- the loop ---- */

static void drain_wake(struct rg_daemon *d) {
  char buf[64];
  ssize_t n;
  bool reload = false;
  while ((n = read(d->wake[0], buf, sizeof buf)) > 0)
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] == 's') d->stop = true;
      if (buf[i] == 'r') reload = true;
    }
  if (reload && !d->stop) {
    if (d->reload) d->reload(d->reload_ud);
    d->resync_now = true;
    d->full_resync = true; /* the settings (and so every service) may differ */
  }
}

static int64_t earliest(int64_t a, int64_t b) { return (a == 0 || (b != 0 && b < a)) ? b : a; }

static void process_events(struct rg_daemon *d) {
  if (d->overflow) {
    rg_log(d->log, RG_LOG_WARN, "event queue overflowed; resyncing from Docker");
    d->resync_now = true;
    d->overflow = false;
  }
  size_t n = d->nqueue;
  for (size_t i = 0; i < n; i++) {
    if (!d->resync_now) handle_event(d, &d->queue[i]);
    free(d->queue[i].action);
    free(d->queue[i].id);
  }
  d->nqueue = 0;
  /* while writes are failing, the retry timer (not each event) drives them */
  if (n > 0 && !d->resync_now && d->next_retry == 0) apply(d);
}

int rg_daemon_run(struct rg_daemon *d, char *err) {
  int64_t now = now_ms();
  if (d->cfg->ttl_refresh > 0) d->next_refresh = now + d->cfg->ttl_refresh * 1000;
  stream_open(d);
  while (!d->stop) {
    rg_metrics_heartbeat(d->metrics);
    now = now_ms();
    if (d->stream == NULL && now >= d->next_stream_try) stream_open(d);
    stream_check(d); /* a stream that ended inside stream_open: no fd would wake the poll */
    if (d->resync_now || (d->next_resync && now >= d->next_resync)) resync(d);
    else if (d->next_retry && now >= d->next_retry) apply(d);
    if (d->next_refresh && now >= d->next_refresh) {
      char rerr[RG_ERRBUF] = "";
      if (rg_registry_refresh(d->reg, rerr) != RG_OK)
        rg_log(d->log, RG_LOG_WARN, "TTL refresh failed: %s", rerr);
      d->next_refresh = now + d->cfg->ttl_refresh * 1000;
    }
    int64_t due = earliest(earliest(d->next_resync, d->next_retry), d->next_refresh);
    if (d->stream == NULL) due = earliest(due, d->next_stream_try);
    long timeout = 1000;
    if (due) timeout = due <= now ? 0 : (due - now < 1000 ? (long)(due - now) : 1000);
    timeout = rg_metrics_poll_timeout(d->metrics, timeout); /* in time for WATCHDOG=1 */
    struct curl_waitfd wfd = {.fd = d->wake[0], .events = CURL_WAIT_POLLIN};
    if (curl_multi_poll(d->multi, &wfd, 1, (int)timeout, NULL) != CURLM_OK)
      return rg_err(err, RG_EIO, "event loop: curl_multi_poll failed");
    if (wfd.revents) drain_wake(d);
    int running;
    curl_multi_perform(d->multi, &running);
    stream_check(d);
    process_events(d);
  }
  stream_close(d);
  if (d->cancel) *d->cancel = 0; /* the requests below are the stop's own */
  if (d->cfg->deregister_on_exit) {
    size_t failed = rg_registry_deregister_all(d->reg);
    if (failed) rg_log(d->log, RG_LOG_WARN, "%zu service(s) could not be deregistered on exit", failed);
  }
  return RG_OK;
}

static void wake(struct rg_daemon *d, char c) {
  int saved = errno;
  ssize_t n = write(d->wake[1], &c, 1);
  (void)n;
  errno = saved;
}

void rg_daemon_stop(struct rg_daemon *d) {
  if (d->cancel) *d->cancel = 1;
  wake(d, 's');
}
void rg_daemon_resync(struct rg_daemon *d) { wake(d, 'r'); }

int rg_daemon_new(struct rg_daemon **out, struct rg_docker *docker, struct rg_registry *registry,
                  const struct rg_config *cfg, const struct rg_model_options *mo,
                  const struct rg_log *log, char *err) {
  *out = NULL;
  struct rg_daemon *d = calloc(1, sizeof *d);
  if (d == NULL) {
    rg_registry_close(registry);
    rg_docker_close(docker);
    return rg_err(err, RG_ENOMEM, "out of memory");
  }
  d->wake[0] = d->wake[1] = -1;
  d->docker = docker;
  d->reg = registry;
  d->cfg = cfg;
  d->mo = mo;
  d->log = log;
  if (pipe(d->wake) != 0 || fcntl(d->wake[0], F_SETFL, O_NONBLOCK) != 0 ||
      fcntl(d->wake[1], F_SETFL, O_NONBLOCK) != 0 || (d->multi = curl_multi_init()) == NULL ||
      rg_event_parser_new(&d->parser, MAX_EVENT_LINE, on_event, d) != RG_OK) {
    rg_daemon_destroy(d);
    return rg_err(err, RG_ENOMEM, "cannot set up the event loop");
  }
  *out = d;
  return RG_OK;
}

void rg_daemon_destroy(struct rg_daemon *d) {
  if (d == NULL) return;
  rg_httpd_stop(d->httpd); /* first: its thread reads the metrics */
  stream_close(d);
  if (d->multi) curl_multi_cleanup(d->multi);
  rg_event_parser_free(d->parser);
  for (size_t i = 0; i < d->nqueue; i++) {
    free(d->queue[i].action);
    free(d->queue[i].id);
  }
  free(d->queue);
  rg_service_list_free(&d->desired);
  rg_strlist_free(&d->known);
  for (size_t i = 0; i < MAX_PREDICTIONS; i++) prediction_clear(&d->predictions[i]);
  if (d->wake[0] >= 0) close(d->wake[0]);
  if (d->wake[1] >= 0) close(d->wake[1]);
  rg_registry_close(d->reg);
  rg_docker_close(d->docker);
  rg_metrics_free(d->metrics); /* last: the registry's series went with it */
  free(d);
}
