/*
 * registry.h - one open registry: an adapter instance plus the mirror of
 * what this registrator has written to it, and the reconcile-and-write step
 * shared by the daemon and the one-shot resync.
 */
#ifndef RG_REGISTRATOR_REGISTRY_H
#define RG_REGISTRATOR_REGISTRY_H

#include <stdbool.h>

#include "adapters/adapter.h"
#include "registrator/metrics.h"
#include "registrator/service.h"

struct rg_registry {
  const struct rg_adapter *adapter;
  void *state;
  char *uri;                          /* as given */
  char *label;                        /* the URI without credentials: for messages and metrics */
  bool up;                            /* the last request was answered */
  struct rg_service_list registered;  /* what we wrote and still own, sorted by id */
  struct rg_service_list rejected;    /* refused as invalid (RG_EINVAL): not retried
                                         until the service changes; sorted by id */
  const struct rg_log *log;
  struct rg_adapter_config cfg;       /* owned copies of every string the adapter borrows */
  struct rg_metrics_registry *metrics; /* its series (metrics.h); NULL: off; closed with it */
};

/* Parses uri, finds its adapter and opens it (no network I/O is required to
 * succeed: reachability is rg_registry_ping's job). The registry keeps its
 * own copies of cfg's strings; cfg->log and cfg->cancel stay borrowed and
 * must outlive it. */
int rg_registry_open(struct rg_registry **out, const char *uri, const struct rg_adapter_config *cfg,
                     char *err);
void rg_registry_close(struct rg_registry *r); /* accepts NULL */

int rg_registry_ping(struct rg_registry *r, char *err);

/* Hands r its series (owned from here: closed with r). Every request is
 * timed into it and every operation counted; the registry's state is
 * reported by whoever drives it (engine.c). */
void rg_registry_set_metrics(struct rg_registry *r, struct rg_metrics_registry *m);

/* Writes the difference between desired (sorted by id) and what is
 * registered. A failed write is logged with the service ID and left for
 * the next call (the latest desired state wins); the first failure that is
 * not the service's own fault (unreachable, timeout, 5xx) ends the pass, so
 * a dead registry costs one timeout, not one per service. A service the
 * registry refuses as invalid is logged once and not retried until it
 * changes. Registrations go to the adapter's register_many, when it has
 * one, up to 128 services a call (etcd: one txn each); deregistrations go
 * one by one. Returns the number of writes still pending (0: in step). */
size_t rg_registry_apply(struct rg_registry *r, const struct rg_service_list *desired);

/* Lists the registry once (no-op for adapters that cannot list); without
 * cleanup only this instance's own entries when the adapter can tell them
 * (etcd v3 with a TTL: the keys on its lease), so that the cost does not grow
 * with the other hosts sharing the prefix:
 *  - drift repair: services this registrator registered that the registry
 *    no longer holds are forgotten, so that the next rg_registry_apply()
 *    writes them again; *drifted counts them;
 *  - with cleanup: entries owned by this host (ID "<hostname>:...") that are
 *    not desired (or desired under another name) are removed.
 * Returns the number of failures, a failed list counting as one. */
size_t rg_registry_verify(struct rg_registry *r, const struct rg_service_list *desired,
                          const char *hostname, bool cleanup, size_t *drifted);

/* One service written by the same rules as rg_registry_apply (the
 * library's rg_registry_add/remove): a refusal is remembered and an
 * unchanged refused service is not sent again; "not found" on a removal
 * is done; the mirror follows. err says why on failure. */
int rg_registry_write(struct rg_registry *r, const struct rg_service *s, bool add, char *err);

/* Names the settings in which a and b differ ("-ttl, TLS"; never a value)
 * into out; returns how many differ (0: the same registry configuration). */
size_t rg_adapter_config_diff(const struct rg_adapter_config *a, const struct rg_adapter_config *b, char *out,
                              size_t size);

/* A reload gave old's URI new settings: fresh (opened with them, same URI)
 * takes over old's mirror, refusals and series, and old is closed. The
 * caller then writes everything again through fresh (a new lease, TTL or
 * credentials: rg_registry_forget_unchanged). */
void rg_registry_succeed(struct rg_registry *fresh, struct rg_registry *old);

/* Forgets every registered service that desired holds unchanged, so that
 * the next rg_registry_apply() writes each of them again; services no
 * longer desired (or changed) stay in the mirror, so that apply still
 * removes (or replaces) them. */
void rg_registry_forget_unchanged(struct rg_registry *r, const struct rg_service_list *desired);

/* uri without "user:password@" and without the query (which may carry
 * credentials or file paths): a malloc()ed string, NULL on OOM. */
char *rg_uri_label(const char *uri);

/* Deregisters everything this registrator registered. Failures counted. */
size_t rg_registry_deregister_all(struct rg_registry *r);

/* TTL keep-alive; RG_OK when the adapter has nothing to refresh. */
int rg_registry_refresh(struct rg_registry *r, char *err);

#endif
