/*
 * registry.h - one open registry: an adapter instance plus the mirror of
 * what this registrator has written to it, and the reconcile-and-write step
 * shared by the daemon and the one-shot resync.
 */
#ifndef RG_REGISTRATOR_REGISTRY_H
#define RG_REGISTRATOR_REGISTRY_H

#include <stdbool.h>

#include "adapters/adapter.h"
#include "registrator/service.h"

struct rg_registry {
  const struct rg_adapter *adapter;
  void *state;
  char *uri;                          /* as given, for messages */
  struct rg_service_list registered;  /* what we wrote and still own, sorted by id */
  struct rg_service_list rejected;    /* refused as invalid (RG_EINVAL): not retried
                                         until the service changes; sorted by id */
  const struct rg_log *log;
};

/* Parses uri, finds its adapter and opens it (no network I/O is required to
 * succeed: reachability is rg_registry_ping's job). */
int rg_registry_open(struct rg_registry **out, const char *uri, const struct rg_adapter_config *cfg,
                     char *err);
void rg_registry_close(struct rg_registry *r); /* accepts NULL */

int rg_registry_ping(struct rg_registry *r, char *err);

/* Writes the difference between desired (sorted by id) and what is
 * registered. A failed write is logged with the service ID and left for
 * the next call (the latest desired state wins); the first failure that is
 * not the service's own fault (unreachable, timeout, 5xx) ends the pass, so
 * a dead registry costs one timeout, not one per service. A service the
 * registry refuses as invalid is logged once and not retried until it
 * changes. Returns the number of writes still pending (0: in step). */
size_t rg_registry_apply(struct rg_registry *r, const struct rg_service_list *desired);

/* Lists the registry and removes entries owned by this host (ID starting
 * with "<hostname>:") that are not in desired. Returns the number of
 * failures, counting a failed list as one. No-op for adapters that cannot
 * list. */
size_t rg_registry_cleanup(struct rg_registry *r, const struct rg_service_list *desired,
                           const char *hostname);

/* Deregisters everything this registrator registered. Failures counted. */
size_t rg_registry_deregister_all(struct rg_registry *r);

/* TTL keep-alive; RG_OK when the adapter has nothing to refresh. */
int rg_registry_refresh(struct rg_registry *r, char *err);

#endif
