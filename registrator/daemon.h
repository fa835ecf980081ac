/*
 * daemon.h - the long-running registrator: one event loop (a curl multi
 * handle) that carries Docker's event stream, with timers for resync, TTL
 * refresh, write retries and stream reconnects.
 *
 * Guarantees: events are applied in arrival order (so per container in
 * order); the desired set is recomputed from Docker at start, on every
 * reconnect and every -resync seconds; writes that fail are retried with
 * capped exponential backoff until the registry matches the latest desired
 * set; a Docker stream that ends is re-opened with backoff, never exits.
 */
#ifndef RG_REGISTRATOR_DAEMON_H
#define RG_REGISTRATOR_DAEMON_H

#include "docker/client.h"
#include "registrator/config.h"
#include "registrator/model.h"
#include "registrator/registry.h"

/* The public calls (rg_daemon_create, _run, _stop, _resync, _destroy) are
 * declared in registrator.h. */

/* Takes ownership of docker and registry (closed by rg_daemon_destroy, also
 * on failure here); borrows cfg, mo and log, which may change between loop
 * turns (a reload) but must outlive the daemon. */
int rg_daemon_new(struct rg_daemon **out, struct rg_docker *docker, struct rg_registry *registry,
                  const struct rg_config *cfg, const struct rg_model_options *mo,
                  const struct rg_log *log, char *err);

/* Called in the loop (not in a signal handler) when rg_daemon_resync() was
 * asked, before the resync: e.g. to re-read the config file. A non-zero
 * return keeps the old settings (the hook logs why). */
void rg_daemon_set_reload(struct rg_daemon *d, int (*fn)(void *ud), void *ud);

/* The flag the registry's requests watch (rg_adapter_config.cancel):
 * rg_daemon_stop() raises it so that a request hanging on a dead registry
 * is abandoned, and the loop lowers it before -deregister-on-exit. */
void rg_daemon_set_cancel(struct rg_daemon *d, volatile int *cancel);

/* Hands d the metrics and the -metrics server (either may be NULL), owned
 * from now on: the server stops first, the metrics go last. */
struct rg_metrics;
struct rg_httpd;
void rg_daemon_set_metrics(struct rg_daemon *d, struct rg_metrics *m, struct rg_httpd *h);

#endif
