/*
 * etcdkv.h - the key/value layer under the etcd and SkyDNS adapters: put,
 * delete and list keys in etcd through the v3 JSON gateway or the v2 keys
 * API, with TTLs and auth, over the shared HTTP client. Owned by the adapters.
 *
 * The store remembers what this instance put (id -> key, value; sorted by id;
 * at most RG_ETCDKV_MAX entries) so that it can write every key again:
 *  - v3 with ttl > 0: every key is attached to one lease. rg_etcdkv_refresh
 *    sends ONE keepalive; when the lease has expired (keepalive answers
 *    without TTL, or 404) it grants a new lease and puts every key again
 *    (up to RG_ETCD3_TXN_MAX keys a txn).
 *  - v2 with ttl > 0: keys carry ?ttl=N; refresh re-arms each key with
 *    refresh=true&prevExist=true (no value) and re-creates a key on 404.
 * Putting an id under a new key deletes the old key (a renamed service);
 * rg_etcdkv_put_many does so in the v3 txn of the new put.
 *
 * URI query options (all optional): tls=true|false, cacert=PATH, cert=PATH,
 * key=PATH, insecure=true (no TLS verification; warned), timeout=SECONDS
 * (per request, default 5), connect-timeout=SECONDS (default 2). They beat
 * the same settings in rg_adapter_config. TLS is on when tls=true or any of
 * the CA/cert/key files is set.
 */
#ifndef RG_ADAPTERS_ETCDKV_H
#define RG_ADAPTERS_ETCDKV_H

#include <stdbool.h>
#include <stdint.h>

#include "adapters/adapter.h"
#include "adapters/http.h"
#include "adapters/http_multi.h"

#define RG_ETCDKV_MAX 100000

struct rg_etcdkv_entry {
  char *id;
  char *key;
  char *value;
};

struct rg_etcdkv {
  int version; /* 2 or 3 */
  struct rg_http *http;
  struct rg_http_multi *multi; /* the same client, several requests at once (v2; v3 re-put) */
  long ttl;
  const struct rg_log *log;
  struct rg_etcdkv_entry *items; /* sorted by id */
  size_t n, cap;
  /* v3 */
  int64_t lease; /* 0: none yet */
  bool reput;    /* a new lease was granted and not every key is on it yet */
  char *user, *password, *token;
};

/* No I/O. The caller frees *out with rg_etcdkv_close. */
int rg_etcdkv_open(struct rg_etcdkv **out, int version, const struct rg_uri *uri,
                   const struct rg_adapter_config *cfg, char *err);
void rg_etcdkv_close(struct rg_etcdkv *kv); /* accepts NULL */

/* Reads the prefix (count only): reachability and credentials. */
int rg_etcdkv_ping(struct rg_etcdkv *kv, const char *prefix, char *err);
int rg_etcdkv_put(struct rg_etcdkv *kv, const char *id, const char *key, const char *value, char *err);

/* One entry of rg_etcdkv_put_many; the strings are borrowed. */
struct rg_etcdkv_item {
  const char *id, *key, *value;
  int rc;              /* out: this put's outcome */
  char err[RG_ERRBUF]; /* out: its own message when it failed alone (v2), else "" */
};
/* Puts every item as rg_etcdkv_put puts one (what is remembered included),
 * in as few round trips as the version allows: v3 sends txns of up to
 * RG_ETCD3_TXN_MAX ops, a renamed id's old key deleted in the same txn as
 * its new key, and the first failure ends the call: its item and every
 * later one get its code (message in err), the items written before keep
 * RG_OK. v2 sends one request per key, up to -max-in-flight at once (a
 * renamed id: the delete of its old key, then the put of its new one), and
 * each item gets its own outcome (message in its err; the first failure's
 * also in err). Returns RG_OK or the first failure's code. */
int rg_etcdkv_put_many(struct rg_etcdkv *kv, struct rg_etcdkv_item *items, size_t n, char *err);

/* An adapter's key and value of s (appended to key and value), or its
 * refusal: RG_EINVAL with the reason in err (the callee logs it). */
typedef int (*rg_etcdkv_entry_fn)(void *ud, const struct rg_service *s, struct rg_buf *key,
                                  struct rg_buf *value, char *err);
/* register_service of an adapter over the store: entry, then rg_etcdkv_put. */
int rg_etcdkv_register(struct rg_etcdkv *kv, rg_etcdkv_entry_fn entry, void *ud, const struct rg_service *s,
                       char *err);
/* register_many (adapter.h) of an adapter over the store: entry for each
 * service, then one rg_etcdkv_put_many of those it accepted. */
int rg_etcdkv_register_many(struct rg_etcdkv *kv, rg_etcdkv_entry_fn entry, void *ud,
                            const struct rg_service *const *svcs, size_t n, int *rcs, char (*errs)[RG_ERRBUF],
                            char *err);
/* Deletes key and forgets id. RG_ENOTFOUND when the key was not there. */
int rg_etcdkv_delete(struct rg_etcdkv *kv, const char *id, const char *key, char *err);
/* An adapter's key of s (appended), or its refusal (RG_EINVAL, err says why). */
typedef int (*rg_etcdkv_key_fn)(void *ud, const struct rg_service *s, struct rg_buf *key, char *err);
/* deregister_many (adapter.h) of an adapter over the store: key for each
 * service, then every delete at once: v3 in txns of up to RG_ETCD3_TXN_MAX
 * deletes (a missing key is a success), v2 up to -max-in-flight requests in
 * flight (RG_ENOTFOUND for a key that was not there). */
int rg_etcdkv_deregister_many(struct rg_etcdkv *kv, rg_etcdkv_key_fn key, void *ud,
                              const struct rg_service *const *svcs, size_t n, int *rcs, char (*errs)[RG_ERRBUF],
                              char *err);
/* Appends every (key, value) under prefix (a key prefix, e.g. "/services/"). */
int rg_etcdkv_list(struct rg_etcdkv *kv, const char *prefix, struct rg_kvlist *out, char *err);
int rg_etcdkv_refresh(struct rg_etcdkv *kv, char *err);
/* The keys this instance's writes still hold: v3 with a TTL, the keys on its
 * lease (one request, whatever else is under the prefix). RG_EUNSUPPORTED
 * without a lease (v2, no TTL, none granted yet): list the prefix instead. */
int rg_etcdkv_own_keys(struct rg_etcdkv *kv, struct rg_strlist *keys, char *err);

/* Memory of what was put (etcdkv.c); used by the v2/v3 halves. */
const struct rg_etcdkv_entry *rg_etcdkv_find(const struct rg_etcdkv *kv, const char *id);

/* The version-specific halves (etcd3.c, etcd2.c). */
int rg_etcd3_ping(struct rg_etcdkv *kv, const char *prefix, char *err);
int rg_etcd3_put(struct rg_etcdkv *kv, const char *key, const char *value, char *err);
/* ops (at most RG_ETCD3_TXN_MAX, no key twice) in one request, every put on
 * the lease: granted first when needed; when etcd answers "requested lease
 * not found" a new lease is granted, every remembered key put again and the
 * request sent once more. */
struct rg_etcd3_op;
int rg_etcd3_write(struct rg_etcdkv *kv, const struct rg_etcd3_op *ops, size_t n, char *err);
int rg_etcd3_delete(struct rg_etcdkv *kv, const char *key, char *err);
int rg_etcd3_list(struct rg_etcdkv *kv, const char *prefix, struct rg_kvlist *out, char *err);
int rg_etcd3_refresh(struct rg_etcdkv *kv, char *err);
int rg_etcd3_lease_keys(struct rg_etcdkv *kv, struct rg_strlist *keys, char *err);
int rg_etcd2_ping(struct rg_etcdkv *kv, const char *prefix, char *err);
int rg_etcd2_put(struct rg_etcdkv *kv, const char *key, const char *value, char *err);
int rg_etcd2_delete(struct rg_etcdkv *kv, const char *key, char *err);
int rg_etcd2_list(struct rg_etcdkv *kv, const char *prefix, struct rg_kvlist *out, char *err);
int rg_etcd2_refresh(struct rg_etcdkv *kv, char *err);
/* v2 requests at once (adapters/http_multi.h): a put of key = value with
 * the TTL, a delete of key (value NULL) or, with refresh, a TTL re-arm of
 * key. An op naming an earlier one in `after` goes only once that one
 * succeeded; missing_ok makes a 404 a success. */
struct rg_etcd2_op {
  const char *key, *value;
  bool refresh, missing_ok;
  size_t after;        /* RG_INFLIGHT_NONE, or an earlier index */
  int rc;              /* out; RG_ENOTFOUND for a 404 without missing_ok */
  char err[RG_ERRBUF]; /* out */
};
int rg_etcd2_write_many(struct rg_etcdkv *kv, struct rg_etcd2_op *ops, size_t n, char *err);
/* v3: ops (deletes, or puts on the current lease) in txns of up to RG_ETCD3_TXN_MAX, one after the other;
 * the first failure ends the call. *sent: how many ops (from the first)
 * were written. */
int rg_etcd3_send(struct rg_etcdkv *kv, const struct rg_etcd3_op *ops, size_t n, size_t *sent, char *err);

/* Maps an HTTP status to an RG_E* code: 401/403 RG_EAUTH, 404
 * RG_ENOTFOUND, 408/429/5xx RG_EAGAIN, else RG_EPROTO. */
int rg_etcdkv_status_error(long status);

#endif /* RG_ADAPTERS_ETCDKV_H */
