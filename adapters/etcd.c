/* etcd.c - the etcd adapter: see etcd.h. Owned by the adapters. */
#include "adapters/etcd.h"

#include <stdlib.h>
#include <string.h>

#include "adapters/etcdkv.h"
#include "adapters/safename.h"

struct etcd {
  struct rg_etcdkv *kv;
  char *prefix; /* "/services", or "" */
  const struct rg_log *log;
};

int rg_etcd_prefix(const char *path, char **out, char *err) {
  struct rg_buf b = {0};
  int rc = rg_buf_append(&b, "", 0);
  for (const char *p = path ? path : ""; rc == RG_OK && *p;) {
    size_t n = strcspn(p, "/");
    if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
      rg_buf_free(&b);
      return rg_err(err, RG_EINVAL, "the key prefix \"%s\" contains a \".\" or \"..\" segment", path);
    }
    if (n > 0) {
      rc = rg_buf_append(&b, "/", 1);
      if (rc == RG_OK) rc = rg_buf_append(&b, p, n);
    }
    p += n;
    while (*p == '/') p++;
  }
  if (rc) {
    rg_buf_free(&b);
    return rg_err(err, rc, "out of memory");
  }
  *out = b.data;
  return RG_OK;
}

int rg_etcd_key(struct rg_buf *out, const char *prefix, const char *name, const char *id) {
  return rg_buf_printf(out, "%s/%s/%s", prefix, name, id);
}

int rg_etcd_value(struct rg_buf *out, const char *ip, int port) {
  return strchr(ip, ':') ? rg_buf_printf(out, "[%s]:%d", ip, port) : rg_buf_printf(out, "%s:%d", ip, port);
}

int rg_etcd_parse_entry(const char *prefix, const char *key, const char *value, struct rg_service *s) {
  size_t pn = strlen(prefix);
  if (strncmp(key, prefix, pn) != 0 || key[pn] != '/') return RG_EINVAL;
  const char *name = key + pn + 1, *slash = strchr(name, '/');
  if (slash == NULL || slash == name || slash[1] == '\0' || strchr(slash + 1, '/')) return RG_EINVAL;
  const char *ip = value, *ipend, *colon;
  if (value[0] == '[') {
    ip = value + 1;
    ipend = strchr(ip, ']');
    if (ipend == NULL || ipend[1] != ':') return RG_EINVAL;
    colon = ipend + 1;
  } else {
    colon = strrchr(value, ':');
    if (colon == NULL || memchr(value, ':', (size_t)(colon - value))) return RG_EINVAL;
    ipend = colon;
  }
  long port;
  if (ipend == ip || rg_parse_long(colon + 1, 1, 65535, &port) != RG_OK) return RG_EINVAL;
  const char *id = slash + 1;
  size_t idn = strlen(id);
  bool udp = idn > 4 && strcmp(id + idn - 4, ":udp") == 0;
  s->name = rg_strndup(name, (size_t)(slash - name));
  s->id = rg_strdup(id);
  s->ip = rg_strndup(ip, (size_t)(ipend - ip));
  s->proto = rg_strdup(udp ? "udp" : "tcp");
  s->port = (int)port;
  if (!s->name || !s->id || !s->ip || !s->proto) {
    rg_service_clear(s);
    return RG_ENOMEM;
  }
  return RG_OK;
}

static void etcd_close(void *state) {
  struct etcd *e = state;
  if (e == NULL) return;
  rg_etcdkv_close(e->kv);
  free(e->prefix);
  free(e);
}

static int etcd_open(void **state, const struct rg_uri *uri, const struct rg_adapter_config *cfg, char *err) {
  *state = NULL;
  struct etcd *e = calloc(1, sizeof *e);
  if (e == NULL) return rg_err(err, RG_ENOMEM, "out of memory");
  e->log = cfg->log;
  int version = strcmp(uri->scheme, "etcd2") == 0 ? 2 : 3;
  int rc = rg_etcd_prefix(uri->path, &e->prefix, err);
  if (rc == RG_OK) rc = rg_etcdkv_open(&e->kv, version, uri, cfg, err);
  if (rc) {
    etcd_close(e);
    return rc;
  }
  *state = e;
  return RG_OK;
}

static int etcd_ping(void *state, char *err) {
  struct etcd *e = state;
  struct rg_buf p = {0};
  int rc = rg_buf_printf(&p, "%s/", e->prefix);
  rc = rc ? rg_err(err, rc, "out of memory") : rg_etcdkv_ping(e->kv, p.data, err);
  rg_buf_free(&p);
  return rc;
}

/* The key of s, after the safety check. */
static int key_of(struct etcd *e, const struct rg_service *s, struct rg_buf *key, char *err) {
  int rc = rg_safename_check_service(s, err); /* the caller logs a refusal */
  if (rc) return rc;
  if ((rc = rg_etcd_key(key, e->prefix, s->name, s->id)) != RG_OK) return rg_err(err, rc, "out of memory");
  return RG_OK;
}

/* rg_etcdkv_entry_fn: the key and value of s, after the checks. */
static int entry_of(void *state, const struct rg_service *s, struct rg_buf *key, struct rg_buf *value,
                    char *err) {
  struct etcd *e = state;
  int rc = key_of(e, s, key, err);
  if (rc == RG_OK && s->ip == NULL) rc = rg_err(err, RG_EINVAL, "service %s has no IP address", s->id);
  if (rc == RG_OK && (rc = rg_etcd_value(value, s->ip, s->port)) != RG_OK) rg_err(err, rc, "out of memory");
  return rc;
}

static int etcd_register(void *state, const struct rg_service *s, char *err) {
  struct etcd *e = state;
  return rg_etcdkv_register(e->kv, entry_of, e, s, err);
}

static int etcd_register_many(void *state, const struct rg_service *const *svcs, size_t n, int *rcs,
                              char (*errs)[RG_ERRBUF], char *err) {
  struct etcd *e = state;
  return rg_etcdkv_register_many(e->kv, entry_of, e, svcs, n, rcs, errs, err);
}

static int etcd_deregister(void *state, const struct rg_service *s, char *err) {
  struct etcd *e = state;
  struct rg_buf key = {0};
  int rc = key_of(e, s, &key, err);
  if (rc == RG_OK) rc = rg_etcdkv_delete(e->kv, s->id, key.data, err);
  rg_buf_free(&key);
  return rc;
}

/* rg_etcdkv_key_fn: key_of. */
static int key_fn(void *state, const struct rg_service *s, struct rg_buf *key, char *err) {
  return key_of(state, s, key, err);
}

static int etcd_deregister_many(void *state, const struct rg_service *const *svcs, size_t n, int *rcs,
                                char (*errs)[RG_ERRBUF], char *err) {
  struct etcd *e = state;
  return rg_etcdkv_deregister_many(e->kv, key_fn, e, svcs, n, rcs, errs, err);
}

static int etcd_refresh(void *state, char *err) {
  struct etcd *e = state;
  return rg_etcdkv_refresh(e->kv, err);
}

/* Appends the entries of kvs that have our layout to out. */
static int parse_entries(struct etcd *e, const struct rg_kvlist *kvs, struct rg_service_list *out, char *err) {
  int rc = RG_OK;
  for (size_t i = 0; rc == RG_OK && i < kvs->n; i++) {
    struct rg_service tmp = {0};
    int prc = rg_etcd_parse_entry(e->prefix, kvs->items[i].key, kvs->items[i].value, &tmp);
    if (prc == RG_ENOMEM) rc = rg_err(err, prc, "out of memory");
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

static int etcd_list(void *state, struct rg_service_list *out, char *err) {
  struct etcd *e = state;
  struct rg_kvlist kvs = {0};
  struct rg_buf p = {0};
  int rc = rg_buf_printf(&p, "%s/", e->prefix);
  if (rc) rc = rg_err(err, rc, "out of memory");
  else rc = rg_etcdkv_list(e->kv, p.data, &kvs, err);
  if (rc == RG_OK) rc = parse_entries(e, &kvs, out, err);
  rg_kvlist_free(&kvs);
  rg_buf_free(&p);
  return rc;
}

/* The keys on our lease, with the values we wrote to them. */
static int etcd_list_own(void *state, struct rg_service_list *out, char *err) {
  struct etcd *e = state;
  struct rg_strlist keys = {0};
  struct rg_kvlist kvs = {0};
  int rc = rg_etcdkv_own_keys(e->kv, &keys, err);
  for (size_t i = 0; rc == RG_OK && i < keys.n; i++) {
    const char *slash = strrchr(keys.items[i], '/');
    const struct rg_etcdkv_entry *mine = slash ? rg_etcdkv_find(e->kv, slash + 1) : NULL;
    if (mine && strcmp(mine->key, keys.items[i]) == 0 && rg_kvlist_add(&kvs, mine->key, mine->value) != RG_OK)
      rc = rg_err(err, RG_ENOMEM, "out of memory");
  }
  if (rc == RG_OK) rc = parse_entries(e, &kvs, out, err);
  rg_strlist_free(&keys);
  rg_kvlist_free(&kvs);
  return rc;
}

static const char *const etcd_schemes[] = {"etcd", "etcd2", NULL};

const struct rg_adapter rg_adapter_etcd = {
    .name = "etcd",
    .schemes = etcd_schemes,
    .open = etcd_open,
    .ping = etcd_ping,
    .register_service = etcd_register,
    .register_many = etcd_register_many,
    .deregister_service = etcd_deregister,
    .deregister_many = etcd_deregister_many,
    .refresh = etcd_refresh,
    .list = etcd_list,
    .list_own = etcd_list_own,
    .close = etcd_close,
};
