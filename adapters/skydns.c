/* skydns.c - the SkyDNS adapter: see skydns.h. Owned by the adapters. */
#include "adapters/skydns.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "adapters/etcdkv.h"
#include "adapters/safename.h"

#define READABLE_MAX 50 /* + '-' + 12 hex digits = 63 */

struct skydns {
  struct rg_etcdkv *kv;
  char *base; /* "/skydns/local/skydns" */
  long ttl;
  const struct rg_log *log;
};

bool rg_skydns_valid_label(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > RG_SKYDNS_LABEL_MAX || s[0] == '-' || s[n - 1] == '-') return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-')) return false;
  return true;
}

void rg_skydns_id_label(const char *id, char out[RG_SKYDNS_LABEL_MAX + 1]) {
  uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 */
  for (const unsigned char *p = (const unsigned char *)id; *p; p++) h = (h ^ *p) * 0x100000001b3ULL;
  size_t n = 0;
  bool dash = false;
  for (const unsigned char *p = (const unsigned char *)id; *p && n < READABLE_MAX; p++) {
    int c = tolower(*p < 0x80 ? *p : 0);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (dash && n > 0) out[n++] = '-';
      if (n < READABLE_MAX) out[n++] = (char)c;
      dash = false;
    } else {
      dash = true;
    }
  }
  while (n > 0 && out[n - 1] == '-') n--;
  snprintf(out + n, RG_SKYDNS_LABEL_MAX + 1 - n, "%s%012" PRIx64, n ? "-" : "", (uint64_t)(h & 0xffffffffffffULL));
}

int rg_skydns_name(const char *name, char out[RG_SKYDNS_LABEL_MAX + 1]) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > RG_SKYDNS_LABEL_MAX) return RG_EINVAL;
  for (size_t i = 0; i <= n; i++) out[i] = (char)tolower((unsigned char)name[i]);
  return rg_skydns_valid_label(out) ? RG_OK : RG_EINVAL;
}

int rg_skydns_base(const char *domain, struct rg_buf *out, char *err) {
  const char *d = domain ? domain : "";
  while (*d == '/') d++;
  size_t n = strlen(d);
  while (n > 0 && (d[n - 1] == '/' || d[n - 1] == '.')) n--;
  if (n == 0) return rg_err(err, RG_EINVAL, "the SkyDNS URI needs a domain, e.g. skydns://127.0.0.1:2379/skydns.local");
  if (d[0] == '.') return rg_err(err, RG_EINVAL, "SkyDNS domain \"%.*s\": empty label", (int)n, d);
  int rc = rg_buf_append(out, "/skydns", 7);
  size_t end = n;
  while (rc == RG_OK && end > 0) { /* labels from the last to the first */
    size_t start = end;
    while (start > 0 && d[start - 1] != '.') start--;
    char label[RG_SKYDNS_LABEL_MAX + 1];
    size_t ln = end - start;
    if (ln == 0 || ln > RG_SKYDNS_LABEL_MAX) {
      return rg_err(err, RG_EINVAL, "SkyDNS domain \"%.*s\": empty or too long label", (int)n, d);
    }
    for (size_t i = 0; i < ln; i++) label[i] = (char)tolower((unsigned char)d[start + i]);
    label[ln] = '\0';
    if (!rg_skydns_valid_label(label))
      return rg_err(err, RG_EINVAL, "SkyDNS domain \"%.*s\": \"%s\" is not a valid DNS label", (int)n, d, label);
    rc = rg_buf_printf(out, "/%s", label);
    end = start ? start - 1 : 0;
  }
  return rc ? rg_err(err, rc, "out of memory") : RG_OK;
}

int rg_skydns_key(struct rg_buf *out, const char *base, const char *name, const char *id) {
  char lname[RG_SKYDNS_LABEL_MAX + 1], label[RG_SKYDNS_LABEL_MAX + 1];
  if (rg_skydns_name(name, lname) != RG_OK) return RG_EINVAL;
  rg_skydns_id_label(id, label);
  return rg_buf_printf(out, "%s/%s/%s", base, lname, label);
}

int rg_skydns_value(struct rg_buf *out, const char *ip, int port, long ttl, const char *id) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL) return RG_ENOMEM;
  yajl_gen_config(g, yajl_gen_validate_utf8, 1);
  yajl_gen_status st = yajl_gen_map_open(g);
  if (st == yajl_gen_status_ok) st = yajl_gen_string(g, (const unsigned char *)"host", 4);
  if (st == yajl_gen_status_ok) st = yajl_gen_string(g, (const unsigned char *)ip, strlen(ip));
  if (st == yajl_gen_status_ok) st = yajl_gen_string(g, (const unsigned char *)"port", 4);
  if (st == yajl_gen_status_ok) st = yajl_gen_integer(g, port);
  if (st == yajl_gen_status_ok) st = yajl_gen_string(g, (const unsigned char *)"ttl", 3);
  if (st == yajl_gen_status_ok) st = yajl_gen_integer(g, ttl);
  if (st == yajl_gen_status_ok && id) st = yajl_gen_string(g, (const unsigned char *)"registrator_id", 14);
  if (st == yajl_gen_status_ok && id) st = yajl_gen_string(g, (const unsigned char *)id, strlen(id));
  if (st == yajl_gen_status_ok) st = yajl_gen_map_close(g);
  const unsigned char *buf;
  size_t len;
  if (st == yajl_gen_status_ok) st = yajl_gen_get_buf(g, &buf, &len);
  int rc = st == yajl_gen_status_ok ? rg_buf_append(out, buf, len)
                                    : st == yajl_gen_invalid_string ? RG_EINVAL : RG_ENOMEM;
  yajl_gen_free(g);
  return rc;
}

static void skydns_close(void *state) {
  struct skydns *k = state;
  if (k == NULL) return;
  rg_etcdkv_close(k->kv);
  free(k->base);
  free(k);
}

static int skydns_open(void **state, const struct rg_uri *uri, const struct rg_adapter_config *cfg,
                       char *err) {
  *state = NULL;
  struct skydns *k = calloc(1, sizeof *k);
  if (k == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  k->log = cfg->log;
  k->ttl = cfg->ttl > 0 ? cfg->ttl : 0;
  struct rg_buf base = {0};
  int rc = rg_skydns_base(uri->path, &base, err);
  k->base = base.data;
  if (rc == RG_OK) rc = rg_etcdkv_open(&k->kv, strcmp(uri->scheme, "skydns2") == 0 ? 2 : 3, uri, cfg, err);
  if (rc) {
    skydns_close(k);
    return rc;
  }
  *state = k;
  return RG_OK;
}

static int skydns_ping(void *state, char *err) {
  struct skydns *k = state;
  struct rg_buf p = {0};
  int rc = rg_buf_printf(&p, "%s/", k->base);
  rc = rc ? rg_err(err, rc, "out of memory") : rg_etcdkv_ping(k->kv, p.data, err);
  rg_buf_free(&p);
  return rc;
}

/* The key of s after the safety and DNS checks (each failure logged). */
static int key_of(struct skydns *k, const struct rg_service *s, struct rg_buf *key, char *err) {
  int rc = rg_safename_check_service(s, err);
  if (rc == RG_OK && (rc = rg_skydns_key(key, k->base, s->name, s->id)) == RG_EINVAL) {
    char id[128], cname[96], name[96];
    rg_err(err, rc, "service %s (container %s) rejected: its name \"%s\" is not a valid DNS label "
                    "(letters, digits and '-', at most 63, no '-' at either end)",
           rg_safename_printable(s->id, id, sizeof id),
           rg_safename_printable(s->container_name, cname, sizeof cname),
           rg_safename_printable(s->name, name, sizeof name));
  } else if (rc == RG_ENOMEM || rc == RG_ETOOBIG) {
    return rg_err(err, rc, "out of memory");
  }
  return rc; /* the caller logs a refusal */
}

/* rg_etcdkv_entry_fn: the key and value of s, after the checks. */
static int entry_of(void *state, const struct rg_service *s, struct rg_buf *key, struct rg_buf *value,
                    char *err) {
  struct skydns *k = state;
  int rc = key_of(k, s, key, err);
  if (rc == RG_OK && s->ip == NULL) rc = rg_err(err, RG_EINVAL, "service %s has no IP address", s->id);
  if (rc == RG_OK && (rc = rg_skydns_value(value, s->ip, s->port, k->ttl, s->id)) != RG_OK)
    rg_err(err, rc, "cannot build the SkyDNS value of %s", s->id);
  return rc;
}

static int skydns_register(void *state, const struct rg_service *s, char *err) {
  struct skydns *k = state;
  return rg_etcdkv_register(k->kv, entry_of, k, s, err);
}

static int skydns_register_many(void *state, const struct rg_service *const *svcs, size_t n, int *rcs,
                                char (*errs)[RG_ERRBUF], char *err) {
  struct skydns *k = state;
  return rg_etcdkv_register_many(k->kv, entry_of, k, svcs, n, rcs, errs, err);
}

static int skydns_deregister(void *state, const struct rg_service *s, char *err) {
  struct skydns *k = state;
  struct rg_buf key = {0};
  int rc = key_of(k, s, &key, err);
  if (rc == RG_OK) rc = rg_etcdkv_delete(k->kv, s->id, key.data, err);
  rg_buf_free(&key);
  return rc;
}

/* rg_etcdkv_key_fn: key_of. */
static int key_fn(void *state, const struct rg_service *s, struct rg_buf *key, char *err) {
  return key_of(state, s, key, err);
}

static int skydns_deregister_many(void *state, const struct rg_service *const *svcs, size_t n, int *rcs,
                                  char (*errs)[RG_ERRBUF], char *err) {
  struct skydns *k = state;
  return rg_etcdkv_deregister_many(k->kv, key_fn, k, svcs, n, rcs, errs, err);
}

static int skydns_refresh(void *state, char *err) {
  struct skydns *k = state;
  return rg_etcdkv_refresh(k->kv, err);
}

static const char *json_str(yajl_val root, const char *key) {
  const char *path[] = {key, NULL};
  yajl_val v = yajl_tree_get(root, path, yajl_t_string);
  return v ? YAJL_GET_STRING(v) : NULL;
}

int rg_skydns_parse_entry(const char *base, const char *key, const char *value, struct rg_service *out) {
  memset(out, 0, sizeof *out);
  size_t blen = strlen(base);
  if (strncmp(key, base, blen) != 0 || key[blen] != '/') return RG_EINVAL;
  const char *name = key + blen + 1, *slash = strchr(name, '/');
  if (slash == NULL || slash == name || strchr(slash + 1, '/') != NULL) return RG_EINVAL;
  yajl_val root = yajl_tree_parse(value, NULL, 0);
  const char *id = json_str(root, "registrator_id"), *host = json_str(root, "host");
  const char *path[] = {"port", NULL};
  yajl_val port = yajl_tree_get(root, path, yajl_t_number);
  int rc = RG_EINVAL;
  if (id && host && port && YAJL_IS_INTEGER(port)) { /* ours: it carries our marker */
    char label[RG_SKYDNS_LABEL_MAX + 1];
    rg_skydns_id_label(id, label);
    if (strcmp(label, slash + 1) == 0) { /* the marker matches the key it sits under */
      out->id = rg_strdup(id);
      out->name = rg_strndup(name, (size_t)(slash - name));
      out->ip = rg_strdup(host);
      out->port = (int)YAJL_GET_INTEGER(port);
      rc = out->id && out->name && out->ip ? RG_OK : RG_ENOMEM;
      if (rc) rg_service_clear(out);
    }
  }
  yajl_tree_free(root);
  return rc;
}

static int skydns_list(void *state, struct rg_service_list *out, char *err) {
  struct skydns *k = state;
  struct rg_kvlist kvs = {0};
  struct rg_buf p = {0};
  int rc = rg_buf_printf(&p, "%s/", k->base);
  if (rc) rc = rg_err(err, rc, "out of memory");
  else rc = rg_etcdkv_list(k->kv, p.data, &kvs, err);
  for (size_t i = 0; rc == RG_OK && i < kvs.n; i++) {
    struct rg_service tmp;
    int prc = rg_skydns_parse_entry(k->base, kvs.items[i].key, kvs.items[i].value, &tmp);
    if (prc == RG_ENOMEM) rc = rg_err(err, prc, "out of memory");
    if (prc) continue; /* another writer's entry: left alone */
    if ((rc = rg_service_list_push_copy(out, &tmp)) != RG_OK) rc = rg_err(err, rc, "out of memory");
    rg_service_clear(&tmp);
  }
  rg_kvlist_free(&kvs);
  rg_buf_free(&p);
  return rc;
}

static const char *const skydns_schemes[] = {"skydns", "skydns2", NULL};

const struct rg_adapter rg_adapter_skydns = {
    .name = "skydns",
    .schemes = skydns_schemes,
    .open = skydns_open,
    .ping = skydns_ping,
    .register_service = skydns_register,
    .register_many = skydns_register_many,
    .deregister_service = skydns_deregister,
    .deregister_many = skydns_deregister_many,
    .refresh = skydns_refresh,
    .list = skydns_list, /* entries carrying our registrator_id marker */
    .close = skydns_close,
};
