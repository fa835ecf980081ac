/* api.c - the public entry points of registrator.h that tie Docker, the
 * model and a registry together. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker/client.h"
#include "registrator/collect.h"
#include "registrator/daemon.h"
#include "registrator/httpd.h"
#include "registrator/metrics.h"
#include "registrator/notify.h"
#include "registrator/registry.h"
#include "registrator/settings.h"

void rg_settings_cancel(struct rg_settings *s) { s->cancel = 1; }

static int jsonl_out(const struct rg_service_list *l, char **jsonl, char *err) {
  struct rg_buf b = {0};
  int rc = rg_buf_append(&b, "", 0);
  if (rc == RG_OK) rc = rg_service_list_to_jsonl(l, &b);
  if (rc) {
    rg_buf_free(&b);
    return rg_err(err, rc, "cannot print the services: %s", rg_strerror(rc));
  }
  *jsonl = b.data;
  return RG_OK;
}

int rg_services_from_inspect(const struct rg_settings *cs, const char *json, size_t len,
                             char **jsonl, char *err) {
  struct rg_settings *s = (struct rg_settings *)cs; /* prepare() caches derived facts */
  *jsonl = NULL;
  struct rg_container *c = NULL;
  struct rg_service_list l = {0};
  int rc = rg_settings_prepare(s, err);
  if (rc == RG_OK) rc = rg_container_parse(json, len, &c, err);
  if (rc == RG_OK) rc = rg_model_services(c, NULL, &s->mo, &s->log, &l, err);
  if (rc == RG_OK) {
    rg_service_list_sort(&l);
    rc = jsonl_out(&l, jsonl, err);
  }
  rg_service_list_free(&l);
  rg_container_free(c);
  return rc;
}

static void pause_ms(const struct rg_settings *s, long ms) {
  while (ms > 0 && !s->cancel) {
    long step = ms < 100 ? ms : 100;
    struct timespec ts = {0, step * 1000000L};
    nanosleep(&ts, NULL);
    ms -= step;
  }
}

int rg_registry_connect(struct rg_registry **out, struct rg_settings *s, char *err) {
  *out = NULL;
  int rc = rg_settings_prepare(s, err);
  if (rc) return rc;
  if (s->cfg.uri == NULL) return rg_err(err, RG_EINVAL, "no registry URI (setting \"registry\")");
  rc = rg_registry_open(out, s->cfg.uri, &s->ac, err);
  if (rc) return rc;
  for (long attempt = 0;; attempt++) {
    rc = rg_registry_ping(*out, err);
    if (rc == RG_OK || s->cancel) break;
    if (s->cfg.retry_attempts != -1 && attempt >= s->cfg.retry_attempts) break;
    rg_log(&s->log, RG_LOG_WARN, "cannot reach the registry (attempt %ld): %s; retrying in %ld ms",
           attempt + 1, err, s->cfg.retry_interval);
    pause_ms(s, s->cfg.retry_interval);
  }
  if (rc == RG_OK && s->cancel) rc = rg_err(err, RG_ESTOPPED, "stopped while connecting");
  if (rc) {
    rg_registry_close(*out);
    *out = NULL;
  }
  return rc;
}

/* A transient rg_service for a caller's description (strings borrowed). */
static int service_of(const struct rg_service_desc *d, struct rg_service *svc, char *err) {
  memset(svc, 0, sizeof *svc);
  if (d->id == NULL || d->name == NULL || d->ip == NULL || d->port < 1 || d->port > 65535)
    return rg_err(err, RG_EINVAL, "a service needs id, name, ip and a port from 1 to 65535");
  struct rg_service tmp = {.id = (char *)d->id, .name = (char *)d->name, .ip = (char *)d->ip,
                           .port = d->port, .proto = (char *)(d->proto ? d->proto : "tcp")};
  int rc = rg_service_copy(svc, &tmp);
  for (size_t i = 0; rc == RG_OK && i < d->ntags; i++) rc = rg_strlist_add(&svc->tags, d->tags[i]);
  for (size_t i = 0; rc == RG_OK && i < d->nattrs; i++)
    rc = rg_kvlist_add(&svc->attrs, d->attrs[2 * i], d->attrs[2 * i + 1]);
  if (rc) {
    rg_service_clear(svc);
    return rg_err(err, rc, "out of memory");
  }
  return RG_OK;
}

int rg_registry_add(struct rg_registry *r, const struct rg_service_desc *d, char *err) {
  struct rg_service svc;
  int rc = service_of(d, &svc, err);
  if (rc == RG_OK) rc = r->adapter->register_service(r->state, &svc, err);
  if (rc == RG_OK) rc = rg_service_list_upsert(&r->registered, &svc);
  rg_service_clear(&svc);
  return rc;
}

int rg_registry_remove(struct rg_registry *r, const struct rg_service_desc *d, char *err) {
  struct rg_service svc;
  int rc = service_of(d, &svc, err);
  if (rc == RG_OK) rc = r->adapter->deregister_service(r->state, &svc, err);
  if (rc == RG_ENOTFOUND) rc = RG_OK;
  if (rc == RG_OK) rg_service_list_remove(&r->registered, svc.id);
  rg_service_clear(&svc);
  return rc;
}

/* Docker, pinged: the first step of every Docker-facing call. */
static int docker_connect(struct rg_settings *s, struct rg_docker **d, char *err) {
  int rc = rg_settings_prepare(s, err);
  if (rc == RG_OK) rc = rg_docker_open(d, s->cred.docker_host, &s->log, err);
  if (rc == RG_OK) rc = rg_docker_ping(*d, err);
  return rc;
}

int rg_dry_run(struct rg_settings *s, char **jsonl, char *err) {
  *jsonl = NULL;
  struct rg_docker *d = NULL;
  struct rg_service_list l = {0};
  int rc = docker_connect(s, &d, err);
  if (rc == RG_OK) rc = rg_collect_all(d, &s->mo, &s->log, &l, err);
  if (rc == RG_OK) rc = jsonl_out(&l, jsonl, err);
  rg_service_list_free(&l);
  rg_docker_close(d);
  return rc;
}

int rg_resync_once(struct rg_settings *s, size_t *failed, char *err) {
  *failed = 0;
  struct rg_docker *d = NULL;
  struct rg_registry *r = NULL;
  struct rg_service_list desired = {0};
  int rc = docker_connect(s, &d, err);
  if (rc == RG_OK) rc = rg_registry_connect(&r, s, err);
  if (rc == RG_OK) rc = rg_collect_all(d, &s->mo, &s->log, &desired, err);
  if (rc == RG_OK) {
    *failed = rg_registry_apply(r, &desired);
    char rerr[RG_ERRBUF] = "";
    if (s->cfg.ttl > 0 && rg_registry_refresh(r, rerr) != RG_OK) {
      rg_log(&s->log, RG_LOG_ERROR, "TTL refresh failed: %s", rerr);
      (*failed)++;
    }
    size_t drifted = 0;
    if (s->cfg.cleanup) *failed += rg_registry_verify(r, &desired, s->hostname, true, &drifted);
    rg_log(&s->log, *failed ? RG_LOG_ERROR : RG_LOG_INFO, "resync: %zu service(s), %zu failed write(s)",
           desired.n, *failed);
    if (*failed) rc = rg_err(err, RG_EIO, "%zu registry write(s) failed (see the log)", *failed);
  }
  rg_service_list_free(&desired);
  rg_registry_close(r);
  rg_docker_close(d);
  return rc;
}

/* Metrics when -metrics or systemd asks for them (NOTIFY_SOCKET): the
 * series, the registry's, the notifier and the HTTP server, given to d. */
static int observe(struct rg_daemon *d, struct rg_registry *r, struct rg_settings *s, char *err) {
  if (s->cfg.metrics == NULL && s->notify_socket == NULL) return RG_OK;
  struct rg_metrics *m = NULL;
  struct rg_notify *n = NULL;
  struct rg_httpd *h = NULL;
  int rc = rg_metrics_new(&m, RG_VERSION, err);
  if (rc == RG_OK) rc = rg_notify_new(&n, s->notify_socket, s->watchdog_usec, s->watchdog_pid, err);
  if (rc == RG_OK) {
    char label[512];
    rg_metrics_set_notify(m, n);
    rg_metrics_uri_label(s->cfg.uri, label, sizeof label);
    struct rg_metrics_registry *mr = rg_metrics_registry_open(m, label);
    if (mr == NULL) rc = rg_err(err, RG_ENOMEM, "out of memory");
    else rg_registry_set_metrics(r, mr);
  }
  if (rc == RG_OK && s->cfg.metrics) rc = rg_httpd_start(&h, s->cfg.metrics, m, err);
  if (rc == RG_OK && h) rg_log(&s->log, RG_LOG_INFO, "serving /metrics, /healthz, /readyz on %s", s->cfg.metrics);
  rg_daemon_set_metrics(d, m, h); /* also on failure: freed with d */
  return rc;
}

int rg_daemon_create(struct rg_daemon **out, struct rg_settings *s, char *err) {
  *out = NULL;
  struct rg_docker *d = NULL;
  struct rg_registry *r = NULL;
  /* Docker may be down at start: the daemon's stream reconnects. The
   * registry must answer (after -retry-attempts) as registrator did. */
  int rc = rg_settings_prepare(s, err);
  if (rc == RG_OK) rc = rg_docker_open(&d, s->cred.docker_host, &s->log, err);
  if (rc == RG_OK) rg_docker_set_cancel(d, &s->cancel);
  if (rc == RG_OK) rc = rg_registry_connect(&r, s, err);
  if (rc == RG_OK) {
    rc = rg_daemon_new(out, d, r, &s->cfg, &s->mo, &s->log, err); /* owns d and r now */
    if (rc == RG_OK) rg_daemon_set_cancel(*out, &s->cancel);
    if (rc == RG_OK && (rc = observe(*out, r, s, err)) != RG_OK) {
      rg_daemon_destroy(*out);
      *out = NULL;
    }
    return rc;
  }
  rg_registry_close(r);
  rg_docker_close(d);
  return rc;
}
