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

struct rg_daemon;

/* Borrows docker, registry, cfg, mo and log for its lifetime. */
int rg_daemon_new(struct rg_daemon **out, struct rg_docker *docker, struct rg_registry *registry,
                  const struct rg_config *cfg, const struct rg_model_options *mo,
                  const struct rg_log *log, char *err);

/* Runs until rg_daemon_stop(). RG_OK on a requested stop. */
int rg_daemon_run(struct rg_daemon *d, char *err);

/* Asks the loop to stop (or, with resync=1, to resync now). Async-signal
 * safe and callable from any thread: it only write()s to a pipe. */
void rg_daemon_signal(struct rg_daemon *d, int resync);

void rg_daemon_free(struct rg_daemon *d); /* accepts NULL */

#endif
