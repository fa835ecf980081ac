/*
 * swarm.c - see swarm.h. GET /services and GET /info documents pass the
 * border guard of jsonread.h (size, NUL, depth) and are built pruned to the
 * members read below (docker/jsonprune.h): a service is ~4 KB, most of it
 * PreviousSpec, UpdateStatus and the task template we skip.
 */
#include "docker/swarm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker/container.h"
#include "docker/internal.h"
#include "docker/jsonprune.h"
#include "docker/jsonread.h"

#define DOC "services"

/* Every member parse_service() reads (of each item of the array). */
static const char *const services_keep[] = {
    "ID",
    "Spec/Name",
    "Spec/Labels",
    "Spec/TaskTemplate/ContainerSpec/Labels",
    "Spec/TaskTemplate/ContainerSpec/Env",
    "Endpoint/Ports/Protocol",
    "Endpoint/Ports/TargetPort",
    "Endpoint/Ports/PublishedPort",
    "Endpoint/Ports/PublishMode",
    NULL,
};

static const char *const info_keep[] = {"Swarm/LocalNodeState", "Swarm/ControlAvailable", NULL};

int rg_docker_swarm_role_of_status(const char *status, enum rg_docker_swarm_role *role) {
  static const char *const off[] = {"inactive", "pending", "error", "locked"};
  if (status == NULL) return RG_EINVAL;
  if (strcmp(status, "active/manager") == 0) *role = RG_DOCKER_SWARM_MANAGER;
  else if (strcmp(status, "active/worker") == 0) *role = RG_DOCKER_SWARM_WORKER;
  else {
    size_t i = 0;
    while (i < RG_ARRAY_LEN(off) && strcmp(status, off[i]) != 0) i++;
    if (i == RG_ARRAY_LEN(off)) return RG_EINVAL;
    *role = RG_DOCKER_SWARM_OFF;
  }
  return RG_OK;
}

int rg_docker_swarm_info_parse(const char *json, size_t len, enum rg_docker_swarm_role *role,
                               char *err) {
  yajl_val root = NULL;
  *role = RG_DOCKER_SWARM_OFF;
  int rc = rg_json_read_doc(json, len, RG_DOCKER_SWARM_MAX_INFO, RG_DOCKER_SWARM_MAX_DEPTH,
                            info_keep, "info", &root, err);
  if (rc) return rc;
  yajl_val swarm = rg_json_member(root, "Swarm");
  yajl_val state = rg_json_member(swarm, "LocalNodeState");
  yajl_val control = rg_json_member(swarm, "ControlAvailable");
  if (!YAJL_IS_OBJECT(root))
    rc = rg_err(err, RG_EPROTO, "info: document is not a JSON object");
  else if (swarm != NULL && !YAJL_IS_OBJECT(swarm))
    rc = rg_err(err, RG_EPROTO, "info: Swarm is not an object");
  else if (state != NULL && !YAJL_IS_STRING(state))
    rc = rg_err(err, RG_EPROTO, "info: Swarm.LocalNodeState is not a string");
  else if (control != NULL && !YAJL_IS_TRUE(control) && !YAJL_IS_FALSE(control))
    rc = rg_err(err, RG_EPROTO, "info: Swarm.ControlAvailable is not a boolean");
  else if (state != NULL && strcmp(state->u.string, "active") == 0)
    *role = YAJL_IS_TRUE(control) ? RG_DOCKER_SWARM_MANAGER : RG_DOCKER_SWARM_WORKER;
  rg_json_free(root);
  return rc;
}

/* ---- GET /services ---- */

static void service_clear(struct rg_docker_swarm_service *s) {
  free(s->id);
  free(s->name);
  rg_kvlist_free(&s->labels);
  rg_kvlist_free(&s->container_labels);
  rg_kvlist_free(&s->env);
  for (size_t i = 0; i < s->nports; i++) free(s->ports[i].proto);
  free(s->ports);
  memset(s, 0, sizeof *s);
}

void rg_docker_swarm_services_free(struct rg_docker_swarm_services *l) {
  for (size_t i = 0; i < l->n; i++) service_clear(&l->items[i]);
  free(l->items);
  memset(l, 0, sizeof *l);
}

/* *dst = a copy of the non-empty string member key of obj. */
static int required_string(yajl_val obj, const char *key, size_t i, const char *path, char **dst,
                           char *err) {
  yajl_val v = rg_json_member(obj, key);
  if (v == NULL) return rg_err(err, RG_EPROTO, DOC ": [%zu].%s is missing", i, path);
  if (!YAJL_IS_STRING(v) || YAJL_GET_STRING(v)[0] == '\0')
    return rg_err(err, RG_EPROTO, DOC ": [%zu].%s is not a non-empty string", i, path);
  *dst = rg_strdup(YAJL_GET_STRING(v));
  return *dst ? RG_OK : rg_err(err, RG_ENOMEM, DOC ": out of memory");
}

/* An integer member in [min, max]; absent or null reads as def. */
static int int_member(yajl_val obj, const char *key, long min, long max, long def, long *out) {
  yajl_val v = rg_json_member(obj, key);
  *out = def;
  if (v == NULL) return def >= min ? RG_OK : RG_EPROTO;
  if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < min || YAJL_GET_INTEGER(v) > max)
    return RG_EPROTO;
  *out = (long)YAJL_GET_INTEGER(v);
  return RG_OK;
}

static int parse_port(yajl_val v, size_t i, size_t k, struct rg_docker_swarm_port *p, char *err) {
  if (!YAJL_IS_OBJECT(v))
    return rg_err(err, RG_EPROTO, DOC ": [%zu].Endpoint.Ports[%zu] is not an object", i, k);
  yajl_val proto = rg_json_member(v, "Protocol"), mode = rg_json_member(v, "PublishMode");
  const char *ps = proto && YAJL_IS_STRING(proto) ? YAJL_GET_STRING(proto) : "tcp";
  size_t n = strlen(ps);
  bool ok = (proto == NULL || YAJL_IS_STRING(proto)) && n >= 1 && n <= 16;
  for (size_t j = 0; ok && j < n; j++) ok = ps[j] >= 'a' && ps[j] <= 'z';
  if (!ok) return rg_err(err, RG_EPROTO, DOC ": [%zu].Endpoint.Ports[%zu].Protocol is not a protocol", i, k);
  if (mode != NULL && !YAJL_IS_STRING(mode))
    return rg_err(err, RG_EPROTO, DOC ": [%zu].Endpoint.Ports[%zu].PublishMode is not a string", i, k);
  long target, published;
  if (int_member(v, "TargetPort", 1, 65535, 0, &target))
    return rg_err(err, RG_EPROTO, DOC ": [%zu].Endpoint.Ports[%zu].TargetPort is not a port", i, k);
  if (int_member(v, "PublishedPort", 0, 65535, 0, &published))
    return rg_err(err, RG_EPROTO, DOC ": [%zu].Endpoint.Ports[%zu].PublishedPort is not a port", i, k);
  p->target = (int)target;
  p->published = (int)published;
  p->ingress = mode == NULL || strcmp(mode->u.string, "host") != 0;
  p->proto = rg_strdup(ps);
  return p->proto ? RG_OK : rg_err(err, RG_ENOMEM, DOC ": out of memory");
}

static int parse_ports(yajl_val endpoint, size_t i, struct rg_docker_swarm_service *s, char *err) {
  if (endpoint != NULL && !YAJL_IS_OBJECT(endpoint))
    return rg_err(err, RG_EPROTO, DOC ": [%zu].Endpoint is not an object", i);
  yajl_val ports = rg_json_member(endpoint, "Ports");
  if (ports == NULL) return RG_OK;
  if (!YAJL_IS_ARRAY(ports))
    return rg_err(err, RG_EPROTO, DOC ": [%zu].Endpoint.Ports is not an array", i);
  if (ports->u.array.len > RG_DOCKER_SWARM_MAX_PORTS)
    return rg_err(err, RG_ETOOBIG, DOC ": [%zu].Endpoint.Ports has %zu items (limit %d)", i,
                  ports->u.array.len, RG_DOCKER_SWARM_MAX_PORTS);
  if (ports->u.array.len == 0) return RG_OK;
  s->ports = calloc(ports->u.array.len, sizeof *s->ports);
  if (s->ports == NULL) return rg_err(err, RG_ENOMEM, DOC ": out of memory");
  for (size_t k = 0; k < ports->u.array.len; k++) {
    int rc = parse_port(ports->u.array.values[k], i, k, &s->ports[s->nports], err);
    if (rc) return rc;
    s->nports++;
  }
  return RG_OK;
}

static int parse_service(yajl_val v, size_t i, struct rg_docker_swarm_service *s, char *err) {
  char path[96];
  if (!YAJL_IS_OBJECT(v)) return rg_err(err, RG_EPROTO, DOC ": [%zu] is not an object", i);
  yajl_val spec = rg_json_member(v, "Spec");
  if (spec != NULL && !YAJL_IS_OBJECT(spec))
    return rg_err(err, RG_EPROTO, DOC ": [%zu].Spec is not an object", i);
  yajl_val ctr = rg_json_member(rg_json_member(rg_json_member(spec, "TaskTemplate"), "ContainerSpec"), "Labels");
  yajl_val env = rg_json_member(rg_json_member(rg_json_member(spec, "TaskTemplate"), "ContainerSpec"), "Env");
  int rc = required_string(v, "ID", i, "ID", &s->id, err);
  if (rc == RG_OK) rc = required_string(spec, "Name", i, "Spec.Name", &s->name, err);
  snprintf(path, sizeof path, "[%zu].Spec.Labels", i);
  if (rc == RG_OK)
    rc = rg_json_read_labels(rg_json_member(spec, "Labels"), DOC, path, RG_CONTAINER_MAX_ENTRIES,
                             RG_CONTAINER_MAX_ENTRY, &s->labels, err);
  snprintf(path, sizeof path, "[%zu].Spec.TaskTemplate.ContainerSpec.Labels", i);
  if (rc == RG_OK)
    rc = rg_json_read_labels(ctr, DOC, path, RG_CONTAINER_MAX_ENTRIES, RG_CONTAINER_MAX_ENTRY,
                             &s->container_labels, err);
  snprintf(path, sizeof path, "[%zu].Spec.TaskTemplate.ContainerSpec.Env", i);
  if (rc == RG_OK)
    rc = rg_json_read_env(env, DOC, path, RG_CONTAINER_MAX_ENTRIES, RG_CONTAINER_MAX_ENTRY,
                          &s->env, err);
  if (rc == RG_OK) rc = parse_ports(rg_json_member(v, "Endpoint"), i, s, err);
  return rc;
}

int rg_docker_swarm_services_parse(const char *json, size_t len,
                                   struct rg_docker_swarm_services *out, char *err) {
  yajl_val root = NULL;
  int rc = rg_json_read_doc(json, len, RG_DOCKER_SWARM_MAX_BODY, RG_DOCKER_SWARM_MAX_DEPTH,
                            services_keep, DOC, &root, err);
  if (rc) return rc;
  if (!YAJL_IS_ARRAY(root)) rc = rg_err(err, RG_EPROTO, DOC ": document is not a JSON array");
  else if (root->u.array.len > RG_DOCKER_SWARM_MAX_SERVICES)
    rc = rg_err(err, RG_ETOOBIG, DOC ": %zu services (limit %d)", root->u.array.len,
                RG_DOCKER_SWARM_MAX_SERVICES);
  else if (root->u.array.len > 0 &&
           (out->items = calloc(root->u.array.len, sizeof *out->items)) == NULL)
    rc = rg_err(err, RG_ENOMEM, DOC ": out of memory");
  for (size_t i = 0; rc == RG_OK && i < root->u.array.len; i++) {
    rc = parse_service(root->u.array.values[i], i, &out->items[i], err);
    out->n++; /* also the half-built one, for the free */
  }
  rg_json_free(root);
  if (rc) rg_docker_swarm_services_free(out);
  return rc;
}

static int copy_kvlist(struct rg_kvlist *dst, const struct rg_kvlist *src) {
  for (size_t i = 0; i < src->n; i++)
    if (rg_kvlist_add(dst, src->items[i].key, src->items[i].value)) return RG_ENOMEM;
  return RG_OK;
}

int rg_docker_swarm_services_copy(struct rg_docker_swarm_services *dst,
                                  const struct rg_docker_swarm_services *src) {
  if (src->n && (dst->items = calloc(src->n, sizeof *dst->items)) == NULL) return RG_ENOMEM;
  int rc = RG_OK;
  for (size_t i = 0; rc == RG_OK && i < src->n; i++) {
    const struct rg_docker_swarm_service *s = &src->items[i];
    struct rg_docker_swarm_service *d = &dst->items[dst->n++];
    d->id = rg_strdup(s->id);
    d->name = rg_strdup(s->name);
    rc = d->id && d->name ? RG_OK : RG_ENOMEM;
    if (rc == RG_OK) rc = copy_kvlist(&d->labels, &s->labels);
    if (rc == RG_OK) rc = copy_kvlist(&d->container_labels, &s->container_labels);
    if (rc == RG_OK) rc = copy_kvlist(&d->env, &s->env);
    if (rc == RG_OK && s->nports && (d->ports = calloc(s->nports, sizeof *d->ports)) == NULL)
      rc = RG_ENOMEM;
    for (size_t k = 0; rc == RG_OK && k < s->nports; k++) {
      d->ports[k] = s->ports[k];
      d->ports[k].proto = rg_strdup(s->ports[k].proto);
      d->nports++;
      if (d->ports[k].proto == NULL) rc = RG_ENOMEM;
    }
  }
  if (rc) rg_docker_swarm_services_free(dst);
  return rc;
}

/* ---- requests ---- */

int rg_docker_swarm_role(struct rg_docker *d, enum rg_docker_swarm_role *role, char *err) {
  *role = RG_DOCKER_SWARM_OFF;
  int rc = rg_docker_ping(d, err);
  if (rc) return rc;
  if (rg_docker_swarm_role_of_status(rg_docker_swarm_status(d), role) == RG_OK) return RG_OK;
  struct rg_buf body = {0};
  long status = 0;
  rc = rg_docker_get(d, "/info", RG_DOCKER_SWARM_MAX_INFO, "info", &body, &status, err);
  char perr[RG_ERRBUF] = "";
  if (rc == RG_OK && (rc = rg_docker_swarm_info_parse(body.data, body.len, role, perr)) != RG_OK)
    rg_err(err, rc, "Docker at %s: %s", rg_docker_endpoint(d), perr);
  rg_buf_free(&body);
  return rc;
}

int rg_docker_swarm_services(struct rg_docker *d, struct rg_docker_swarm_services *out,
                             char *err) {
  struct rg_buf body = {0};
  long status = 0;
  int rc = rg_docker_get(d, "/services", RG_DOCKER_SWARM_MAX_BODY, "list services", &body, &status,
                         err);
  if (rc != RG_OK && status == 503) rc = RG_EUNSUPPORTED; /* not a manager */
  char perr[RG_ERRBUF] = "";
  if (rc == RG_OK && (rc = rg_docker_swarm_services_parse(body.data, body.len, out, perr)) != RG_OK)
    rg_err(err, rc, "Docker at %s: %s", rg_docker_endpoint(d), perr);
  rg_buf_free(&body);
  return rc;
}
