/* api.c - the public entry points of registrator.h that tie Docker, the
 * model and a registry together. */
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "docker/client.h"
#include "registrator/collect.h"
#include "registrator/connect.h"
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

int rg_registry_connect(struct rg_registry **out, struct rg_settings *s, char *err) {
  *out = NULL;
  int rc = rg_settings_prepare(s, err);
  if (rc) return rc;
  if (s->cfg.registries.n == 0) return rg_err(err, RG_EINVAL, "no registry URI (setting \"registry\")");
  return rg_connect_registry(out, s, s->cfg.registries.items[0], true, err);
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

/* The library's writes follow the engine's rules (rg_registry_write). */
int rg_registry_add(struct rg_registry *r, const struct rg_service_desc *d, char *err) {
  struct rg_service svc;
  int rc = service_of(d, &svc, err);
  if (rc == RG_OK) rc = rg_registry_write(r, &svc, true, err);
  rg_service_clear(&svc);
  return rc;
}

int rg_registry_remove(struct rg_registry *r, const struct rg_service_desc *d, char *err) {
  struct rg_service svc;
  int rc = service_of(d, &svc, err);
  if (rc == RG_OK) rc = rg_registry_write(r, &svc, false, err);
  rg_service_clear(&svc);
  return rc;
}

/* Docker, pinged: the first step of every Docker-facing call. */
static int docker_connect(struct rg_settings *s, struct rg_docker **d, char *err) {
  int rc = rg_settings_prepare(s, err);
  if (rc == RG_OK) rc = rg_docker_open(d, s->cred.docker_host, &s->log, err);
  if (rc == RG_OK) rg_docker_set_timeouts(*d, s->cfg.docker_connect_timeout * 1000, s->cfg.docker_timeout * 1000);
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

/* The one-shot: the daemon's engine, one pass. Every registry is written
 * at once by its own worker, so one that is down costs its timeout without
 * delaying the others; the call waits for every first pass. */
int rg_resync_once(struct rg_settings *s, size_t *failed, char *err) {
  *failed = 0;
  struct rg_docker *d = NULL;
  struct rg_engine *e = NULL;
  struct rg_service_list desired = {0};
  int rc = docker_connect(s, &d, err);
  if (rc == RG_OK) rc = rg_collect_all(d, &s->mo, &s->log, &desired, err);
  if (rc == RG_OK) rc = rg_engine_new(&e, &s->log, err);
  struct rg_buf bad = {0};
  struct rg_reconciler_policy p;
  rg_connect_policy(s, &p);
  for (size_t i = 0; rc == RG_OK && i < s->cfg.registries.n; i++) {
    struct rg_registry *r = NULL;
    char rerr[RG_ERRBUF] = "";
    int one = rg_connect_registry(&r, s, s->cfg.registries.items[i], true, rerr);
    if (one == RG_OK) one = rg_engine_add(e, r, &p, s->hostname, rerr);
    if (one == RG_ENOMEM) rc = rg_err(err, one, "%s", rerr);
    if (one == RG_OK) continue;
    char *label = rg_uri_label(s->cfg.registries.items[i]);
    rg_log(&s->log, RG_LOG_ERROR, "%s", rerr);
    rg_buf_printf(&bad, "%s%s", bad.len ? ", " : "", label ? label : "?");
    free(label);
    (*failed)++;
  }
  if (rc == RG_OK && rg_engine_count(e) > 0) {
    rc = rg_engine_publish(e, &desired, 1, s->cfg.cleanup ? RG_STEP_VERIFY : 0);
    if (rc == RG_OK) rg_engine_wait(e, 1, INT64_MAX, &s->cancel);
    rg_engine_stop(e);
    for (size_t i = 0; rc == RG_OK && i < rg_engine_count(e); i++) {
      struct rg_engine_status st;
      rg_engine_status(e, i, &st);
      rg_log(&s->log, st.in_step ? RG_LOG_INFO : RG_LOG_ERROR, "resync: %s: %zu service(s), %s", st.label,
             desired.n, st.in_step ? "in step" : "NOT in step (see above)");
      if (st.in_step) continue;
      rg_buf_printf(&bad, "%s%s", bad.len ? ", " : "", st.label);
      *failed += st.pending ? st.pending : 1;
    }
  }
  if (rc == RG_OK && *failed)
    rc = rg_err(err, RG_EIO, "not in step (%zu failure(s)): %s", *failed, bad.data ? bad.data : "?");
  rg_buf_free(&bad);
  rg_engine_free(e);
  rg_service_list_free(&desired);
  rg_docker_close(d);
  return rc;
}

/* Metrics when -metrics or systemd asks for them (NOTIFY_SOCKET): the
 * series (every registry of e gets its own), the notifier and the HTTP
 * server, given to d. */
static int observe(struct rg_daemon *d, struct rg_engine *e, struct rg_settings *s, char *err) {
  if (s->cfg.metrics == NULL && s->notify_socket == NULL) return RG_OK;
  struct rg_metrics *m = NULL;
  struct rg_notify *n = NULL;
  struct rg_httpd *h = NULL;
  int rc = rg_metrics_new(&m, RG_VERSION, err);
  if (rc == RG_OK) rc = rg_notify_new(&n, s->notify_socket, s->watchdog_usec, s->watchdog_pid, err);
  if (rc == RG_OK) {
    rg_metrics_set_notify(m, n);
    rg_engine_set_metrics(e, m); /* before the first publish: the workers are idle */
  }
  if (rc == RG_OK && s->cfg.metrics) rc = rg_httpd_start(&h, s->cfg.metrics, m, err);
  if (rc == RG_OK && h) rg_log(&s->log, RG_LOG_INFO, "serving /metrics, /healthz, /readyz on %s", s->cfg.metrics);
  rg_daemon_set_metrics(d, m, h); /* also on failure: freed with d, after e */
  return rc;
}

int rg_daemon_create(struct rg_daemon **out, struct rg_settings *s, char *err) {
  *out = NULL;
  struct rg_docker *d = NULL;
  struct rg_engine *e = NULL;
  /* Docker may be down at start: the daemon's stream reconnects. Every
   * registry must answer (after -retry-attempts) as registrator did. */
  int rc = rg_settings_prepare(s, err);
  if (rc == RG_OK) rc = rg_docker_open(&d, s->cred.docker_host, &s->log, err);
  if (rc == RG_OK) rg_docker_set_timeouts(d, s->cfg.docker_connect_timeout * 1000, s->cfg.docker_timeout * 1000);
  if (rc == RG_OK) rg_docker_set_cancel(d, &s->cancel);
  if (rc == RG_OK) rc = rg_connect_engine(&e, s, err);
  if (rc == RG_OK) {
    rc = rg_daemon_new(out, d, e, s, err); /* owns d and e now */
    if (rc == RG_OK && (rc = observe(*out, e, s, err)) != RG_OK) {
      rg_daemon_destroy(*out);
      *out = NULL;
    }
    return rc;
  }
  rg_engine_free(e);
  rg_docker_close(d);
  return rc;
}
