/*
 * container.h - an inspected Docker container as a plain struct.
 *
 * Filled from `GET /containers/{id}/json` by rg_container_parse() (inspect.c).
 * Holds only what the service model needs; every string is owned.
 */
#ifndef RG_DOCKER_CONTAINER_H
#define RG_DOCKER_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

#include "registrator/common.h"

/* One host binding of a port (an item of NetworkSettings.Ports["80/tcp"]). */
struct rg_port_binding {
  char *host_ip;   /* "0.0.0.0", "::", "127.0.0.1", ... ("" when absent) */
  char *host_port; /* "8080" ("" when absent) */
};

/* One container port: the union of Config.ExposedPorts and the keys of
 * NetworkSettings.Ports, in ascending (port number, protocol) order. */
struct rg_port {
  char *port;  /* "80" */
  char *proto; /* "tcp", "udp", "sctp" */
  struct rg_port_binding *bindings;
  size_t nbindings; /* 0: exposed only */
};

/* One entry of NetworkSettings.Networks, in ascending name order. */
struct rg_network {
  char *name;
  char *ip;  /* IPAddress ("" when none) */
  char *ip6; /* GlobalIPv6Address ("" when none) */
};

struct rg_container {
  char *id;           /* full 64-hex id */
  char *name;         /* Name without the leading '/' */
  char *image;        /* Config.Image as the user wrote it ("gliderlabs/foo:1.0") */
  char *hostname;     /* Config.Hostname */
  char *network_mode; /* HostConfig.NetworkMode ("default" when absent) */
  struct rg_kvlist env;    /* Config.Env split at the first '=', in order */
  struct rg_kvlist labels; /* Config.Labels, in document order */
  struct rg_port *ports;
  size_t nports;
  struct rg_network *networks;
  size_t nnetworks;
  struct rg_port *requested; /* HostConfig.PortBindings as asked at create time
                                (HostPort "" when Docker picks one), document order */
  size_t nrequested;
  char *ip; /* top-level NetworkSettings.IPAddress ("" when absent/newer engines) */
  bool running;            /* State.Running */
  int exit_code;           /* State.ExitCode */
  char *health;            /* State.Health.Status, or NULL without a HEALTHCHECK */
};

/* Limits on hostile or absurd documents (rg_container_parse). A document
 * over RG_CONTAINER_MAX_BODY bytes, or a list over its count, or one
 * env/label entry over RG_CONTAINER_MAX_ENTRY bytes is refused with
 * RG_ETOOBIG; nesting deeper than RG_CONTAINER_MAX_DEPTH with RG_EPROTO. */
#define RG_CONTAINER_MAX_BODY (4u * 1024u * 1024u)
#define RG_CONTAINER_MAX_DEPTH 64
#define RG_CONTAINER_MAX_ENTRIES 4096   /* Config.Env items, Config.Labels keys */
#define RG_CONTAINER_MAX_ENTRY 65536    /* bytes of one env item or label key+value */
#define RG_CONTAINER_MAX_PORTS 65536    /* distinct "port/proto" keys */
#define RG_CONTAINER_MAX_NETWORKS 256

/* Parses one inspect document (len bytes, need not be NUL-terminated) into
 * a malloc()ed container the caller frees with rg_container_free(). Wrong
 * JSON types or a body over RG_CONTAINER_MAX_BODY bytes give RG_EPROTO /
 * RG_ETOOBIG with a message naming the field in err; nothing is
 * half-returned (*out is NULL on error).
 * Absent and JSON-null members read as empty: Labels, Env, ExposedPorts,
 * Ports, Networks, HostConfig, NetworkSettings, State.Health. Id, Name,
 * Config and State are required. A "port/proto" key that is not a decimal
 * port 1..65535 (no sign, no leading zero) and a lower-case protocol is an
 * error (dockerd never writes one). Bindings come from NetworkSettings.Ports
 * only: HostConfig.PortBindings is what was asked for (host port "" for a
 * random one), not what is bound. An Env item without '=' gets value "".
 * (inspect.c) */
int rg_container_parse(const char *json, size_t len, struct rg_container **out, char *err);

/* Frees c and everything it owns; accepts NULL and half-built containers. */
void rg_container_free(struct rg_container *c);

#endif /* RG_DOCKER_CONTAINER_H */
