/* service.c - service lists and their JSON form. */
#include "registrator/service.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

int rg_service_list_push(struct rg_service_list *l, struct rg_service **out) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    struct rg_service *p = realloc(l->items, cap * sizeof *p);
    if (p == NULL) return RG_ENOMEM;
    l->items = p;
    l->cap = cap;
  }
  memset(&l->items[l->n], 0, sizeof l->items[l->n]);
  *out = &l->items[l->n++];
  return RG_OK;
}

int rg_service_list_move(struct rg_service_list *dst, struct rg_service_list *src) {
  for (size_t i = 0; i < src->n; i++) {
    struct rg_service *s;
    int rc = rg_service_list_push(dst, &s);
    if (rc) {
      /* what was moved already belongs to dst; drop the rest cleanly */
      memmove(src->items, src->items + i, (src->n - i) * sizeof *src->items);
      src->n -= i;
      return rc;
    }
    *s = src->items[i];
  }
  free(src->items);
  src->items = NULL;
  src->n = src->cap = 0;
  return RG_OK;
}

static int cmp_str(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

static int cmp_service(const void *pa, const void *pb) {
  const struct rg_service *a = pa, *b = pb;
  int c = cmp_str(a->id, b->id);
  if (c == 0) c = cmp_str(a->ip, b->ip);
  if (c == 0) c = (a->port > b->port) - (a->port < b->port);
  return c;
}

void rg_service_list_sort(struct rg_service_list *l) {
  if (l->n > 1) qsort(l->items, l->n, sizeof *l->items, cmp_service);
}

void rg_service_clear(struct rg_service *s) {
  free(s->id);
  free(s->name);
  free(s->ip);
  free(s->proto);
  rg_strlist_free(&s->tags);
  rg_kvlist_free(&s->attrs);
  rg_kvlist_free(&s->checks);
  free(s->container_id);
  free(s->container_name);
  free(s->exposed_port);
  memset(s, 0, sizeof *s);
}

void rg_service_list_free(struct rg_service_list *l) {
  for (size_t i = 0; i < l->n; i++) rg_service_clear(&l->items[i]);
  free(l->items);
  l->items = NULL;
  l->n = l->cap = 0;
}

static int copy_str(char **dst, const char *src) {
  if (src == NULL) return RG_OK;
  *dst = rg_strdup(src);
  return *dst ? RG_OK : RG_ENOMEM;
}

static int copy_kv(struct rg_kvlist *dst, const struct rg_kvlist *src) {
  int rc = RG_OK;
  for (size_t i = 0; rc == RG_OK && i < src->n; i++)
    rc = rg_kvlist_add(dst, src->items[i].key, src->items[i].value);
  return rc;
}

int rg_service_copy(struct rg_service *dst, const struct rg_service *src) {
  memset(dst, 0, sizeof *dst);
  dst->port = src->port;
  int rc = copy_str(&dst->id, src->id);
  if (rc == RG_OK) rc = copy_str(&dst->name, src->name);
  if (rc == RG_OK) rc = copy_str(&dst->ip, src->ip);
  if (rc == RG_OK) rc = copy_str(&dst->proto, src->proto);
  if (rc == RG_OK) rc = copy_str(&dst->container_id, src->container_id);
  if (rc == RG_OK) rc = copy_str(&dst->container_name, src->container_name);
  if (rc == RG_OK) rc = copy_str(&dst->exposed_port, src->exposed_port);
  for (size_t i = 0; rc == RG_OK && i < src->tags.n; i++) rc = rg_strlist_add(&dst->tags, src->tags.items[i]);
  if (rc == RG_OK) rc = copy_kv(&dst->attrs, &src->attrs);
  if (rc == RG_OK) rc = copy_kv(&dst->checks, &src->checks);
  if (rc) rg_service_clear(dst);
  return rc;
}

int rg_service_list_push_copy(struct rg_service_list *l, const struct rg_service *s) {
  struct rg_service copy;
  int rc = rg_service_copy(&copy, s);
  if (rc) return rc;
  struct rg_service *slot;
  rc = rg_service_list_push(l, &slot);
  if (rc) rg_service_clear(&copy);
  else *slot = copy;
  return rc;
}

/* Index of the first item whose id is >= id. */
static size_t lower_bound(const struct rg_service_list *l, const char *id) {
  size_t lo = 0, hi = l->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cmp_str(l->items[mid].id, id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

struct rg_service *rg_service_list_find(const struct rg_service_list *l, const char *id) {
  size_t i = lower_bound(l, id);
  return i < l->n && cmp_str(l->items[i].id, id) == 0 ? &l->items[i] : NULL;
}

int rg_service_list_upsert(struct rg_service_list *l, const struct rg_service *s) {
  struct rg_service copy;
  int rc = rg_service_copy(&copy, s);
  if (rc) return rc;
  size_t i = lower_bound(l, s->id);
  if (i < l->n && cmp_str(l->items[i].id, s->id) == 0) {
    rg_service_clear(&l->items[i]);
    l->items[i] = copy;
    return RG_OK;
  }
  struct rg_service *slot;
  rc = rg_service_list_push(l, &slot); /* grows by one at the end */
  if (rc) {
    rg_service_clear(&copy);
    return rc;
  }
  memmove(&l->items[i + 1], &l->items[i], (l->n - 1 - i) * sizeof *l->items);
  l->items[i] = copy;
  return RG_OK;
}

void rg_service_list_remove(struct rg_service_list *l, const char *id) {
  size_t i = lower_bound(l, id);
  if (i >= l->n || cmp_str(l->items[i].id, id) != 0) return;
  rg_service_clear(&l->items[i]);
  memmove(&l->items[i], &l->items[i + 1], (l->n - 1 - i) * sizeof *l->items);
  l->n--;
}

static int gen_str(yajl_gen g, const char *s) {
  if (s == NULL) s = "";
  return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) == yajl_gen_status_ok ? 0 : -1;
}

static int gen_field(yajl_gen g, const char *key, const char *value) {
  return gen_str(g, key) || gen_str(g, value);
}

int rg_service_to_json(const struct rg_service *s, struct rg_buf *out) {
  yajl_gen g = yajl_gen_alloc(NULL);
  if (g == NULL) return RG_ENOMEM;
  yajl_gen_config(g, yajl_gen_validate_utf8, 1);
  int bad = yajl_gen_map_open(g) != yajl_gen_status_ok;
  bad = bad || gen_field(g, "id", s->id) || gen_field(g, "name", s->name) ||
        gen_field(g, "ip", s->ip) || gen_str(g, "port") ||
        yajl_gen_integer(g, s->port) != yajl_gen_status_ok || gen_field(g, "proto", s->proto);
  bad = bad || gen_str(g, "tags") || yajl_gen_array_open(g) != yajl_gen_status_ok;
  for (size_t i = 0; !bad && i < s->tags.n; i++) bad = gen_str(g, s->tags.items[i]);
  bad = bad || yajl_gen_array_close(g) != yajl_gen_status_ok;
  bad = bad || gen_str(g, "attrs") || yajl_gen_map_open(g) != yajl_gen_status_ok;
  for (size_t i = 0; !bad && i < s->attrs.n; i++)
    bad = gen_field(g, s->attrs.items[i].key, s->attrs.items[i].value);
  bad = bad || yajl_gen_map_close(g) != yajl_gen_status_ok;
  bad = bad || gen_field(g, "container_id", s->container_id) ||
        gen_field(g, "container_name", s->container_name) ||
        yajl_gen_map_close(g) != yajl_gen_status_ok;
  int rc = bad ? RG_EINVAL : RG_OK; /* invalid UTF-8 is the only way to fail here */
  if (!bad) {
    const unsigned char *buf;
    size_t len;
    yajl_gen_get_buf(g, &buf, &len);
    rc = rg_buf_append(out, buf, len);
  }
  yajl_gen_free(g);
  return rc;
}

int rg_service_list_to_jsonl(const struct rg_service_list *l, struct rg_buf *out) {
  int rc = RG_OK;
  for (size_t i = 0; rc == RG_OK && i < l->n; i++) {
    rc = rg_service_to_json(&l->items[i], out);
    if (rc == RG_OK) rc = rg_buf_append(out, "\n", 1);
  }
  return rc;
}
