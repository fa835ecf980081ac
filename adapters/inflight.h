/*
 * inflight.h - the bookkeeping of requests in flight, without I/O: which
 * request of a call may start next, given a cap, per-request dependencies
 * and what has finished. adapters/http_multi.c drives it with curl; unit
 * tests drive it by hand. Owned by the adapters.
 *
 * A call holds n requests. Request i may name one earlier request `after`
 * (e.g. the delete of a renamed service's old key before the put of its new
 * one): it starts only once that one finished with RG_OK, and when that one
 * failed it finishes unstarted with the same code. So requests of one
 * service run one at a time, in order, and a failure of one request fails
 * only the requests that depend on it. At most `cap` requests run at once.
 * rg_inflight_stop (a connection-level failure, or stopping) starts nothing
 * more: every request not started finishes with the stop's code.
 */
#ifndef RG_ADAPTERS_INFLIGHT_H
#define RG_ADAPTERS_INFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

#include "registrator/common.h"

#define RG_INFLIGHT_NONE ((size_t)-1)
#define RG_INFLIGHT_DEFAULT_CAP 8 /* requests in flight per registry (-max-in-flight) */
#define RG_INFLIGHT_MAX_CAP 64

enum rg_inflight_state { RG_INFLIGHT_WAITING = 0, RG_INFLIGHT_RUNNING, RG_INFLIGHT_FINISHED };

struct rg_inflight_item {
  size_t after;                 /* an earlier index, or RG_INFLIGHT_NONE */
  enum rg_inflight_state state; /* out */
  int rc;                       /* out, once FINISHED */
  bool skipped;                 /* out: finished without being started */
};

struct rg_inflight {
  struct rg_inflight_item *items; /* borrowed */
  size_t n, cap;
  size_t running, finished;
  size_t first_open; /* every item before it is RUNNING or FINISHED */
  int stop_rc;       /* RG_OK, or the code every unstarted item gets */
};

/* items[0..n) with `after` set by the caller; the rest is reset here. cap
 * 0 means RG_INFLIGHT_DEFAULT_CAP. */
void rg_inflight_init(struct rg_inflight *f, struct rg_inflight_item *items, size_t n, size_t cap);

/* The next request to start (marked RUNNING), or RG_INFLIGHT_NONE when none
 * may start now: cap reached, stopped, or every waiting request waits for a
 * running one. Requests whose `after` failed are finished on the way. */
size_t rg_inflight_next(struct rg_inflight *f);

/* Running request i finished with rc. */
void rg_inflight_done(struct rg_inflight *f, size_t i, int rc);

/* Running request i goes back to waiting (to be sent again elsewhere);
 * after a stop it finishes with the stop's code instead. */
void rg_inflight_requeue(struct rg_inflight *f, size_t i);

/* Nothing starts any more; every waiting request finishes with rc (not
 * RG_OK). The running ones still finish through rg_inflight_done. */
void rg_inflight_stop(struct rg_inflight *f, int rc);

/* True when every request has finished. */
bool rg_inflight_all_done(const struct rg_inflight *f);

#endif /* RG_ADAPTERS_INFLIGHT_H */
