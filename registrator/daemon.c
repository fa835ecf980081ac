/* daemon.c - see daemon.h. The loop moves bytes and fires timers; what an
 * event means is decided in registrator/host.c, how each registry
 * converges in registrator/reconciler.c. */
#include "registrator/daemon.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "docker/events.h"
#include "registrator/collect.h"
#include "registrator/connect.h"
#include "registrator/host.h"
#include "registrator/httpd.h"
#include "registrator/metrics.h"

#define MAX_EVENT_LINE (256 * 1024)   /* one Docker event; real ones are < 4 KiB */
#define MAX_QUEUED_EVENTS 4096        /* past this, drop the queue and resync */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000         /* Docker reconnects */
#define POLL_MAX_MS 1000             /* the loop turns at least this often */

enum daemon_timer { T_STREAM, T_RESYNC };

struct queued_event {
  char *action;
  char *id;
  int exit_code;
};

struct rg_daemon {
  struct rg_docker *docker;
  struct rg_engine *engine;
  struct rg_settings *s;
  CURLM *multi;
  struct rg_event_parser *parser;
  struct rg_docker_stream *stream; /* NULL while disconnected */
  int wake[2];                     /* self-pipe: 's' stop, 'r' resync */
  struct rg_host host;             /* the desired set and its decisions */
  uint64_t published;              /* the host generation last published */
  struct queued_event *queue;
  size_t nqueue, capqueue;
  bool overflow;
  bool stop;
  bool resync_now;
  struct rg_timers timers;
  int64_t stream_backoff, stream_since;
  int (*reload)(void *ud);
  void *reload_ud;
  struct rg_metrics *metrics; /* NULL: off (metrics.h) */
  struct rg_httpd *httpd;     /* -metrics */
  bool swarm_dirty; /* a swarm service event came (README "Swarm mode") */
};

void rg_daemon_set_metrics(struct rg_daemon *d, struct rg_metrics *m, struct rg_httpd *h) {
  d->metrics = m;
  d->httpd = h;
}

void rg_daemon_set_reload(struct rg_daemon *d, int (*fn)(void *ud), void *ud) {
  d->reload = fn;
  d->reload_ud = ud;
}

/* ---- event intake (runs inside curl's write callback: queue only) ---- */

static int on_event(void *ud, const struct rg_event *ev) {
  struct rg_daemon *d = ud;
  if (rg_swarm_event_changes_services(ev)) { /* not a container's: re-read the services */
    d->swarm_dirty = true;
    return 0;
  }
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

/* ---- publishing the desired set to the engine ---- */

static void publish(struct rg_daemon *d, unsigned flags) {
  if (d->host.gen == d->published && flags == 0) return;
  if (rg_engine_publish(d->engine, &d->host.desired, d->host.gen, flags) != RG_OK) {
    rg_log(&d->s->log, RG_LOG_ERROR, "out of memory publishing the desired set; resyncing");
    d->resync_now = true;
    return;
  }
  d->published = d->host.gen;
}

/* ---- the reads the host's decisions ask for ---- */

static void read_container(struct rg_daemon *d, const char *id) {
  struct rg_service_list found = {0};
  char err[RG_ERRBUF] = "";
  int rc = rg_collect_container(d->docker, id, &d->s->mo, &d->s->log, &found, err);
  rg_host_take(&d->host, id, rc, &found, err);
}

/* At `create`: what the container will register once started, when that is
 * already certain (explicit host ports). Anything else waits for `start`. */
static void predict(struct rg_daemon *d, const char *id) {
  struct rg_container *c = NULL;
  struct rg_service_list l = {0};
  char err[RG_ERRBUF] = "";
  if (rg_docker_inspect(d->docker, id, &c, err) != RG_OK) return; /* start will inspect */
  if (rg_model_predict(c, &d->s->mo, &d->s->log, &l, err) == RG_OK) rg_host_predict(&d->host, id, &l);
  rg_service_list_free(&l);
  rg_container_free(c);
}

static void handle_event(struct rg_daemon *d, const struct queued_event *e) {
  uint64_t before = d->host.gen;
  unsigned todo = rg_host_event(&d->host, e->action, e->id, e->exit_code);
  /* a start's prediction goes out before the read that verifies it */
  if ((todo & RG_HOST_READ) && d->host.gen != before) publish(d, 0);
  if (todo & RG_HOST_PREDICT) predict(d, e->id);
  if (todo & RG_HOST_READ) read_container(d, e->id);
}

/* A resync's reads of the containers not read yet (rg_docker_inspect_many). */
struct reads {
  struct rg_daemon *d;
  char *const *ids;
};

static void on_read(void *ud, size_t i, int rc, struct rg_container *c, const char *ierr) {
  struct reads *r = ud;
  struct rg_daemon *d = r->d;
  struct rg_service_list found = {0};
  char err[RG_ERRBUF] = "";
  if (rc == RG_OK) rc = rg_collect_inspected(d->docker, c, &d->s->mo, &d->s->log, &found, err);
  else snprintf(err, sizeof err, "%s", ierr);
  rg_host_take(&d->host, r->ids[i], rc, &found, err);
}

/* Swarm mode (README "Swarm mode"): a manager's services read again, their
 * routing-mesh entries put in the desired set. Off a manager: no request.
 * On an error the entries stay as they were. */
static void swarm_sync(struct rg_daemon *d) {
  struct rg_service_list found = {0};
  char err[RG_ERRBUF] = "";
  bool changed = false;
  d->swarm_dirty = false;
  if (rg_collect_swarm(&d->s->swarm, d->docker, &d->s->mo, &d->s->log, &found, err) != RG_OK)
    rg_log(&d->s->log, RG_LOG_WARN, "swarm services: %s (the next resync retries)", err);
  else if (rg_swarm_replace(&d->host.desired, &found, &changed) != RG_OK)
    rg_log(&d->s->log, RG_LOG_WARN, "swarm services: out of memory");
  else if (d->s->swarm.relabelled) /* the tasks of a relabelled service: read them again */
    d->resync_now = d->host.full = true;
  if (changed) d->host.gen++; /* the next publish() sends it */
  rg_service_list_free(&found);
}

static int cmp_id(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Brings the desired set in step with Docker, then asks every registry to
 * verify itself against it. A full resync (at start, after a reconnect, on
 * SIGHUP) reads every container; a periodic one lists the running
 * containers and reads only those it has not read yet (events keep the
 * others current), so an unchanged host costs one Docker request. */
static void resync(struct rg_daemon *d) {
  char err[RG_ERRBUF] = "";
  d->resync_now = false;
  if (d->s->cfg.resync > 0) rg_timer_arm(&d->timers, T_RESYNC, rg_now_ms() + d->s->cfg.resync * 1000);
  struct rg_strlist ids = {0}, unread = {0};
  if (rg_docker_list_running(d->docker, &ids, err) != RG_OK) {
    rg_log(&d->s->log, RG_LOG_WARN, "resync: %s", err);
    rg_strlist_free(&ids);
    return; /* keep the desired set; the stream's reconnect resyncs again */
  }
  if (ids.n > 1) qsort(ids.items, ids.n, sizeof(char *), cmp_id);
  if (rg_host_resync(&d->host, &ids, &unread) != RG_OK) {
    rg_log(&d->s->log, RG_LOG_ERROR, "resync: out of memory");
    d->host.full = true;
  } else {
    swarm_sync(d); /* before the reads: a task's entries take its service's labels */
    struct reads r = {.d = d, .ids = unread.items};
    if (rg_docker_inspect_many(d->docker, unread.items, unread.n, RG_COLLECT_PARALLEL, on_read, &r, err))
      rg_log(&d->s->log, RG_LOG_WARN, "resync: %s", err);
  }
  bool trim = unread.n > 0;
  rg_strlist_free(&ids);
  rg_strlist_free(&unread);
  publish(d, RG_STEP_VERIFY);
  rg_metrics_first_sync(d->metrics); /* Docker read, the desired set published */
#ifdef __GLIBC__
  if (trim) malloc_trim(0); /* the reads' buffers are free: give the pages back */
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

static void stream_retry(struct rg_daemon *d, const char *why, const char *verb) {
  d->stream_backoff = rg_backoff_next(d->stream_backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
  rg_timer_arm(&d->timers, T_STREAM, rg_now_ms() + d->stream_backoff);
  rg_log(&d->s->log, RG_LOG_WARN, "%s; %s in %lld ms", why, verb, (long long)d->stream_backoff);
}

static void stream_open(struct rg_daemon *d) {
  char err[RG_ERRBUF] = "";
  rg_event_parser_reset(d->parser);
  rg_collect_swarm_detect(&d->s->swarm, d->docker, &d->s->log, err); /* at each (re)connect */
  if (rg_docker_events_open_filter(d->docker, rg_swarm_events_filter(&d->s->swarm), NULL, d->parser,
                                   &d->stream, err) != RG_OK ||
      curl_multi_add_handle(d->multi, rg_docker_stream_handle(d->stream)) != CURLM_OK) {
    if (d->stream) rg_docker_stream_free(d->stream);
    d->stream = NULL;
    rg_metrics_stream(d->metrics, false);
    stream_retry(d, err[0] ? err : "cannot subscribe", "retrying");
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
    if (code != 0 || running == 0 || d->s->cancel) break;
    curl_multi_poll(d->multi, NULL, 0, 20, NULL);
  }
  rg_metrics_stream(d->metrics, code == 200);
  d->stream_since = rg_now_ms();
  rg_log(&d->s->log, RG_LOG_INFO, "listening for Docker events on %s", rg_docker_endpoint(d->docker));
  d->resync_now = true;
  d->host.full = true; /* events may have been missed while disconnected */
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
    if (rg_now_ms() - d->stream_since > 10000) d->stream_backoff = 0; /* it was healthy */
    stream_retry(d, err, "reconnecting");
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
    if (d->reload && d->reload(d->reload_ud) == 0) {
      d->host.deregister = d->s->cfg.deregister_mode;
      rg_docker_set_timeouts(d->docker, d->s->cfg.docker_connect_timeout * 1000, d->s->cfg.docker_timeout * 1000);
      rg_connect_update(d->engine, d->s);
    }
    d->resync_now = true;
    d->host.full = true; /* the settings (and so every service) may differ */
  }
}

static void process_events(struct rg_daemon *d) {
  if (d->overflow) {
    rg_log(&d->s->log, RG_LOG_WARN, "event queue overflowed; resyncing from Docker");
    d->resync_now = true;
    d->host.full = true;
    d->overflow = false;
  }
  if (d->swarm_dirty && !d->resync_now) swarm_sync(d); /* first: the tasks' events read the new services */
  size_t n = d->nqueue;
  for (size_t i = 0; i < n; i++) {
    if (!d->resync_now) handle_event(d, &d->queue[i]);
    free(d->queue[i].action);
    free(d->queue[i].id);
  }
  d->nqueue = 0;
  if (!d->resync_now) publish(d, 0);
}

int rg_daemon_run(struct rg_daemon *d, char *err) {
  stream_open(d);
  while (!d->stop) {
    rg_metrics_heartbeat(d->metrics); /* /healthz, WATCHDOG=1 */
    int64_t now = rg_now_ms();
    if (d->stream == NULL && rg_timer_fire(&d->timers, T_STREAM, now)) stream_open(d);
    stream_check(d); /* a stream that ended inside stream_open: no fd would wake the poll */
    if (rg_timer_fire(&d->timers, T_RESYNC, now)) d->resync_now = true;
    if (d->resync_now) resync(d);
    struct curl_waitfd wfd = {.fd = d->wake[0], .events = CURL_WAIT_POLLIN};
    int timeout = (int)rg_timer_wait_ms(&d->timers, rg_now_ms(), POLL_MAX_MS);
    timeout = (int)rg_metrics_poll_timeout(d->metrics, timeout); /* in time for WATCHDOG=1 */
    if (curl_multi_poll(d->multi, &wfd, 1, timeout, NULL) != CURLM_OK)
      return rg_err(err, RG_EIO, "event loop: curl_multi_poll failed");
    if (wfd.revents) drain_wake(d);
    int running;
    curl_multi_perform(d->multi, &running);
    stream_check(d);
    process_events(d);
  }
  stream_close(d);
  /* the workers' requests were abandoned (s->cancel); the deregistrations
   * of -deregister-on-exit are the stop's own */
  rg_engine_stop(d->engine);
  d->s->cancel = 0;
  if (d->s->cfg.deregister_on_exit) rg_engine_deregister_all(d->engine);
  return RG_OK;
}

static void wake(struct rg_daemon *d, char c) {
  int saved = errno;
  ssize_t n = write(d->wake[1], &c, 1);
  (void)n;
  errno = saved;
}

void rg_daemon_stop(struct rg_daemon *d) {
  d->s->cancel = 1;
  wake(d, 's');
}
void rg_daemon_resync(struct rg_daemon *d) { wake(d, 'r'); }

int rg_daemon_new(struct rg_daemon **out, struct rg_docker *docker, struct rg_engine *engine,
                  struct rg_settings *s, char *err) {
  *out = NULL;
  struct rg_daemon *d = calloc(1, sizeof *d);
  if (d == NULL) {
    rg_engine_free(engine);
    rg_docker_close(docker);
    return rg_err(err, RG_ENOMEM, "out of memory");
  }
  d->wake[0] = d->wake[1] = -1;
  d->docker = docker;
  d->engine = engine;
  d->s = s;
  rg_host_init(&d->host, s->cfg.deregister_mode, &s->log);
  d->published = (uint64_t)-1;
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
  rg_engine_free(d->engine);
  if (d->multi) curl_multi_cleanup(d->multi);
  rg_event_parser_free(d->parser);
  for (size_t i = 0; i < d->nqueue; i++) {
    free(d->queue[i].action);
    free(d->queue[i].id);
  }
  free(d->queue);
  rg_host_free(&d->host);
  if (d->wake[0] >= 0) close(d->wake[0]);
  if (d->wake[1] >= 0) close(d->wake[1]);
  rg_docker_close(d->docker);
  rg_metrics_free(d->metrics); /* last: the engine's registries held its series */
  free(d);
}
