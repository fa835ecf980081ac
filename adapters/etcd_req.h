/*
 * etcd_req.h - pure request builders and response parsers for the etcd v3
 * JSON gateway and the v2 keys API. No I/O: unit tests check every body
 * byte for byte. Owned by the adapters.
 *
 * Every builder appends to out (JSON made with yajl_gen) and returns RG_OK,
 * RG_ENOMEM, RG_ETOOBIG or RG_EINVAL (a string that is not UTF-8). Lease IDs
 * are int64 and written as JSON strings, as the gateway writes them.
 */
#ifndef RG_ADAPTERS_ETCD_REQ_H
#define RG_ADAPTERS_ETCD_REQ_H

#include <stdbool.h>
#include <stdint.h>

#include "registrator/common.h"

/* v3 ---------------------------------------------------------------- */
/* {"key":b64,"value":b64} plus ,"lease":"<id>" when lease != 0 */
int rg_etcd3_put_body(struct rg_buf *out, const char *key, const char *value, int64_t lease);

/* etcd's default --max-txn-ops: the most ops one txn may carry. */
#define RG_ETCD3_TXN_MAX 128

/* One op of a txn: a put of key = value, or (value NULL) a delete of key.
 * Strings borrowed. */
struct rg_etcd3_op {
  const char *key;
  const char *value;
};

/* A /v3/kv/txn body with no compare, only success ops, in order:
 * {"success":[{"request_put":{"key":b64,"value":b64[,"lease":"<id>"]}},
 *             {"request_delete_range":{"key":b64}}, ...]}
 * The lease (when not 0) goes on every put. */
int rg_etcd3_txn_body(struct rg_buf *out, const struct rg_etcd3_op *ops, size_t n, int64_t lease);
/* True when one of ops[0..n) is on key: etcd refuses a txn that names a
 * key twice ("duplicate key given in txn request"). */
bool rg_etcd3_txn_has(const struct rg_etcd3_op *ops, size_t n, const char *key);
/* {"key":b64} plus ,"range_end":b64(prefix end) when prefix, plus
 * ,"keys_only":true / ,"count_only":true when asked */
int rg_etcd3_range_body(struct rg_buf *out, const char *key, bool prefix, bool keys_only,
                        bool count_only);
int rg_etcd3_delete_body(struct rg_buf *out, const char *key); /* {"key":b64} */
int rg_etcd3_grant_body(struct rg_buf *out, long ttl);         /* {"TTL":30} */
int rg_etcd3_lease_body(struct rg_buf *out, int64_t lease);    /* {"ID":"<id>"} keepalive, revoke */
/* {"ID":"<id>","keys":true}: /v3/lease/timetolive with the lease's keys. */
int rg_etcd3_lease_keys_body(struct rg_buf *out, int64_t lease);
int rg_etcd3_auth_body(struct rg_buf *out, const char *name, const char *password);
/* The range_end that selects every key starting with prefix (last byte that
 * is not 0xff incremented, the rest dropped; "\0" when every byte is 0xff). */
int rg_etcd3_prefix_end(const char *prefix, struct rg_buf *out);

/* The gateway's error text ("message", else "error") into msg[size];
 * "(no message)" for a body that is not such an object. */
void rg_etcd3_error_message(const char *body, char *msg, size_t size);
/* /v3/lease/grant answer: ID and TTL. RG_EPROTO when they are missing. */
int rg_etcd3_parse_grant(const char *body, int64_t *id, long *ttl);
/* /v3/lease/keepalive answer (bare or wrapped in "result"): *ttl is 0 when
 * the lease has expired (no TTL field). RG_EPROTO on a malformed body. */
int rg_etcd3_parse_keepalive(const char *body, long *ttl);
/* /v3/kv/txn answer: RG_OK when the success ops ran ("succeeded":true),
 * RG_EPROTO otherwise. */
int rg_etcd3_parse_txn(const char *body);
/* /v3/auth/authenticate answer: *token is malloc()ed, caller frees. */
int rg_etcd3_parse_token(const char *body, char **token);
/* Every parser takes a NUL-terminated answer and reads it through the base
 * guard (registrator/json.h): nested deeper than RG_JSON_DEPTH_MAX it is
 * RG_EPROTO, never parsed (the v2 listing is streamed instead, see below).
 * Those given an err say why there ("etcd answer: ..."); the caller names
 * the endpoint. */
/* /v3/kv/range answer: appends decoded key/value pairs (no "kvs": none). */
int rg_etcd3_parse_range(const char *body, struct rg_kvlist *out, char *err);
/* A timetolive answer: *ttl (-1: the lease is gone) and the decoded keys
 * appended to keys (undecodable ones skipped). RG_EPROTO without a TTL. */
int rg_etcd3_parse_lease_keys(const char *body, struct rg_strlist *keys, long *ttl, char *err);

/* v2 ---------------------------------------------------------------- */
/* "/v2/keys" + key with every segment percent-escaped ('/' kept) + "?" +
 * query when query is not NULL. key starts with '/'. */
int rg_etcd2_path(struct rg_buf *out, const char *key, const char *query);
/* "value=<percent-escaped value>" (application/x-www-form-urlencoded) */
int rg_etcd2_value_body(struct rg_buf *out, const char *value);
/* The v2 error: *code gets errorCode (0 when absent), msg the message. */
void rg_etcd2_error(const char *body, long *code, char *msg, size_t size);
/* A v2 listing nests two levels a directory. It is streamed, not built
 * into a tree: leaves nested deeper than this many levels (about 60
 * directories) are skipped and every other leaf is read. */
#define RG_ETCD2_DEPTH_MAX 128
/* A GET ?recursive=true answer: appends every leaf (key, value) in
 * document order; a leaf whose key or value holds a NUL is skipped. */
int rg_etcd2_parse_list(const char *body, struct rg_kvlist *out, char *err);

#endif /* RG_ADAPTERS_ETCD_REQ_H */
