/* skydns.c - the SkyDNS adapter: see skydns.h. Owned by the adapters. */
#include "adapters/skydns.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "adapters/kvshell.h"
#include "adapters/safename.h"
#include "registrator/json.h"

#define READABLE_MAX 50 /* + '-' + 12 hex digits = 63 */

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
  yajl_gen g = rg_json_gen_new();
  if (g == NULL) return RG_ENOMEM;
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
  return rg_json_gen_finish(g, rg_json_gen_rc(st), out);
}

/* The layout's hooks (adapters/kvshell.h). */
static int skydns_prefix(const char *path, char **out, char *err) {
  struct rg_buf base = {0};
  int rc = rg_skydns_base(path, &base, err);
  if (rc) rg_buf_free(&base);
  else *out = base.data;
  return rc;
}

/* The key of s after the DNS check (the shell logs a refusal). */
static int skydns_key_of(const char *base, const struct rg_service *s, struct rg_buf *key, char *err) {
  int rc = rg_skydns_key(key, base, s->name, s->id);
  if (rc == RG_EINVAL) {
    char id[128], cname[96], name[96];
    rg_err(err, rc, "service %s (container %s) rejected: its name \"%s\" is not a valid DNS label "
                    "(letters, digits and '-', at most 63, no '-' at either end)",
           rg_safename_printable(s->id, id, sizeof id),
           rg_safename_printable(s->container_name, cname, sizeof cname),
           rg_safename_printable(s->name, name, sizeof name));
  } else if (rc) {
    rg_err(err, rc, "out of memory");
  }
  return rc;
}

static int skydns_value_of(const struct rg_service *s, long ttl, struct rg_buf *value) {
  return rg_skydns_value(value, s->ip, s->port, ttl, s->id);
}

static const char *json_str(yajl_val root, const char *key) {
  const char *path[] = {key, NULL};
  yajl_val v = yajl_tree_get(root, path, yajl_t_string);
  return v ? YAJL_GET_STRING(v) : NULL;
}

int rg_skydns_parse_entry(const char *base, const char *key, const char *value, struct rg_service *out,
                          char *err) {
  memset(out, 0, sizeof *out);
  size_t blen = strlen(base);
  if (strncmp(key, base, blen) != 0 || key[blen] != '/') return RG_EINVAL;
  const char *name = key + blen + 1, *slash = strchr(name, '/');
  if (slash == NULL || slash == name || strchr(slash + 1, '/') != NULL) return RG_EINVAL;
  /* another host may have written anything here: the base guard first */
  char src[RG_SEGMENT_MAX + 32], printable[RG_SEGMENT_MAX];
  snprintf(src, sizeof src, "SkyDNS entry %s", rg_safename_printable(key, printable, sizeof printable));
  size_t vlen = strlen(value);
  int jrc = rg_json_check(value, vlen, RG_JSON_SMALL_MAX, RG_JSON_DEPTH_MAX, src, err);
  if (jrc) return jrc;
  yajl_val root = NULL;
  jrc = rg_json_tree(&root, value, vlen, RG_JSON_SMALL_MAX, RG_JSON_DEPTH_MAX, src, NULL);
  if (jrc == RG_ENOMEM) return rg_err(err, jrc, "out of memory");
  if (jrc) return RG_EINVAL; /* not JSON: not a SkyDNS entry of ours */
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

static const struct rg_kvshell_layout skydns_layout = {
    .name = "SkyDNS", .v2_scheme = "skydns2", .prefix = skydns_prefix,
    .key = skydns_key_of, .value = skydns_value_of, .parse = rg_skydns_parse_entry};

static int skydns_open(void **state, const struct rg_uri *uri, const struct rg_adapter_config *cfg,
                       char *err) {
  return rg_kvshell_open(state, &skydns_layout, uri, cfg, err);
}

static const char *const skydns_schemes[] = {"skydns", "skydns2", NULL};

/* entries carrying our registrator_id marker; with a v3 TTL drift repair
 * reads only the keys on our lease */
const struct rg_adapter rg_adapter_skydns = RG_KVSHELL_ADAPTER("skydns", skydns_schemes, skydns_open);
