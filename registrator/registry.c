/* registry.c - see registry.h. */
#include "registrator/registry.h"

#include <stdlib.h>
#include <string.h>

#include "registrator/reconcile.h"

int rg_registry_open(struct rg_registry **out, const char *uri, const struct rg_adapter_config *cfg,
                     char *err) {
  *out = NULL;
  struct rg_uri u = {0};
  int rc = rg_uri_parse(uri, &u, err);
  if (rc) {
    rg_uri_free(&u);
    return rc;
  }
  const struct rg_adapter *a = rg_adapter_find(u.scheme);
  if (a == NULL) {
    rc = rg_err(err, RG_EINVAL, "unrecognized registry scheme \"%s\" in \"%s\"", u.scheme,
                strchr(uri, '@') ? "(not shown: it contains '@')" : uri);
    rg_uri_free(&u);
    return rc;
  }
  struct rg_registry *r = calloc(1, sizeof *r);
  if (r == NULL || (r->uri = rg_strdup(uri)) == NULL) {
    free(r);
    rg_uri_free(&u);
    return rg_err(err, RG_ENOMEM, "out of memory");
  }
  r->adapter = a;
  r->log = cfg->log;
  rc = a->open(&r->state, &u, cfg, err);
  rg_uri_free(&u);
  if (rc) {
    rg_registry_close(r);
    return rc;
  }
  *out = r;
  return RG_OK;
}

void rg_registry_close(struct rg_registry *r) {
  if (r == NULL) return;
  if (r->adapter) r->adapter->close(r->state);
  rg_service_list_free(&r->registered);
  rg_service_list_free(&r->rejected);
  free(r->uri);
  free(r);
}

int rg_registry_ping(struct rg_registry *r, char *err) {
  return r->adapter->ping ? r->adapter->ping(r->state, err) : RG_OK;
}

int rg_registry_refresh(struct rg_registry *r, char *err) {
  return r->adapter->refresh ? r->adapter->refresh(r->state, err) : RG_OK;
}

/* RG_OK, RG_EINVAL (the service's own fault) or another error (the
 * registry's: retry later). Logs the outcome. */
static int deregister_one(struct rg_registry *r, const struct rg_service *s) {
  char err[RG_ERRBUF] = "";
  int rc = r->adapter->deregister_service(r->state, s, err);
  if (rc == RG_ENOTFOUND) rc = RG_OK; /* already gone is done */
  if (rc) rg_log(r->log, RG_LOG_WARN, "deregister %s failed: %s", s->id, err[0] ? err : rg_strerror(rc));
  else rg_log(r->log, RG_LOG_INFO, "deregistered %s", s->id);
  return rc;
}

static int register_one(struct rg_registry *r, const struct rg_service *s) {
  const struct rg_service *old = rg_service_list_find(&r->rejected, s->id);
  if (old && rg_service_equal(old, s)) return RG_OK; /* refused before, unchanged */
  char err[RG_ERRBUF] = "";
  int rc = r->adapter->register_service(r->state, s, err);
  if (rc == RG_OK) rc = rg_service_list_upsert(&r->registered, s);
  if (rc == RG_OK) {
    rg_service_list_remove(&r->rejected, s->id);
    rg_log(r->log, RG_LOG_INFO, "registered %s as %s at %s:%d", s->id, s->name, s->ip, s->port);
  } else if (rc == RG_EINVAL) {
    rg_log(r->log, RG_LOG_ERROR, "register %s (container %s) refused, not retried until it changes: %s",
           s->id, s->container_name ? s->container_name : "?", err[0] ? err : rg_strerror(rc));
    if (rg_service_list_upsert(&r->rejected, s) != RG_OK) return RG_ENOMEM;
  } else {
    rg_log(r->log, RG_LOG_WARN, "register %s failed: %s", s->id, err[0] ? err : rg_strerror(rc));
  }
  return rc;
}

size_t rg_registry_apply(struct rg_registry *r, const struct rg_service_list *desired) {
  struct rg_op_list ops = {0};
  struct rg_service_list gone = {0}; /* copies: removing from r->registered moves items */
  int rc = rg_reconcile(desired, &r->registered, &ops);
  for (size_t i = 0; rc == RG_OK && i < ops.n; i++)
    if (ops.items[i].kind == RG_OP_DEREGISTER) rc = rg_service_list_push_copy(&gone, ops.items[i].service);
  if (rc != RG_OK) {
    rg_log(r->log, RG_LOG_ERROR, "out of memory while reconciling");
    rg_op_list_free(&ops);
    rg_service_list_free(&gone);
    return 1;
  }
  size_t done = 0, pending = 0, total = ops.n;
  bool halted = false;
  for (size_t i = 0; !halted && i < gone.n; i++, done++) {
    rc = deregister_one(r, &gone.items[i]);
    if (rc == RG_OK) {
      rg_service_list_remove(&r->registered, gone.items[i].id);
      continue;
    }
    pending++;
    halted = rc != RG_EINVAL; /* the registry's fault: stop this pass */
  }
  for (size_t i = 0; !halted && i < ops.n; i++) {
    if (ops.items[i].kind != RG_OP_REGISTER) continue;
    done++;
    rc = register_one(r, ops.items[i].service);
    if (rc == RG_OK || rc == RG_EINVAL) continue; /* refused: not retried until it changes */
    pending++;
    halted = true;
  }
  if (halted && done < total) {
    pending += total - done;
    rg_log(r->log, RG_LOG_WARN, "%zu more write(s) postponed until the registry answers", total - done);
  }
  rg_service_list_free(&gone);
  rg_op_list_free(&ops);
  return pending;
}

size_t rg_registry_verify(struct rg_registry *r, const struct rg_service_list *desired,
                          const char *hostname, bool cleanup, size_t *drifted) {
  *drifted = 0;
  if (r->adapter->list == NULL) return 0;
  struct rg_service_list found = {0};
  char err[RG_ERRBUF] = "";
  if (r->adapter->list(r->state, &found, err) != RG_OK) {
    rg_log(r->log, RG_LOG_WARN, "cannot list %s to verify it: %s", r->uri, err);
    rg_service_list_free(&found);
    return 1;
  }
  rg_service_list_sort(&found);
  /* drift: what we registered and the registry no longer has */
  for (size_t i = 0; i < r->registered.n;) {
    const struct rg_service *mine = &r->registered.items[i];
    const struct rg_service *there = rg_service_list_find(&found, mine->id);
    if (there && (there->name == NULL || strcmp(there->name, mine->name) == 0)) {
      i++;
      continue;
    }
    rg_log(r->log, RG_LOG_WARN, "%s is missing from the registry; writing it again", mine->id);
    rg_service_list_remove(&r->registered, mine->id); /* the next apply re-registers it */
    (*drifted)++;
  }
  size_t failed = 0, hlen = strlen(hostname);
  for (size_t i = 0; cleanup && i < found.n; i++) {
    const struct rg_service *s = &found.items[i];
    if (s->id == NULL || strncmp(s->id, hostname, hlen) != 0 || s->id[hlen] != ':') continue;
    const struct rg_service *want = rg_service_list_find(desired, s->id);
    if (want && (s->name == NULL || strcmp(want->name, s->name) == 0)) continue;
    rg_log(r->log, RG_LOG_INFO, "cleanup: %s%s%s has no running container", s->name ? s->name : "",
           s->name ? "/" : "", s->id);
    if (deregister_one(r, s) != RG_OK) failed++;
    else if (want == NULL) rg_service_list_remove(&r->registered, s->id);
  }
  rg_service_list_free(&found);
  return failed;
}

size_t rg_registry_deregister_all(struct rg_registry *r) {
  struct rg_service_list none = {0};
  return rg_registry_apply(r, &none);
}
