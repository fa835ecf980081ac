/* etcd_req.c - see etcd_req.h. Owned by the adapters. */
#include "adapters/etcd_req.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "adapters/base64.h"
#include "adapters/http.h"
#include "registrator/json.h"

/* JSON building ----------------------------------------------------- */

/* The base layer's writer (registrator/json.h). */
static yajl_gen gen_new(void) { return rg_json_gen_new(); }

static int gen_finish(yajl_gen g, yajl_gen_status st, struct rg_buf *out) {
  return rg_json_gen_finish(g, rg_json_gen_rc(st), out);
}

static yajl_gen_status str(yajl_gen g, const char *s) {
  return yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/* "name": base64(value) */
static yajl_gen_status b64_field(yajl_gen g, const char *name, const char *value, size_t len) {
  struct rg_buf b = {0};
  if (rg_base64_encode(value, len, &b) != RG_OK) return yajl_gen_in_error_state;
  yajl_gen_status st = str(g, name);
  if (st == yajl_gen_status_ok) st = yajl_gen_string(g, (const unsigned char *)b.data, b.len);
  rg_buf_free(&b);
  return st;
}

static yajl_gen_status id_field(yajl_gen g, const char *name, int64_t id) {
  char num[32];
  snprintf(num, sizeof num, "%" PRId64, id);
  yajl_gen_status st = str(g, name);
  return st == yajl_gen_status_ok ? str(g, num) : st;
}

/* {"key":b64[,"value":b64][,"lease":"<id>"]}: a put, or a delete when value is NULL */
static yajl_gen_status kv_map(yajl_gen g, const char *key, const char *value, int64_t lease) {
  yajl_gen_status st = yajl_gen_map_open(g);
  if (st == yajl_gen_status_ok) st = b64_field(g, "key", key, strlen(key));
  if (st == yajl_gen_status_ok && value) st = b64_field(g, "value", value, strlen(value));
  if (st == yajl_gen_status_ok && value && lease != 0) st = id_field(g, "lease", lease);
  return st == yajl_gen_status_ok ? yajl_gen_map_close(g) : st;
}

int rg_etcd3_put_body(struct rg_buf *out, const char *key, const char *value, int64_t lease) {
  yajl_gen g = gen_new();
  return g ? gen_finish(g, kv_map(g, key, value, lease), out) : RG_ENOMEM;
}

int rg_etcd3_txn_body(struct rg_buf *out, const struct rg_etcd3_op *ops, size_t n, int64_t lease) {
  yajl_gen g = gen_new();
  if (g == NULL) return RG_ENOMEM;
  yajl_gen_status st = yajl_gen_map_open(g);
  if (st == yajl_gen_status_ok) st = str(g, "success");
  if (st == yajl_gen_status_ok) st = yajl_gen_array_open(g);
  for (size_t i = 0; st == yajl_gen_status_ok && i < n; i++) {
    st = yajl_gen_map_open(g);
    if (st == yajl_gen_status_ok) st = str(g, ops[i].value ? "request_put" : "request_delete_range");
    if (st == yajl_gen_status_ok) st = kv_map(g, ops[i].key, ops[i].value, lease);
    if (st == yajl_gen_status_ok) st = yajl_gen_map_close(g);
  }
  if (st == yajl_gen_status_ok) st = yajl_gen_array_close(g);
  if (st == yajl_gen_status_ok) st = yajl_gen_map_close(g);
  return gen_finish(g, st, out);
}

bool rg_etcd3_txn_has(const struct rg_etcd3_op *ops, size_t n, const char *key) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(ops[i].key, key) == 0) return true;
  return false;
}

int rg_etcd3_prefix_end(const char *prefix, struct rg_buf *out) {
  size_t n = strlen(prefix);
  while (n > 0 && (unsigned char)prefix[n - 1] == 0xff) n--;
  if (n == 0) return rg_buf_append(out, "", 1); /* "\0": every key */
  int rc = rg_buf_append(out, prefix, n);
  if (rc == RG_OK) out->data[n - 1] = (char)((unsigned char)out->data[n - 1] + 1);
  return rc;
}

int rg_etcd3_range_body(struct rg_buf *out, const char *key, bool prefix, bool keys_only,
                        bool count_only) {
  yajl_gen g = gen_new();
  if (g == NULL) return RG_ENOMEM;
  yajl_gen_status st = yajl_gen_map_open(g);
  if (st == yajl_gen_status_ok) st = b64_field(g, "key", key, strlen(key));
  if (st == yajl_gen_status_ok && prefix) {
    struct rg_buf end = {0};
    if (rg_etcd3_prefix_end(key, &end) != RG_OK) st = yajl_gen_in_error_state;
    else st = b64_field(g, "range_end", end.data, end.len);
    rg_buf_free(&end);
  }
  if (st == yajl_gen_status_ok && keys_only) st = str(g, "keys_only");
  if (st == yajl_gen_status_ok && keys_only) st = yajl_gen_bool(g, 1);
  if (st == yajl_gen_status_ok && count_only) st = str(g, "count_only");
  if (st == yajl_gen_status_ok && count_only) st = yajl_gen_bool(g, 1);
  if (st == yajl_gen_status_ok) st = yajl_gen_map_close(g);
  return gen_finish(g, st, out);
}

int rg_etcd3_delete_body(struct rg_buf *out, const char *key) {
  yajl_gen g = gen_new();
  return g ? gen_finish(g, kv_map(g, key, NULL, 0), out) : RG_ENOMEM;
}

int rg_etcd3_grant_body(struct rg_buf *out, long ttl) {
  yajl_gen g = gen_new();
  if (g == NULL) return RG_ENOMEM;
  yajl_gen_status st = yajl_gen_map_open(g);
  if (st == yajl_gen_status_ok) st = str(g, "TTL");
  if (st == yajl_gen_status_ok) st = yajl_gen_integer(g, ttl);
  if (st == yajl_gen_status_ok) st = yajl_gen_map_close(g);
  return gen_finish(g, st, out);
}

/* {"ID":"<id>"} and, with keys, ,"keys":true */
static int lease_doc(struct rg_buf *out, int64_t lease, bool keys) {
  yajl_gen g = gen_new();
  if (g == NULL) return RG_ENOMEM;
  yajl_gen_status st = yajl_gen_map_open(g);
  if (st == yajl_gen_status_ok) st = id_field(g, "ID", lease);
  if (st == yajl_gen_status_ok && keys) st = str(g, "keys");
  if (st == yajl_gen_status_ok && keys) st = yajl_gen_bool(g, 1);
  if (st == yajl_gen_status_ok) st = yajl_gen_map_close(g);
  return gen_finish(g, st, out);
}

int rg_etcd3_lease_body(struct rg_buf *out, int64_t lease) { return lease_doc(out, lease, false); }

int rg_etcd3_lease_keys_body(struct rg_buf *out, int64_t lease) { return lease_doc(out, lease, true); }

int rg_etcd3_auth_body(struct rg_buf *out, const char *name, const char *password) {
  yajl_gen g = gen_new();
  if (g == NULL) return RG_ENOMEM;
  yajl_gen_status st = yajl_gen_map_open(g);
  if (st == yajl_gen_status_ok) st = str(g, "name");
  if (st == yajl_gen_status_ok) st = str(g, name);
  if (st == yajl_gen_status_ok) st = str(g, "password");
  if (st == yajl_gen_status_ok) st = str(g, password ? password : "");
  if (st == yajl_gen_status_ok) st = yajl_gen_map_close(g);
  return gen_finish(g, st, out);
}

/* JSON parsing ------------------------------------------------------ */

static yajl_val get(yajl_val v, const char *k1, const char *k2, yajl_type t) {
  const char *path[] = {k1, k2, NULL};
  return yajl_tree_get(v, path, t);
}

/* A JSON string holding an integer, or a JSON integer. */
static bool get_int(yajl_val v, const char *key, int64_t *out) {
  yajl_val x = get(v, key, NULL, yajl_t_any);
  if (x == NULL) return false;
  if (YAJL_IS_INTEGER(x)) {
    *out = YAJL_GET_INTEGER(x);
    return true;
  }
  if (!YAJL_IS_STRING(x)) return false;
  const char *s = YAJL_GET_STRING(x);
  char *end;
  errno = 0;
  long long n = strtoll(s, &end, 10);
  if (errno || end == s || *end) return false;
  *out = n;
  return true;
}

/* An answer of etcd through the base guard (registrator/json.h): NULL for
 * one that is not JSON or over the limits (reason in err when not NULL).
 * The size is capped by the transport (adapters/http.h max_body). */
static yajl_val answer(const char *body, int max_depth, char *err) {
  yajl_val root = NULL;
  if (body) rg_json_tree(&root, body, strlen(body), SIZE_MAX, max_depth, "etcd answer", err);
  else rg_err(err, RG_EPROTO, "etcd answer: empty");
  return root;
}

void rg_etcd3_error_message(const char *body, char *msg, size_t size) {
  yajl_val root = answer(body, RG_JSON_DEPTH_MAX, NULL);
  yajl_val m = root ? get(root, "message", NULL, yajl_t_string) : NULL;
  if (m == NULL && root) m = get(root, "error", NULL, yajl_t_string);
  if (m == NULL && root) m = get(root, "error", "message", yajl_t_string); /* stream errors */
  snprintf(msg, size, "%s", m ? YAJL_GET_STRING(m) : "(no message)");
  yajl_tree_free(root);
}

int rg_etcd3_parse_grant(const char *body, int64_t *id, long *ttl) {
  yajl_val root = answer(body, RG_JSON_DEPTH_MAX, NULL);
  int64_t t = 0;
  int rc = root && get_int(root, "ID", id) && get_int(root, "TTL", &t) && *id != 0 && t > 0 ? RG_OK
                                                                                                 : RG_EPROTO;
  *ttl = (long)t;
  yajl_tree_free(root);
  return rc;
}

int rg_etcd3_parse_keepalive(const char *body, long *ttl) {
  yajl_val root = answer(body, RG_JSON_DEPTH_MAX, NULL);
  if (root == NULL || !YAJL_IS_OBJECT(root)) {
    yajl_tree_free(root);
    return RG_EPROTO;
  }
  yajl_val r = get(root, "result", NULL, yajl_t_object);
  int64_t t = 0;
  if (!get_int(r ? r : root, "TTL", &t) || t < 0) t = 0;
  *ttl = (long)t;
  yajl_tree_free(root);
  return RG_OK;
}

int rg_etcd3_parse_txn(const char *body) {
  yajl_val root = answer(body, RG_JSON_DEPTH_MAX, NULL);
  int rc = root && get(root, "succeeded", NULL, yajl_t_true) ? RG_OK : RG_EPROTO;
  yajl_tree_free(root);
  return rc;
}

int rg_etcd3_parse_token(const char *body, char **token) {
  yajl_val root = answer(body, RG_JSON_DEPTH_MAX, NULL);
  yajl_val t = root ? get(root, "token", NULL, yajl_t_string) : NULL;
  int rc = RG_EPROTO;
  if (t && *YAJL_GET_STRING(t)) rc = (*token = rg_strdup(YAJL_GET_STRING(t))) ? RG_OK : RG_ENOMEM;
  yajl_tree_free(root);
  return rc;
}

static int b64_string(yajl_val v, const char *key, struct rg_buf *out) {
  yajl_val x = get(v, key, NULL, yajl_t_string);
  rg_buf_reset(out);
  const char *s = x ? YAJL_GET_STRING(x) : "";
  int rc = rg_base64_decode(s, strlen(s), out);
  if (rc == RG_OK && memchr(out->data, '\0', out->len) != NULL) rc = RG_EINVAL;
  return rc;
}

int rg_etcd3_parse_range(const char *body, struct rg_kvlist *out, char *err) {
  yajl_val root = answer(body, RG_JSON_DEPTH_MAX, err);
  if (root == NULL || !YAJL_IS_OBJECT(root)) {
    if (root) rg_err(err, RG_EPROTO, "etcd answer: not a JSON object");
    yajl_tree_free(root);
    return RG_EPROTO;
  }
  yajl_val kvs = get(root, "kvs", NULL, yajl_t_array);
  struct rg_buf k = {0}, v = {0};
  int rc = RG_OK;
  for (size_t i = 0; kvs && rc == RG_OK && i < kvs->u.array.len; i++) {
    yajl_val kv = kvs->u.array.values[i];
    if (b64_string(kv, "key", &k) != RG_OK || b64_string(kv, "value", &v) != RG_OK) continue;
    rc = rg_kvlist_add(out, k.data, v.data);
  }
  rg_buf_free(&k);
  rg_buf_free(&v);
  yajl_tree_free(root);
  return rc;
}

int rg_etcd3_parse_lease_keys(const char *body, struct rg_strlist *keys, long *ttl, char *err) {
  yajl_val root = answer(body, RG_JSON_DEPTH_MAX, err);
  int64_t t = -1;
  if (root == NULL || !YAJL_IS_OBJECT(root) || !get_int(root, "TTL", &t)) {
    if (root) rg_err(err, RG_EPROTO, "etcd answer: no TTL");
    yajl_tree_free(root);
    return RG_EPROTO;
  }
  *ttl = t < 0 ? -1 : (long)t;
  yajl_val list = get(root, "keys", NULL, yajl_t_array);
  struct rg_buf k = {0};
  int rc = RG_OK;
  for (size_t i = 0; list && rc == RG_OK && i < list->u.array.len; i++) {
    yajl_val x = list->u.array.values[i];
    const char *s = YAJL_IS_STRING(x) ? YAJL_GET_STRING(x) : NULL;
    rg_buf_reset(&k);
    if (s == NULL || rg_base64_decode(s, strlen(s), &k) != RG_OK || memchr(k.data, '\0', k.len)) continue;
    rc = rg_strlist_add(keys, k.data);
  }
  rg_buf_free(&k);
  yajl_tree_free(root);
  return rc;
}

/* v2 ---------------------------------------------------------------- */

int rg_etcd2_path(struct rg_buf *out, const char *key, const char *query) {
  int rc = rg_buf_append(out, "/v2/keys", 8);
  for (const char *p = key; rc == RG_OK && *p;) {
    if (*p == '/') {
      rc = rg_buf_append(out, "/", 1);
      p++;
      continue;
    }
    size_t n = strcspn(p, "/");
    rc = rg_http_escape(out, p, n);
    p += n;
  }
  if (rc == RG_OK && query) rc = rg_buf_printf(out, "?%s", query);
  return rc;
}

int rg_etcd2_value_body(struct rg_buf *out, const char *value) {
  int rc = rg_buf_append(out, "value=", 6);
  return rc ? rc : rg_http_escape(out, value, strlen(value));
}

void rg_etcd2_error(const char *body, long *code, char *msg, size_t size) {
  yajl_val root = answer(body, RG_JSON_DEPTH_MAX, NULL);
  int64_t c = 0;
  *code = root && get_int(root, "errorCode", &c) ? (long)c : 0;
  yajl_val m = root ? get(root, "message", NULL, yajl_t_string) : NULL;
  yajl_val cause = root ? get(root, "cause", NULL, yajl_t_string) : NULL;
  if (m && cause) snprintf(msg, size, "%s (%s)", YAJL_GET_STRING(m), YAJL_GET_STRING(cause));
  else snprintf(msg, size, "%s", m ? YAJL_GET_STRING(m) : "(no message)");
  yajl_tree_free(root);
}

/* The v2 listing is streamed (yajl's callbacks: no tree, no recursion), so
 * that a directory another client nested thousands deep costs nothing and
 * hides none of the other entries: nodes below RG_ETCD2_DEPTH_MAX levels are
 * skipped, the rest is read. A node is root.node or an element of a node's
 * "nodes"; a leaf is a node with string "key" and "value" and no "nodes". */
enum v2_kind { V2_OTHER, V2_ROOT, V2_NODE, V2_NODES };
enum v2_member { M_OTHER, M_NODE, M_NODES, M_KEY, M_VALUE };

struct v2_frame {
  enum v2_kind kind;
  enum v2_member member; /* of a map: the member being read */
  char *key, *value;
  bool has_nodes;
};

struct v2_list {
  struct v2_frame stack[RG_ETCD2_DEPTH_MAX];
  int top;      /* frames in use */
  long skipped; /* open containers below the limit */
  struct rg_kvlist *out;
  int rc;
};

static struct v2_frame *v2_top(struct v2_list *l) { return l->top > 0 ? &l->stack[l->top - 1] : NULL; }

static int v2_push(struct v2_list *l, bool map) {
  struct v2_frame *up = v2_top(l);
  if (l->skipped || l->top == RG_ETCD2_DEPTH_MAX) {
    l->skipped++;
    return 1;
  }
  enum v2_kind k = V2_OTHER;
  if (map && up == NULL) k = V2_ROOT;
  else if (map && up && ((up->kind == V2_ROOT && up->member == M_NODE) || up->kind == V2_NODES)) k = V2_NODE;
  else if (!map && up && up->kind == V2_NODE && up->member == M_NODES) k = V2_NODES;
  if (k == V2_NODES) up->has_nodes = true;
  l->stack[l->top++] = (struct v2_frame){.kind = k};
  return 1;
}

static int v2_pop(struct v2_list *l) {
  if (l->skipped) {
    l->skipped--;
    return 1;
  }
  struct v2_frame *f = v2_top(l);
  if (f == NULL) return 1;
  if (f->kind == V2_NODE && f->key && f->value && !f->has_nodes && l->rc == RG_OK)
    l->rc = rg_kvlist_add(l->out, f->key, f->value);
  free(f->key);
  free(f->value);
  l->top--;
  return l->rc == RG_OK;
}

static int v2_start_map(void *ud) { return v2_push(ud, true); }
static int v2_start_array(void *ud) { return v2_push(ud, false); }
static int v2_end(void *ud) { return v2_pop(ud); }

static int v2_key(void *ud, const unsigned char *k, size_t n) {
  struct v2_list *l = ud;
  struct v2_frame *f = v2_top(l);
  if (l->skipped || f == NULL) return 1;
  static const struct {
    const char *name;
    enum v2_member m;
  } names[] = {{"node", M_NODE}, {"nodes", M_NODES}, {"key", M_KEY}, {"value", M_VALUE}};
  f->member = M_OTHER;
  for (size_t i = 0; i < RG_ARRAY_LEN(names); i++)
    if (strlen(names[i].name) == n && memcmp(names[i].name, k, n) == 0) f->member = names[i].m;
  return 1;
}

static int v2_string(void *ud, const unsigned char *s, size_t n) {
  struct v2_list *l = ud;
  struct v2_frame *f = v2_top(l);
  if (l->skipped || f == NULL || f->kind != V2_NODE || (f->member != M_KEY && f->member != M_VALUE)) return 1;
  char **slot = f->member == M_KEY ? &f->key : &f->value;
  free(*slot);
  *slot = memchr(s, '\0', n) ? NULL : rg_strndup((const char *)s, n); /* a NUL: not a C string */
  if (*slot == NULL && memchr(s, '\0', n) == NULL) l->rc = RG_ENOMEM;
  return l->rc == RG_OK;
}

int rg_etcd2_parse_list(const char *body, struct rg_kvlist *out, char *err) {
  size_t n = body ? strlen(body) : 0;
  /* the base guard for size and bytes (registrator/json.h); nesting bounds
   * only what is read, below */
  int rc = rg_json_check(body, n, SIZE_MAX, INT_MAX, "etcd answer", err);
  if (rc) return rc;
  static const yajl_callbacks cb = {.yajl_string = v2_string, .yajl_start_map = v2_start_map,
                                    .yajl_map_key = v2_key, .yajl_end_map = v2_end,
                                    .yajl_start_array = v2_start_array, .yajl_end_array = v2_end};
  struct v2_list *l = calloc(1, sizeof *l); /* the frame stack: 32 KiB, not on the stack */
  yajl_handle h = l ? yajl_alloc(&cb, NULL, l) : NULL;
  if (h == NULL) {
    free(l);
    return rg_err(err, RG_ENOMEM, "out of memory");
  }
  l->out = out;
  yajl_status st = yajl_parse(h, (const unsigned char *)body, n);
  if (st == yajl_status_ok) st = yajl_complete_parse(h);
  bool object = n > 0 && body[strspn(body, " \t\r\n")] == '{';
  if (l->rc) rc = rg_err(err, l->rc, "out of memory");
  else if (st != yajl_status_ok || !object) rc = rg_err(err, RG_EPROTO, "etcd answer: not a JSON object");
  while (l->top > 0) { /* a document cut short */
    free(l->stack[l->top - 1].key);
    free(l->stack[l->top - 1].value);
    l->top--;
  }
  yajl_free(h);
  free(l);
  return rc;
}
