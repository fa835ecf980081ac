/*
 * engine.h - the sync engine: the core publishes one desired set, and each
 * open registry converges on it on its own (registrator/reconciler.h).
 *
 * Why one worker thread per registry, fed desired-state snapshots, rather
 * than registry I/O on the event loop's multi handle: every adapter speaks
 * plain request/response over its own blocking HTTP client (endpoint
 * failover, auth retries, lease recovery, txn batches), and a thread gives
 * each registry that simple code while isolating it completely: a SIGSTOPped
 * etcd blocks its own worker and nothing else, so Docker's events and the
 * other registries carry on (README, "Several registries"). What crosses
 * threads is small and immutable: a reference-counted snapshot of the
 * desired set with its generation, and a few flags, under one mutex per
 * worker. A worker that is behind simply skips to the newest snapshot: the
 * latest desired state wins.
 *
 * The log sink is called from the workers too, so it must be thread-safe
 * (the command's sink writes one fprintf per line).
 */
#ifndef RG_REGISTRATOR_ENGINE_H
#define RG_REGISTRATOR_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "registrator/reconciler.h"

struct rg_engine;

/* What one registry's worker last reported. */
struct rg_engine_status {
  const char *label;  /* borrowed: valid while the registry is in the engine */
  bool up;            /* the last request was answered */
  bool in_step;       /* the newest desired set is written, nothing owed */
  bool passed;        /* one whole pass ran */
  size_t pending;     /* writes not yet in step */
  size_t registered;  /* services registered there now */
};

int rg_engine_new(struct rg_engine **out, const struct rg_log *log, char *err);

/* Stops every worker (a request in flight is abandoned only if the
 * adapter's cancel flag is raised: see rg_daemon_stop), joins them and
 * closes the registries. Accepts NULL. */
void rg_engine_free(struct rg_engine *e);

/* Gives every registry, present and added later, its series in m (NULL:
 * off; borrowed, must outlive the engine's registries): each worker reports
 * its registry's state after every step (metrics.h). Before the first
 * publish: the workers are idle until then. */
struct rg_metrics;
void rg_engine_set_metrics(struct rg_engine *e, struct rg_metrics *m);

/* Adds a registry (owned from here, also on failure) with its own worker. */
int rg_engine_add(struct rg_engine *e, struct rg_registry *reg, const struct rg_reconciler_policy *policy,
                  const char *hostname, char *err);

/* Retires the registry whose URI is uri: its worker finishes the request
 * in flight, deregisters everything when deregister is set, and ends
 * without delaying the caller. false when no registry has that URI. */
bool rg_engine_remove(struct rg_engine *e, const char *uri, bool deregister);

/* Whether a registry with this URI is open. */
bool rg_engine_has(const struct rg_engine *e, const char *uri);

/* A reload gave a registry new settings: fresh (opened with them, its URI
 * that of a registry in the engine; owned from here) takes over at the
 * worker's next step (rg_reconciler_reopen), the request in flight
 * finishing on the old connection. false (fresh closed) when no registry
 * has that URI. */
bool rg_engine_reopen(struct rg_engine *e, struct rg_registry *fresh);

/* The adapter settings registry i was last given (by rg_engine_add or
 * rg_engine_reopen): borrowed until the next reopen of it. */
const struct rg_adapter_config *rg_engine_config(const struct rg_engine *e, size_t i);

/* New policy values for every registry (a reload). */
void rg_engine_set_policy(struct rg_engine *e, const struct rg_reconciler_policy *policy);

/* Publishes desired (copied once, shared by every worker) with its
 * generation; flags (RG_STEP_*) go to every worker. */
int rg_engine_publish(struct rg_engine *e, const struct rg_service_list *desired, uint64_t gen, unsigned flags);

size_t rg_engine_count(const struct rg_engine *e);
/* Registry i's URI as given, and its label (without credentials):
 * borrowed while it is in the engine. */
const char *rg_engine_uri(const struct rg_engine *e, size_t i);
const char *rg_engine_label(const struct rg_engine *e, size_t i);
void rg_engine_status(struct rg_engine *e, size_t i, struct rg_engine_status *out);

/* Blocks until every worker has stepped on the generation gen (or stop
 * is raised, or deadline_ms passes): for tests and the one-shot. */
bool rg_engine_wait(struct rg_engine *e, uint64_t gen, int64_t deadline_ms, const volatile int *stop);

/* Stops and joins every worker (the daemon's exit). */
void rg_engine_stop(struct rg_engine *e);

/* After rg_engine_stop: deregisters each registry's services from this
 * thread, one registry after another (-deregister-on-exit). */
void rg_engine_deregister_all(struct rg_engine *e);

#endif
