/*
 * reconciler.h - one registry converging on the desired set, on its own:
 * its retry backoff, refused-service memory (in the registry's mirror),
 * drift repair, TTL refresh and lease are its own, so a registry that is
 * down or slow never holds up another. The policy of when to write, retry,
 * verify and refresh is written here once; the daemon drives it from one
 * worker thread per registry (registrator/engine.h), the one-shot resync
 * and the library from the caller's thread.
 *
 * rg_reconciler_step() is a function of (desired, generation, flags, now):
 * it does the registry I/O that is due and says when to call it next, so
 * a unit test drives it with a fake adapter and a fake clock.
 */
#ifndef RG_REGISTRATOR_RECONCILER_H
#define RG_REGISTRATOR_RECONCILER_H

#include <stdbool.h>
#include <stdint.h>

#include "registrator/registry.h"
#include "registrator/timer.h"

#define RG_RETRY_MIN_MS 250 /* the first retry; then doubling up to -retry-interval */

/* What a reconciler needs of the settings (copied at creation). */
struct rg_reconciler_policy {
  long retry_interval_ms; /* -retry-interval: the backoff's cap */
  long ttl_refresh_s;     /* -ttl-refresh: 0 none */
  bool cleanup;           /* -cleanup: verify removes this host's dangling entries */
};

enum rg_reconciler_timer { RG_T_RETRY, RG_T_REFRESH };

/* Flags of a step. */
enum {
  RG_STEP_VERIFY = 1, /* list the registry: drift repair (and -cleanup) */
};

struct rg_reconciler {
  struct rg_registry *reg;            /* owned */
  struct rg_reconciler_policy policy;
  char *hostname;                     /* owned: ownership of entries for -cleanup */
  struct rg_timers timers;
  int64_t backoff;                    /* ms, 0: no failure pending */
  uint64_t applied_gen;               /* the desired generation last written */
  bool applied;                       /* applied_gen is meaningful */
  bool verify_wanted;                 /* a verify is owed (asked, or after a recovery) */
  bool rewrite;                       /* reopened: write every desired service again */
  /* state, for logs and metrics */
  size_t pending;                     /* writes not yet in step */
  bool in_step;                       /* the last pass left nothing pending or owed */
  bool passed;                        /* one whole pass (apply + any verify) ran */
  unsigned long failures;             /* passes that left something pending */
};

/* Takes ownership of reg (closed by rg_reconciler_free, also on failure). */
int rg_reconciler_new(struct rg_reconciler **out, struct rg_registry *reg,
                      const struct rg_reconciler_policy *policy, const char *hostname, int64_t now,
                      char *err);
void rg_reconciler_free(struct rg_reconciler *rc); /* accepts NULL */

/* Brings the registry toward desired (sorted by id; gen identifies its
 * content: an unchanged gen is not written again unless a retry is due).
 * While writes are failing, the retry timer, not each new generation,
 * drives them, so a dead registry costs one timeout per backoff period.
 * A verify is done when asked (flags), after a recovery from failures, and
 * retried like a write when the listing fails. Returns the next deadline
 * (rg_now_ms() clock) at which to call again, -1 for none. */
int64_t rg_reconciler_step(struct rg_reconciler *rc, const struct rg_service_list *desired, uint64_t gen,
                           unsigned flags, int64_t now);

/* A reload's new policy: a changed -ttl-refresh re-arms (or disarms) the
 * refresh timer from now. */
void rg_reconciler_set_policy(struct rg_reconciler *rc, const struct rg_reconciler_policy *policy, int64_t now);

/* A reload gave the registry new settings (-ttl, TLS, credentials, ...):
 * fresh, opened with them, replaces the registry (rg_registry_succeed);
 * the next step writes every desired service again through it, at once,
 * without waiting out a backoff earned under the old settings. Services
 * written under the old settings and not desired any more are removed as
 * usual; an old lease is left to expire. */
void rg_reconciler_reopen(struct rg_reconciler *rc, struct rg_registry *fresh);

/* Deregisters everything this reconciler registered (-deregister-on-exit),
 * stopping at the first failure that is the registry's. Failures counted. */
size_t rg_reconciler_deregister_all(struct rg_reconciler *rc);

#endif
