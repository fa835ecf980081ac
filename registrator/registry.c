/* registry.c - see registry.h. */
#include "registrator/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registrator/reconcile.h"

/* Deep copy of the adapter configuration's strings into dst (owned). */
static int config_copy(struct rg_adapter_config *dst, const struct rg_adapter_config *src) {
  *dst = *src;
  const char **fields[] = {&dst->hostname, &dst->ca_file, &dst->cert_file, &dst->key_file,
                           &dst->username, &dst->password, &dst->token};
  int rc = RG_OK;
  for (size_t i = 0; i < RG_ARRAY_LEN(fields); i++) {
    const char *v = *fields[i];
    *fields[i] = NULL;
    if (v && (*fields[i] = rg_strdup(v)) == NULL) rc = RG_ENOMEM;
  }
  return rc;
}

static void config_free(struct rg_adapter_config *c) {
  char *secrets[] = {(char *)c->password, (char *)c->token};
  for (size_t i = 0; i < RG_ARRAY_LEN(secrets); i++)
    if (secrets[i]) rg_wipe(secrets[i], strlen(secrets[i]));
  const char *fields[] = {c->hostname, c->ca_file, c->cert_file, c->key_file,
                          c->username, c->password, c->token};
  for (size_t i = 0; i < RG_ARRAY_LEN(fields); i++) free((char *)fields[i]);
  memset(c, 0, sizeof *c);
}

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
  if (r == NULL || (r->uri = rg_strdup(uri)) == NULL || (r->label = rg_uri_label(uri)) == NULL) {
    if (r) free(r->uri);
    free(r);
    rg_uri_free(&u);
    return rg_err(err, RG_ENOMEM, "out of memory");
  }
  r->log = cfg->log;
  if (config_copy(&r->cfg, cfg) != RG_OK) {
    rg_uri_free(&u);
    rg_registry_close(r);
    return rg_err(err, RG_ENOMEM, "out of memory");
  }
  r->adapter = a;
  rc = a->open(&r->state, &u, &r->cfg, err);
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
  rg_metrics_registry_close(r->metrics);
  rg_service_list_free(&r->registered);
  rg_service_list_free(&r->rejected);
  config_free(&r->cfg);
  free(r->label);
  free(r->uri);
  free(r);
}

static bool same_str(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

size_t rg_adapter_config_diff(const struct rg_adapter_config *a, const struct rg_adapter_config *b, char *out,
                              size_t size) {
  /* the settings' names as README "Usage" gives them; never a value */
  const struct {
    bool same;
    const char *name;
  } f[] = {
      {same_str(a->hostname, b->hostname), "-hostname"},
      {a->ttl == b->ttl, "-ttl"},
      {a->ttl_refresh == b->ttl_refresh, "-ttl-refresh"},
      {same_str(a->ca_file, b->ca_file) && same_str(a->cert_file, b->cert_file) &&
           same_str(a->key_file, b->key_file) && a->tls == b->tls && a->tls_insecure == b->tls_insecure,
       "TLS"},
      {same_str(a->username, b->username) && same_str(a->password, b->password) && same_str(a->token, b->token),
       "credentials"},
      {a->timeout_ms == b->timeout_ms && a->connect_timeout_ms == b->connect_timeout_ms, "timeouts"},
      {a->max_in_flight == b->max_in_flight, "-max-in-flight"},
  };
  size_t n = 0, len = 0;
  if (size) out[0] = '\0';
  for (size_t i = 0; i < RG_ARRAY_LEN(f); i++) {
    if (f[i].same) continue;
    if (len < size) len += (size_t)snprintf(out + len, size - len, "%s%s", n ? ", " : "", f[i].name);
    n++;
  }
  return n;
}

void rg_registry_succeed(struct rg_registry *fresh, struct rg_registry *old) {
  rg_service_list_free(&fresh->registered);
  rg_service_list_free(&fresh->rejected);
  fresh->registered = old->registered;
  fresh->rejected = old->rejected;
  old->registered = (struct rg_service_list){0};
  old->rejected = (struct rg_service_list){0};
  rg_metrics_registry_close(fresh->metrics);
  fresh->metrics = old->metrics;
  old->metrics = NULL;
  fresh->up = old->up;
  rg_registry_close(old);
}

void rg_registry_forget_unchanged(struct rg_registry *r, const struct rg_service_list *desired) {
  struct rg_service_list *l = &r->registered;
  size_t kept = 0; /* one pass, the order (by id) kept */
  for (size_t i = 0; i < l->n; i++) {
    const struct rg_service *want = rg_service_list_find(desired, l->items[i].id);
    if (want && rg_service_equal(want, &l->items[i])) rg_service_clear(&l->items[i]);
    else l->items[kept++] = l->items[i];
  }
  l->n = kept;
}

char *rg_uri_label(const char *uri) {
  const char *sep = strstr(uri, "://");
  const char *host = sep ? sep + 3 : uri;
  const char *end = host + strcspn(host, "/?#");
  const char *at = NULL;
  for (const char *p = host; p < end; p++)
    if (*p == '@') at = p; /* user:password@ */
  struct rg_buf b = {0};
  int rc = rg_buf_append(&b, uri, (size_t)(host - uri));
  if (rc == RG_OK) rc = at ? rg_buf_append(&b, at + 1, strcspn(at + 1, "?#")) : rg_buf_append(&b, host, strcspn(host, "?#"));
  if (rc != RG_OK) {
    rg_buf_free(&b);
    return NULL;
  }
  return b.data;
}

/* ---- metrics (metrics.h): every request timed, every outcome counted ---- */

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void timed(struct rg_registry *r, double started) { rg_metrics_request(r->metrics, mono_s() - started); }

static void count(struct rg_registry *r, enum rg_metrics_op op, int rc) {
  rg_metrics_op(r->metrics, op,
                rc == RG_OK || rc == RG_ENOTFOUND ? RG_METRICS_OK
                : rc == RG_EINVAL                 ? RG_METRICS_REFUSED
                                                  : RG_METRICS_ERROR,
                1);
}

void rg_registry_set_metrics(struct rg_registry *r, struct rg_metrics_registry *m) {
  rg_metrics_registry_close(r->metrics);
  r->metrics = m;
}

/* Whether rc means the registry answered (up), or never did. */
static void note(struct rg_registry *r, int rc) {
  r->up = !(rc == RG_ECONNECT || rc == RG_EIO || rc == RG_ESTOPPED || rc == RG_ENOMEM);
}

int rg_registry_ping(struct rg_registry *r, char *err) {
  int rc = r->adapter->ping ? r->adapter->ping(r->state, err) : RG_OK;
  note(r, rc);
  return rc;
}

int rg_registry_refresh(struct rg_registry *r, char *err) {
  if (r->adapter->refresh == NULL) return RG_OK;
  double t0 = mono_s();
  int rc = r->adapter->refresh(r->state, err);
  timed(r, t0);
  count(r, RG_METRICS_REFRESH, rc);
  note(r, rc);
  return rc;
}

/* RG_OK, RG_EINVAL (the service's own fault) or another error (the
 * registry's: retry later). Logs the outcome. */
static int deregister_one(struct rg_registry *r, const struct rg_service *s) {
  char err[RG_ERRBUF] = "";
  double t0 = mono_s();
  int rc = r->adapter->deregister_service(r->state, s, err);
  timed(r, t0);
  count(r, RG_METRICS_DEREGISTER, rc);
  note(r, rc);
  if (rc == RG_ENOTFOUND) rc = RG_OK; /* already gone is done */
  struct rg_log_fields f = {s->container_name ? s->container_name : s->container_id, s->id, r->label};
  if (rc)
    rg_log_ctx(r->log, RG_LOG_WARN, &f, "%s: deregister %s failed: %s", r->label, s->id,
               err[0] ? err : rg_strerror(rc));
  else rg_log_ctx(r->log, RG_LOG_INFO, &f, "%s: deregistered %s", r->label, s->id);
  return rc;
}

/* The bookkeeping of one register outcome (rc from the adapter, err its
 * message): RG_OK and RG_EINVAL (the service's own fault: remembered, not
 * retried until it changes) are final; anything else is the registry's. */
static int settle(struct rg_registry *r, const struct rg_service *s, int rc, const char *err) {
  note(r, rc);
  count(r, RG_METRICS_REGISTER, rc);
  struct rg_log_fields f = {s->container_name ? s->container_name : s->container_id, s->id, r->label};
  if (rc == RG_OK) rc = rg_service_list_upsert(&r->registered, s);
  if (rc == RG_OK) {
    rg_service_list_remove(&r->rejected, s->id);
    rg_log_ctx(r->log, RG_LOG_INFO, &f, "%s: registered %s as %s at %s:%d", r->label, s->id, s->name, s->ip,
               s->port);
  } else if (rc == RG_EINVAL) {
    rg_log_ctx(r->log, RG_LOG_ERROR, &f, "%s: register %s (container %s) refused, not retried until it changes: %s",
               r->label, s->id, s->container_name ? s->container_name : "?", err[0] ? err : rg_strerror(rc));
    if (rg_service_list_upsert(&r->rejected, s) != RG_OK) return RG_ENOMEM;
  } else {
    rg_log_ctx(r->log, RG_LOG_WARN, &f, "%s: register %s failed: %s", r->label, s->id,
               err[0] ? err : rg_strerror(rc));
  }
  return rc;
}

/* Services sent to the adapter in one call: RG_REGISTRY_BATCH with
 * register_many (a txn of etcd holds at most 128 ops), else 1. */
#define RG_REGISTRY_BATCH 128
struct batch {
  const struct rg_service *svcs[RG_REGISTRY_BATCH];
  int rcs[RG_REGISTRY_BATCH];
  char errs[RG_REGISTRY_BATCH][RG_ERRBUF];
  char err[RG_ERRBUF];
};

/* Writes b->svcs[0..n): rcs[i] gets each outcome, errs[i] its message. */
static void send_batch(struct rg_registry *r, struct batch *b, size_t n) {
  b->err[0] = '\0';
  double t0 = mono_s();
  if (r->adapter->register_many == NULL) { /* n == 1 */
    b->errs[0][0] = '\0';
    b->rcs[0] = r->adapter->register_service(r->state, b->svcs[0], b->errs[0]);
    timed(r, t0);
    return;
  }
  r->adapter->register_many(r->state, b->svcs, n, b->rcs, b->errs, b->err);
  timed(r, t0); /* a batch is one call */
  for (size_t i = 0; i < n; i++) /* a message of the service's own (concurrent writes) beats the call's */
    if (b->rcs[i] != RG_OK && b->rcs[i] != RG_EINVAL && b->errs[i][0] == '\0')
      snprintf(b->errs[i], RG_ERRBUF, "%s", b->err);
}

/* The deregistrations of gone[0..n) through the adapter's deregister_many,
 * up to RG_REGISTRY_BATCH a call; the outcomes as deregister_one's. */
static void deregister_batched(struct rg_registry *r, const struct rg_service_list *gone, size_t *done,
                               size_t *pending, bool *halted) {
  struct batch *b = malloc(sizeof *b);
  if (b == NULL) {
    rg_log(r->log, RG_LOG_ERROR, "%s: out of memory while deregistering", r->label);
    *halted = true;
    return;
  }
  for (size_t i = 0; !*halted && i < gone->n;) {
    size_t n = 0;
    for (; n < RG_REGISTRY_BATCH && i < gone->n; i++) b->svcs[n++] = &gone->items[i];
    b->err[0] = '\0';
    double t0 = mono_s();
    note(r, r->adapter->deregister_many(r->state, b->svcs, n, b->rcs, b->errs, b->err));
    timed(r, t0); /* a batch is one call */
    for (size_t j = 0; j < n; j++, (*done)++) {
      const struct rg_service *s = b->svcs[j];
      int rc = b->rcs[j] == RG_ENOTFOUND ? RG_OK : b->rcs[j]; /* already gone is done */
      count(r, RG_METRICS_DEREGISTER, rc);
      const char *e = b->errs[j][0] ? b->errs[j] : b->err[0] ? b->err : rg_strerror(rc);
      struct rg_log_fields f = {s->container_name ? s->container_name : s->container_id, s->id, r->label};
      if (rc) rg_log_ctx(r->log, RG_LOG_WARN, &f, "%s: deregister %s failed: %s", r->label, s->id, e);
      else rg_log_ctx(r->log, RG_LOG_INFO, &f, "%s: deregistered %s", r->label, s->id);
      if (rc == RG_OK) {
        rg_service_list_remove(&r->registered, s->id);
        continue;
      }
      (*pending)++;
      if (rc != RG_EINVAL) *halted = true; /* the registry's fault: no further batch this pass */
    }
  }
  free(b);
}

/* The REGISTER ops, in batches: a service refused before and unchanged is
 * skipped; the first failure that is the registry's fault halts the pass.
 * *done counts the ops settled (the failed one included). */
static void register_all(struct rg_registry *r, const struct rg_op_list *ops, size_t *done, size_t *pending,
                         bool *halted) {
  struct batch *b = malloc(sizeof *b);
  if (b == NULL) {
    rg_log(r->log, RG_LOG_ERROR, "out of memory while registering");
    *halted = true;
    return;
  }
  size_t max = r->adapter->register_many ? RG_REGISTRY_BATCH : 1;
  for (size_t i = 0; !*halted && i < ops->n;) {
    size_t n = 0;
    for (; n < max && i < ops->n; i++) {
      const struct rg_service *s = ops->items[i].service, *old;
      if (ops->items[i].kind != RG_OP_REGISTER) continue;
      if ((old = rg_service_list_find(&r->rejected, s->id)) && rg_service_equal(old, s))
        (*done)++; /* refused before, unchanged: skipped */
      else
        b->svcs[n++] = s;
    }
    if (n) send_batch(r, b, n);
    for (size_t j = 0; j < n; j++) {
      int rc = b->rcs[j];
      if (*halted && rc != RG_OK && rc != RG_EINVAL) continue; /* postponed with the rest */
      (*done)++;
      rc = settle(r, b->svcs[j], rc, b->errs[j]);
      if (rc == RG_OK || rc == RG_EINVAL) continue;
      (*pending)++;
      *halted = true;
    }
  }
  free(b);
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
  if (r->adapter->deregister_many) deregister_batched(r, &gone, &done, &pending, &halted);
  for (size_t i = 0; !r->adapter->deregister_many && !halted && i < gone.n; i++, done++) {
    rc = deregister_one(r, &gone.items[i]);
    if (rc == RG_OK) {
      rg_service_list_remove(&r->registered, gone.items[i].id);
      continue;
    }
    pending++;
    halted = rc != RG_EINVAL; /* the registry's fault: stop this pass */
  }
  if (!halted && done < total) register_all(r, &ops, &done, &pending, &halted);
  if (halted && done < total) {
    pending += total - done;
    rg_log_ctx(r->log, RG_LOG_WARN, &(struct rg_log_fields){.registry = r->label},
               "%s: %zu more write(s) postponed until the registry answers", r->label, total - done);
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
  int rc = RG_EUNSUPPORTED; /* -cleanup needs every entry; drift repair only ours */
  double t0 = mono_s();
  if (!cleanup && r->adapter->list_own) rc = r->adapter->list_own(r->state, &found, err);
  if (rc == RG_EUNSUPPORTED) rc = r->adapter->list(r->state, &found, err);
  timed(r, t0);
  count(r, RG_METRICS_LIST, rc);
  note(r, rc);
  if (rc != RG_OK) {
    rg_log_ctx(r->log, RG_LOG_WARN, &(struct rg_log_fields){.registry = r->label}, "cannot list %s to verify it: %s",
               r->label, err);
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
    rg_log_ctx(r->log, RG_LOG_WARN, &(struct rg_log_fields){mine->container_name, mine->id, r->label},
               "%s: %s is missing from the registry; writing it again", r->label, mine->id);
    rg_service_list_remove(&r->registered, mine->id); /* the next apply re-registers it */
    (*drifted)++;
  }
  size_t failed = 0, hlen = strlen(hostname);
  for (size_t i = 0; cleanup && i < found.n; i++) {
    const struct rg_service *s = &found.items[i];
    if (s->id == NULL || strncmp(s->id, hostname, hlen) != 0 || s->id[hlen] != ':') continue;
    const struct rg_service *want = rg_service_list_find(desired, s->id);
    if (want && (s->name == NULL || strcmp(want->name, s->name) == 0)) continue;
    rg_log(r->log, RG_LOG_INFO, "%s: cleanup: %s%s%s has no running container", r->label, s->name ? s->name : "",
           s->name ? "/" : "", s->id);
    if (deregister_one(r, s) != RG_OK) failed++;
    else if (want == NULL) rg_service_list_remove(&r->registered, s->id);
  }
  rg_service_list_free(&found);
  return failed;
}

int rg_registry_write(struct rg_registry *r, const struct rg_service *s, bool add, char *err) {
  int rc;
  if (!add) {
    rc = deregister_one(r, s);
    if (rc == RG_OK) {
      rg_service_list_remove(&r->registered, s->id);
      rg_service_list_remove(&r->rejected, s->id);
    }
    return rc ? rg_err(err, rc, "%s: deregister %s failed (see the log)", r->label, s->id) : RG_OK;
  }
  const struct rg_service *old = rg_service_list_find(&r->rejected, s->id);
  if (old && rg_service_equal(old, s))
    return rg_err(err, RG_EINVAL, "%s: %s was refused before and has not changed", r->label, s->id);
  char why[RG_ERRBUF] = "";
  double t0 = mono_s();
  rc = r->adapter->register_service(r->state, s, why);
  timed(r, t0);
  rc = settle(r, s, rc, why);
  return rc ? rg_err(err, rc, "%s: register %s: %s", r->label, s->id, why[0] ? why : rg_strerror(rc)) : RG_OK;
}

size_t rg_registry_deregister_all(struct rg_registry *r) {
  struct rg_service_list none = {0};
  return rg_registry_apply(r, &none);
}
