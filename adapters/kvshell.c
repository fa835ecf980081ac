/* kvshell.c - see kvshell.h. Owned by the adapters. */
#include "adapters/kvshell.h"

#include <stdlib.h>
#include <string.h>

#include "adapters/etcdkv.h"
#include "adapters/safename.h"

struct kvshell {
  const struct rg_kvshell_layout *lay;
  struct rg_etcdkv *kv;
  char *prefix; /* "/services", "/skydns/local/skydns", or "" */
  long ttl;
  const struct rg_log *log;
};

void rg_kvshell_close(void *state) {
  struct kvshell *k = state;
  if (k == NULL) return;
  rg_etcdkv_close(k->kv);
  free(k->prefix);
  free(k);
}

int rg_kvshell_open(void **state, const struct rg_kvshell_layout *layout, const struct rg_uri *uri,
                    const struct rg_adapter_config *cfg, char *err) {
  *state = NULL;
  struct kvshell *k = calloc(1, sizeof *k);
  if (k == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  k->lay = layout;
  k->log = cfg->log;
  k->ttl = cfg->ttl > 0 ? cfg->ttl : 0;
  int rc = layout->prefix(uri->path, &k->prefix, err);
  if (rc == RG_OK)
    rc = rg_etcdkv_open(&k->kv, strcmp(uri->scheme, layout->v2_scheme) == 0 ? 2 : 3, uri, cfg, err);
  if (rc) {
    rg_kvshell_close(k);
    return rc;
  }
  *state = k;
  return RG_OK;
}

/* "<prefix>/" into p: what list and ping read. */
static int dir_of(const struct kvshell *k, struct rg_buf *p, char *err) {
  int rc = rg_buf_printf(p, "%s/", k->prefix);
  return rc ? rg_err(err, rc, "out of memory") : RG_OK;
}

int rg_kvshell_ping(void *state, char *err) {
  struct kvshell *k = state;
  struct rg_buf p = {0};
  int rc = dir_of(k, &p, err);
  if (rc == RG_OK) rc = rg_etcdkv_ping(k->kv, p.data, err);
  rg_buf_free(&p);
  return rc;
}

/* The key of s after the safety check and the layout's own (the caller
 * logs a refusal). */
static int key_of(struct kvshell *k, const struct rg_service *s, struct rg_buf *key, char *err) {
  int rc = rg_safename_check_service(s, err);
  if (rc == RG_OK) rc = k->lay->key(k->prefix, s, key, err);
  return rc;
}

/* rg_etcdkv_entry_fn: the key and value of s, after the checks. */
static int entry_of(void *state, const struct rg_service *s, struct rg_buf *key, struct rg_buf *value,
                    char *err) {
  struct kvshell *k = state;
  int rc = key_of(k, s, key, err);
  if (rc == RG_OK && s->ip == NULL) rc = rg_err(err, RG_EINVAL, "service %s has no IP address", s->id);
  if (rc == RG_OK && (rc = k->lay->value(s, k->ttl, value)) != RG_OK)
    rg_err(err, rc, "cannot build the %s value of %s: %s", k->lay->name, s->id, rg_strerror(rc));
  return rc;
}

int rg_kvshell_register(void *state, const struct rg_service *s, char *err) {
  struct kvshell *k = state;
  return rg_etcdkv_register(k->kv, entry_of, k, s, err);
}

int rg_kvshell_register_many(void *state, const struct rg_service *const *svcs, size_t n, int *rcs,
                             char (*errs)[RG_ERRBUF], char *err) {
  struct kvshell *k = state;
  return rg_etcdkv_register_many(k->kv, entry_of, k, svcs, n, rcs, errs, err);
}

int rg_kvshell_deregister(void *state, const struct rg_service *s, char *err) {
  struct kvshell *k = state;
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

int rg_kvshell_deregister_many(void *state, const struct rg_service *const *svcs, size_t n, int *rcs,
                               char (*errs)[RG_ERRBUF], char *err) {
  struct kvshell *k = state;
  return rg_etcdkv_deregister_many(k->kv, key_fn, k, svcs, n, rcs, errs, err);
}

int rg_kvshell_refresh(void *state, char *err) {
  struct kvshell *k = state;
  return rg_etcdkv_refresh(k->kv, err);
}

/* Appends the entries of kvs that have the layout to out. An entry the JSON
 * guard refused is logged with its key and skipped: the others are still
 * read (README "Security and limits", hostile input). */
static int parse_entries(struct kvshell *k, const struct rg_kvlist *kvs, struct rg_service_list *out,
                         char *err) {
  int rc = RG_OK;
  for (size_t i = 0; rc == RG_OK && i < kvs->n; i++) {
    struct rg_service tmp = {0};
    char why[RG_ERRBUF] = "";
    int prc = k->lay->parse(k->prefix, kvs->items[i].key, kvs->items[i].value, &tmp, why);
    if (prc == RG_ENOMEM) rc = rg_err(err, prc, "out of memory");
    if (prc == RG_EPROTO || prc == RG_ETOOBIG) rg_log(k->log, RG_LOG_WARN, "%s; entry left alone", why);
    if (prc) continue; /* not ours to interpret: left alone */
    struct rg_service *s;
    if ((rc = rg_service_list_push(out, &s)) != RG_OK) {
      rg_service_clear(&tmp);
      rc = rg_err(err, rc, "out of memory");
      break;
    }
    *s = tmp;
  }
  return rc;
}

int rg_kvshell_list(void *state, struct rg_service_list *out, char *err) {
  struct kvshell *k = state;
  struct rg_kvlist kvs = {0};
  struct rg_buf p = {0};
  int rc = dir_of(k, &p, err);
  if (rc == RG_OK) rc = rg_etcdkv_list(k->kv, p.data, &kvs, err);
  if (rc == RG_OK) rc = parse_entries(k, &kvs, out, err);
  rg_kvlist_free(&kvs);
  rg_buf_free(&p);
  return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The keys on our lease, with the values we wrote to them. */
int rg_kvshell_list_own(void *state, struct rg_service_list *out, char *err) {
  struct kvshell *k = state;
  struct rg_strlist keys = {0};
  struct rg_kvlist kvs = {0};
  int rc = rg_etcdkv_own_keys(k->kv, &keys, err);
  if (rc == RG_OK && keys.n > 1) qsort(keys.items, keys.n, sizeof *keys.items, cmp_str);
  for (size_t i = 0; rc == RG_OK && i < k->kv->n; i++) {
    const struct rg_etcdkv_entry *mine = &k->kv->items[i];
    if (keys.n && bsearch(&mine->key, keys.items, keys.n, sizeof *keys.items, cmp_str) &&
        rg_kvlist_add(&kvs, mine->key, mine->value) != RG_OK)
      rc = rg_err(err, RG_ENOMEM, "out of memory");
  }
  if (rc == RG_OK) rc = parse_entries(k, &kvs, out, err);
  rg_strlist_free(&keys);
  rg_kvlist_free(&kvs);
  return rc;
}
