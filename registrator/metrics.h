/*
 * metrics.h - what the daemon tells operators about itself: the series of
 * /metrics (README "Metrics, health and readiness"), the answers of /healthz
 * and /readyz, and the systemd notifications (notify.h) that follow them.
 *
 * Push style: the daemon's threads report what happened, the HTTP server's
 * thread reads a snapshot. Thread safety:
 *  - rg_metrics_event / _stream / _heartbeat / _first_sync: the event loop
 *    thread. They touch only atomics (no lock, no allocation): an event costs
 *    a lookup in a fixed action table and one relaxed atomic increment.
 *  - rg_metrics_registry_* / _op / _request / _state: any thread (one worker
 *    per registry). They take the one mutex of struct rg_metrics for a few
 *    stores; registries do network I/O between calls, so it is never
 *    contended in practice.
 *  - rg_metrics_render / _health / _ready: any thread (the HTTP server's).
 * A NULL struct rg_metrics (or registry) means "metrics off": every call is
 * a no-op, so the call sites need no checks.
 */
#ifndef RG_REGISTRATOR_METRICS_H
#define RG_REGISTRATOR_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registrator/common.h"

struct rg_metrics;
struct rg_metrics_registry; /* one registry's series */
struct rg_notify;           /* notify.h */

enum rg_metrics_op { RG_METRICS_REGISTER, RG_METRICS_DEREGISTER, RG_METRICS_REFRESH, RG_METRICS_LIST };
enum rg_metrics_result { RG_METRICS_OK, RG_METRICS_ERROR, RG_METRICS_REFUSED };

/* The loop counts as stalled (/healthz 503, no WATCHDOG=1) when it has not
 * turned for this long. It turns at least once a second when idle. */
#define RG_METRICS_STALL_MS 10000

/* *out gets an empty set of series; version goes into
 * registrator_build_info. Free with rg_metrics_free (accepts NULL). */
int rg_metrics_new(struct rg_metrics **out, const char *version, char *err);
void rg_metrics_free(struct rg_metrics *m);

/* Hands n (may be NULL) to m, which owns it from now on: heartbeat and
 * first_sync drive its READY=1, STATUS= and WATCHDOG=1 (notify.h). */
void rg_metrics_set_notify(struct rg_metrics *m, struct rg_notify *n);

/* A registry's series under label (copied; the registry's rg_uri_label). NULL
 * when m is NULL or on OOM. Closing drops its series (a reload removed it). */
struct rg_metrics_registry *rg_metrics_registry_open(struct rg_metrics *m, const char *label);
void rg_metrics_registry_close(struct rg_metrics_registry *r);

/* count operations of kind op ended with res. */
void rg_metrics_op(struct rg_metrics_registry *r, enum rg_metrics_op op, enum rg_metrics_result res,
                   size_t count);
/* One registry request took seconds (the histogram). */
void rg_metrics_request(struct rg_metrics_registry *r, double seconds);
/* The registry's state after a pass: up = its last request was answered;
 * services registered there now; pending writes not yet in step (0 sets
 * the last-sync timestamp to now); first_pass_done = its first full pass
 * is over. */
void rg_metrics_registry_state(struct rg_metrics_registry *r, bool up, size_t services, size_t pending,
                               bool first_pass_done);

/* The event loop's reports (see above). An action outside the table
 * counts as "other". A down->up stream after the first up is a reconnect. */
void rg_metrics_event(struct rg_metrics *m, const char *action);
void rg_metrics_stream(struct rg_metrics *m, bool up);
void rg_metrics_heartbeat(struct rg_metrics *m);
void rg_metrics_first_sync(struct rg_metrics *m);
/* The event loop's poll timeout, shortened so that the loop turns in time
 * for the next WATCHDOG=1 (timeout_ms when there is no watchdog). */
long rg_metrics_poll_timeout(struct rg_metrics *m, long timeout_ms);

/* The Prometheus text exposition (format 0.0.4) appended to out. */
int rg_metrics_render(struct rg_metrics *m, struct rg_buf *out);

/* /healthz: true while the loop turned within RG_METRICS_STALL_MS. */
bool rg_metrics_healthy(struct rg_metrics *m);
/* /readyz: true when the first sync is done, the Docker stream is up and
 * every registry is up and past its first pass. why (may be NULL) gets one
 * line per reason when not ready, "ready\n" when ready. */
bool rg_metrics_ready(struct rg_metrics *m, struct rg_buf *why);
/* One line for STATUS=: "N service(s) in K/R registries up; docker stream up". */
void rg_metrics_summary(struct rg_metrics *m, char *buf, size_t size);

#endif
