/* etcdkv.c - see etcdkv.h: options, the memory of what was put, dispatch
 * to the v2/v3 halves. Owned by the adapters. */
#include "adapters/etcdkv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/etcd_req.h"

int rg_etcdkv_status_error(long status) {
  if (status == 401 || status == 403) return RG_EAUTH;
  if (status == 404) return RG_ENOTFOUND;
  if (status == 408 || status == 429 || status >= 500) return RG_EAGAIN;
  return RG_EPROTO;
}

static int parse_bool(const char *k, const char *v, bool *out, char *err) {
  if (v[0] == '\0') *out = true; /* "?insecure" alone */
  else if (rg_parse_bool(v, out) != RG_OK) return rg_err(err, RG_EINVAL, "URI option %s=%s: expected true or false", k, v);
  return RG_OK;
}

static int parse_secs(const char *k, const char *v, long *ms, char *err) {
  long s;
  if (rg_parse_long(v, 1, 3600, &s) != RG_OK)
    return rg_err(err, RG_EINVAL, "URI option %s=%s: expected whole seconds (1-3600)", k, v);
  *ms = s * 1000;
  return RG_OK;
}

/* Options from cfg, then the URI query on top. */
static int options(const struct rg_uri *uri, const struct rg_adapter_config *cfg,
                   struct rg_http_options *o, char *err) {
  memset(o, 0, sizeof *o);
  o->ca_file = cfg->ca_file;
  o->cert_file = cfg->cert_file;
  o->key_file = cfg->key_file;
  o->insecure = cfg->tls_insecure;
  o->timeout_ms = cfg->timeout_ms;
  o->connect_timeout_ms = cfg->connect_timeout_ms;
  o->default_port = 2379;
  o->cancel = cfg->cancel;
  o->log = cfg->log;
  bool tls = cfg->tls, tls_set = false;
  for (size_t i = 0; i < uri->query.n; i++) {
    const char *k = uri->query.items[i].key, *v = uri->query.items[i].value;
    int rc = RG_OK;
    if (strcmp(k, "tls") == 0) rc = parse_bool(k, v, &tls, err), tls_set = true;
    else if (strcmp(k, "insecure") == 0) rc = parse_bool(k, v, &o->insecure, err);
    else if (strcmp(k, "cacert") == 0) o->ca_file = v;
    else if (strcmp(k, "cert") == 0) o->cert_file = v;
    else if (strcmp(k, "key") == 0) o->key_file = v;
    else if (strcmp(k, "timeout") == 0) rc = parse_secs(k, v, &o->timeout_ms, err);
    else if (strcmp(k, "connect-timeout") == 0) rc = parse_secs(k, v, &o->connect_timeout_ms, err);
    else
      rc = rg_err(err, RG_EINVAL,
                  "unknown URI option \"%s\" (known: tls, cacert, cert, key, insecure, timeout, "
                  "connect-timeout)",
                  k);
    if (rc) return rc;
  }
  o->tls = tls_set ? tls : (tls || o->ca_file || o->cert_file || o->key_file || o->insecure);
  if ((o->cert_file == NULL) != (o->key_file == NULL))
    return rg_err(err, RG_EINVAL, "a TLS client certificate needs both a cert and a key file");
  return RG_OK;
}

int rg_etcdkv_open(struct rg_etcdkv **out, int version, const struct rg_uri *uri,
                   const struct rg_adapter_config *cfg, char *err) {
  *out = NULL;
  struct rg_http_options o;
  int rc = options(uri, cfg, &o, err);
  if (rc) return rc;
  if (cfg->password && cfg->username == NULL)
    return rg_err(err, RG_EINVAL, "an etcd password was given without a user name");
  struct rg_etcdkv *kv = calloc(1, sizeof *kv);
  if (kv == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  kv->version = version;
  kv->ttl = cfg->ttl > 0 ? cfg->ttl : 0;
  kv->log = cfg->log;
  if ((cfg->username && (kv->user = rg_strdup(cfg->username)) == NULL) ||
      (cfg->password && (kv->password = rg_strdup(cfg->password)) == NULL)) {
    rg_etcdkv_close(kv);
    return rg_err(err, RG_ENOMEM, "out of memory");
  }
  rc = rg_http_open(&kv->http, &uri->hosts, &o, err);
  if (rc == RG_OK) rc = rg_http_multi_open(&kv->multi, kv->http, cfg->max_in_flight, err);
  if (rc == RG_OK && version == 2 && kv->user && rg_http_set_basic_auth(kv->http, kv->user, kv->password))
    rc = rg_err(err, RG_ENOMEM, "out of memory");
  if (rc) {
    rg_etcdkv_close(kv);
    return rc;
  }
  *out = kv;
  return RG_OK;
}

static void wipe(char *s) {
  if (s) memset(s, 0, strlen(s));
  free(s);
}

void rg_etcdkv_close(struct rg_etcdkv *kv) {
  if (kv == NULL) return;
  rg_http_multi_free(kv->multi);
  rg_http_free(kv->http);
  for (size_t i = 0; i < kv->n; i++) {
    free(kv->items[i].id);
    free(kv->items[i].key);
    free(kv->items[i].value);
  }
  free(kv->items);
  free(kv->user);
  wipe(kv->password);
  wipe(kv->token);
  free(kv);
}

/* Index of id, or where it would go (*found false). */
static size_t locate(const struct rg_etcdkv *kv, const char *id, bool *found) {
  size_t lo = 0, hi = kv->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(kv->items[mid].id, id);
    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  *found = false;
  return lo;
}

const struct rg_etcdkv_entry *rg_etcdkv_find(const struct rg_etcdkv *kv, const char *id) {
  bool found;
  size_t i = locate(kv, id, &found);
  return found ? &kv->items[i] : NULL;
}

static int remember(struct rg_etcdkv *kv, const char *id, const char *key, const char *value) {
  bool found;
  size_t i = locate(kv, id, &found);
  char *k = rg_strdup(key), *v = rg_strdup(value), *d = found ? NULL : rg_strdup(id);
  if (k == NULL || v == NULL || (!found && d == NULL)) goto nomem;
  if (found) {
    free(kv->items[i].key);
    free(kv->items[i].value);
  } else {
    if (kv->n >= RG_ETCDKV_MAX) {
      free(k), free(v), free(d);
      return RG_ETOOBIG;
    }
    if (kv->n == kv->cap) {
      size_t cap = kv->cap ? kv->cap * 2 : 16;
      struct rg_etcdkv_entry *p = realloc(kv->items, cap * sizeof *p);
      if (p == NULL) goto nomem;
      kv->items = p;
      kv->cap = cap;
    }
    memmove(kv->items + i + 1, kv->items + i, (kv->n - i) * sizeof *kv->items);
    kv->items[i].id = d;
    kv->n++;
  }
  kv->items[i].key = k;
  kv->items[i].value = v;
  return RG_OK;
nomem:
  free(k), free(v), free(d);
  return RG_ENOMEM;
}

static void forget(struct rg_etcdkv *kv, const char *id) {
  bool found;
  size_t i = locate(kv, id, &found);
  if (!found) return;
  free(kv->items[i].id);
  free(kv->items[i].key);
  free(kv->items[i].value);
  memmove(kv->items + i, kv->items + i + 1, (kv->n - i - 1) * sizeof *kv->items);
  kv->n--;
}

int rg_etcdkv_ping(struct rg_etcdkv *kv, const char *prefix, char *err) {
  return kv->version == 3 ? rg_etcd3_ping(kv, prefix, err) : rg_etcd2_ping(kv, prefix, err);
}

static int del(struct rg_etcdkv *kv, const char *key, char *err) {
  return kv->version == 3 ? rg_etcd3_delete(kv, key, err) : rg_etcd2_delete(kv, key, err);
}

int rg_etcdkv_put(struct rg_etcdkv *kv, const char *id, const char *key, const char *value, char *err) {
  const struct rg_etcdkv_entry *old = rg_etcdkv_find(kv, id);
  if (old == NULL && kv->n >= RG_ETCDKV_MAX)
    return rg_err(err, RG_ETOOBIG, "too many services (more than %d) in one registry", RG_ETCDKV_MAX);
  if (old && strcmp(old->key, key) != 0) { /* same service, new key: remove the old one */
    int rc = del(kv, old->key, err);
    if (rc && rc != RG_ENOTFOUND) return rc;
    forget(kv, id);
  }
  int rc = kv->version == 3 ? rg_etcd3_put(kv, key, value, err) : rg_etcd2_put(kv, key, value, err);
  if (rc) return rc;
  if ((rc = remember(kv, id, key, value)) != RG_OK)
    return rg_err(err, rc, "cannot remember %s: %s", key, rg_strerror(rc));
  return RG_OK;
}

/* Adds to ops[*nops..] the ops of items[first..n) while they fit in one txn
 * (a renamed id: the delete of its old key, then its put); *end gets the
 * first item left out. RG_ETOOBIG when that item is a new id that would
 * pass RG_ETCDKV_MAX. */
static int fill_txn(const struct rg_etcdkv *kv, const struct rg_etcdkv_item *items, size_t first, size_t n,
                    struct rg_etcd3_op *ops, size_t *nops, size_t *end) {
  size_t added = 0, i = first;
  int rc = RG_OK;
  for (; i < n; i++) {
    const struct rg_etcdkv_item *it = &items[i];
    const struct rg_etcdkv_entry *old = rg_etcdkv_find(kv, it->id);
    const char *gone = old && strcmp(old->key, it->key) != 0 ? old->key : NULL;
    bool again = false; /* the same id twice: its second put must see the first remembered */
    for (size_t j = first; j < i && !again; j++) again = strcmp(items[j].id, it->id) == 0;
    if (again || *nops + (gone ? 2 : 1) > RG_ETCD3_TXN_MAX || rg_etcd3_txn_has(ops, *nops, it->key) ||
        (gone && rg_etcd3_txn_has(ops, *nops, gone)))
      break;
    if (old == NULL && kv->n + added >= RG_ETCDKV_MAX) {
      rc = RG_ETOOBIG;
      break;
    }
    added += old == NULL;
    if (gone) ops[(*nops)++] = (struct rg_etcd3_op){gone, NULL};
    ops[(*nops)++] = (struct rg_etcd3_op){it->key, it->value};
  }
  *end = i;
  return rc;
}

/* v3: one txn per fill_txn; what each txn wrote is remembered. */
static int put_many3(struct rg_etcdkv *kv, struct rg_etcdkv_item *items, size_t n, char *err) {
  struct rg_etcd3_op ops[RG_ETCD3_TXN_MAX];
  size_t i = 0;
  int rc = RG_OK;
  while (rc == RG_OK && i < n) {
    size_t nops = 0, end;
    int full = fill_txn(kv, items, i, n, ops, &nops, &end);
    if (nops && (rc = rg_etcd3_write(kv, ops, nops, err)) != RG_OK) break;
    for (; rc == RG_OK && i < end; i++) {
      if ((rc = remember(kv, items[i].id, items[i].key, items[i].value)) != RG_OK)
        rg_err(err, rc, "cannot remember %s: %s", items[i].key, rg_strerror(rc));
      else items[i].rc = RG_OK;
    }
    if (rc == RG_OK && full)
      rc = rg_err(err, full, "too many services (more than %d) in one registry", RG_ETCDKV_MAX);
  }
  for (; i < n; i++) items[i].rc = rc;
  return rc;
}

/* The index of the last item before i with the same id, or RG_INFLIGHT_NONE. */
static size_t same_id_before(const struct rg_etcdkv_item *items, size_t i) {
  for (size_t j = i; j-- > 0;)
    if (strcmp(items[j].id, items[i].id) == 0) return j;
  return RG_INFLIGHT_NONE;
}

/* v2: every item's put at once (a renamed id: the delete of its old key
 * first, its put after it); what was written is remembered. */
static int put_many2(struct rg_etcdkv *kv, struct rg_etcdkv_item *items, size_t n, char *err) {
  struct rg_etcd2_op *ops = calloc(2 * n + 1, sizeof *ops);
  size_t *put = calloc(n + 1, sizeof *put), *gone = calloc(n + 1, sizeof *gone), k = 0, added = 0;
  int rc = ops && put && gone ? RG_OK : rg_err(err, RG_ENOMEM, "out of memory");
  for (size_t i = 0; rc == RG_OK && i < n; i++) {
    const struct rg_etcdkv_entry *old = rg_etcdkv_find(kv, items[i].id);
    size_t dup = same_id_before(items, i), after = dup == RG_INFLIGHT_NONE ? RG_INFLIGHT_NONE : put[dup];
    put[i] = gone[i] = RG_INFLIGHT_NONE;
    items[i].err[0] = '\0';
    if (old == NULL && dup == RG_INFLIGHT_NONE && kv->n + added++ >= RG_ETCDKV_MAX) {
      items[i].rc = rg_err(items[i].err, RG_ETOOBIG, "too many services (more than %d) in one registry",
                           RG_ETCDKV_MAX);
      continue;
    }
    if (old && dup == RG_INFLIGHT_NONE && strcmp(old->key, items[i].key) != 0) { /* same service, new key */
      ops[k] = (struct rg_etcd2_op){.key = old->key, .missing_ok = true, .after = RG_INFLIGHT_NONE};
      after = gone[i] = k++;
    }
    ops[k] = (struct rg_etcd2_op){.key = items[i].key, .value = items[i].value, .after = after};
    put[i] = k++;
  }
  if (rc == RG_OK) rg_etcd2_write_many(kv, ops, k, err);
  int first = rc;
  for (size_t i = 0; i < n; i++) {
    if (rc != RG_OK) items[i].rc = rc;
    if (rc != RG_OK || put[i] == RG_INFLIGHT_NONE) continue;
    if (gone[i] != RG_INFLIGHT_NONE && ops[gone[i]].rc == RG_OK) forget(kv, items[i].id); /* the old key is gone */
    items[i].rc = ops[put[i]].rc;
    snprintf(items[i].err, sizeof items[i].err, "%s", ops[put[i]].err);
    if (items[i].rc == RG_OK && (items[i].rc = remember(kv, items[i].id, items[i].key, items[i].value)) != RG_OK)
      rg_err(items[i].err, items[i].rc, "cannot remember %s: %s", items[i].key, rg_strerror(items[i].rc));
  }
  for (size_t i = 0; rc == RG_OK && i < n; i++)
    if (items[i].rc != RG_OK && first == RG_OK) first = rg_err(err, items[i].rc, "%s", items[i].err);
  free(ops);
  free(put);
  free(gone);
  return first;
}

int rg_etcdkv_put_many(struct rg_etcdkv *kv, struct rg_etcdkv_item *items, size_t n, char *err) {
  for (size_t i = 0; i < n; i++) items[i].err[0] = '\0';
  return kv->version == 3 ? put_many3(kv, items, n, err) : put_many2(kv, items, n, err);
}

int rg_etcdkv_register(struct rg_etcdkv *kv, rg_etcdkv_entry_fn entry, void *ud, const struct rg_service *s,
                       char *err) {
  struct rg_buf key = {0}, value = {0};
  int rc = entry(ud, s, &key, &value, err);
  if (rc == RG_OK) rc = rg_etcdkv_put(kv, s->id, key.data, value.data, err);
  rg_buf_free(&key);
  rg_buf_free(&value);
  return rc;
}

int rg_etcdkv_register_many(struct rg_etcdkv *kv, rg_etcdkv_entry_fn entry, void *ud,
                            const struct rg_service *const *svcs, size_t n, int *rcs, char (*errs)[RG_ERRBUF],
                            char *err) {
  struct rg_etcdkv_item *items = calloc(n ? n : 1, sizeof *items);
  struct rg_buf *bufs = calloc(n ? 2 * n : 1, sizeof *bufs); /* key, value of each service */
  int rc = items && bufs ? RG_OK : rg_err(err, RG_ENOMEM, "out of memory");
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    errs[i][0] = '\0';
    if ((rcs[i] = rc) != RG_OK) continue; /* nothing is sent after a failure here */
    rcs[i] = entry(ud, svcs[i], &bufs[2 * i], &bufs[2 * i + 1], errs[i]);
    if (rcs[i] == RG_OK)
      items[m++] = (struct rg_etcdkv_item){.id = svcs[i]->id, .key = bufs[2 * i].data, .value = bufs[2 * i + 1].data};
    else if (rcs[i] != RG_EINVAL) rc = rg_err(err, rcs[i], "%s", errs[i]);
  }
  bool sent = rc == RG_OK;
  if (sent) rc = rg_etcdkv_put_many(kv, items, m, err);
  for (size_t i = 0, j = 0; i < n; i++) /* the accepted services, in order, are the items */
    if (rcs[i] == RG_OK && sent) {
      snprintf(errs[i], RG_ERRBUF, "%s", items[j].err);
      rcs[i] = items[j++].rc;
    } else if (rcs[i] == RG_OK) {
      rcs[i] = rc;
    }
  for (size_t i = 0; bufs && i < 2 * n; i++) rg_buf_free(&bufs[i]);
  free(bufs);
  free(items);
  return rc;
}

int rg_etcdkv_delete(struct rg_etcdkv *kv, const char *id, const char *key, char *err) {
  const struct rg_etcdkv_entry *old = rg_etcdkv_find(kv, id);
  int rc = RG_OK;
  if (old && strcmp(old->key, key) != 0) rc = del(kv, old->key, err);
  if (rc && rc != RG_ENOTFOUND) return rc;
  rc = del(kv, key, err);
  if (rc == RG_OK || rc == RG_ENOTFOUND) forget(kv, id);
  return rc;
}

int rg_etcdkv_list(struct rg_etcdkv *kv, const char *prefix, struct rg_kvlist *out, char *err) {
  return kv->version == 3 ? rg_etcd3_list(kv, prefix, out, err) : rg_etcd2_list(kv, prefix, out, err);
}

int rg_etcdkv_own_keys(struct rg_etcdkv *kv, struct rg_strlist *keys, char *err) {
  if (kv->version != 3 || kv->ttl <= 0 || kv->lease == 0) return RG_EUNSUPPORTED;
  return rg_etcd3_lease_keys(kv, keys, err);
}

int rg_etcdkv_refresh(struct rg_etcdkv *kv, char *err) {
  if (kv->ttl <= 0) return RG_OK;
  return kv->version == 3 ? rg_etcd3_refresh(kv, err) : rg_etcd2_refresh(kv, err);
}

/* v2: every delete at once (a renamed id: its old key first); rcs/errs as
 * rg_etcdkv_deregister_many gives them for the accepted services (rcs[i]
 * RG_OK on entry). */
static void delete_many2(struct rg_etcdkv *kv, const struct rg_service *const *svcs, const struct rg_buf *keys,
                         size_t n, int *rcs, char (*errs)[RG_ERRBUF], char *err) {
  struct rg_etcd2_op *ops = calloc(2 * n + 1, sizeof *ops);
  size_t *del = calloc(n + 1, sizeof *del), k = 0;
  for (size_t i = 0; ops && del && i < n; i++) {
    if (rcs[i] != RG_OK) continue;
    const struct rg_etcdkv_entry *old = rg_etcdkv_find(kv, svcs[i]->id);
    size_t after = RG_INFLIGHT_NONE;
    if (old && strcmp(old->key, keys[i].data) != 0) {
      ops[k] = (struct rg_etcd2_op){.key = old->key, .missing_ok = true, .after = RG_INFLIGHT_NONE};
      after = k++;
    }
    ops[k] = (struct rg_etcd2_op){.key = keys[i].data, .after = after};
    del[i] = k++;
  }
  if (ops && del) rg_etcd2_write_many(kv, ops, k, err);
  for (size_t i = 0; i < n; i++) {
    if (rcs[i] != RG_OK) continue;
    if (ops == NULL || del == NULL) {
      rcs[i] = rg_err(errs[i], RG_ENOMEM, "out of memory");
      continue;
    }
    rcs[i] = ops[del[i]].rc;
    snprintf(errs[i], RG_ERRBUF, "%s", ops[del[i]].err);
    if (rcs[i] == RG_OK || rcs[i] == RG_ENOTFOUND) forget(kv, svcs[i]->id);
  }
  free(ops);
  free(del);
}

/* v3: every delete in txns (a renamed id: its old key too). */
static void delete_many3(struct rg_etcdkv *kv, const struct rg_service *const *svcs, const struct rg_buf *keys,
                         size_t n, int *rcs, char *err) {
  struct rg_etcd3_op *ops = calloc(2 * n + 1, sizeof *ops);
  size_t *last = calloc(n + 1, sizeof *last), k = 0, sent = 0;
  for (size_t i = 0; ops && last && i < n; i++) {
    if (rcs[i] != RG_OK) continue;
    const struct rg_etcdkv_entry *old = rg_etcdkv_find(kv, svcs[i]->id);
    if (old && strcmp(old->key, keys[i].data) != 0) ops[k++] = (struct rg_etcd3_op){old->key, NULL};
    ops[k] = (struct rg_etcd3_op){keys[i].data, NULL};
    last[i] = k++;
  }
  int rc = ops && last ? rg_etcd3_send(kv, ops, k, &sent, err) : rg_err(err, RG_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    if (rcs[i] != RG_OK) continue;
    if (rc != RG_OK && (last == NULL || last[i] >= sent)) {
      rcs[i] = rc; /* message in err */
      continue;
    }
    forget(kv, svcs[i]->id);
  }
  free(ops);
  free(last);
}

int rg_etcdkv_deregister_many(struct rg_etcdkv *kv, rg_etcdkv_key_fn key, void *ud,
                              const struct rg_service *const *svcs, size_t n, int *rcs, char (*errs)[RG_ERRBUF],
                              char *err) {
  struct rg_buf *keys = calloc(n ? n : 1, sizeof *keys);
  for (size_t i = 0; i < n; i++) {
    errs[i][0] = '\0';
    rcs[i] = keys ? key(ud, svcs[i], &keys[i], errs[i]) : rg_err(errs[i], RG_ENOMEM, "out of memory");
  }
  if (keys && kv->version == 3) delete_many3(kv, svcs, keys, n, rcs, err);
  else if (keys) delete_many2(kv, svcs, keys, n, rcs, errs, err);
  int first = RG_OK;
  for (size_t i = 0; i < n && first == RG_OK; i++)
    if (rcs[i] != RG_OK && rcs[i] != RG_EINVAL && rcs[i] != RG_ENOTFOUND)
      first = errs[i][0] ? rg_err(err, rcs[i], "%s", errs[i]) : rcs[i];
  for (size_t i = 0; keys && i < n; i++) rg_buf_free(&keys[i]);
  free(keys);
  return first;
}
