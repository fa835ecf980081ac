/* reconciler.c - see reconciler.h. */
#include "registrator/reconciler.h"

#include <stdlib.h>

int rg_reconciler_new(struct rg_reconciler **out, struct rg_registry *reg,
                      const struct rg_reconciler_policy *policy, const char *hostname, int64_t now,
                      char *err) {
  *out = NULL;
  struct rg_reconciler *rc = calloc(1, sizeof *rc);
  if (rc == NULL || (rc->hostname = rg_strdup(hostname ? hostname : "")) == NULL) {
    free(rc);
    rg_registry_close(reg);
    return rg_err(err, RG_ENOMEM, "out of memory");
  }
  rc->reg = reg;
  rc->policy = *policy;
  if (policy->ttl_refresh_s > 0) rg_timer_arm(&rc->timers, RG_T_REFRESH, now + policy->ttl_refresh_s * 1000);
  *out = rc;
  return RG_OK;
}

void rg_reconciler_free(struct rg_reconciler *rc) {
  if (rc == NULL) return;
  rg_registry_close(rc->reg);
  free(rc->hostname);
  free(rc);
}

/* A pass left failures: back off (capped at -retry-interval, so a registry
 * that comes back is caught up within one retry interval). */
static void failed(struct rg_reconciler *rc, int64_t now, const char *what, size_t n) {
  rc->backoff = rg_backoff_next(rc->backoff, RG_RETRY_MIN_MS, rc->policy.retry_interval_ms);
  rg_timer_arm(&rc->timers, RG_T_RETRY, now + rc->backoff);
  rc->failures++;
  rg_log(rc->reg->log, RG_LOG_WARN, "%s: %zu %s failed; retrying in %lld ms", rc->reg->label, n, what,
         (long long)rc->backoff);
}

static void write_desired(struct rg_reconciler *rc, const struct rg_service_list *desired, uint64_t gen,
                          int64_t now) {
  bool was_failing = rc->backoff > 0;
  rc->pending = rg_registry_apply(rc->reg, desired);
  rc->applied_gen = gen;
  rc->applied = true;
  if (rc->pending) {
    failed(rc, now, "registry write(s)", rc->pending);
    return;
  }
  rg_timer_disarm(&rc->timers, RG_T_RETRY);
  rc->backoff = 0;
  if (was_failing) rc->verify_wanted = true; /* what did the registry keep while it was away? */
}

static void verify(struct rg_reconciler *rc, const struct rg_service_list *desired, uint64_t gen, int64_t now) {
  size_t drifted = 0;
  size_t n = rg_registry_verify(rc->reg, desired, rc->hostname, rc->policy.cleanup, &drifted);
  if (n) {
    failed(rc, now, "verification step(s)", n);
    return;
  }
  rc->verify_wanted = false;
  if (drifted) write_desired(rc, desired, gen, now);
}

void rg_reconciler_set_policy(struct rg_reconciler *rc, const struct rg_reconciler_policy *policy, int64_t now) {
  bool refresh_changed = policy->ttl_refresh_s != rc->policy.ttl_refresh_s;
  rc->policy = *policy;
  if (!refresh_changed) return;
  if (policy->ttl_refresh_s > 0) rg_timer_arm(&rc->timers, RG_T_REFRESH, now + policy->ttl_refresh_s * 1000);
  else rg_timer_disarm(&rc->timers, RG_T_REFRESH);
}

void rg_reconciler_reopen(struct rg_reconciler *rc, struct rg_registry *fresh) {
  rg_registry_succeed(fresh, rc->reg);
  rc->reg = fresh;
  rc->rewrite = true;
  rc->backoff = 0;
  rg_timer_disarm(&rc->timers, RG_T_RETRY);
}

int64_t rg_reconciler_step(struct rg_reconciler *rc, const struct rg_service_list *desired, uint64_t gen,
                           unsigned flags, int64_t now) {
  if (flags & RG_STEP_VERIFY) rc->verify_wanted = true;
  if (rc->rewrite) {
    rg_registry_forget_unchanged(rc->reg, desired);
    rc->rewrite = false;
    rc->applied = false; /* written below, whatever the generation */
  }
  bool retry = rg_timer_fire(&rc->timers, RG_T_RETRY, now);
  bool waiting = rg_timer_armed(&rc->timers, RG_T_RETRY); /* backing off: the timer drives writes */
  if (retry || (!waiting && (!rc->applied || gen != rc->applied_gen))) write_desired(rc, desired, gen, now);
  if (rc->verify_wanted && !rg_timer_armed(&rc->timers, RG_T_RETRY)) verify(rc, desired, gen, now);
  if (rg_timer_fire(&rc->timers, RG_T_REFRESH, now)) {
    char err[RG_ERRBUF] = "";
    if (rg_registry_refresh(rc->reg, err) != RG_OK)
      rg_log(rc->reg->log, RG_LOG_WARN, "%s: TTL refresh failed: %s", rc->reg->label, err);
    rg_timer_arm(&rc->timers, RG_T_REFRESH, now + rc->policy.ttl_refresh_s * 1000);
  }
  if (rc->applied && !rc->verify_wanted) rc->passed = true;
  rc->in_step = rc->applied && rc->pending == 0 && !rc->verify_wanted && rc->applied_gen == gen;
  return rg_timer_next(&rc->timers);
}

size_t rg_reconciler_deregister_all(struct rg_reconciler *rc) { return rg_registry_deregister_all(rc->reg); }
