/* consul_body.c - request bodies of the Consul adapter, built with yajl_gen
 * by pure functions; see consul.h. Owned by the adapters. */
#include <string.h>
#include <yajl/yajl_gen.h>

#include "adapters/consul.h"
#include "registrator/json.h"

#define GS(g, s) rg_consul_gen_str((g), (s))

/* The attr that becomes EnableTagOverride rather than Meta. */
#define TAG_OVERRIDE_KEY "enable_tag_override"

int rg_consul_gen_str(yajl_gen g, const char *s) {
  return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) != yajl_gen_status_ok;
}

void rg_consul_notes_free(struct rg_consul_notes *n) {
  if (n == NULL) return;
  rg_kvlist_free(&n->skipped);
  n->ttl_check = n->auto_ttl = false;
}

bool rg_consul_meta_valid(const char *key, const char *value, const char **why) {
  const char *dummy;
  if (why == NULL) why = &dummy;
  size_t n = key ? strlen(key) : 0;
  if (n == 0) return *why = "empty Meta key", false;
  if (n > RG_CONSUL_META_MAX_KEY) return *why = "Meta key longer than 128 characters", false;
  for (size_t i = 0; i < n; i++) {
    char c = key[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return *why = "Meta key has characters other than A-Z a-z 0-9 _ -", false;
  }
  if (strncmp(key, "consul-", 7) == 0) return *why = "Meta key has the reserved prefix \"consul-\"", false;
  if (value && strlen(value) > RG_CONSUL_META_MAX_VALUE)
    return *why = "Meta value longer than 512 characters", false;
  return *why = NULL, true;
}

/* "Meta":{..} of the valid attrs (nothing when none is valid). */
static int gen_meta(yajl_gen g, const struct rg_service *s, struct rg_consul_notes *notes) {
  size_t sent = 0;
  int rc = RG_OK, bad = 0;
  for (size_t i = 0; rc == RG_OK && i < s->attrs.n; i++) {
    const struct rg_kv *kv = &s->attrs.items[i];
    const char *why = NULL;
    if (strcmp(kv->key, TAG_OVERRIDE_KEY) == 0) continue;
    if (!rg_consul_meta_valid(kv->key, kv->value, &why)) {
      rc = rg_kvlist_set(&notes->skipped, kv->key, why);
      continue;
    }
    if (sent == RG_CONSUL_META_MAX_PAIRS) {
      rc = rg_kvlist_set(&notes->skipped, kv->key, "more than 64 Meta pairs");
      continue;
    }
    if (sent++ == 0) bad |= GS(g, "Meta") | (yajl_gen_map_open(g) != yajl_gen_status_ok);
    bad |= GS(g, kv->key) | GS(g, kv->value);
  }
  if (sent > 0) bad |= yajl_gen_map_close(g) != yajl_gen_status_ok;
  return rc ? rc : bad ? RG_EINVAL : RG_OK;
}

/* The ID/name/tags/address/port/Meta fields shared by both APIs. */
static int gen_service_fields(yajl_gen g, const struct rg_service *s, const char *name_field,
                              struct rg_consul_notes *notes) {
  int bad = GS(g, "ID") | GS(g, s->id ? s->id : "") | GS(g, name_field) | GS(g, s->name ? s->name : "");
  bad |= GS(g, "Tags") | (yajl_gen_array_open(g) != yajl_gen_status_ok);
  for (size_t i = 0; i < s->tags.n; i++) bad |= GS(g, s->tags.items[i]);
  bad |= yajl_gen_array_close(g) != yajl_gen_status_ok;
  bad |= GS(g, "Address") | GS(g, s->ip ? s->ip : "") | GS(g, "Port");
  bad |= yajl_gen_integer(g, s->port) != yajl_gen_status_ok;
  int rc = gen_meta(g, s, notes);
  return rc ? rc : bad ? RG_EINVAL : RG_OK;
}

int rg_consul_agent_body(struct rg_buf *out, const struct rg_service *s, int ttl,
                         struct rg_consul_notes *notes) {
  yajl_gen g = rg_json_gen_new();
  if (g == NULL) return RG_ENOMEM;
  yajl_gen_map_open(g);
  int rc = gen_service_fields(g, s, "Name", notes);
  const char *eto = rg_kvlist_get(&s->attrs, TAG_OVERRIDE_KEY);
  if (rc == RG_OK && eto && rg_consul_truthy(eto) &&
      (GS(g, "EnableTagOverride") | (yajl_gen_bool(g, 1) != yajl_gen_status_ok)))
    rc = RG_EINVAL;
  if (rc == RG_OK) rc = rg_consul_gen_check(g, s, ttl, notes);
  if (rc == RG_OK && yajl_gen_map_close(g) != yajl_gen_status_ok) rc = RG_EINVAL;
  return rg_json_gen_finish(g, rc, out);
}

int rg_consul_catalog_body(struct rg_buf *out, const char *node, const struct rg_service *s,
                           struct rg_consul_notes *notes) {
  yajl_gen g = rg_json_gen_new();
  if (g == NULL) return RG_ENOMEM;
  yajl_gen_map_open(g);
  int bad = GS(g, "Node") | GS(g, node) | GS(g, "Address") | GS(g, s->ip ? s->ip : "");
  bad |= GS(g, "Service") | (yajl_gen_map_open(g) != yajl_gen_status_ok);
  int rc = gen_service_fields(g, s, "Service", notes);
  const char *eto = rg_kvlist_get(&s->attrs, TAG_OVERRIDE_KEY);
  if (rc == RG_OK && eto && rg_consul_truthy(eto))
    bad |= GS(g, "EnableTagOverride") | (yajl_gen_bool(g, 1) != yajl_gen_status_ok);
  if (rc == RG_OK) bad |= yajl_gen_map_close(g) != yajl_gen_status_ok;
  for (size_t i = 0; rc == RG_OK && i < s->checks.n; i++)
    rc = rg_kvlist_set(&notes->skipped, s->checks.items[i].key,
                       "ignored: consul-catalog has no agent to run checks");
  if (rc == RG_OK) {
    bad |= GS(g, "SkipNodeUpdate") | (yajl_gen_bool(g, 1) != yajl_gen_status_ok);
    bad |= yajl_gen_map_close(g) != yajl_gen_status_ok;
    if (bad) rc = RG_EINVAL;
  }
  return rg_json_gen_finish(g, rc, out);
}

int rg_consul_catalog_deregister_body(struct rg_buf *out, const char *node, const char *id) {
  yajl_gen g = rg_json_gen_new();
  if (g == NULL) return RG_ENOMEM;
  yajl_gen_map_open(g);
  int bad = GS(g, "Node") | GS(g, node) | GS(g, "ServiceID") | GS(g, id);
  int rc = bad || yajl_gen_map_close(g) != yajl_gen_status_ok ? RG_EINVAL : RG_OK;
  return rg_json_gen_finish(g, rc, out);
}
