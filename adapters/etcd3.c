/* etcd3.c - the etcd v3 half of etcdkv.h: JSON gateway calls, auth token,
 * the shared lease. Owned by the adapters. */
#include <stdlib.h>
#include <string.h>

#include "adapters/etcd_req.h"
#include "adapters/etcdkv.h"

/* Formats the error of a non-2xx answer. */
static int fail(struct rg_etcdkv *kv, const char *path, const struct rg_http_response *r, char *err) {
  char msg[256];
  rg_etcd3_error_message(r->body.data, msg, sizeof msg);
  int code = rg_etcdkv_status_error(r->status);
  if (strstr(msg, "user name is empty") || strstr(msg, "permission denied")) code = RG_EAUTH;
  return rg_err(err, code, "etcd %s%s: HTTP %ld: %s%s", rg_http_endpoint(kv->http), path, r->status, msg,
                strstr(msg, "user name is empty") ? " (auth is enabled: set a user name and password)" : "");
}

static int authenticate(struct rg_etcdkv *kv, char *err) {
  struct rg_buf body = {0};
  struct rg_http_response r = {0};
  rg_http_set_header(kv->http, "Authorization", NULL); /* an expired token would be refused */
  int rc = rg_etcd3_auth_body(&body, kv->user, kv->password);
  if (rc) {
    rg_buf_free(&body);
    return rg_err(err, rc, "cannot build the etcd authentication request (user or password not UTF-8?)");
  }
  rc = rg_http_request(kv->http, "POST", "/v3/auth/authenticate", "application/json", body.data, body.len,
                       &r, err);
  memset(body.data, 0, body.len); /* it held the password */
  rg_buf_free(&body);
  if (rc == RG_OK && r.status / 100 != 2) {
    char msg[256];
    rg_etcd3_error_message(r.body.data, msg, sizeof msg);
    rc = rg_err(err, r.status >= 500 ? RG_EAGAIN : RG_EAUTH,
                "etcd authentication as user \"%s\" failed at %s: HTTP %ld: %s", kv->user,
                rg_http_endpoint(kv->http), r.status, msg);
  }
  if (rc == RG_OK) {
    char *token = NULL;
    if (rg_etcd3_parse_token(r.body.data, &token) != RG_OK) {
      rc = rg_err(err, RG_EPROTO, "etcd at %s answered authentication without a token",
                  rg_http_endpoint(kv->http));
    } else {
      free(kv->token);
      kv->token = token;
      if (rg_http_set_header(kv->http, "Authorization", token) != RG_OK)
        rc = rg_err(err, RG_ENOMEM, "out of memory");
    }
  }
  rg_buf_free(&r.body);
  return rc;
}

/* POST path with body. RG_OK only for a 2xx answer (in *r, which the caller
 * frees); authenticates first when credentials are set and again once on
 * 401 (expired token, or a token of another member). */
static int call(struct rg_etcdkv *kv, const char *path, const struct rg_buf *body,
                struct rg_http_response *r, char *err) {
  int rc;
  if (kv->user && kv->token == NULL && (rc = authenticate(kv, err)) != RG_OK) return rc;
  for (int attempt = 0;; attempt++) {
    rc = rg_http_request(kv->http, "POST", path, "application/json", body->data, body->len, r, err);
    if (rc) return rc;
    if (r->status / 100 == 2) return RG_OK;
    if (r->status == 401 && kv->user && attempt == 0) {
      rg_log(kv->log, RG_LOG_INFO, "etcd at %s refused our token; authenticating again",
             rg_http_endpoint(kv->http));
      if ((rc = authenticate(kv, err)) != RG_OK) return rc;
      continue;
    }
    return fail(kv, path, r, err);
  }
}

/* call() with a body built by the caller; frees the body. */
static int call_free(struct rg_etcdkv *kv, const char *path, struct rg_buf *body, int built,
                     struct rg_http_response *r, char *err) {
  int rc = built ? rg_err(err, built, "cannot build the request for %s: %s", path, rg_strerror(built))
                 : call(kv, path, body, r, err);
  rg_buf_free(body);
  return rc;
}

static int grant(struct rg_etcdkv *kv, char *err);

/* Reachability and credentials; with a TTL also the lease, so that the
 * first registration costs one round trip, not two. */
int rg_etcd3_ping(struct rg_etcdkv *kv, const char *prefix, char *err) {
  struct rg_buf body = {0};
  struct rg_http_response r = {0};
  int built = rg_etcd3_range_body(&body, prefix, true, true, true);
  int rc = call_free(kv, "/v3/kv/range", &body, built, &r, err);
  rg_buf_free(&r.body);
  if (rc == RG_OK && kv->ttl > 0 && kv->lease == 0) rc = grant(kv, err);
  return rc;
}

static int grant(struct rg_etcdkv *kv, char *err) {
  struct rg_buf body = {0};
  struct rg_http_response r = {0};
  int built = rg_etcd3_grant_body(&body, kv->ttl);
  int rc = call_free(kv, "/v3/lease/grant", &body, built, &r, err);
  long ttl = 0;
  int64_t id = 0;
  if (rc == RG_OK && rg_etcd3_parse_grant(r.body.data, &id, &ttl) != RG_OK)
    rc = rg_err(err, RG_EPROTO, "etcd %s: lease grant answer without ID/TTL", rg_http_endpoint(kv->http));
  rg_buf_free(&r.body);
  if (rc) return rc;
  kv->lease = id;
  kv->reput = kv->n > 0;
  rg_log(kv->log, RG_LOG_INFO, "etcd lease %lld granted with TTL %ld s", (long long)id, ttl);
  return RG_OK;
}

/* ops in one request on the current lease (if any): a lone put goes to
 * /v3/kv/put, anything else into one txn. */
static int send_ops(struct rg_etcdkv *kv, const struct rg_etcd3_op *ops, size_t n, char *err) {
  struct rg_buf body = {0};
  struct rg_http_response r = {0};
  int64_t lease = kv->ttl > 0 ? kv->lease : 0;
  bool one = n == 1 && ops[0].value;
  const char *path = one ? "/v3/kv/put" : "/v3/kv/txn";
  int built = one ? rg_etcd3_put_body(&body, ops[0].key, ops[0].value, lease)
                  : rg_etcd3_txn_body(&body, ops, n, lease);
  int rc = call_free(kv, path, &body, built, &r, err);
  if (rc == RG_OK && !one && rg_etcd3_parse_txn(r.body.data) != RG_OK)
    rc = rg_err(err, RG_EPROTO, "etcd %s%s: the transaction did not succeed", rg_http_endpoint(kv->http), path);
  rg_buf_free(&r.body);
  return rc;
}

/* How many of ops[0..n) go into one txn: at most RG_ETCD3_TXN_MAX, no key twice. */
static size_t txn_len(const struct rg_etcd3_op *ops, size_t n) {
  size_t k = 0;
  while (k < n && k < RG_ETCD3_TXN_MAX && !rg_etcd3_txn_has(ops, k, ops[k].key)) k++;
  return k;
}

int rg_etcd3_send(struct rg_etcdkv *kv, const struct rg_etcd3_op *ops, size_t n, size_t *sent, char *err) {
  *sent = 0;
  while (*sent < n) {
    size_t k = txn_len(ops + *sent, n - *sent);
    int rc = send_ops(kv, ops + *sent, k, err);
    if (rc) return rc;
    *sent += k;
  }
  return RG_OK;
}

/* A re-put txn's answer. */
static int judge_txn(void *ud, struct rg_http_call *c) {
  struct rg_etcdkv *kv = ud;
  if (c->resp.status / 100 != 2) return fail(kv, c->path, &c->resp, c->err);
  if (rg_etcd3_parse_txn(c->resp.body.data) != RG_OK)
    return rg_err(c->err, RG_EPROTO, "etcd %s%s: the transaction did not succeed", rg_http_endpoint(kv->http),
                  c->path);
  return RG_OK;
}

/* Every remembered key in txns on the current lease, the txns in flight
 * at once (-max-in-flight). */
static int reput_concurrent(struct rg_etcdkv *kv, char *err) {
  size_t ntxn = (kv->n + RG_ETCD3_TXN_MAX - 1) / RG_ETCD3_TXN_MAX + 1, k = 0;
  struct rg_etcd3_op *ops = calloc(kv->n + 1, sizeof *ops);
  struct rg_buf *bodies = calloc(ntxn, sizeof *bodies);
  struct rg_http_call *calls = calloc(ntxn, sizeof *calls);
  int rc = ops && bodies && calls ? RG_OK : rg_err(err, RG_ENOMEM, "out of memory");
  for (size_t i = 0; ops && i < kv->n; i++) ops[i] = (struct rg_etcd3_op){kv->items[i].key, kv->items[i].value};
  for (size_t at = 0; rc == RG_OK && at < kv->n; k++) {
    size_t len = txn_len(ops + at, kv->n - at);
    if (k == ntxn) { /* more txns than full ones (a key twice cannot happen: one entry per id) */
      rc = rg_err(err, RG_EPROTO, "etcd: re-put needs more txns than expected");
      break;
    }
    if ((rc = rg_etcd3_txn_body(&bodies[k], ops + at, len, kv->lease)) != RG_OK) {
      rc = rg_err(err, rc, "cannot build the re-put txn: %s", rg_strerror(rc));
      break;
    }
    calls[k] = (struct rg_http_call){.method = "POST", .path = "/v3/kv/txn", .content_type = "application/json",
                                     .body = bodies[k].data, .body_len = bodies[k].len, .after = RG_INFLIGHT_NONE};
    at += len;
  }
  if (rc == RG_OK) rc = rg_http_multi_perform(kv->multi, calls, k, judge_txn, kv, err);
  for (size_t i = 0; rc == RG_OK && i < k; i++)
    if (calls[i].rc != RG_OK) rc = rg_err(err, calls[i].rc, "%s", calls[i].err);
  for (size_t i = 0; bodies && i < ntxn; i++) rg_buf_free(&bodies[i]);
  if (calls) rg_http_calls_free(calls, k);
  free(calls);
  free(bodies);
  free(ops);
  return rc;
}

/* Puts every remembered key on the current lease, up to RG_ETCD3_TXN_MAX
 * in one txn. */
static int reput_all(struct rg_etcdkv *kv, char *err) {
  int rc = reput_concurrent(kv, err);
  if (rc == RG_EAUTH && kv->user) { /* an expired token: authenticate, then one txn after the other */
    rg_log(kv->log, RG_LOG_INFO, "etcd at %s refused our token; authenticating again", rg_http_endpoint(kv->http));
    size_t sent = 0;
    struct rg_etcd3_op *ops = calloc(kv->n + 1, sizeof *ops);
    for (size_t i = 0; ops && i < kv->n; i++) ops[i] = (struct rg_etcd3_op){kv->items[i].key, kv->items[i].value};
    rc = ops ? authenticate(kv, err) : rg_err(err, RG_ENOMEM, "out of memory");
    if (rc == RG_OK) rc = rg_etcd3_send(kv, ops, kv->n, &sent, err);
    free(ops);
  }
  if (rc) return rc;
  if (kv->reput && kv->n)
    rg_log(kv->log, RG_LOG_INFO, "etcd: %zu keys written again on lease %lld", kv->n, (long long)kv->lease);
  kv->reput = false;
  return RG_OK;
}

/* The lease is gone: a new one, and every key on it. */
static int renew(struct rg_etcdkv *kv, char *err) {
  kv->lease = 0;
  int rc = grant(kv, err);
  return rc ? rc : reput_all(kv, err);
}

int rg_etcd3_write(struct rg_etcdkv *kv, const struct rg_etcd3_op *ops, size_t n, char *err) {
  int rc;
  if (kv->ttl > 0 && kv->lease == 0 && (rc = grant(kv, err)) != RG_OK) return rc;
  if (kv->reput && (rc = reput_all(kv, err)) != RG_OK) return rc;
  rc = send_ops(kv, ops, n, err);
  if (rc == RG_ENOTFOUND && kv->ttl > 0) { /* "requested lease not found" */
    rg_log(kv->log, RG_LOG_WARN, "etcd lease %lld has expired; granting a new one", (long long)kv->lease);
    if ((rc = renew(kv, err)) == RG_OK) rc = send_ops(kv, ops, n, err);
  }
  return rc;
}

int rg_etcd3_put(struct rg_etcdkv *kv, const char *key, const char *value, char *err) {
  struct rg_etcd3_op op = {key, value};
  return rg_etcd3_write(kv, &op, 1, err);
}

int rg_etcd3_delete(struct rg_etcdkv *kv, const char *key, char *err) {
  struct rg_buf body = {0};
  struct rg_http_response r = {0};
  int built = rg_etcd3_delete_body(&body, key);
  int rc = call_free(kv, "/v3/kv/deleterange", &body, built, &r, err);
  rg_buf_free(&r.body);
  return rc; /* deleting a missing key is a success in v3 */
}

int rg_etcd3_list(struct rg_etcdkv *kv, const char *prefix, struct rg_kvlist *out, char *err) {
  struct rg_buf body = {0};
  struct rg_http_response r = {0};
  int built = rg_etcd3_range_body(&body, prefix, true, false, false);
  int rc = call_free(kv, "/v3/kv/range", &body, built, &r, err);
  char why[RG_ERRBUF] = "";
  if (rc == RG_OK && (rc = rg_etcd3_parse_range(r.body.data, out, why)) != RG_OK)
    rc = rg_err(err, rc, "etcd %s/v3/kv/range: cannot read the answer: %s", rg_http_endpoint(kv->http),
                why[0] ? why : rg_strerror(rc));
  rg_buf_free(&r.body);
  return rc;
}

int rg_etcd3_lease_keys(struct rg_etcdkv *kv, struct rg_strlist *keys, char *err) {
  struct rg_buf body = {0};
  struct rg_http_response r = {0};
  int built = rg_etcd3_lease_keys_body(&body, kv->lease);
  int rc = call_free(kv, "/v3/lease/timetolive", &body, built, &r, err);
  long ttl = 0;
  char why[RG_ERRBUF] = "";
  if (rc == RG_OK && rg_etcd3_parse_lease_keys(r.body.data, keys, &ttl, why) != RG_OK)
    rc = rg_err(err, RG_EPROTO, "etcd %s/v3/lease/timetolive: malformed answer: %s", rg_http_endpoint(kv->http),
                why);
  rg_buf_free(&r.body);
  return rc; /* a lease gone (ttl -1) holds no keys: every key reads as missing */
}

int rg_etcd3_refresh(struct rg_etcdkv *kv, char *err) {
  if (kv->lease == 0) return kv->n ? renew(kv, err) : RG_OK;
  struct rg_buf body = {0};
  struct rg_http_response r = {0};
  int built = rg_etcd3_lease_body(&body, kv->lease);
  int rc = call_free(kv, "/v3/lease/keepalive", &body, built, &r, err);
  long ttl = 0;
  if (rc == RG_OK && rg_etcd3_parse_keepalive(r.body.data, &ttl) != RG_OK)
    rc = rg_err(err, RG_EPROTO, "etcd %s: malformed keepalive answer", rg_http_endpoint(kv->http));
  rg_buf_free(&r.body);
  if ((rc == RG_OK && ttl == 0) || rc == RG_ENOTFOUND) {
    rg_log(kv->log, RG_LOG_WARN, "etcd lease %lld has expired; granting a new one and writing %zu keys again",
           (long long)kv->lease, kv->n);
    return renew(kv, err);
  }
  if (rc == RG_OK && kv->reput) rc = reput_all(kv, err);
  return rc;
}
