/* etcd2.c - the etcd v2 keys API half of etcdkv.h: per-key TTLs refreshed
 * without rewriting the value, re-created on 404. Owned by the adapters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/etcd_req.h"
#include "adapters/etcdkv.h"

#define FORM "application/x-www-form-urlencoded"

static int fail(struct rg_etcdkv *kv, const char *method, const char *key,
                const struct rg_http_response *r, char *err) {
  char msg[256];
  long code;
  rg_etcd2_error(r->body.data, &code, msg, sizeof msg);
  return rg_err(err, rg_etcdkv_status_error(r->status), "etcd v2 %s %s %s: HTTP %ld: %s",
                rg_http_endpoint(kv->http), method, key, r->status, msg);
}

/* method on key with query and body; *r holds the answer (caller frees). */
static int call(struct rg_etcdkv *kv, const char *method, const char *key, const char *query,
                const struct rg_buf *body, struct rg_http_response *r, char *err) {
  struct rg_buf path = {0};
  int rc = rg_etcd2_path(&path, key, query);
  if (rc == RG_OK)
    rc = rg_http_request(kv->http, method, path.data, body ? FORM : NULL, body ? (body->data ? body->data : "") : NULL,
                         body ? body->len : 0, r, err);
  else
    rg_err(err, rc, "cannot build the path for %s", key);
  rg_buf_free(&path);
  return rc;
}

int rg_etcd2_ping(struct rg_etcdkv *kv, const char *prefix, char *err) {
  struct rg_http_response r = {0};
  int rc = call(kv, "GET", prefix[0] ? prefix : "/", NULL, NULL, &r, err);
  if (rc == RG_OK && r.status / 100 != 2 && r.status != 404) rc = fail(kv, "GET", prefix, &r, err);
  rg_buf_free(&r.body);
  return rc;
}

/* PUT key=value with the TTL (create or overwrite). */
static int set(struct rg_etcdkv *kv, const char *key, const char *value, char *err) {
  struct rg_buf body = {0}, query = {0};
  struct rg_http_response r = {0};
  int rc = rg_etcd2_value_body(&body, value);
  if (rc == RG_OK && kv->ttl > 0) rc = rg_buf_printf(&query, "ttl=%ld", kv->ttl);
  if (rc) rc = rg_err(err, rc, "cannot build the request for %s", key);
  else rc = call(kv, "PUT", key, query.data, &body, &r, err);
  if (rc == RG_OK && r.status / 100 != 2) rc = fail(kv, "PUT", key, &r, err);
  rg_buf_free(&r.body);
  rg_buf_free(&body);
  rg_buf_free(&query);
  return rc;
}

int rg_etcd2_put(struct rg_etcdkv *kv, const char *key, const char *value, char *err) {
  return set(kv, key, value, err);
}

int rg_etcd2_delete(struct rg_etcdkv *kv, const char *key, char *err) {
  struct rg_http_response r = {0};
  int rc = call(kv, "DELETE", key, NULL, NULL, &r, err);
  if (rc == RG_OK && r.status / 100 != 2) rc = fail(kv, "DELETE", key, &r, err);
  rg_buf_free(&r.body);
  return rc;
}

int rg_etcd2_list(struct rg_etcdkv *kv, const char *prefix, struct rg_kvlist *out, char *err) {
  struct rg_http_response r = {0};
  /* v2 lists directories: "/services/" lists the directory /services */
  char *dir = rg_strdup(prefix);
  if (dir == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') dir[--n] = '\0';
  char why[RG_ERRBUF] = "";
  int rc = call(kv, "GET", dir, "recursive=true", NULL, &r, err);
  if (rc == RG_OK && r.status == 404) {
    rc = RG_OK; /* nothing registered yet */
  } else if (rc == RG_OK && r.status / 100 != 2) {
    rc = fail(kv, "GET", dir, &r, err);
  } else if (rc == RG_OK && (rc = rg_etcd2_parse_list(r.body.data, out, why)) != RG_OK) {
    rc = rg_err(err, rc, "etcd v2 %s: cannot read the listing of %s: %s", rg_http_endpoint(kv->http), dir,
                why[0] ? why : rg_strerror(rc));
  }
  free(dir);
  rg_buf_free(&r.body);
  return rc;
}

#define REFRESH_WINDOW 256 /* keys re-armed per rg_etcd2_write_many */

/* Re-arms keys [from, from + n) without rewriting them, several at once;
 * a key that is gone (404) is written again. */
static int refresh_window(struct rg_etcdkv *kv, size_t from, size_t n, struct rg_etcd2_op *ops, char *err) {
  for (size_t i = 0; i < n; i++)
    ops[i] = (struct rg_etcd2_op){.key = kv->items[from + i].key, .refresh = true, .after = RG_INFLIGHT_NONE};
  int rc = rg_etcd2_write_many(kv, ops, n, err);
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (ops[i].rc != RG_ENOTFOUND) continue;
    rg_log(kv->log, RG_LOG_WARN, "etcd v2 key %s expired; writing it again", kv->items[from + i].key);
    ops[m++] = (struct rg_etcd2_op){.key = kv->items[from + i].key, .value = kv->items[from + i].value,
                                    .after = RG_INFLIGHT_NONE};
  }
  int again = rg_etcd2_write_many(kv, ops, m, rc ? NULL : err);
  return rc ? rc : again;
}

int rg_etcd2_refresh(struct rg_etcdkv *kv, char *err) {
  struct rg_etcd2_op *ops = calloc(REFRESH_WINDOW, sizeof *ops);
  if (ops == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  int first = RG_OK;
  for (size_t at = 0; at < kv->n; at += REFRESH_WINDOW) {
    size_t n = kv->n - at < REFRESH_WINDOW ? kv->n - at : REFRESH_WINDOW;
    int rc = refresh_window(kv, at, n, ops, first ? NULL : err);
    if (rc && first == RG_OK) first = rc;
    if (rc == RG_ECONNECT || rc == RG_ESTOPPED) break; /* the registry is gone: one timeout per pass */
  }
  free(ops);
  return first;
}

/* Requests at once ------------------------------------------------- */

/* One op's request: path, body. */
struct req2 {
  struct rg_buf path, body;
};

static int judge(void *ud, struct rg_http_call *c) {
  struct rg_etcdkv *kv = ud;
  struct rg_etcd2_op *op = c->ud;
  if (c->resp.status / 100 == 2 || (c->resp.status == 404 && op->missing_ok)) return RG_OK;
  return fail(kv, c->method, op->key, &c->resp, c->err);
}

/* The request of op into q and c. */
static int build(const struct rg_etcdkv *kv, struct rg_etcd2_op *op, struct req2 *q, struct rg_http_call *c) {
  struct rg_buf query = {0};
  int rc = RG_OK;
  if (op->refresh) rc = rg_buf_printf(&query, "ttl=%ld&refresh=true&prevExist=true", kv->ttl);
  else if (op->value && kv->ttl > 0) rc = rg_buf_printf(&query, "ttl=%ld", kv->ttl);
  if (rc == RG_OK && op->value && !op->refresh) rc = rg_etcd2_value_body(&q->body, op->value);
  if (rc == RG_OK && (op->value || op->refresh) && q->body.data == NULL) rc = rg_buf_append(&q->body, "", 0);
  if (rc == RG_OK) rc = rg_etcd2_path(&q->path, op->key, query.data);
  rg_buf_free(&query);
  bool put = op->value || op->refresh;
  *c = (struct rg_http_call){.method = put ? "PUT" : "DELETE", .path = q->path.data,
                             .content_type = put ? FORM : NULL, .body = put ? q->body.data : NULL,
                             .body_len = q->body.len, .after = op->after, .ud = op};
  return rc;
}

int rg_etcd2_write_many(struct rg_etcdkv *kv, struct rg_etcd2_op *ops, size_t n, char *err) {
  char own[RG_ERRBUF] = "";
  if (err == NULL) err = own;
  if (n == 0) return RG_OK;
  struct req2 *q = calloc(n, sizeof *q);
  struct rg_http_call *calls = calloc(n, sizeof *calls);
  int rc = q && calls ? RG_OK : rg_err(err, RG_ENOMEM, "out of memory");
  for (size_t i = 0; rc == RG_OK && i < n; i++)
    if ((rc = build(kv, &ops[i], &q[i], &calls[i])) != RG_OK)
      rc = rg_err(err, rc, "cannot build the request for %s", ops[i].key);
  if (rc == RG_OK) rc = rg_http_multi_perform(kv->multi, calls, n, judge, kv, err);
  int first = RG_OK;
  for (size_t i = 0; i < n; i++) {
    bool sent = calls && rc != RG_ENOMEM && rc != RG_EINVAL;
    ops[i].rc = sent ? calls[i].rc : rc;
    const char *why = ops[i].rc == RG_OK ? "" : sent && calls[i].err[0] ? calls[i].err : err;
    snprintf(ops[i].err, sizeof ops[i].err, "%s", why);
    if (ops[i].rc != RG_OK && ops[i].rc != RG_ENOTFOUND && first == RG_OK)
      first = rg_err(err, ops[i].rc, "%s", ops[i].err);
  }
  for (size_t i = 0; q && i < n; i++) {
    rg_buf_free(&q[i].path);
    rg_buf_free(&q[i].body);
  }
  if (calls) rg_http_calls_free(calls, n);
  free(calls);
  free(q);
  return first;
}
