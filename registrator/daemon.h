/*
 * daemon.h - the long-running registrator: one event loop (a curl multi
 * handle) that carries Docker's event stream and the reads it asks for,
 * keeps the desired set (registrator/host.h) and publishes it to the sync
 * engine (registrator/engine.h), whose workers write each registry on
 * their own. Timers (registrator/timer.h): resync, stream reconnect.
 *
 * Guarantees: events are applied in arrival order (so per container in
 * order); the desired set is recomputed from Docker at start, on every
 * reconnect and every -resync seconds; each registry converges on the
 * latest desired set on its own, retrying with capped backoff; a Docker
 * stream that ends is re-opened with backoff, never exits.
 */
#ifndef RG_REGISTRATOR_DAEMON_H
#define RG_REGISTRATOR_DAEMON_H

#include "docker/client.h"
#include "registrator/engine.h"
#include "registrator/settings.h"

/* The public calls (rg_daemon_create, _run, _stop, _resync, _destroy) are
 * declared in registrator.h. */

/* Takes ownership of docker and engine (closed by rg_daemon_destroy, also
 * on failure here); borrows s, whose content may change between loop turns
 * (a reload) but which must outlive the daemon. s->cancel is the flag the
 * registries' requests watch: rg_daemon_stop() raises it so that a request
 * hanging on a dead registry is abandoned, and the loop lowers it before
 * -deregister-on-exit. */
int rg_daemon_new(struct rg_daemon **out, struct rg_docker *docker, struct rg_engine *engine,
                  struct rg_settings *s, char *err);

/* Called in the loop (not in a signal handler) when rg_daemon_resync() was
 * asked, before the resync: e.g. to re-read the config file. A non-zero
 * return keeps the old settings (the hook logs why). After a successful
 * reload the daemon opens the registries new in the list and retires the
 * ones no longer in it. */
void rg_daemon_set_reload(struct rg_daemon *d, int (*fn)(void *ud), void *ud);

/* Hands d the metrics and the -metrics server (either may be NULL), owned
 * from now on: the server stops first, the metrics go last (after the
 * engine, whose registries hold series of m). */
struct rg_metrics;
struct rg_httpd;
void rg_daemon_set_metrics(struct rg_daemon *d, struct rg_metrics *m, struct rg_httpd *h);

#endif
