/* connect.c - see connect.h. */
#include "registrator/connect.h"

#include <time.h>

static void pause_ms(const struct rg_settings *s, long ms) {
  while (ms > 0 && !s->cancel) {
    long step = ms < 100 ? ms : 100;
    struct timespec ts = {0, step * 1000000L};
    nanosleep(&ts, NULL);
    ms -= step;
  }
}

int rg_connect_registry(struct rg_registry **out, struct rg_settings *s, const char *uri, bool ping,
                        char *err) {
  *out = NULL;
  int rc = rg_settings_prepare(s, err);
  if (rc) return rc;
  struct rg_adapter_config ac;
  rg_settings_adapter_config(s, uri, &ac);
  rc = rg_registry_open(out, uri, &ac, err);
  for (long attempt = 0; *out != NULL && ping; attempt++) {
    rc = rg_registry_ping(*out, err);
    if (rc == RG_OK || s->cancel) break;
    if (s->cfg.retry_attempts != -1 && attempt >= s->cfg.retry_attempts) break;
    rg_log(&s->log, RG_LOG_WARN, "cannot reach the registry %s (attempt %ld): %s; retrying in %ld ms", (*out)->label,
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

void rg_connect_policy(const struct rg_settings *s, struct rg_reconciler_policy *p) {
  p->retry_interval_ms = s->cfg.retry_interval;
  p->ttl_refresh_s = s->cfg.ttl_refresh;
  p->cleanup = s->cfg.cleanup;
}

int rg_connect_engine(struct rg_engine **out, struct rg_settings *s, char *err) {
  *out = NULL;
  if (s->cfg.registries.n == 0) return rg_err(err, RG_EINVAL, "no registry URI (setting \"registry\")");
  struct rg_reconciler_policy p;
  rg_connect_policy(s, &p);
  int rc = rg_settings_prepare(s, err);
  if (rc == RG_OK) rc = rg_engine_new(out, &s->log, err);
  for (size_t i = 0; rc == RG_OK && i < s->cfg.registries.n; i++) {
    struct rg_registry *r = NULL;
    rc = rg_connect_registry(&r, s, s->cfg.registries.items[i], true, err);
    if (rc == RG_OK) rc = rg_engine_add(*out, r, &p, s->hostname, err);
  }
  if (rc) {
    rg_engine_free(*out);
    *out = NULL;
  }
  return rc;
}

/* A registry kept across the reload whose adapter settings changed (a new
 * -ttl, TLS files, credentials, ...): opened again with them, and its
 * worker takes over the new connection and writes everything again. */
static void reopen_changed(struct rg_engine *e, struct rg_settings *s, size_t i) {
  const char *uri = rg_engine_uri(e, i);
  struct rg_adapter_config ac;
  rg_settings_adapter_config(s, uri, &ac);
  char what[160];
  if (rg_adapter_config_diff(rg_engine_config(e, i), &ac, what, sizeof what) == 0) return;
  char err[RG_ERRBUF] = "";
  struct rg_registry *r = NULL;
  if (rg_connect_registry(&r, s, uri, false, err) != RG_OK) {
    rg_log(&s->log, RG_LOG_ERROR, "reload: %s keeps its running settings: cannot open it with the new %s: %s",
           rg_engine_label(e, i), what, err);
    return;
  }
  rg_log(&s->log, RG_LOG_INFO, "reload: %s: new %s; writing its services again with them", rg_engine_label(e, i),
         what);
  rg_engine_reopen(e, r);
}

void rg_connect_update(struct rg_engine *e, struct rg_settings *s) {
  struct rg_reconciler_policy p;
  rg_connect_policy(s, &p);
  rg_engine_set_policy(e, &p);
  const struct rg_strlist *want = &s->cfg.registries;
  for (size_t i = rg_engine_count(e); i-- > 0;) {
    struct rg_engine_status st;
    rg_engine_status(e, i, &st);
    const char *uri = rg_engine_uri(e, i);
    if (rg_strlist_contains(want, uri)) continue;
    rg_log(&s->log, RG_LOG_INFO, "reload: closing %s%s", st.label,
           s->cfg.deregister_on_exit ? " (deregistering its services)" : "");
    rg_engine_remove(e, uri, s->cfg.deregister_on_exit);
  }
  for (size_t i = 0; i < rg_engine_count(e); i++) reopen_changed(e, s, i);
  for (size_t i = 0; i < want->n; i++) {
    if (rg_engine_has(e, want->items[i])) continue;
    char err[RG_ERRBUF] = "";
    struct rg_registry *r = NULL;
    /* no ping: the new registry's worker retries on its own */
    int rc = rg_connect_registry(&r, s, want->items[i], false, err);
    if (rc == RG_OK) rc = rg_engine_add(e, r, &p, s->hostname, err);
    if (rc) rg_log(&s->log, RG_LOG_ERROR, "reload: cannot open a registry: %s", err);
    else rg_log(&s->log, RG_LOG_INFO, "reload: opened %s", rg_engine_label(e, rg_engine_count(e) - 1));
  }
}
