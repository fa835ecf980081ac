/*
 * swarm.c - see swarm.h. Pure: everything comes from the arguments.
 *
 * Decisions where the issue is silent (README "Swarm mode"):
 *  - A routing-mesh entry is keyed by the target port, as a container's
 *    port is, so SERVICE_<target>_NAME and friends apply to it; a target
 *    port published twice registers its first published port (logged).
 *  - Only SERVICE_* service labels are copied into a task's env: nothing
 *    else of the env is read by the model.
 */
#include "registrator/swarm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registrator/model.h"
#include "registrator/reconcile.h"

void rg_swarm_free(struct rg_swarm *sw) {
  if (sw == NULL) return;
  rg_docker_swarm_services_free(&sw->services);
  memset(sw, 0, sizeof *sw);
}

const char *rg_swarm_task_service_name(const struct rg_container *c) {
  const char *name = rg_kvlist_get(&c->labels, RG_SWARM_LABEL_SERVICE_NAME);
  return name && name[0] ? name : NULL;
}

const struct rg_docker_swarm_service *rg_swarm_service_of(const struct rg_docker_swarm_services *l,
                                                          const struct rg_container *c) {
  const char *id = rg_kvlist_get(&c->labels, RG_SWARM_LABEL_SERVICE_ID);
  for (size_t i = 0; id && l && i < l->n; i++)
    if (strcmp(l->items[i].id, id) == 0) return &l->items[i];
  return NULL;
}

/* ---- task containers ---- */

/* Port strings are decimal without leading zeros: shorter is smaller. */
static int cmp_port(const void *pa, const void *pb) {
  const struct rg_port *a = pa, *b = pb;
  size_t la = strlen(a->port), lb = strlen(b->port);
  if (la != lb) return la < lb ? -1 : 1;
  int c = strcmp(a->port, b->port);
  return c ? c : strcmp(a->proto, b->proto);
}

static bool has_port(const struct rg_container *c, const char *port, const char *proto) {
  for (size_t i = 0; i < c->nports; i++)
    if (strcmp(c->ports[i].port, port) == 0 && strcmp(c->ports[i].proto, proto) == 0) return true;
  return false;
}

int rg_swarm_task_view(struct rg_container *c, const struct rg_docker_swarm_service *svc) {
  if (svc == NULL) return RG_OK;
  for (size_t i = 0; i < svc->labels.n; i++) {
    const struct rg_kv *kv = &svc->labels.items[i];
    if (strncmp(kv->key, "SERVICE_", 8) == 0 && rg_kvlist_add(&c->env, kv->key, kv->value))
      return RG_ENOMEM;
  }
  if (svc->nports == 0) return RG_OK;
  struct rg_port *ports = realloc(c->ports, (c->nports + svc->nports) * sizeof *ports);
  if (ports == NULL) return RG_ENOMEM;
  c->ports = ports;
  for (size_t i = 0; i < svc->nports; i++) {
    char num[8];
    snprintf(num, sizeof num, "%d", svc->ports[i].target);
    if (has_port(c, num, svc->ports[i].proto)) continue;
    struct rg_port p = {.port = rg_strdup(num), .proto = rg_strdup(svc->ports[i].proto)};
    if (p.port == NULL || p.proto == NULL) {
      free(p.port);
      free(p.proto);
      return RG_ENOMEM;
    }
    c->ports[c->nports++] = p;
  }
  qsort(c->ports, c->nports, sizeof *c->ports, cmp_port);
  return RG_OK;
}

/* ---- routing-mesh entries ---- */

static char *join(const char *a, const char *b) {
  struct rg_buf buf = {0};
  return rg_buf_printf(&buf, "%s%s", a, b) == RG_OK ? buf.data : NULL;
}

/* Adds a binding 0.0.0.0:published to the port (target, proto) of c,
 * creating the port when needed. */
static int bind_port(struct rg_container *c, const struct rg_docker_swarm_port *sp) {
  char num[8], pub[8];
  snprintf(num, sizeof num, "%d", sp->target);
  snprintf(pub, sizeof pub, "%d", sp->published);
  struct rg_port *p = NULL;
  for (size_t i = 0; i < c->nports && p == NULL; i++)
    if (strcmp(c->ports[i].port, num) == 0 && strcmp(c->ports[i].proto, sp->proto) == 0)
      p = &c->ports[i];
  if (p == NULL) {
    p = &c->ports[c->nports];
    if ((p->port = rg_strdup(num)) == NULL || (p->proto = rg_strdup(sp->proto)) == NULL)
      return RG_ENOMEM;
    c->nports++;
  }
  struct rg_port_binding *b = realloc(p->bindings, (p->nbindings + 1) * sizeof *b);
  if (b == NULL) return RG_ENOMEM;
  p->bindings = b;
  b = &p->bindings[p->nbindings];
  b->host_ip = rg_strdup("0.0.0.0");
  b->host_port = rg_strdup(pub);
  p->nbindings++;
  return b->host_ip && b->host_port ? RG_OK : RG_ENOMEM;
}

static int copy_kv(struct rg_kvlist *dst, const struct rg_kvlist *src, const char *prefix) {
  for (size_t i = 0; i < src->n; i++) {
    const struct rg_kv *kv = &src->items[i];
    if (prefix && strncmp(kv->key, prefix, strlen(prefix)) != 0) continue;
    if (rg_kvlist_add(dst, kv->key, kv->value)) return RG_ENOMEM;
  }
  return RG_OK;
}

/* The service as a running container that publishes its ingress ports;
 * NULL (RG_ENOMEM) or a container freed with rg_container_free. *n: how
 * many ports it publishes. */
static struct rg_container *as_container(const struct rg_docker_swarm_service *s, size_t *n) {
  struct rg_container *c = calloc(1, sizeof *c);
  *n = 0;
  if (c == NULL) return NULL;
  c->id = join(RG_SWARM_OWNER, s->id);
  c->name = join(RG_SWARM_OWNER, s->name);
  c->image = rg_strdup("");
  c->hostname = rg_strdup("");
  c->network_mode = rg_strdup("default");
  c->ip = rg_strdup("");
  c->running = true;
  c->ports = calloc(s->nports ? s->nports : 1, sizeof *c->ports);
  int rc = c->id && c->name && c->image && c->hostname && c->network_mode && c->ip && c->ports
               ? RG_OK
               : RG_ENOMEM;
  if (rc == RG_OK) rc = copy_kv(&c->env, &s->env, NULL);
  if (rc == RG_OK) rc = copy_kv(&c->env, &s->labels, "SERVICE_");
  if (rc == RG_OK) rc = copy_kv(&c->labels, &s->container_labels, NULL);
  if (rc == RG_OK) rc = rg_kvlist_set(&c->labels, RG_SWARM_LABEL_SERVICE_NAME, s->name);
  for (size_t i = 0; rc == RG_OK && i < s->nports; i++) {
    if (!s->ports[i].ingress || s->ports[i].published <= 0) continue;
    rc = bind_port(c, &s->ports[i]);
    (*n)++;
  }
  if (rc == RG_OK) qsort(c->ports, c->nports, sizeof *c->ports, cmp_port);
  if (rc) {
    rg_container_free(c);
    return NULL;
  }
  return c;
}

int rg_swarm_ingress_services(const struct rg_docker_swarm_services *l,
                              const struct rg_model_options *mo, const struct rg_log *log,
                              struct rg_service_list *out, char *err) {
  if (mo->internal) return RG_OK;
  for (size_t i = 0; i < l->n; i++) {
    const struct rg_docker_swarm_service *s = &l->items[i];
    size_t n = 0, first = out->n;
    struct rg_container *c = as_container(s, &n);
    if (c == NULL) return rg_err(err, RG_ENOMEM, "swarm: out of memory");
    int rc = n ? rg_model_services(c, NULL, mo, log, out, err) : RG_OK;
    rg_container_free(c);
    for (size_t k = first; rc == RG_OK && k < out->n; k++) {
      free(out->items[k].container_name);
      if ((out->items[k].container_name = rg_strdup(s->name)) == NULL)
        rc = rg_err(err, RG_ENOMEM, "swarm: out of memory");
    }
    if (rc) return rc;
  }
  return RG_OK;
}

static size_t count_service_keys(const struct rg_kvlist *l) {
  size_t n = 0;
  for (size_t i = 0; i < l->n; i++) n += strncmp(l->items[i].key, "SERVICE_", 8) == 0;
  return n;
}

/* Same SERVICE_* keys with the same values (a JSON object has unique keys). */
static bool same_service_keys(const struct rg_kvlist *a, const struct rg_kvlist *b) {
  if (count_service_keys(a) != count_service_keys(b)) return false;
  for (size_t i = 0; i < a->n; i++) {
    if (strncmp(a->items[i].key, "SERVICE_", 8) != 0) continue;
    const char *v = rg_kvlist_get(b, a->items[i].key);
    if (v == NULL || strcmp(v, a->items[i].value) != 0) return false;
  }
  return true;
}

bool rg_swarm_labels_changed(const struct rg_docker_swarm_services *old,
                             const struct rg_docker_swarm_services *fresh) {
  for (size_t i = 0; i < fresh->n; i++)
    for (size_t k = 0; k < old->n; k++)
      if (strcmp(old->items[k].id, fresh->items[i].id) == 0 &&
          !same_service_keys(&old->items[k].labels, &fresh->items[i].labels))
        return true;
  return false;
}

bool rg_swarm_is_entry(const struct rg_service *s) {
  return s->container_id && strncmp(s->container_id, RG_SWARM_OWNER, sizeof RG_SWARM_OWNER - 1) == 0;
}

/* Whether the routing-mesh entries of desired are exactly fresh. */
static bool same_entries(const struct rg_service_list *desired, const struct rg_service_list *fresh) {
  size_t n = 0;
  for (size_t i = 0; i < desired->n; i++) n += rg_swarm_is_entry(&desired->items[i]);
  if (n != fresh->n) return false;
  for (size_t i = 0; i < fresh->n; i++) {
    const struct rg_service *s = rg_service_list_find(desired, fresh->items[i].id);
    if (s == NULL || !rg_swarm_is_entry(s) || !rg_service_equal(s, &fresh->items[i])) return false;
  }
  return true;
}

int rg_swarm_replace(struct rg_service_list *desired, const struct rg_service_list *fresh,
                     bool *changed) {
  bool same = same_entries(desired, fresh);
  if (changed) *changed = !same;
  if (same) return RG_OK;
  size_t w = 0;
  for (size_t i = 0; i < desired->n; i++) {
    if (rg_swarm_is_entry(&desired->items[i])) rg_service_clear(&desired->items[i]);
    else desired->items[w++] = desired->items[i];
  }
  desired->n = w;
  for (size_t i = 0; i < fresh->n; i++)
    if (rg_service_list_upsert(desired, &fresh->items[i])) return RG_ENOMEM;
  return RG_OK;
}

bool rg_swarm_event_changes_services(const struct rg_event *ev) {
  return ev->type && strcmp(ev->type, "service") == 0;
}

const char *rg_swarm_events_filter(const struct rg_swarm *sw) {
  return sw && sw->role != RG_DOCKER_SWARM_OFF ? RG_DOCKER_EVENTS_FILTER_SWARM
                                               : RG_DOCKER_EVENTS_FILTER;
}
