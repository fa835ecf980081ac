/*
 * model.c - an inspected container -> its services (README "From containers
 * to services"). Pure: everything comes from the arguments.
 *
 * Decisions the README leaves open:
 *  - One service per container port ("80/tcp"). When a port is published
 *    on several host ports, the first host port in document order is
 *    registered (as registrator did) and the others are logged.
 *  - "More than one port" (the -<port> name suffix) counts the ports that
 *    have an address to register before SERVICE_IGNORE / -explicit drop
 *    any, as registrator did, so a name does not change when another port
 *    is ignored.
 *  - Every protocol other than tcp gets the ":<proto>" ID suffix and the
 *    "<proto>" tag (udp -> ":udp", "udp"; sctp would otherwise collide
 *    with tcp's ID).
 *  - A port without an address (no host address, no container IP, bad
 *    host port) is skipped with a warning; the others still register.
 *  - -useIpFromLabel reads Config.Labels only (as registrator); a missing
 *    or empty label keeps the IP of the other rules, with a warning.
 *  - With -internal in host network mode the "container IP" is the host's
 *    address (-ip, else default_ip).
 *  - A container in "container:<id>" mode has no bindings of its own, so it
 *    registers only with -internal, at the peer's container IP (Podman
 *    shows the peer's bindings in it too: they are the peer's to register).
 *  - The container IP comes from its networks (SERVICE_NETWORK, else the
 *    engine's default network, "bridge" or Podman's "podman", else the
 *    first by name that has an address), an IPv4
 *    address before GlobalIPv6Address; then NetworkSettings.IPAddress.
 *    SERVICE_<port>_NETWORK works like any per-port key; the key is also
 *    kept as an attribute (it is not one of the known keys).
 *  - An empty image name (no Config.Image) falls back to the container name.
 *  - A swarm task is named after its service (com.docker.swarm.service.name),
 *    not its image (README "Swarm mode"); its ID keeps the task's container
 *    name, so it stays unique per task.
 *  - The container IP's "first by name" skips the swarm routing mesh's
 *    network "ingress" while another network has an address: a task's own
 *    address is on its overlay network.
 */
#include "registrator/model.h"

#include <stdlib.h>
#include <string.h>

#include "registrator/metadata.h"
#include "registrator/swarm.h"

/* One port that has an address to register. */
struct candidate {
  const struct rg_port *port;
  const char *host_ip;   /* binding address; NULL with -internal and no binding */
  const char *host_port; /* binding port; NULL likewise */
};

/* What every port of one container shares. */
struct run {
  const struct rg_container *c;
  const struct rg_container *peer;
  const struct rg_model_options *opt;
  const struct rg_log *log;
  bool host_mode;
  bool container_mode;
  const char *image_name;
};

#define WHO "container %s (%.12s): "
#define WHO_ARGS(r) (r)->c->name, (r)->c->id

static bool set(const char *s) { return s != NULL && s[0] != '\0'; }

static bool is_ipv6(const char *ip) { return strchr(ip, ':') != NULL; }

static bool is_unspecified(const char *ip) {
  return ip[0] == '\0' || strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0;
}

/* The host's address for a wildcard binding: -ip, else default_ip. */
static const char *host_address(const struct rg_model_options *opt) {
  if (set(opt->host_ip)) return opt->host_ip;
  return set(opt->default_ip) ? opt->default_ip : NULL;
}

/* Docker lists a published port once per address family (0.0.0.0 and ::).
 * Group by host port, take the first host port in document order and in it
 * the first IPv4 binding, else its first (IPv6-only) binding. Bindings
 * without a host port are not bound. *more: other host ports exist. */
static const struct rg_port_binding *pick_binding(const struct rg_port *p, bool *more) {
  const struct rg_port_binding *best = NULL;
  *more = false;
  for (size_t i = 0; i < p->nbindings; i++) {
    const struct rg_port_binding *b = &p->bindings[i];
    if (!set(b->host_port) || b->host_ip == NULL) continue;
    if (best == NULL)
      best = b;
    else if (strcmp(b->host_port, best->host_port) != 0)
      *more = true;
    else if (is_ipv6(best->host_ip) && !is_ipv6(b->host_ip))
      best = b;
  }
  return best;
}

static const char *network_ip(const struct rg_network *n) {
  if (set(n->ip)) return n->ip;
  return set(n->ip6) ? n->ip6 : NULL;
}

/* The container's own IP (for -internal), or NULL with a warning. */
static const char *container_ip(const struct run *r, const struct rg_meta *m) {
  const struct rg_container *src = r->c;
  if (r->container_mode) {
    if (r->peer == NULL) {
      rg_log(r->log, RG_LOG_WARN, WHO "network mode %s but its container was not inspected",
             WHO_ARGS(r), r->c->network_mode);
      return NULL;
    }
    src = r->peer;
  }
  if (strcmp(src->network_mode, "host") == 0) return host_address(r->opt);
  const char *want = rg_meta_get(m, "network");
  if (want != NULL) {
    size_t i = 0;
    while (i < src->nnetworks && strcmp(src->networks[i].name, want) != 0) i++;
    if (i < src->nnetworks && network_ip(&src->networks[i]) != NULL)
      return network_ip(&src->networks[i]);
    rg_log(r->log, RG_LOG_WARN, WHO "SERVICE_NETWORK=%s: %s; using the default choice", WHO_ARGS(r),
           want, i < src->nnetworks ? "that network has no address" : "no such network");
  }
  for (size_t i = 0; i < src->nnetworks; i++)
    if ((strcmp(src->networks[i].name, "bridge") == 0 ||
         strcmp(src->networks[i].name, "podman") == 0) &&
        network_ip(&src->networks[i]))
      return network_ip(&src->networks[i]);
  for (size_t i = 0; i < src->nnetworks; i++)
    if (strcmp(src->networks[i].name, "ingress") != 0 && network_ip(&src->networks[i]))
      return network_ip(&src->networks[i]);
  for (size_t i = 0; i < src->nnetworks; i++)
    if (network_ip(&src->networks[i])) return network_ip(&src->networks[i]);
  return set(src->ip) ? src->ip : NULL;
}

/* Digits only, no sign or spaces, 1..65535. */
static bool parse_port(const char *s, long *out) {
  if (!set(s) || strspn(s, "0123456789") != strlen(s)) return false;
  return rg_parse_long(s, 1, 65535, out) == RG_OK;
}

/* The address of one port: *ip is malloc()ed, or NULL when the port has
 * none (logged). RG_ENOMEM only. */
static int service_address(const struct run *r, const struct candidate *cd, const struct rg_meta *m,
                           char **ip, long *port) {
  const struct rg_model_options *opt = r->opt;
  const char *addr, *pstr = opt->internal ? cd->port->port : cd->host_port;
  *ip = NULL;
  if (!parse_port(pstr, port)) {
    rg_log(r->log, RG_LOG_WARN, WHO "port %s/%s: bad port \"%s\", skipped", WHO_ARGS(r),
           cd->port->port, cd->port->proto, pstr ? pstr : "");
    return RG_OK;
  }
  if (opt->internal)
    addr = container_ip(r, m);
  else if (set(opt->host_ip))
    addr = opt->host_ip; /* -ip overrides every binding address */
  else
    addr = is_unspecified(cd->host_ip) ? host_address(opt) : cd->host_ip;

  if (set(opt->use_ip_from_label)) {
    const char *v = rg_kvlist_get(&r->c->labels, opt->use_ip_from_label);
    if (set(v)) {
      const char *slash = strrchr(v, '/');
      *ip = rg_strndup(v, slash ? (size_t)(slash - v) : strlen(v));
      return *ip ? RG_OK : RG_ENOMEM;
    }
    rg_log(r->log, RG_LOG_WARN, WHO "label %s is missing or empty; not using it for the IP",
           WHO_ARGS(r), opt->use_ip_from_label);
  }
  if (!set(addr)) {
    rg_log(r->log, RG_LOG_WARN, WHO "port %s/%s has no address to register (%s), skipped",
           WHO_ARGS(r), cd->port->port, cd->port->proto,
           opt->internal ? "no container IP" : "no -ip and no default address");
    return RG_OK;
  }
  *ip = rg_strdup(addr);
  return *ip ? RG_OK : RG_ENOMEM;
}

static int cmp_kv(const void *pa, const void *pb) {
  const struct rg_kv *a = pa, *b = pb;
  return strcmp(a->key, b->key);
}

static bool known_key(const char *key) {
  return strcmp(key, "name") == 0 || strcmp(key, "id") == 0 || strcmp(key, "tags") == 0 ||
         strcmp(key, "ignore") == 0;
}

/* s->name and s->id. */
static int name_and_id(const struct run *r, const struct candidate *cd, const struct rg_meta *m,
                       bool group, struct rg_service *s) {
  const char *name = rg_meta_get(m, "name");
  const char *id = rg_meta_get(m, "id");
  const char *proto = cd->port->proto;
  bool other_proto = strcmp(proto, "tcp") != 0;
  struct rg_buf b = {0};
  int rc;
  if (name == NULL) name = r->image_name;
  if (group && !rg_meta_from_port(m, "name"))
    rc = rg_buf_printf(&b, "%s-%s", name, cd->port->port);
  else
    rc = rg_buf_append(&b, name, strlen(name));
  if (rc) return rc;
  s->name = b.data;
  if (id != NULL) {
    s->id = rg_strdup(id);
    return s->id ? RG_OK : RG_ENOMEM;
  }
  b = (struct rg_buf){0};
  rc = rg_buf_printf(&b, "%s:%s:%s%s%s", r->opt->hostname, r->c->name, cd->port->port,
                     other_proto ? ":" : "", other_proto ? proto : "");
  s->id = b.data;
  return rc;
}

/* Tags, attrs and checks of s from the metadata and the options. */
static int tags_and_attrs(const struct run *r, const struct candidate *cd, const struct rg_meta *m,
                          struct rg_service *s) {
  int rc = rg_tags_append(&s->tags, rg_meta_get(m, "tags"));
  const struct rg_strlist *extra = r->opt->tags;
  for (size_t i = 0; rc == RG_OK && extra && i < extra->n; i++)
    if (set(extra->items[i]) && !rg_strlist_contains(&s->tags, extra->items[i]))
      rc = rg_strlist_add(&s->tags, extra->items[i]);
  if (rc == RG_OK && strcmp(cd->port->proto, "tcp") != 0 &&
      !rg_strlist_contains(&s->tags, cd->port->proto))
    rc = rg_strlist_add(&s->tags, cd->port->proto);
  for (size_t i = 0; rc == RG_OK && i < m->kv.n; i++) {
    const struct rg_kv *kv = &m->kv.items[i];
    if (known_key(kv->key)) continue;
    bool check = strncmp(kv->key, "check_", 6) == 0;
    rc = rg_kvlist_add(check ? &s->checks : &s->attrs, kv->key, kv->value);
  }
  if (rc == RG_OK && s->attrs.n > 1)
    qsort(s->attrs.items, s->attrs.n, sizeof(struct rg_kv), cmp_kv);
  if (rc == RG_OK && s->checks.n > 1)
    qsort(s->checks.items, s->checks.n, sizeof(struct rg_kv), cmp_kv);
  return rc;
}

/* Appends the service of one candidate port to out, unless the metadata
 * or the lack of an address drops it. RG_ENOMEM only. */
static int build_service(const struct run *r, const struct candidate *cd, bool group,
                         struct rg_service_list *out) {
  const struct rg_port *p = cd->port;
  struct rg_meta m;
  char *ip = NULL;
  long port = 0;
  int rc = rg_meta_collect(r->c, p->port, &m);
  if (rc) return rc;

  const char *ignore = rg_meta_get(&m, "ignore");
  if (ignore != NULL) {
    bool b;
    if (rg_parse_bool(ignore, &b) == RG_OK && !b)
      rg_log(r->log, RG_LOG_WARN,
             WHO "port %s/%s: SERVICE_IGNORE=%s still ignores the port (any non-empty value does)",
             WHO_ARGS(r), p->port, p->proto, ignore);
    else
      rg_log(r->log, RG_LOG_DEBUG, WHO "port %s/%s ignored by SERVICE_IGNORE", WHO_ARGS(r), p->port,
             p->proto);
    goto done;
  }
  if (r->opt->explicit_ && rg_meta_get(&m, "name") == NULL) {
    rg_log(r->log, RG_LOG_DEBUG, WHO "port %s/%s has no SERVICE_NAME (-explicit), skipped",
           WHO_ARGS(r), p->port, p->proto);
    goto done;
  }
  rc = service_address(r, cd, &m, &ip, &port);
  if (rc || ip == NULL) goto done;

  struct rg_service *s;
  rc = rg_service_list_push(out, &s);
  if (rc) goto done;
  s->ip = ip;
  ip = NULL;
  s->port = (int)port;
  s->proto = rg_strdup(p->proto);
  s->container_id = rg_strdup(r->c->id);
  s->container_name = rg_strdup(r->c->name);
  s->exposed_port = rg_strdup(p->port);
  if (!s->proto || !s->container_id || !s->container_name || !s->exposed_port) rc = RG_ENOMEM;
  if (rc == RG_OK) rc = name_and_id(r, cd, &m, group, s);
  if (rc == RG_OK) rc = tags_and_attrs(r, cd, &m, s);
done:
  free(ip);
  rg_meta_free(&m);
  return rc;
}

/* The ports that have something to register, in port order. */
static size_t candidates(const struct run *r, struct candidate *cands) {
  size_t n = 0;
  for (size_t i = 0; i < r->c->nports; i++) {
    const struct rg_port *p = &r->c->ports[i];
    bool more = false;
    const struct rg_port_binding *b =
        r->host_mode || r->container_mode ? NULL : pick_binding(p, &more);
    if (r->host_mode) {
      cands[n++] = (struct candidate){p, "", p->port}; /* published as itself */
    } else if (b != NULL) {
      if (more)
        rg_log(r->log, RG_LOG_INFO, WHO "port %s/%s has several host ports; registering %s",
               WHO_ARGS(r), p->port, p->proto, b->host_port);
      cands[n++] = (struct candidate){p, b->host_ip, b->host_port};
    } else if (r->opt->internal) {
      cands[n++] = (struct candidate){p, NULL, NULL};
    } else {
      rg_log(r->log, RG_LOG_DEBUG, WHO "port %s/%s is not published on the host, skipped",
             WHO_ARGS(r), p->port, p->proto);
    }
  }
  return n;
}

int rg_model_services(const struct rg_container *c, const struct rg_container *net_peer,
                      const struct rg_model_options *opt, const struct rg_log *log,
                      struct rg_service_list *out, char *err) {
  if (c == NULL || opt == NULL || out == NULL)
    return rg_err(err, RG_EINVAL, "model: container, options and output are required");
  if (!set(opt->hostname)) return rg_err(err, RG_EINVAL, "model: options.hostname is required");
  if (c->name == NULL || c->id == NULL || c->network_mode == NULL)
    return rg_err(err, RG_EINVAL, "model: the container is incomplete");
  if (!c->running) return RG_OK;
  if (opt->healthy_only && c->health != NULL && strcmp(c->health, "healthy") != 0) {
    rg_log(log, RG_LOG_DEBUG, "container %s (%.12s) is %s; not registered (-healthy-only)", c->name,
           c->id, c->health);
    return RG_OK;
  }

  struct run r = {.c = c, .peer = net_peer, .opt = opt, .log = log};
  r.host_mode = strcmp(c->network_mode, "host") == 0;
  r.container_mode = strncmp(c->network_mode, "container:", 10) == 0;
  char *image = rg_image_base_name(c->image);
  struct candidate *cands = calloc(c->nports ? c->nports : 1, sizeof *cands);
  if (image == NULL || cands == NULL) {
    free(image);
    free(cands);
    return rg_err(err, RG_ENOMEM, "model: out of memory");
  }
  const char *task_of = rg_swarm_task_service_name(c);
  r.image_name = task_of ? task_of : image[0] ? image : c->name;

  size_t n = candidates(&r, cands), first = out->n;
  int rc = RG_OK;
  for (size_t i = 0; rc == RG_OK && i < n; i++) rc = build_service(&r, &cands[i], n > 1, out);
  if (rc) { /* take back what this call appended */
    for (size_t i = first; i < out->n; i++) rg_service_clear(&out->items[i]);
    out->n = first;
    rc = rg_err(err, rc, "model: out of memory");
  }
  free(cands);
  free(image);
  return rc;
}

/* The requested bindings of port p, or NULL. */
static const struct rg_port *requested_of(const struct rg_container *c, const struct rg_port *p) {
  for (size_t i = 0; i < c->nrequested; i++)
    if (strcmp(c->requested[i].port, p->port) == 0 && strcmp(c->requested[i].proto, p->proto) == 0)
      return &c->requested[i];
  return NULL;
}

int rg_model_predict(const struct rg_container *c, const struct rg_model_options *opt,
                     const struct rg_log *log, struct rg_service_list *out, char *err) {
  if (c == NULL || opt == NULL) return rg_err(err, RG_EINVAL, "model: container and options are required");
  if (opt->internal || opt->healthy_only || c->network_mode == NULL ||
      strncmp(c->network_mode, "container:", 10) == 0)
    return RG_EAGAIN;
  struct rg_container view = *c; /* shallow: only ports and running differ */
  struct rg_port *ports = calloc(c->nports ? c->nports : 1, sizeof *ports);
  if (ports == NULL) return rg_err(err, RG_ENOMEM, "model: out of memory");
  int rc = RG_OK;
  for (size_t i = 0; rc == RG_OK && i < c->nports; i++) {
    /* an empty HostIp reads as unspecified, as Docker's 0.0.0.0 / :: do */
    const struct rg_port *req = requested_of(c, &c->ports[i]);
    ports[i] = c->ports[i];
    ports[i].bindings = req ? req->bindings : NULL;
    ports[i].nbindings = req ? req->nbindings : 0;
    for (size_t k = 0; k < ports[i].nbindings; k++)
      if (!set(ports[i].bindings[k].host_port)) rc = RG_EAGAIN; /* Docker picks it at start */
  }
  if (rc == RG_OK) {
    view.ports = ports;
    view.running = true;
    rc = rg_model_services(&view, NULL, opt, log, out, err);
  }
  free(ports);
  return rc;
}
