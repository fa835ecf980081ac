/*
 * swarm.h - swarm mode in the core (README "Swarm mode"): the pure
 * decisions about task containers and a manager's services
 * (registrator/swarm.c), and the view of the engine's swarm mode that the
 * collector and the daemon share. The requests are in docker/swarm.h and
 * the I/O bridge in collect.h (rg_collect_swarm_*).
 */
#ifndef RG_REGISTRATOR_SWARM_H
#define RG_REGISTRATOR_SWARM_H

#include <stdbool.h>

#include "docker/container.h"
#include "docker/events.h"
#include "docker/swarm.h"
#include "registrator/common.h"
#include "registrator/service.h"

struct rg_model_options;

/* Labels Docker puts on every task container. */
#define RG_SWARM_LABEL_SERVICE_ID "com.docker.swarm.service.id"
#define RG_SWARM_LABEL_SERVICE_NAME "com.docker.swarm.service.name"
/* container_id of the routing-mesh entries: "swarm:<service ID>" (never a
 * container's: those are 64 hex digits). */
#define RG_SWARM_OWNER "swarm:"

/* What is known of the engine's swarm mode. A zeroed struct is "off, no
 * services". Owned by the settings (struct rg_settings); the model options
 * point at it (rg_model_options.swarm). */
struct rg_swarm {
  enum rg_docker_swarm_role role;
  struct rg_docker_swarm_services services; /* a manager's last GET /services; else empty */
  bool worker_logged;                       /* "a worker sees no services" said once */
  bool relabelled; /* the last GET /services changed the SERVICE_* labels of a
                      service already known: its tasks must be read again */
};

void rg_swarm_free(struct rg_swarm *sw); /* back to zeroed */

/* The swarm service a task container belongs to (its
 * com.docker.swarm.service.name label), or NULL for a plain container.
 * Borrowed from c. The model names a task's services after it. */
const char *rg_swarm_task_service_name(const struct rg_container *c);

/* The service of task container c in l (by its com.docker.swarm.service.id
 * label), or NULL: not a task, or a service l does not hold. Borrowed. */
const struct rg_docker_swarm_service *rg_swarm_service_of(const struct rg_docker_swarm_services *l,
                                                          const struct rg_container *c);

/* Prepares task container c for the model with what its service svc says
 * (svc NULL: nothing to add, as on a worker):
 *  - svc's SERVICE_* labels are appended to c->env. The metadata reads env
 *    first and labels after, the later item winning, so the precedence is
 *    container label > service label > env (README "Swarm mode").
 *  - svc's target ports (Endpoint.Ports) that c does not have are added as
 *    exposed-only ports: a task on the routing mesh shows none, and
 *    -internal registers the task's overlay address with the target port.
 * RG_ENOMEM only (c is then still consistent). */
int rg_swarm_task_view(struct rg_container *c, const struct rg_docker_swarm_service *svc);

/* Appends the routing-mesh entries of services l for this node to out: one
 * per ingress-published port (PublishMode "ingress", PublishedPort > 0) of
 * each service, at this host's address (-ip, else the default address)
 * and the published port. They are built by the container rules (model.h)
 * from the service as if it were a container: env = the task template's
 * Env, then the service labels; labels = the task template's container
 * labels; one port per target port, bound to the published port; so the
 * name is the service's, per-port keys use the target port, and the ID is
 * "<hostname>:swarm:<service name>:<target port>[:<proto>]". container_id
 * is RG_SWARM_OWNER + the service ID, container_name the service name.
 * With -internal there are none (the tasks register themselves). */
int rg_swarm_ingress_services(const struct rg_docker_swarm_services *l,
                              const struct rg_model_options *mo, const struct rg_log *log,
                              struct rg_service_list *out, char *err);

/* True when a service in both old and fresh (same ID) has different
 * SERVICE_* labels (Spec.Labels): its running tasks did not change, but
 * their entries did (README "Swarm mode"). */
bool rg_swarm_labels_changed(const struct rg_docker_swarm_services *old,
                             const struct rg_docker_swarm_services *fresh);

/* True for a routing-mesh entry (container_id starts with RG_SWARM_OWNER). */
bool rg_swarm_is_entry(const struct rg_service *s);

/* In desired (sorted by id): removes every routing-mesh entry and upserts
 * a copy of each of fresh (the latest rg_swarm_ingress_services). *changed
 * (may be NULL) tells whether desired differs afterwards. RG_ENOMEM. */
int rg_swarm_replace(struct rg_service_list *desired, const struct rg_service_list *fresh,
                     bool *changed);

/* What an event changes: true for a swarm service event (Type "service":
 * create, update, remove), after which the services are read again. */
bool rg_swarm_event_changes_services(const struct rg_event *ev);

/* The event filter for this swarm mode: container events, plus service
 * events when the engine is in a swarm (docker/events.h). Static. */
const char *rg_swarm_events_filter(const struct rg_swarm *sw);

#endif /* RG_REGISTRATOR_SWARM_H */
