/*
 * collect.h - the desired set: what Docker's running containers should be
 * registered as. Bridges docker/ (list, inspect) and the pure model.
 */
#ifndef RG_REGISTRATOR_COLLECT_H
#define RG_REGISTRATOR_COLLECT_H

#include "docker/client.h"
#include "registrator/model.h"

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

/* Lists the running containers and appends all their services, sorted by id.
 * A container over the inspect caps (RG_ETOOBIG: too many or too big
 * labels, which anyone who can start a container controls) is skipped with
 * an error logged; other per-container Docker errors abort with that error. */
int rg_collect_all(struct rg_docker *d, const struct rg_model_options *mo, const struct rg_log *log,
                   struct rg_service_list *out, char *err);

#endif
