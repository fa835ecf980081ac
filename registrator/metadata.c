/* metadata.c - SERVICE_* keys, tag lists and image names; see metadata.h. */
#include "registrator/metadata.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PREFIX "SERVICE_"
#define PREFIX_LEN (sizeof PREFIX - 1)

/* Sorts one key/value item into global or (when it names port) per_port. */
static int meta_item(const char *key, const char *value, const char *port, struct rg_kvlist *global,
                     struct rg_kvlist *per_port) {
  if (strncmp(key, PREFIX, PREFIX_LEN) != 0 || value == NULL || value[0] == '\0') return RG_OK;
  char *rest = rg_strdup(key + PREFIX_LEN);
  if (rest == NULL) return RG_ENOMEM;
  for (char *p = rest; *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  size_t digits = strspn(rest, "0123456789");
  int rc = RG_OK;
  if (digits > 0 && rest[digits] == '_') {
    const char *sub = rest + digits + 1;
    if (*sub && port && strlen(port) == digits && memcmp(rest, port, digits) == 0)
      rc = rg_kvlist_set(per_port, sub, value);
  } else if (rest[0] != '\0') {
    rc = rg_kvlist_set(global, rest, value);
  }
  free(rest);
  return rc;
}

int rg_meta_collect(const struct rg_container *c, const char *port, struct rg_meta *out) {
  struct rg_kvlist global = {0}, per_port = {0};
  const struct rg_kvlist *sources[] = {&c->env, &c->labels}; /* later wins */
  int rc = RG_OK;
  memset(out, 0, sizeof *out);
  for (size_t s = 0; rc == RG_OK && s < RG_ARRAY_LEN(sources); s++)
    for (size_t i = 0; rc == RG_OK && i < sources[s]->n; i++)
      rc =
          meta_item(sources[s]->items[i].key, sources[s]->items[i].value, port, &global, &per_port);
  out->kv = global;
  global = (struct rg_kvlist){0};
  for (size_t i = 0; rc == RG_OK && i < per_port.n; i++) {
    rc = rg_kvlist_set(&out->kv, per_port.items[i].key, per_port.items[i].value);
    if (rc == RG_OK) rc = rg_strlist_add(&out->from_port, per_port.items[i].key);
  }
  rg_kvlist_free(&global);
  rg_kvlist_free(&per_port);
  if (rc) rg_meta_free(out);
  return rc;
}

const char *rg_meta_get(const struct rg_meta *m, const char *key) {
  return rg_kvlist_get(&m->kv, key);
}

bool rg_meta_from_port(const struct rg_meta *m, const char *key) {
  return rg_strlist_contains(&m->from_port, key);
}

void rg_meta_free(struct rg_meta *m) {
  rg_kvlist_free(&m->kv);
  rg_strlist_free(&m->from_port);
}

static int add_tag(struct rg_strlist *tags, char *tag, size_t len) {
  while (len > 0 && (tag[len - 1] == ' ' || tag[len - 1] == '\t')) len--;
  tag[len] = '\0';
  size_t lead = strspn(tag, " \t");
  if (tag[lead] == '\0' || rg_strlist_contains(tags, tag + lead)) return RG_OK;
  return rg_strlist_add(tags, tag + lead);
}

int rg_tags_append(struct rg_strlist *tags, const char *list) {
  if (list == NULL) return RG_OK;
  char *tag = malloc(strlen(list) + 1);
  if (tag == NULL) return RG_ENOMEM;
  size_t len = 0;
  int rc = RG_OK;
  for (const char *p = list; rc == RG_OK; p++) {
    if (p[0] == '\\' && p[1] == ',') {
      tag[len++] = ',';
      p++;
    } else if (p[0] == ',' || p[0] == '\0') {
      rc = add_tag(tags, tag, len);
      len = 0;
      if (p[0] == '\0') break;
    } else {
      tag[len++] = p[0];
    }
  }
  free(tag);
  return rc;
}

char *rg_image_base_name(const char *image) {
  if (image == NULL) image = "";
  size_t end = strcspn(image, "@"); /* drop a digest */
  while (end > 0 && image[end - 1] == '/') end--;
  size_t start = end;
  while (start > 0 && image[start - 1] != '/') start--; /* drop registry and path */
  size_t stop = start;
  while (stop < end && image[stop] != ':') stop++; /* drop a tag */
  return rg_strndup(image + start, stop - start);
}


