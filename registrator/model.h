/*
 * model.h - the service model: an inspected container -> its services.
 *
 * Pure: no I/O, no clock, no globals. Every rule of README "From containers
 * to services" (and its "SERVICE_* reference") lives here.
 */
#ifndef RG_REGISTRATOR_MODEL_H
#define RG_REGISTRATOR_MODEL_H

#include <stdbool.h>

#include "docker/container.h"
#include "registrator/common.h"
#include "registrator/service.h"

struct rg_swarm;

struct rg_model_options {
  const char *hostname;          /* used in IDs; required */
  const char *host_ip;           /* -ip: overrides binding addresses; NULL/"" none */
  const char *default_ip;        /* host's address for 0.0.0.0/:: bindings when no -ip */
  bool internal;                 /* -internal */
  bool explicit_;                /* -explicit */
  const char *use_ip_from_label; /* -useIpFromLabel; NULL/"" none */
  const struct rg_strlist *tags; /* -tags, already split; may be NULL */
  bool healthy_only;             /* -healthy-only: a container with a HEALTHCHECK
                                    counts only while Docker says "healthy" */
  struct rg_swarm *swarm;        /* what is known of swarm mode (registrator/swarm.h),
                                    read and refreshed by the collector; NULL: none */
};

/* Appends the services of container c to out (unsorted). net_peer is the
 * inspected container named by a "container:<id>" network mode, or NULL.
 * Warnings (SERVICE_IGNORE=false, unusable ports...) go to log, naming the
 * container. A container that is not running yields no services. */
int rg_model_services(const struct rg_container *c, const struct rg_container *net_peer,
                      const struct rg_model_options *opt, const struct rg_log *log,
                      struct rg_service_list *out, char *err);

/* The services a created (not yet started) container will have once it
 * starts, predicted from HostConfig.PortBindings, so that the daemon can
 * register at `start` without another inspect. RG_EAGAIN (nothing appended)
 * when the outcome depends on what only the start decides: a port without
 * an explicit host port, -internal, -healthy-only, or a container:<id>
 * network. Otherwise as rg_model_services. */
int rg_model_predict(const struct rg_container *c, const struct rg_model_options *opt,
                     const struct rg_log *log, struct rg_service_list *out, char *err);

#endif /* RG_REGISTRATOR_MODEL_H */
