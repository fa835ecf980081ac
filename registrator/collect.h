/*
 * collect.h - the desired set: what Docker's running containers should be
 * registered as. Bridges docker/ (list, inspect) and the pure model.
 */
#ifndef RG_REGISTRATOR_COLLECT_H
#define RG_REGISTRATOR_COLLECT_H

#include "docker/client.h"
#include "registrator/model.h"
#include "registrator/swarm.h"

/* Connections to Docker used at once to read many containers. */
#define RG_COLLECT_PARALLEL 4

/* Appends the services of the inspected container c, which it frees
 * (reading the container whose network c shares, for "container:<id>"). */
int rg_collect_inspected(struct rg_docker *d, struct rg_container *c, const struct rg_model_options *mo,
                         const struct rg_log *log, struct rg_service_list *out, char *err);

/* Appends the services of one container (inspecting it, and the container
 * whose network it shares for "container:<id>" mode). A container that is
 * gone by now yields nothing and RG_OK; other Docker errors are returned. */
int rg_collect_container(struct rg_docker *d, const char *id, const struct rg_model_options *mo,
                         const struct rg_log *log, struct rg_service_list *out, char *err);

/* Swarm mode (README "Swarm mode"). Reads the engine's role into sw: a
 * fresh ping, and GET /info when the engine sends no Swarm header (Docker
 * before 23). A change is logged; off a manager, sw's services are dropped.
 * Called at connect and after every reconnect. */
int rg_collect_swarm_detect(struct rg_swarm *sw, struct rg_docker *d, const struct rg_log *log,
                            char *err);

/* Appends the routing-mesh entries for this node (rg_swarm_ingress_services)
 * to out. On a manager, GET /services into sw->services first (one
 * request; sw->relabelled says whether a known service's SERVICE_* labels
 * changed); a 503 there (no longer a manager) detects the role again. On a
 * worker: logged once, nothing appended. Off: nothing, no request. */
int rg_collect_swarm(struct rg_swarm *sw, struct rg_docker *d, const struct rg_model_options *mo,
                     const struct rg_log *log, struct rg_service_list *out, char *err);

/* Lists the running containers and appends all their services, sorted by id.
 * With mo->swarm, the swarm role is detected first and a manager's
 * routing-mesh entries are appended too (their services' labels reach the
 * task containers, rg_swarm_task_view).
 * A container over the inspect caps (RG_ETOOBIG: too many or too big
 * labels, which anyone who can start a container controls) is skipped with
 * an error logged; other per-container Docker errors abort with that error. */
int rg_collect_all(struct rg_docker *d, const struct rg_model_options *mo, const struct rg_log *log,
                   struct rg_service_list *out, char *err);

#endif
