/*
 * timer.h - the one mechanism for time in the core: a small set of named
 * deadlines (an owner's enum indexes them), armed and disarmed by value,
 * asked for the nearest and for the ones due. Pure: the caller passes the
 * clock in (rg_now_ms() in production, any number in a unit test), so when
 * each timer fires is a plain function of its inputs.
 */
#ifndef RG_REGISTRATOR_TIMER_H
#define RG_REGISTRATOR_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define RG_TIMERS_MAX 8

struct rg_timers {
  int64_t at[RG_TIMERS_MAX]; /* monotonic ms */
  bool armed[RG_TIMERS_MAX];
};

/* Milliseconds on the monotonic clock. */
int64_t rg_now_ms(void);

void rg_timer_arm(struct rg_timers *t, int id, int64_t at);
/* Arms id at `at` unless it is already armed earlier. */
void rg_timer_arm_by(struct rg_timers *t, int id, int64_t at);
void rg_timer_disarm(struct rg_timers *t, int id);
bool rg_timer_armed(const struct rg_timers *t, int id);

/* Whether id is armed and due at now; a due timer is disarmed (it fires
 * once; re-arm it for the next time). */
bool rg_timer_fire(struct rg_timers *t, int id, int64_t now);

/* The nearest armed deadline, or -1 when none is armed. */
int64_t rg_timer_next(const struct rg_timers *t);

/* How long a poll may sleep from now: until the nearest deadline, at least
 * 0 and at most max_ms (also when nothing is armed). */
long rg_timer_wait_ms(const struct rg_timers *t, int64_t now, long max_ms);

/* Capped exponential backoff: min_ms first, then doubling up to max_ms. */
int64_t rg_backoff_next(int64_t cur, int64_t min_ms, int64_t max_ms);

#endif
