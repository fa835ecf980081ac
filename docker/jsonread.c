/* jsonread.c - see jsonread.h. */
#include "docker/jsonread.h"

#include <stdlib.h>
#include <string.h>

#include "docker/jsonprune.h"
#include "registrator/json.h"

int rg_json_read_doc(const char *json, size_t len, size_t max_body, int max_depth,
                     const char *const *keep, const char *doc, yajl_val *root, char *err) {
  *root = NULL;
  if (json == NULL) return rg_err(err, RG_EINVAL, "%s: no document", doc);
  /* the base guard first: rg_json_free recurses (registrator/json.h) */
  int rc = rg_json_check(json, len, max_body, max_depth, doc, err);
  if (rc) return rc;
  char jerr[RG_ERRBUF] = "";
  rc = rg_json_parse(json, len, keep, root, jerr);
  if (rc == RG_ENOMEM) return rg_err(err, rc, "%s: out of memory", doc);
  if (rc) return rg_err(err, RG_EPROTO, "%s: not valid JSON: %s", doc, jerr);
  return RG_OK;
}

yajl_val rg_json_member(yajl_val obj, const char *key) {
  if (!YAJL_IS_OBJECT(obj)) return NULL;
  for (size_t i = 0; i < obj->u.object.len; i++) {
    if (strcmp(obj->u.object.keys[i], key) == 0) {
      yajl_val v = obj->u.object.values[i];
      return YAJL_IS_NULL(v) ? NULL : v;
    }
  }
  return NULL;
}

int rg_json_read_env(yajl_val v, const char *doc, const char *path, size_t max_items,
                     size_t max_entry, struct rg_kvlist *env, char *err) {
  if (v == NULL) return RG_OK;
  if (!YAJL_IS_ARRAY(v)) return rg_err(err, RG_EPROTO, "%s: %s is not an array", doc, path);
  if (v->u.array.len > max_items)
    return rg_err(err, RG_ETOOBIG, "%s: %s has %zu items (limit %zu)", doc, path, v->u.array.len,
                  max_items);
  for (size_t i = 0; i < v->u.array.len; i++) {
    const char *item = YAJL_GET_STRING(v->u.array.values[i]);
    if (item == NULL) return rg_err(err, RG_EPROTO, "%s: %s[%zu] is not a string", doc, path, i);
    size_t n = strlen(item);
    if (n > max_entry)
      return rg_err(err, RG_ETOOBIG, "%s: %s[%zu] is %zu bytes (limit %zu)", doc, path, i, n,
                    max_entry);
    const char *eq = strchr(item, '=');
    char *key = rg_strndup(item, eq ? (size_t)(eq - item) : n);
    int rc = key ? rg_kvlist_add(env, key, eq ? eq + 1 : "") : RG_ENOMEM;
    free(key);
    if (rc) return rg_err(err, rc, "%s: out of memory", doc);
  }
  return RG_OK;
}

int rg_json_read_labels(yajl_val v, const char *doc, const char *path, size_t max_items,
                        size_t max_entry, struct rg_kvlist *labels, char *err) {
  if (v == NULL) return RG_OK;
  if (!YAJL_IS_OBJECT(v)) return rg_err(err, RG_EPROTO, "%s: %s is not an object", doc, path);
  if (v->u.object.len > max_items)
    return rg_err(err, RG_ETOOBIG, "%s: %s has %zu keys (limit %zu)", doc, path, v->u.object.len,
                  max_items);
  for (size_t i = 0; i < v->u.object.len; i++) {
    const char *key = v->u.object.keys[i];
    const char *value = YAJL_GET_STRING(v->u.object.values[i]);
    if (value == NULL)
      return rg_err(err, RG_EPROTO, "%s: %s[\"%.64s\"] is not a string", doc, path, key);
    size_t n = strlen(key) + strlen(value);
    if (n > max_entry)
      return rg_err(err, RG_ETOOBIG, "%s: %s[\"%.64s\"] is %zu bytes (limit %zu)", doc, path, key,
                    n, max_entry);
    if (rg_kvlist_add(labels, key, value)) return rg_err(err, RG_ENOMEM, "%s: out of memory", doc);
  }
  return RG_OK;
}
