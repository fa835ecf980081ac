/* etcd.c - the etcd adapter: see etcd.h. Owned by the adapters. */
#include "adapters/etcd.h"

#include <stdlib.h>
#include <string.h>

#include "adapters/kvshell.h"

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

/* The layout's hooks (adapters/kvshell.h). */
static int etcd_key_of(const char *prefix, const struct rg_service *s, struct rg_buf *key, char *err) {
  int rc = rg_etcd_key(key, prefix, s->name, s->id);
  return rc ? rg_err(err, rc, "out of memory") : RG_OK;
}

static int etcd_value_of(const struct rg_service *s, long ttl, struct rg_buf *value) {
  (void)ttl;
  return rg_etcd_value(value, s->ip, s->port);
}

static int etcd_parse(const char *prefix, const char *key, const char *value, struct rg_service *out,
                      char *err) {
  (void)err; /* "ip:port" is not JSON: nothing for the guard */
  return rg_etcd_parse_entry(prefix, key, value, out);
}

static const struct rg_kvshell_layout etcd_layout = {
    .name = "etcd", .v2_scheme = "etcd2", .prefix = rg_etcd_prefix,
    .key = etcd_key_of, .value = etcd_value_of, .parse = etcd_parse};

static int etcd_open(void **state, const struct rg_uri *uri, const struct rg_adapter_config *cfg, char *err) {
  return rg_kvshell_open(state, &etcd_layout, uri, cfg, err);
}

static const char *const etcd_schemes[] = {"etcd", "etcd2", NULL};

const struct rg_adapter rg_adapter_etcd = RG_KVSHELL_ADAPTER("etcd", etcd_schemes, etcd_open);
