/*
 * swarm.h - swarm mode as the Docker Engine API shows it (docker/swarm.c):
 * which role this engine has, and the manager's services as plain structs.
 *
 * Requests: the role comes from the `Swarm` header of GET /_ping (Docker
 * 23 and later: "inactive", "pending", "error", "locked", "active/worker",
 * "active/manager"), else from GET /info's Swarm.LocalNodeState and
 * Swarm.ControlAvailable (Docker 20.10 sends no such header). The services
 * come from GET /services, which only a manager answers (a worker and a
 * plain engine get 503 "This node is not a swarm manager...").
 */
#ifndef RG_DOCKER_SWARM_H
#define RG_DOCKER_SWARM_H

#include <stdbool.h>
#include <stddef.h>

#include "docker/client.h"
#include "registrator/common.h"

enum rg_docker_swarm_role {
  RG_DOCKER_SWARM_OFF = 0, /* not in a swarm (inactive, pending, error, locked) */
  RG_DOCKER_SWARM_WORKER,
  RG_DOCKER_SWARM_MANAGER,
};

/* One item of a service's Endpoint.Ports: what the swarm allocated. */
struct rg_docker_swarm_port {
  char *proto;    /* "tcp", "udp", "sctp" */
  int target;     /* TargetPort: the container side */
  int published;  /* PublishedPort (0: none) */
  bool ingress;   /* PublishMode "ingress" (the default), else "host" */
};

/* One item of GET /services. Every string is owned. */
struct rg_docker_swarm_service {
  char *id;                          /* ID */
  char *name;                        /* Spec.Name */
  struct rg_kvlist labels;           /* Spec.Labels, document order */
  struct rg_kvlist container_labels; /* Spec.TaskTemplate.ContainerSpec.Labels */
  struct rg_kvlist env;              /* Spec.TaskTemplate.ContainerSpec.Env, split at '=' */
  struct rg_docker_swarm_port *ports; /* Endpoint.Ports, document order */
  size_t nports;
};

struct rg_docker_swarm_services {
  struct rg_docker_swarm_service *items; /* in document order */
  size_t n;
};

/* Limits on the documents (above them: RG_ETOOBIG). Labels and env items
 * share the caps of container.h (RG_CONTAINER_MAX_ENTRIES / _ENTRY). */
#define RG_DOCKER_SWARM_MAX_BODY RG_DOCKER_LIST_MAX
#define RG_DOCKER_SWARM_MAX_DEPTH 64
#define RG_DOCKER_SWARM_MAX_SERVICES 65536
#define RG_DOCKER_SWARM_MAX_PORTS 4096 /* of one service */
#define RG_DOCKER_SWARM_MAX_INFO ((size_t)1 << 20)

/* The role named by a `Swarm` header value; RG_EINVAL for an unknown one. */
int rg_docker_swarm_role_of_status(const char *status, enum rg_docker_swarm_role *role);

/* The role in a GET /info document (len bytes): Swarm.LocalNodeState
 * "active" with Swarm.ControlAvailable true is a manager, "active" alone a
 * worker, anything else (or no Swarm member) off. RG_EPROTO for a document
 * that is not a JSON object or has members of the wrong type. */
int rg_docker_swarm_info_parse(const char *json, size_t len, enum rg_docker_swarm_role *role,
                               char *err);

/* Parses a GET /services document (a JSON array) into *out (zeroed by the
 * caller; free with rg_docker_swarm_services_free, also on error). ID and
 * Spec.Name are required and non-empty; absent or null Labels, Env,
 * Endpoint and Ports read as empty; a port needs a lower-case Protocol
 * (default "tcp"), TargetPort 1..65535 and PublishedPort 0..65535. Errors
 * name the item and member: "services: [2].Endpoint.Ports[0].TargetPort
 * is not a port". */
int rg_docker_swarm_services_parse(const char *json, size_t len,
                                   struct rg_docker_swarm_services *out, char *err);

void rg_docker_swarm_services_free(struct rg_docker_swarm_services *l); /* back to empty */

/* Deep copy of src into the zeroed *dst. RG_ENOMEM (dst freed). */
int rg_docker_swarm_services_copy(struct rg_docker_swarm_services *dst,
                                  const struct rg_docker_swarm_services *src);

/* The engine's role: a fresh GET /_ping, and its Swarm header when there
 * is one, else GET /info. Errors are the requests' (RG_ECONNECT, ...). */
int rg_docker_swarm_role(struct rg_docker *d, enum rg_docker_swarm_role *role, char *err);

/* GET /services into *out (zeroed by the caller; freed on error).
 * RG_EUNSUPPORTED when the engine is not a manager (HTTP 503), with
 * Docker's message in err. */
int rg_docker_swarm_services(struct rg_docker *d, struct rg_docker_swarm_services *out,
                             char *err);

#endif /* RG_DOCKER_SWARM_H */
