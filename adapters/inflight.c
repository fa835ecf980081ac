/* inflight.c - see inflight.h. Owned by the adapters. */
#include "adapters/inflight.h"

void rg_inflight_init(struct rg_inflight *f, struct rg_inflight_item *items, size_t n, size_t cap) {
  f->items = items;
  f->n = n;
  f->cap = cap ? cap : RG_INFLIGHT_DEFAULT_CAP;
  f->running = f->finished = f->first_open = 0;
  f->stop_rc = RG_OK;
  for (size_t i = 0; i < n; i++) {
    items[i].state = RG_INFLIGHT_WAITING;
    items[i].rc = RG_OK;
    items[i].skipped = false;
    if (items[i].after >= i) items[i].after = RG_INFLIGHT_NONE; /* only earlier ones */
  }
}

static void finish(struct rg_inflight *f, size_t i, int rc, bool skipped) {
  f->items[i].state = RG_INFLIGHT_FINISHED;
  f->items[i].rc = rc;
  f->items[i].skipped = skipped;
  f->finished++;
}

size_t rg_inflight_next(struct rg_inflight *f) {
  while (f->first_open < f->n && f->items[f->first_open].state != RG_INFLIGHT_WAITING) f->first_open++;
  if (f->stop_rc != RG_OK || f->running >= f->cap) return RG_INFLIGHT_NONE;
  for (size_t i = f->first_open; i < f->n; i++) {
    struct rg_inflight_item *it = &f->items[i];
    if (it->state != RG_INFLIGHT_WAITING) continue;
    if (it->after != RG_INFLIGHT_NONE) {
      const struct rg_inflight_item *dep = &f->items[it->after];
      if (dep->state != RG_INFLIGHT_FINISHED) continue; /* its turn comes after dep's */
      if (dep->rc != RG_OK) {
        finish(f, i, dep->rc, true);
        continue;
      }
    }
    it->state = RG_INFLIGHT_RUNNING;
    f->running++;
    return i;
  }
  return RG_INFLIGHT_NONE;
}

void rg_inflight_done(struct rg_inflight *f, size_t i, int rc) {
  if (i >= f->n || f->items[i].state != RG_INFLIGHT_RUNNING) return;
  f->running--;
  finish(f, i, rc, false);
  if (rc != RG_OK) /* dependents that can no longer start: settled now, not on the next scan */
    for (size_t j = i + 1; j < f->n; j++)
      if (f->items[j].state == RG_INFLIGHT_WAITING && f->items[j].after != RG_INFLIGHT_NONE &&
          f->items[f->items[j].after].state == RG_INFLIGHT_FINISHED && f->items[f->items[j].after].rc != RG_OK)
        finish(f, j, f->items[f->items[j].after].rc, true);
}

void rg_inflight_requeue(struct rg_inflight *f, size_t i) {
  if (i >= f->n || f->items[i].state != RG_INFLIGHT_RUNNING) return;
  f->running--;
  if (f->stop_rc != RG_OK) { /* nothing starts any more */
    finish(f, i, f->stop_rc, true);
    return;
  }
  f->items[i].state = RG_INFLIGHT_WAITING;
  if (i < f->first_open) f->first_open = i;
}

void rg_inflight_stop(struct rg_inflight *f, int rc) {
  if (rc == RG_OK) rc = RG_ESTOPPED;
  if (f->stop_rc == RG_OK) f->stop_rc = rc;
  for (size_t i = 0; i < f->n; i++)
    if (f->items[i].state == RG_INFLIGHT_WAITING) finish(f, i, f->stop_rc, true);
}

bool rg_inflight_all_done(const struct rg_inflight *f) { return f->finished == f->n; }
