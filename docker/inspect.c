/*
 * inspect.c - one `GET /containers/{id}/json` document -> struct rg_container.
 *
 * The document is hostile until proven otherwise: it is size- and
 * depth-checked before yajl sees it, every member is type-checked, and any
 * error names the member. Absent and null members read as empty (see
 * container.h for which ones are required).
 *
 * Only the members read below are built (docker/jsonprune.h): a document
 * is ~5 KB, most of it HostConfig, GraphDriver and Mounts that we skip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "docker/client.h"
#include "docker/container.h"
#include "docker/jsonprune.h"
#include "docker/jsonread.h"

/* Every member parse_root() and its helpers read; keep in step with them. */
static const char *const inspect_keep[] = {
    "Id",
    "Name",
    "State/Running",
    "State/ExitCode",
    "State/Health/Status",
    "Config/Image",
    "Config/Hostname",
    "Config/Env",
    "Config/Labels",
    "Config/ExposedPorts",
    "HostConfig/NetworkMode",
    "HostConfig/PortBindings",
    "NetworkSettings/IPAddress",
    "NetworkSettings/Ports",
    "NetworkSettings/Networks/*/IPAddress",
    "NetworkSettings/Networks/*/GlobalIPv6Address",
    NULL,
};

/* ---- small readers over the (pruned) tree ---- */

static yajl_val member(yajl_val obj, const char *key) { return rg_json_member(obj, key); }

/* *out = member key of parent when it is an object (NULL when absent/null). */
static int get_object(yajl_val parent, const char *key, const char *path, bool required,
                      yajl_val *out, char *err) {
  yajl_val v = member(parent, key);
  *out = NULL;
  if (v == NULL) return required ? rg_err(err, RG_EPROTO, "inspect: %s is missing", path) : RG_OK;
  if (!YAJL_IS_OBJECT(v)) return rg_err(err, RG_EPROTO, "inspect: %s is not an object", path);
  *out = v;
  return RG_OK;
}

/* *dst = a malloc()ed copy of the string member key, or of def when it is
 * absent/null (def NULL: the member is required). */
static int get_string(yajl_val parent, const char *key, const char *path, const char *def,
                      char **dst, char *err) {
  yajl_val v = member(parent, key);
  const char *s = def;
  if (v != NULL) {
    if (!YAJL_IS_STRING(v)) return rg_err(err, RG_EPROTO, "inspect: %s is not a string", path);
    s = YAJL_GET_STRING(v);
  } else if (def == NULL) {
    return rg_err(err, RG_EPROTO, "inspect: %s is missing", path);
  }
  *dst = rg_strdup(s);
  return *dst ? RG_OK : rg_err(err, RG_ENOMEM, "inspect: out of memory");
}

/* ---- Config.Env and Config.Labels ---- */

static int parse_env(yajl_val config, struct rg_kvlist *env, char *err) {
  return rg_json_read_env(member(config, "Env"), "inspect", "Config.Env", RG_CONTAINER_MAX_ENTRIES,
                          RG_CONTAINER_MAX_ENTRY, env, err);
}

static int parse_labels(yajl_val config, struct rg_kvlist *labels, char *err) {
  return rg_json_read_labels(member(config, "Labels"), "inspect", "Config.Labels",
                             RG_CONTAINER_MAX_ENTRIES, RG_CONTAINER_MAX_ENTRY, labels, err);
}

/* ---- ports: Config.ExposedPorts U NetworkSettings.Ports ---- */

struct port_entry {
  struct rg_port p;
  long num;
  bool published; /* from NetworkSettings.Ports (bindings meaningful) */
  size_t seq;     /* document order, for a stable sort */
};

static void port_clear(struct rg_port *p) {
  for (size_t i = 0; i < p->nbindings; i++) {
    free(p->bindings[i].host_ip);
    free(p->bindings[i].host_port);
  }
  free(p->bindings);
  free(p->port);
  free(p->proto);
  memset(p, 0, sizeof *p);
}

/* "80/tcp" -> "80", "tcp", 80. Strict: 1..65535 without sign or leading
 * zero, protocol of 1..16 lower-case letters. */
static int parse_port_key(const char *key, const char *where, struct port_entry *e, char *err) {
  const char *slash = strchr(key, '/');
  size_t nport = slash ? (size_t)(slash - key) : 0;
  bool ok = slash != NULL && nport >= 1 && nport <= 5 && key[0] >= '1' && key[0] <= '9';
  for (size_t i = 0; ok && i < nport; i++) ok = key[i] >= '0' && key[i] <= '9';
  size_t nproto = ok ? strlen(slash + 1) : 0;
  ok = ok && nproto >= 1 && nproto <= 16;
  for (size_t i = 0; ok && i < nproto; i++) ok = slash[1 + i] >= 'a' && slash[1 + i] <= 'z';
  char digits[6] = {0};
  if (ok) memcpy(digits, key, nport);
  if (!ok || rg_parse_long(digits, 1, 65535, &e->num))
    return rg_err(err, RG_EPROTO, "inspect: %s key \"%.64s\" is not <port 1..65535>/<protocol>",
                  where, key);
  e->p.port = rg_strdup(digits);
  e->p.proto = rg_strdup(slash + 1);
  if (e->p.port == NULL || e->p.proto == NULL)
    return rg_err(err, RG_ENOMEM, "inspect: out of memory");
  return RG_OK;
}

static int parse_bindings(yajl_val list, const char *where, const char *key, struct rg_port *p,
                          char *err) {
  if (list == NULL || YAJL_IS_NULL(list)) return RG_OK; /* exposed only */
  if (!YAJL_IS_ARRAY(list))
    return rg_err(err, RG_EPROTO, "inspect: %s[\"%.64s\"] is not an array", where, key);
  if (list->u.array.len == 0) return RG_OK;
  p->bindings = calloc(list->u.array.len, sizeof *p->bindings);
  if (p->bindings == NULL) return rg_err(err, RG_ENOMEM, "inspect: out of memory");
  for (size_t i = 0; i < list->u.array.len; i++) {
    yajl_val b = list->u.array.values[i];
    char path[128];
    if (!YAJL_IS_OBJECT(b))
      return rg_err(err, RG_EPROTO, "inspect: %s[\"%.64s\"][%zu] is not an object", where, key, i);
    struct rg_port_binding *pb = &p->bindings[p->nbindings++];
    snprintf(path, sizeof path, "%s[\"%.64s\"][%zu].HostIp", where, key, i);
    int rc = get_string(b, "HostIp", path, "", &pb->host_ip, err);
    snprintf(path, sizeof path, "%s[\"%.64s\"][%zu].HostPort", where, key, i);
    if (rc == RG_OK) rc = get_string(b, "HostPort", path, "", &pb->host_port, err);
    if (rc) return rc;
  }
  return RG_OK;
}

static int cmp_port_entry(const void *pa, const void *pb) {
  const struct port_entry *a = pa, *b = pb;
  if (a->num != b->num) return a->num < b->num ? -1 : 1;
  int c = strcmp(a->p.proto, b->p.proto);
  if (c) return c;
  if (a->published != b->published) return a->published ? -1 : 1; /* bindings first */
  return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Adds the keys of obj (ExposedPorts or Ports) to the entries. */
static int collect_ports(yajl_val obj, bool published, const char *where, struct port_entry *es,
                         size_t *n, char *err) {
  for (size_t i = 0; obj && i < obj->u.object.len; i++) {
    struct port_entry *e = &es[*n];
    memset(e, 0, sizeof *e);
    e->published = published;
    e->seq = *n;
    (*n)++;
    int rc = parse_port_key(obj->u.object.keys[i], where, e, err);
    if (rc == RG_OK && published)
      rc = parse_bindings(obj->u.object.values[i], where, obj->u.object.keys[i], &e->p, err);
    if (rc) return rc;
  }
  return RG_OK;
}

static int parse_ports(yajl_val config, yajl_val settings, struct rg_container *c, char *err) {
  yajl_val exposed = NULL, published = NULL;
  int rc = get_object(config, "ExposedPorts", "Config.ExposedPorts", false, &exposed, err);
  if (rc == RG_OK)
    rc = get_object(settings, "Ports", "NetworkSettings.Ports", false, &published, err);
  if (rc) return rc;
  size_t ne = exposed ? exposed->u.object.len : 0, np = published ? published->u.object.len : 0;
  if (ne > RG_CONTAINER_MAX_PORTS || np > RG_CONTAINER_MAX_PORTS)
    return rg_err(err, RG_ETOOBIG, "inspect: more than %d ports", RG_CONTAINER_MAX_PORTS);
  if (ne + np == 0) return RG_OK;
  struct port_entry *es = calloc(ne + np, sizeof *es);
  if (es == NULL) return rg_err(err, RG_ENOMEM, "inspect: out of memory");
  size_t n = 0;
  rc = collect_ports(exposed, false, "Config.ExposedPorts", es, &n, err);
  if (rc == RG_OK) rc = collect_ports(published, true, "NetworkSettings.Ports", es, &n, err);
  if (rc == RG_OK) {
    qsort(es, n, sizeof *es, cmp_port_entry);
    c->ports = calloc(n, sizeof *c->ports);
    if (c->ports == NULL) rc = rg_err(err, RG_ENOMEM, "inspect: out of memory");
  }
  /* keep the first of each (port, proto) run: the published one if any */
  for (size_t i = 0; rc == RG_OK && i < n; i++) {
    const struct rg_port *last = c->nports ? &c->ports[c->nports - 1] : NULL;
    if (last && strcmp(es[i].p.port, last->port) == 0 && strcmp(es[i].p.proto, last->proto) == 0)
      continue;
    c->ports[c->nports++] = es[i].p;
    memset(&es[i].p, 0, sizeof es[i].p);
  }
  for (size_t i = 0; i < n; i++) port_clear(&es[i].p);
  free(es);
  return rc;
}

/* HostConfig.PortBindings: what was asked for at create time (a HostPort
 * may be empty: Docker picks one at start). Kept apart from the ports. */
static int parse_requested(yajl_val host, struct rg_container *c, char *err) {
  yajl_val obj = NULL;
  int rc = get_object(host, "PortBindings", "HostConfig.PortBindings", false, &obj, err);
  if (rc || obj == NULL || obj->u.object.len == 0) return rc;
  if (obj->u.object.len > RG_CONTAINER_MAX_PORTS)
    return rg_err(err, RG_ETOOBIG, "inspect: more than %d port bindings", RG_CONTAINER_MAX_PORTS);
  struct port_entry *es = calloc(obj->u.object.len, sizeof *es);
  if (es == NULL) return rg_err(err, RG_ENOMEM, "inspect: out of memory");
  size_t n = 0;
  rc = collect_ports(obj, true, "HostConfig.PortBindings", es, &n, err);
  if (rc == RG_OK && (c->requested = calloc(n, sizeof *c->requested)) == NULL)
    rc = rg_err(err, RG_ENOMEM, "inspect: out of memory");
  for (size_t i = 0; rc == RG_OK && i < n; i++) {
    c->requested[c->nrequested++] = es[i].p;
    memset(&es[i].p, 0, sizeof es[i].p);
  }
  for (size_t i = 0; i < n; i++) port_clear(&es[i].p);
  free(es);
  return rc;
}

/* ---- NetworkSettings.Networks ---- */

static int cmp_network(const void *pa, const void *pb) {
  const struct rg_network *a = pa, *b = pb;
  return strcmp(a->name, b->name);
}

static int parse_networks(yajl_val settings, struct rg_container *c, char *err) {
  yajl_val nets = NULL;
  int rc = get_object(settings, "Networks", "NetworkSettings.Networks", false, &nets, err);
  if (rc || nets == NULL || nets->u.object.len == 0) return rc;
  if (nets->u.object.len > RG_CONTAINER_MAX_NETWORKS)
    return rg_err(err, RG_ETOOBIG, "inspect: NetworkSettings.Networks has %zu entries (limit %d)",
                  nets->u.object.len, RG_CONTAINER_MAX_NETWORKS);
  c->networks = calloc(nets->u.object.len, sizeof *c->networks);
  if (c->networks == NULL) return rg_err(err, RG_ENOMEM, "inspect: out of memory");
  for (size_t i = 0; i < nets->u.object.len; i++) {
    const char *name = nets->u.object.keys[i];
    yajl_val net = nets->u.object.values[i];
    char path[128];
    struct rg_network *n = &c->networks[c->nnetworks++];
    if (!YAJL_IS_NULL(net) && !YAJL_IS_OBJECT(net))
      return rg_err(err, RG_EPROTO, "inspect: NetworkSettings.Networks[\"%.64s\"] is not an object",
                    name);
    n->name = rg_strdup(name);
    if (n->name == NULL) return rg_err(err, RG_ENOMEM, "inspect: out of memory");
    snprintf(path, sizeof path, "NetworkSettings.Networks[\"%.64s\"].IPAddress", name);
    rc = get_string(net, "IPAddress", path, "", &n->ip, err);
    snprintf(path, sizeof path, "NetworkSettings.Networks[\"%.64s\"].GlobalIPv6Address", name);
    if (rc == RG_OK) rc = get_string(net, "GlobalIPv6Address", path, "", &n->ip6, err);
    if (rc) return rc;
  }
  qsort(c->networks, c->nnetworks, sizeof *c->networks, cmp_network);
  return RG_OK;
}

/* ---- State ---- */

static int parse_state(yajl_val root, struct rg_container *c, char *err) {
  yajl_val state = NULL, health = NULL;
  int rc = get_object(root, "State", "State", true, &state, err);
  if (rc) return rc;
  yajl_val running = member(state, "Running");
  if (running == NULL) return rg_err(err, RG_EPROTO, "inspect: State.Running is missing");
  if (!YAJL_IS_TRUE(running) && !YAJL_IS_FALSE(running))
    return rg_err(err, RG_EPROTO, "inspect: State.Running is not a boolean");
  c->running = YAJL_IS_TRUE(running);
  yajl_val code = member(state, "ExitCode");
  if (code != NULL) {
    if (!YAJL_IS_INTEGER(code) || YAJL_GET_INTEGER(code) < -2147483647 - 1 ||
        YAJL_GET_INTEGER(code) > 2147483647)
      return rg_err(err, RG_EPROTO, "inspect: State.ExitCode is not an integer");
    c->exit_code = (int)YAJL_GET_INTEGER(code);
  }
  rc = get_object(state, "Health", "State.Health", false, &health, err);
  if (rc == RG_OK && health != NULL && member(health, "Status") != NULL)
    rc = get_string(health, "Status", "State.Health.Status", "", &c->health, err);
  return rc;
}

/* ---- the document ---- */

static int parse_root(yajl_val root, struct rg_container *c, char *err) {
  yajl_val config = NULL, host = NULL, settings = NULL;
  int rc = get_string(root, "Id", "Id", NULL, &c->id, err);
  if (rc == RG_OK && c->id[0] == '\0') rc = rg_err(err, RG_EPROTO, "inspect: Id is empty");
  if (rc == RG_OK) rc = get_string(root, "Name", "Name", NULL, &c->name, err);
  if (rc) return rc;
  if (c->name[0] == '/') memmove(c->name, c->name + 1, strlen(c->name));
  if (c->name[0] == '\0') return rg_err(err, RG_EPROTO, "inspect: Name is empty");

  rc = get_object(root, "Config", "Config", true, &config, err);
  if (rc == RG_OK) rc = get_object(root, "HostConfig", "HostConfig", false, &host, err);
  if (rc == RG_OK)
    rc = get_object(root, "NetworkSettings", "NetworkSettings", false, &settings, err);
  if (rc == RG_OK) rc = get_string(config, "Image", "Config.Image", "", &c->image, err);
  if (rc == RG_OK) rc = get_string(config, "Hostname", "Config.Hostname", "", &c->hostname, err);
  if (rc == RG_OK)
    rc = get_string(host, "NetworkMode", "HostConfig.NetworkMode", "", &c->network_mode, err);
  if (rc == RG_OK && c->network_mode[0] == '\0') {
    free(c->network_mode);
    c->network_mode = rg_strdup("default");
    if (c->network_mode == NULL) rc = rg_err(err, RG_ENOMEM, "inspect: out of memory");
  }
  if (rc == RG_OK)
    rc = get_string(settings, "IPAddress", "NetworkSettings.IPAddress", "", &c->ip, err);
  if (rc == RG_OK) rc = parse_env(config, &c->env, err);
  if (rc == RG_OK) rc = parse_labels(config, &c->labels, err);
  if (rc == RG_OK) rc = parse_ports(config, settings, c, err);
  if (rc == RG_OK) rc = parse_requested(host, c, err);
  if (rc == RG_OK) rc = parse_networks(settings, c, err);
  if (rc == RG_OK) rc = parse_state(root, c, err);
  return rc;
}

int rg_container_parse(const char *json, size_t len, struct rg_container **out, char *err) {
  if (out == NULL) return rg_err(err, RG_EINVAL, "inspect: no output");
  *out = NULL;
  yajl_val root = NULL;
  int rc = rg_json_read_doc(json, len, RG_CONTAINER_MAX_BODY, RG_CONTAINER_MAX_DEPTH, inspect_keep,
                            "inspect", &root, err);
  if (rc) return rc;
  if (!YAJL_IS_OBJECT(root)) {
    rg_json_free(root);
    return rg_err(err, RG_EPROTO, "inspect: document is not a JSON object");
  }
  struct rg_container *c = calloc(1, sizeof *c);
  if (c == NULL) rc = rg_err(err, RG_ENOMEM, "inspect: out of memory");
  if (rc == RG_OK) rc = parse_root(root, c, err);
  rg_json_free(root);
  if (rc) {
    rg_container_free(c);
    return rc;
  }
  *out = c;
  return RG_OK;
}

void rg_container_free(struct rg_container *c) {
  if (c == NULL) return;
  free(c->id);
  free(c->name);
  free(c->image);
  free(c->hostname);
  free(c->network_mode);
  rg_kvlist_free(&c->env);
  rg_kvlist_free(&c->labels);
  for (size_t i = 0; i < c->nports; i++) port_clear(&c->ports[i]);
  free(c->ports);
  for (size_t i = 0; i < c->nrequested; i++) port_clear(&c->requested[i]);
  free(c->requested);
  for (size_t i = 0; i < c->nnetworks; i++) {
    free(c->networks[i].name);
    free(c->networks[i].ip);
    free(c->networks[i].ip6);
  }
  free(c->networks);
  free(c->ip);
  free(c->health);
  free(c);
}
