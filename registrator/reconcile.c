/* reconcile.c - see reconcile.h. */
#include "registrator/reconcile.h"

#include <stdlib.h>
#include <string.h>

static bool str_eq(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }

static bool kv_eq(const struct rg_kvlist *a, const struct rg_kvlist *b) {
  if (a->n != b->n) return false;
  for (size_t i = 0; i < a->n; i++)
    if (!str_eq(a->items[i].key, b->items[i].key) || !str_eq(a->items[i].value, b->items[i].value))
      return false;
  return true;
}

bool rg_service_equal(const struct rg_service *a, const struct rg_service *b) {
  if (!str_eq(a->id, b->id) || !str_eq(a->name, b->name) || !str_eq(a->ip, b->ip) ||
      a->port != b->port || !str_eq(a->proto, b->proto) || a->tags.n != b->tags.n)
    return false;
  for (size_t i = 0; i < a->tags.n; i++)
    if (!str_eq(a->tags.items[i], b->tags.items[i])) return false;
  return kv_eq(&a->attrs, &b->attrs) && kv_eq(&a->checks, &b->checks);
}

static int push(struct rg_op_list *ops, enum rg_op_kind kind, const struct rg_service *s) {
  if (ops->n == ops->cap) {
    size_t cap = ops->cap ? ops->cap * 2 : 16;
    struct rg_op *p = realloc(ops->items, cap * sizeof *p);
    if (p == NULL) return RG_ENOMEM;
    ops->items = p;
    ops->cap = cap;
  }
  ops->items[ops->n].kind = kind;
  ops->items[ops->n].service = s;
  ops->n++;
  return RG_OK;
}

static int cmp_id(const struct rg_service *a, const struct rg_service *b) {
  return strcmp(a->id ? a->id : "", b->id ? b->id : "");
}

int rg_reconcile(const struct rg_service_list *desired, const struct rg_service_list *registered,
                 struct rg_op_list *ops) {
  int rc = RG_OK;
  /* pass 1: deregisters (merge walk over both sorted lists) */
  for (size_t i = 0, j = 0; rc == RG_OK && j < registered->n;) {
    int c = i < desired->n ? cmp_id(&desired->items[i], &registered->items[j]) : 1;
    if (c < 0) {
      i++;
    } else if (c == 0) {
      /* a new name is a new key in key/value registries: free the old one */
      if (!str_eq(desired->items[i].name, registered->items[j].name))
        rc = push(ops, RG_OP_DEREGISTER, &registered->items[j]);
      i++;
      j++;
    } else {
      rc = push(ops, RG_OP_DEREGISTER, &registered->items[j++]);
    }
  }
  /* pass 2: registers of new or changed services */
  for (size_t i = 0, j = 0; rc == RG_OK && i < desired->n;) {
    int c = j < registered->n ? cmp_id(&desired->items[i], &registered->items[j]) : -1;
    if (c > 0) {
      j++;
    } else if (c == 0) {
      if (!rg_service_equal(&desired->items[i], &registered->items[j]))
        rc = push(ops, RG_OP_REGISTER, &desired->items[i]);
      i++;
      j++;
    } else {
      rc = push(ops, RG_OP_REGISTER, &desired->items[i++]);
    }
  }
  return rc;
}

void rg_op_list_free(struct rg_op_list *ops) {
  free(ops->items);
  ops->items = NULL;
  ops->n = ops->cap = 0;
}
