/* consul.c - the Consul adapter's I/O: see consul.h. Owned by the adapters.
 *
 * The adapter remembers (bounded) the services it registered with a TTL
 * check and heartbeats them on refresh(); a heartbeat the agent does not
 * know (agent restarted, service reaped) registers the service again. */
#include "adapters/consul.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/http.h"
#include "adapters/safename.h"

#define MAX_TTL_SERVICES 16384 /* services heartbeated; more are warned about */
#define MAX_WARNED 4096        /* remembered "logged once" notes */

struct consul {
  struct rg_consul_transport *t;
  bool catalog;
  char *node;   /* catalog: cfg->hostname */
  char *secret; /* the token, only to redact it from messages; wiped */
  int ttl, ttl_refresh;
  const struct rg_log *log;
  struct rg_service_list ttl_services; /* sorted by id */
  struct rg_strlist warned;            /* "<id>\n<key>" */
  bool warned_full, warned_no_refresh;
};

static void consul_close(void *state) {
  struct consul *c = state;
  if (c == NULL) return;
  rg_consul_transport_free(c->t);
  free(c->node);
  if (c->secret) rg_wipe(c->secret, strlen(c->secret));
  free(c->secret);
  rg_service_list_free(&c->ttl_services);
  rg_strlist_free(&c->warned);
  free(c);
}

static int consul_open(void **state, const struct rg_uri *uri, const struct rg_adapter_config *cfg, char *err) {
  *state = NULL;
  struct consul *c = calloc(1, sizeof *c);
  if (c == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  c->log = cfg->log;
  c->ttl = cfg->ttl;
  c->ttl_refresh = cfg->ttl_refresh;
  c->catalog = strcmp(uri->scheme, "consul-catalog") == 0;
  bool is_unix = strcmp(uri->scheme, "consul-unix") == 0, tls = strcmp(uri->scheme, "consul-tls") == 0;
  int rc = RG_OK;
  if (cfg->token && cfg->token[0]) {
    size_t n = strcspn(cfg->token, "\r\n");
    if ((c->secret = rg_strndup(cfg->token, n)) == NULL) rc = rg_err(err, RG_ENOMEM, "out of memory");
  }
  if (rc == RG_OK && is_unix && (uri->hosts.n > 0 || uri->path[0] != '/'))
    rc = rg_err(err, RG_EINVAL, "consul-unix wants a socket path and no host: consul-unix:///path/agent.sock");
  if (rc == RG_OK && !is_unix && uri->path[0] != '\0' && strcmp(uri->path, "/") != 0)
    rg_log(c->log, RG_LOG_WARN, "consul: the URI path \"%s\" is ignored", uri->path);
  if (rc == RG_OK && !is_unix && uri->query.n > 0)
    rg_log(c->log, RG_LOG_WARN, "consul: URI query options are not supported and are ignored");
  if (rc == RG_OK && c->catalog) {
    const char *why = NULL;
    if (rg_safename_check(cfg->hostname, &why) != RG_OK)
      rc = rg_err(err, RG_EINVAL, "consul-catalog: the node name (-hostname) %s", why);
    else if ((c->node = rg_strdup(cfg->hostname)) == NULL)
      rc = rg_err(err, RG_ENOMEM, "out of memory");
  }
  if (rc == RG_OK && c->catalog && c->ttl > 0)
    rg_log(c->log, RG_LOG_WARN, "consul-catalog: -ttl has no effect (no agent expires catalog entries); "
                                "use -cleanup to remove this host's stale entries");
  struct rg_strlist local = {0}; /* consul:// alone means the local agent, as registrator did */
  const struct rg_strlist *hosts = &uri->hosts;
  if (rc == RG_OK && !is_unix && hosts->n == 0) {
    if (rg_strlist_add(&local, tls ? "127.0.0.1:8501" : "127.0.0.1:8500") != RG_OK)
      rc = rg_err(err, RG_ENOMEM, "out of memory");
    hosts = &local;
  }
  if (rc == RG_OK) rc = rg_consul_transport_open(&c->t, is_unix ? uri->path : NULL, hosts, cfg, tls, err);
  rg_strlist_free(&local);
  if (rc) {
    consul_close(c);
    return rc;
  }
  rg_log(c->log, RG_LOG_INFO, "consul: using the %s API at %s%s%s", c->catalog ? "catalog" : "agent",
         rg_consul_transport_where(c->t), c->catalog ? " as node " : "", c->catalog ? c->node : "");
  *state = c;
  return RG_OK;
}

/* The RG_* code of an answer; for a non-2xx one err names what was done
 * (`what` `id`) and gives Consul's message. */
static int answer(struct consul *c, long status, const struct rg_buf *resp, const char *what, const char *id,
                  char *err) {
  char pid[160];
  rg_safename_printable(id ? id : "", pid, sizeof pid);
  int rc = rg_consul_status_rc(status);
  if (rc != RG_OK) {
    struct rg_buf msg = {0};
    if (rg_consul_message(&msg, resp->data ? resp->data : "", resp->len, c->secret) != RG_OK)
      rc = rg_err(err, RG_ENOMEM, "out of memory");
    else if (rc == RG_EAUTH)
      rg_err(err, rc, "consul: %s to %s %s (HTTP %ld: %s)",
             c->secret ? "ACL token lacks permission" : "no ACL token set and the anonymous token lacks permission",
             what, pid, status, msg.data);
    else
      rg_err(err, rc, "consul: %s %s: HTTP %ld: %s%s", what, pid, status, msg.data,
             rc == RG_EAGAIN ? " (will retry)" : "");
    rg_buf_free(&msg);
  }
  return rc;
}

/* A transport failure rc (message in err) as "consul: <what> <id>: <err>". */
static int transport_failed(int rc, const char *what, const char *id, char *err) {
  if (rc == RG_ENOMEM) return rc;
  char inner[RG_ERRBUF], pid[160];
  snprintf(inner, sizeof inner, "%s", err);
  return rg_err(err, rc, "consul: %s %s: %s", what, rg_safename_printable(id ? id : "", pid, sizeof pid), inner);
}

/* Performs one request; the outcome as answer() or transport_failed() give it. */
static int call(struct consul *c, const char *method, const char *path, const struct rg_buf *body,
                const char *what, const char *id, struct rg_buf *resp, char *err) {
  long status = 0;
  struct rg_buf local = {0};
  if (resp == NULL) resp = &local;
  int rc = rg_consul_transport_request(c->t, method, path, body ? body->data : NULL, body ? body->len : 0,
                                       &status, resp, err);
  rc = rc == RG_OK ? answer(c, status, resp, what, id, err) : transport_failed(rc, what, id, err);
  rg_buf_free(&local);
  return rc;
}

/* "<prefix><escaped segment>" */
static int path_of(struct rg_buf *p, const char *prefix, const char *segment) {
  int rc = rg_buf_printf(p, "%s", prefix);
  return rc ? rc : rg_http_escape(p, segment, strlen(segment));
}

static int consul_ping(void *state, char *err) {
  struct consul *c = state;
  struct rg_buf resp = {0}, leader = {0};
  int rc = call(c, "GET", "/v1/status/leader", NULL, "ping", "(status/leader)", &resp, err);
  if (rc == RG_OK && rg_consul_message(&leader, resp.data ? resp.data : "", resp.len, NULL) == RG_OK) {
    bool none = leader.len <= 2; /* "" */
    rg_log(c->log, none ? RG_LOG_WARN : RG_LOG_INFO, "consul: %s answers; cluster leader %s",
           rg_consul_transport_where(c->t), none ? "not elected yet" : leader.data);
  }
  rg_buf_free(&resp);
  rg_buf_free(&leader);
  return rc;
}

/* Logs each skipped key of service id once. */
static void log_notes(struct consul *c, const char *id, const struct rg_consul_notes *n) {
  for (size_t i = 0; i < n->skipped.n; i++) {
    struct rg_buf k = {0};
    if (rg_buf_printf(&k, "%s\n%s", id, n->skipped.items[i].key) != RG_OK) return;
    bool seen = rg_strlist_contains(&c->warned, k.data);
    if (!seen && c->warned.n < MAX_WARNED) rg_strlist_add(&c->warned, k.data);
    rg_buf_free(&k);
    if (seen) continue;
    char pid[160], key[160];
    rg_safename_printable(n->skipped.items[i].key, key, sizeof key);
    for (char *p = key; *p; p++) /* as the user spelled it (keys arrive lower-cased) */
      if (*p >= 'a' && *p <= 'z' && !(p > key && p[-1] == '\\')) *p = (char)(*p - 'a' + 'A');
    rg_log(c->log, RG_LOG_WARN, "consul: service %s: not sending SERVICE_%s: %s",
           rg_safename_printable(id, pid, sizeof pid), key, n->skipped.items[i].value);
  }
}

/* The registration body of s after the checks (RG_EINVAL: refused, err
 * says why); notes filled and logged. */
static int put_body(struct consul *c, const struct rg_service *s, struct rg_consul_notes *notes, struct rg_buf *body,
                    char *err) {
  char pid[160];
  int rc = rg_safename_check_service(s, err);
  if (rc == RG_OK && (s->ip == NULL || s->ip[0] == '\0'))
    rc = rg_err(err, RG_EINVAL, "consul: service %s has no IP address", rg_safename_printable(s->id, pid, sizeof pid));
  if (rc == RG_OK)
    rc = c->catalog ? rg_consul_catalog_body(body, c->node, s, notes) : rg_consul_agent_body(body, s, c->ttl, notes);
  if (rc == RG_EINVAL && err[0] == '\0')
    rg_err(err, rc, "consul: service %s has a tag, attribute or check that is not valid UTF-8",
           rg_safename_printable(s->id, pid, sizeof pid));
  else if (rc == RG_ENOMEM)
    rg_err(err, rc, "out of memory");
  if (rc == RG_OK) log_notes(c, s->id, notes);
  return rc;
}

static const char *put_path(const struct consul *c) {
  return c->catalog ? "/v1/catalog/register" : "/v1/agent/service/register";
}

/* Writes the registration of s; notes filled. No bookkeeping. */
static int put_service(struct consul *c, const struct rg_service *s, struct rg_consul_notes *notes, char *err) {
  struct rg_buf body = {0};
  int rc = put_body(c, s, notes, &body, err);
  if (rc == RG_OK) rc = call(c, "PUT", put_path(c), &body, "register", s->id, NULL, err);
  rg_buf_free(&body);
  return rc;
}

/* The bookkeeping of a registration of s that was written (rc RG_OK): its
 * TTL check heartbeated or not. */
static int registered(struct consul *c, const struct rg_service *s, bool ttl_check, int rc, char *err) {
  if (rc == RG_OK && ttl_check && c->ttl_refresh <= 0 && !c->warned_no_refresh) {
    c->warned_no_refresh = true;
    rg_log(c->log, RG_LOG_WARN, "consul: TTL checks are registered but -ttl-refresh is 0: nothing will "
                                "heartbeat them and they will turn critical");
  }
  if (rc == RG_OK && ttl_check && c->ttl_services.n >= MAX_TTL_SERVICES &&
      rg_service_list_find(&c->ttl_services, s->id) == NULL) {
    if (!c->warned_full)
      rg_log(c->log, RG_LOG_WARN, "consul: more than %d services with TTL checks; the others are not heartbeated",
             MAX_TTL_SERVICES);
    c->warned_full = true;
  } else if (rc == RG_OK && ttl_check) {
    if (rg_service_list_upsert(&c->ttl_services, s) != RG_OK) rc = rg_err(err, RG_ENOMEM, "out of memory");
  } else if (rc == RG_OK) {
    rg_service_list_remove(&c->ttl_services, s->id);
  }
  return rc;
}

static int consul_register(void *state, const struct rg_service *s, char *err) {
  struct consul *c = state;
  struct rg_consul_notes notes = {0};
  err[0] = '\0';
  int rc = put_service(c, s, &notes, err);
  rc = registered(c, s, notes.ttl_check, rc, err);
  rg_consul_notes_free(&notes);
  return rc;
}

/* Forgets the "logged once" notes of id. */
static void forget_notes(struct consul *c, const char *id) {
  size_t n = strlen(id), w = 0;
  for (size_t i = 0; i < c->warned.n; i++) {
    char *k = c->warned.items[i];
    if (strncmp(k, id, n) == 0 && k[n] == '\n') free(k);
    else c->warned.items[w++] = k;
  }
  c->warned.n = w;
}

/* The path and (catalog) body of the deregistration of s. */
static int del_request(struct consul *c, const struct rg_service *s, struct rg_buf *path, struct rg_buf *body,
                       char *err) {
  const char *why = NULL;
  char pid[160];
  if (rg_safename_check(s->id, &why) != RG_OK)
    return rg_err(err, RG_EINVAL, "consul: cannot deregister service %s: its ID %s",
                  rg_safename_printable(s->id, pid, sizeof pid), why);
  int rc = c->catalog ? rg_consul_catalog_deregister_body(body, c->node, s->id)
                      : path_of(path, "/v1/agent/service/deregister/", s->id);
  if (rc == RG_OK && c->catalog) rc = rg_buf_printf(path, "/v1/catalog/deregister");
  if (rc) rc = rg_err(err, rc == RG_ENOMEM ? rc : RG_EINVAL, "consul: cannot build the deregistration of %s",
                      rg_safename_printable(s->id, pid, sizeof pid));
  return rc;
}

/* The bookkeeping of a deregistration that ended with rc. */
static int deregistered(struct consul *c, const struct rg_service *s, int rc) {
  if (rc == RG_OK || rc == RG_ENOTFOUND) {
    rg_service_list_remove(&c->ttl_services, s->id);
    forget_notes(c, s->id);
  }
  return rc;
}

static int consul_deregister(void *state, const struct rg_service *s, char *err) {
  struct consul *c = state;
  struct rg_buf path = {0}, body = {0};
  int rc = del_request(c, s, &path, &body, err);
  if (rc == RG_OK) rc = call(c, "PUT", path.data, c->catalog ? &body : NULL, "deregister", s->id, NULL, err);
  rg_buf_free(&path);
  rg_buf_free(&body);
  return deregistered(c, s, rc);
}

/* Several services at once (register_many, deregister_many) ------- */

/* One service of such a call. */
struct many {
  struct consul *c;
  const char *what; /* "register", "deregister" */
  const struct rg_service *s;
  struct rg_buf path, body;
  struct rg_consul_notes notes;
  bool judged; /* answered: its message is answer()'s */
  bool no_ttl; /* a heartbeat answered "does not have associated TTL" */
};

static int judge_many(void *ud, struct rg_http_call *call) {
  (void)ud;
  struct many *m = call->ud;
  m->judged = true;
  m->no_ttl = call->resp.status >= 500 && call->resp.body.data &&
              strstr(call->resp.body.data, "does not have associated TTL") != NULL;
  return answer(m->c, call->resp.status, &call->resp.body, m->what, m->s->id, call->err);
}

/* Sends the request of every service built (rcs[i] RG_OK) at once, at most
 * -max-in-flight in flight; rcs[i] and errs[i] get each outcome. */
static void send_many(struct consul *c, struct many *ms, size_t n, int *rcs, char (*errs)[RG_ERRBUF]) {
  struct rg_http_call *calls = calloc(n ? n : 1, sizeof *calls);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (rcs[i] != RG_OK) continue;
    if (calls == NULL) {
      rcs[i] = rg_err(errs[i], RG_ENOMEM, "out of memory");
      continue;
    }
    calls[k++] = (struct rg_http_call){.method = "PUT", .path = ms[i].path.data,
                                       .content_type = ms[i].body.data ? "application/json" : NULL,
                                       .body = ms[i].body.data, .body_len = ms[i].body.len,
                                       .after = RG_INFLIGHT_NONE, .ud = &ms[i]};
  }
  char err[RG_ERRBUF] = "";
  rg_consul_transport_many(c->t, calls, k, judge_many, NULL, err);
  for (size_t j = 0; j < k; j++) {
    struct many *m = calls[j].ud;
    size_t i = (size_t)(m - ms);
    if ((rcs[i] = calls[j].rc) == RG_OK) continue;
    snprintf(errs[i], RG_ERRBUF, "%s", calls[j].err);
    if (!m->judged) transport_failed(rcs[i], m->what, m->s->id, errs[i]);
  }
  rg_http_calls_free(calls, k);
  free(calls);
}

/* register_many's return: RG_OK when every service was written or refused,
 * else the first registry error (its message into err). */
static int first_failure(const int *rcs, char (*errs)[RG_ERRBUF], size_t n, char *err) {
  for (size_t i = 0; i < n; i++)
    if (rcs[i] != RG_OK && rcs[i] != RG_EINVAL && rcs[i] != RG_ENOTFOUND) return rg_err(err, rcs[i], "%s", errs[i]);
  return RG_OK;
}

static void many_free(struct many *ms, size_t n) {
  for (size_t i = 0; ms && i < n; i++) {
    rg_buf_free(&ms[i].path);
    rg_buf_free(&ms[i].body);
    rg_consul_notes_free(&ms[i].notes);
  }
  free(ms);
}

/* One struct many per service (NULL: every rcs[i] RG_ENOMEM); errs cleared. */
static struct many *many_new(struct consul *c, const char *what, const struct rg_service *const *svcs, size_t n,
                             int *rcs, char (*errs)[RG_ERRBUF]) {
  struct many *ms = calloc(n ? n : 1, sizeof *ms);
  for (size_t i = 0; i < n; i++) {
    errs[i][0] = '\0';
    rcs[i] = ms ? RG_OK : rg_err(errs[i], RG_ENOMEM, "out of memory");
    if (ms) ms[i] = (struct many){.c = c, .what = what, .s = svcs[i]};
  }
  return ms;
}

/* The registrations of svcs[0..n) at once, no bookkeeping; the caller
 * frees the returned notes with many_free (NULL: every rcs[i] RG_ENOMEM). */
static struct many *put_many(struct consul *c, const struct rg_service *const *svcs, size_t n, int *rcs,
                             char (*errs)[RG_ERRBUF]) {
  struct many *ms = many_new(c, "register", svcs, n, rcs, errs);
  for (size_t i = 0; ms && i < n; i++) {
    rcs[i] = put_body(c, svcs[i], &ms[i].notes, &ms[i].body, errs[i]);
    if (rcs[i] == RG_OK && rg_buf_printf(&ms[i].path, "%s", put_path(c)) != RG_OK)
      rcs[i] = rg_err(errs[i], RG_ENOMEM, "out of memory");
  }
  if (ms) send_many(c, ms, n, rcs, errs);
  return ms;
}

static int consul_register_many(void *state, const struct rg_service *const *svcs, size_t n, int *rcs,
                                char (*errs)[RG_ERRBUF], char *err) {
  struct consul *c = state;
  struct many *ms = put_many(c, svcs, n, rcs, errs);
  for (size_t i = 0; ms && i < n; i++)
    if (rcs[i] == RG_OK) rcs[i] = registered(c, svcs[i], ms[i].notes.ttl_check, RG_OK, errs[i]);
  many_free(ms, n);
  return first_failure(rcs, errs, n, err);
}

static int consul_deregister_many(void *state, const struct rg_service *const *svcs, size_t n, int *rcs,
                                  char (*errs)[RG_ERRBUF], char *err) {
  struct consul *c = state;
  struct many *ms = many_new(c, "deregister", svcs, n, rcs, errs);
  for (size_t i = 0; ms && i < n; i++) rcs[i] = del_request(c, svcs[i], &ms[i].path, &ms[i].body, errs[i]);
  if (ms) send_many(c, ms, n, rcs, errs);
  for (size_t i = 0; ms && i < n; i++) rcs[i] = deregistered(c, svcs[i], rcs[i]);
  many_free(ms, n);
  return first_failure(rcs, errs, n, err);
}

#define HEARTBEAT_WINDOW 256 /* heartbeats per send_many */

/* Heartbeats ttl_services[from, from + n) at once; a check the agent does not
 * know (restarted, reaped) gets its service registered again. Failures are
 * logged and counted into *failed (the first into first/first_err). */
static void heartbeat_window(struct consul *c, size_t from, size_t n, size_t *failed, int *first, char *first_err) {
  const struct rg_service *svcs[HEARTBEAT_WINDOW];
  int rcs[HEARTBEAT_WINDOW];
  char (*errs)[RG_ERRBUF] = calloc(n, sizeof *errs);
  for (size_t i = 0; i < n; i++) svcs[i] = &c->ttl_services.items[from + i];
  struct many *ms = errs ? many_new(c, "heartbeat the TTL check of", svcs, n, rcs, errs) : NULL;
  for (size_t i = 0; ms && i < n; i++)
    if (path_of(&ms[i].path, "/v1/agent/check/pass/service:", svcs[i]->id) != RG_OK)
      rcs[i] = rg_err(errs[i], RG_ENOMEM, "out of memory");
  if (ms) send_many(c, ms, n, rcs, errs);
  const struct rg_service *lost[HEARTBEAT_WINDOW];
  size_t *where = calloc(n, sizeof *where), nlost = 0;
  for (size_t i = 0; ms && where && i < n; i++) {
    if (rcs[i] != RG_ENOTFOUND && !ms[i].no_ttl) continue;
    char pid[160];
    rg_log(c->log, RG_LOG_INFO, "consul: the agent does not know the TTL check of %s (restarted?); "
                                "registering it again", rg_safename_printable(svcs[i]->id, pid, sizeof pid));
    where[nlost] = i;
    lost[nlost++] = svcs[i];
  }
  if (nlost) { /* registered again, no bookkeeping: they stay heartbeated */
    int lrcs[HEARTBEAT_WINDOW];
    char (*lerrs)[RG_ERRBUF] = calloc(nlost, sizeof *lerrs);
    struct many *again = lerrs ? put_many(c, lost, nlost, lrcs, lerrs) : NULL;
    for (size_t j = 0; j < nlost; j++) {
      rcs[where[j]] = again ? lrcs[j] : RG_ENOMEM;
      snprintf(errs[where[j]], RG_ERRBUF, "%s", again ? lerrs[j] : "out of memory");
    }
    many_free(again, nlost);
    free(lerrs);
  }
  for (size_t i = 0; i < n; i++) {
    if (errs && rcs[i] == RG_OK) continue;
    rg_log(c->log, RG_LOG_WARN, "%s", errs ? errs[i] : "out of memory");
    if ((*failed)++ == 0) *first = rg_err(first_err, errs ? rcs[i] : RG_ENOMEM, "%s", errs ? errs[i] : "out of memory");
  }
  many_free(ms, n);
  free(where);
  free(errs);
}

static int consul_refresh(void *state, char *err) {
  struct consul *c = state;
  if (c->catalog) return RG_OK; /* catalog entries have no checks to keep alive */
  int first = RG_OK;
  size_t failed = 0;
  char first_err[RG_ERRBUF] = "";
  for (size_t at = 0; at < c->ttl_services.n; at += HEARTBEAT_WINDOW) {
    size_t n = c->ttl_services.n - at < HEARTBEAT_WINDOW ? c->ttl_services.n - at : HEARTBEAT_WINDOW;
    heartbeat_window(c, at, n, &failed, &first, first_err);
    if (first == RG_ECONNECT || first == RG_ESTOPPED) break; /* the agent is gone: one timeout per pass */
  }
  if (failed) return rg_err(err, first, "%zu of %zu TTL heartbeat(s) failed; first: %s", failed,
                            c->ttl_services.n, first_err);
  return RG_OK;
}

static int consul_list(void *state, struct rg_service_list *out, char *err) {
  struct consul *c = state;
  struct rg_buf path = {0}, resp = {0};
  int rc = c->catalog ? path_of(&path, "/v1/catalog/node/", c->node) : rg_buf_printf(&path, "/v1/agent/services");
  if (rc) return rg_err(err, RG_ENOMEM, "out of memory");
  rc = call(c, "GET", path.data, NULL, "list", c->catalog ? c->node : "(agent services)", &resp, err);
  if (rc == RG_OK) rc = rg_consul_parse_services(resp.data, resp.len, c->catalog, out, err);
  rg_buf_free(&path);
  rg_buf_free(&resp);
  return rc;
}

static const char *const consul_schemes[] = {"consul", "consul-tls", "consul-unix", "consul-catalog", NULL};

const struct rg_adapter rg_adapter_consul = {
    .name = "consul",
    .schemes = consul_schemes,
    .open = consul_open,
    .ping = consul_ping,
    .register_service = consul_register,
    .register_many = consul_register_many,
    .deregister_service = consul_deregister,
    .deregister_many = consul_deregister_many,
    .refresh = consul_refresh,
    .list = consul_list,
    .close = consul_close,
};
