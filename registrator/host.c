/* host.c - see host.h. */
#include "registrator/host.h"

#include <stdlib.h>
#include <string.h>

void rg_host_init(struct rg_host *h, enum rg_deregister_mode mode, const struct rg_log *log) {
  memset(h, 0, sizeof *h);
  h->deregister = mode;
  h->log = log;
  h->full = true;
}

static void prediction_clear(struct rg_host_prediction *p) {
  free(p->id);
  rg_service_list_free(&p->services);
  p->id = NULL;
}

void rg_host_free(struct rg_host *h) {
  rg_service_list_free(&h->desired);
  rg_strlist_free(&h->known);
  rg_strlist_free(&h->recheck);
  for (size_t i = 0; i < RG_HOST_PREDICTIONS; i++) prediction_clear(&h->predictions[i]);
}

static int cmp_id(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The slot of id in the sorted list, or where it would go. */
static size_t slot(const struct rg_strlist *l, const char *id, bool *found) {
  size_t lo = 0, hi = l->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(l->items[mid], id);
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

static void known_forget(struct rg_host *h, const char *id) {
  bool found;
  size_t i = slot(&h->known, id, &found);
  if (!found) return;
  free(h->known.items[i]);
  memmove(&h->known.items[i], &h->known.items[i + 1], (h->known.n - i - 1) * sizeof(char *));
  h->known.n--;
}

static void known_add(struct rg_host *h, const char *id) {
  bool found;
  size_t i = slot(&h->known, id, &found);
  if (found || rg_strlist_add(&h->known, id) != RG_OK) return; /* unknown: the next resync reads it */
  char *last = h->known.items[h->known.n - 1];
  memmove(&h->known.items[i + 1], &h->known.items[i], (h->known.n - 1 - i) * sizeof(char *));
  h->known.items[i] = last;
}

/* Takes the container's services out of desired; whether there were any. */
static bool drop_services(struct rg_host *h, const char *id) {
  size_t w = 0, n = h->desired.n;
  for (size_t i = 0; i < n; i++) {
    struct rg_service *s = &h->desired.items[i];
    if (s->container_id && strcmp(s->container_id, id) == 0) rg_service_clear(s);
    else h->desired.items[w++] = *s;
  }
  h->desired.n = w;
  if (w != n) h->gen++;
  return w != n;
}

static struct rg_host_prediction *prediction_find(struct rg_host *h, const char *id) {
  for (size_t i = 0; i < RG_HOST_PREDICTIONS; i++)
    if (h->predictions[i].id && strcmp(h->predictions[i].id, id) == 0) return &h->predictions[i];
  return NULL;
}

void rg_host_drop(struct rg_host *h, const char *id) {
  drop_services(h, id);
  known_forget(h, id);
  struct rg_host_prediction *p = prediction_find(h, id);
  if (p) prediction_clear(p);
}

/* Puts list (borrowed) in desired for container id, in place of its
 * earlier services. */
static int put_services(struct rg_host *h, const char *id, const struct rg_service_list *l) {
  drop_services(h, id);
  int rc = RG_OK;
  for (size_t i = 0; rc == RG_OK && i < l->n; i++) {
    if (rg_service_list_find(&h->desired, l->items[i].id) != NULL)
      rg_log(h->log, RG_LOG_WARN, "service ID %s is used by two containers; the later one wins", l->items[i].id);
    rc = rg_service_list_upsert(&h->desired, &l->items[i]);
  }
  h->gen++;
  return rc;
}

int rg_host_take(struct rg_host *h, const char *id, int rc, struct rg_service_list *found, const char *err) {
  if (rc == RG_ENOTFOUND) { /* gone meanwhile: nothing to register */
    rg_service_list_free(found);
    rg_host_drop(h, id);
    return RG_OK;
  }
  if (rc) {
    rg_log_ctx(h->log, RG_LOG_WARN, &(struct rg_log_fields){.container = id},
               "cannot inspect container %.12s: %s (resync will retry)", id,
           err && err[0] ? err : rg_strerror(rc));
    rg_service_list_free(found);
    known_forget(h, id);
    return rc;
  }
  rc = put_services(h, id, found);
  rg_service_list_free(found);
  if (rc == RG_OK) known_add(h, id);
  else known_forget(h, id);
  return rc;
}

void rg_host_predict(struct rg_host *h, const char *id, struct rg_service_list *services) {
  struct rg_host_prediction *p = prediction_find(h, id);
  if (p == NULL) {
    p = &h->predictions[h->next_prediction];
    h->next_prediction = (h->next_prediction + 1) % RG_HOST_PREDICTIONS; /* the oldest is overwritten */
  }
  prediction_clear(p);
  if ((p->id = rg_strdup(id)) == NULL) {
    rg_service_list_free(services);
    return;
  }
  p->services = *services;
  *services = (struct rg_service_list){0};
}

/* Whether a die with this exit code deregisters (registrator's rule). */
static bool should_deregister(const struct rg_host *h, int exit_code) {
  if (h->deregister == RG_DEREGISTER_ALWAYS) return true;
  return exit_code <= 0 || (exit_code & 0x80) != 0; /* success, unknown, or killed by a signal */
}

unsigned rg_host_event(struct rg_host *h, const char *a, const char *id, int exit_code) {
  rg_log_ctx(h->log, RG_LOG_DEBUG, &(struct rg_log_fields){.container = id}, "event %s %.12s", a, id);
  if (strcmp(a, "create") == 0) return RG_HOST_PREDICT;
  if (strcmp(a, "start") == 0) {
    struct rg_host_prediction *p = prediction_find(h, id);
    if (p != NULL) {
      rg_log_ctx(h->log, RG_LOG_DEBUG, &(struct rg_log_fields){.container = id},
                 "container %.12s started: writing its create-time prediction", id);
      put_services(h, id, &p->services);
      prediction_clear(p);
    }
    return RG_HOST_READ; /* the read corrects whatever the prediction got wrong */
  }
  if (strcmp(a, "health_status") == 0 && h->recheck.n < RG_HOST_PREDICTIONS)
    rg_strlist_add(&h->recheck, id); /* Podman's, without the status (README "Engines") */
  if (strcmp(a, "unpause") == 0 || strcmp(a, "rename") == 0 || strncmp(a, "health_status", 13) == 0)
    return RG_HOST_READ;
  if (strcmp(a, "die") == 0) {
    if (should_deregister(h, exit_code)) {
      drop_services(h, id);
      known_forget(h, id);
    } else {
      rg_log_ctx(h->log, RG_LOG_INFO, &(struct rg_log_fields){.container = id},
                 "container %.12s exited %d; kept (-deregister on-success)", id, exit_code);
    }
  } else if (strcmp(a, "destroy") == 0 || strcmp(a, "pause") == 0) {
    rg_host_drop(h, id); /* a paused container answers nothing: take it out */
  }
  return 0;
}

int rg_host_resync(struct rg_host *h, const struct rg_strlist *running, struct rg_strlist *unread) {
  for (size_t i = 0; i < h->recheck.n; i++) known_forget(h, h->recheck.items[i]);
  rg_strlist_free(&h->recheck);
  if (h->full) {
    rg_strlist_free(&h->known);
    if (h->desired.n) h->gen++;
    rg_service_list_free(&h->desired);
    h->full = false;
  }
  for (size_t i = h->known.n; i-- > 0;) { /* gone since the last resync */
    const char *id = h->known.items[i];
    if (running->n && bsearch(&id, running->items, running->n, sizeof(char *), cmp_id)) continue;
    char *copy = rg_strdup(id);
    if (copy == NULL) return RG_ENOMEM;
    rg_host_drop(h, copy);
    free(copy);
  }
  for (size_t i = 0; i < running->n; i++) {
    bool found;
    slot(&h->known, running->items[i], &found);
    if (!found && rg_strlist_add(unread, running->items[i]) != RG_OK) return RG_ENOMEM;
  }
  return RG_OK;
}
