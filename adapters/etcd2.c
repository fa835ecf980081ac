/* etcd2.c - the etcd v2 keys API half of etcdkv.h: per-key TTLs refreshed
 * without rewriting the value, re-created on 404. Owned by the adapters. */
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

/* Re-arms one key's TTL without rewriting it; re-creates it when gone. */
static int refresh_one(struct rg_etcdkv *kv, const struct rg_etcdkv_entry *e, char *err) {
  struct rg_buf query = {0}, empty = {0};
  struct rg_http_response r = {0};
  int rc = rg_buf_printf(&query, "ttl=%ld&refresh=true&prevExist=true", kv->ttl);
  if (rc == RG_OK) rc = call(kv, "PUT", e->key, query.data, &empty, &r, err);
  if (rc == RG_OK && r.status == 404) {
    rg_log(kv->log, RG_LOG_WARN, "etcd v2 key %s expired; writing it again", e->key);
    rc = set(kv, e->key, e->value, err);
  } else if (rc == RG_OK && r.status / 100 != 2) {
    rc = fail(kv, "PUT", e->key, &r, err);
  }
  rg_buf_free(&r.body);
  rg_buf_free(&query);
  return rc;
}

int rg_etcd2_refresh(struct rg_etcdkv *kv, char *err) {
  int first = RG_OK;
  char one[RG_ERRBUF];
  for (size_t i = 0; i < kv->n; i++) {
    int rc = refresh_one(kv, &kv->items[i], one);
    if (rc && first == RG_OK) {
      first = rc;
      rg_err(err, rc, "%s", one);
    }
  }
  return first;
}
