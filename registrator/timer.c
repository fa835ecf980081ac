/* timer.c - see timer.h. */
#include "registrator/timer.h"

#include <time.h>

int64_t rg_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool valid(int id) { return id >= 0 && id < RG_TIMERS_MAX; }

void rg_timer_arm(struct rg_timers *t, int id, int64_t at) {
  if (!valid(id)) return;
  t->at[id] = at;
  t->armed[id] = true;
}

void rg_timer_arm_by(struct rg_timers *t, int id, int64_t at) {
  if (valid(id) && (!t->armed[id] || at < t->at[id])) rg_timer_arm(t, id, at);
}

void rg_timer_disarm(struct rg_timers *t, int id) {
  if (valid(id)) t->armed[id] = false;
}

bool rg_timer_armed(const struct rg_timers *t, int id) { return valid(id) && t->armed[id]; }

bool rg_timer_fire(struct rg_timers *t, int id, int64_t now) {
  if (!valid(id) || !t->armed[id] || now < t->at[id]) return false;
  t->armed[id] = false;
  return true;
}

int64_t rg_timer_next(const struct rg_timers *t) {
  int64_t next = -1;
  for (int i = 0; i < RG_TIMERS_MAX; i++)
    if (t->armed[i] && (next < 0 || t->at[i] < next)) next = t->at[i];
  return next;
}

long rg_timer_wait_ms(const struct rg_timers *t, int64_t now, long max_ms) {
  int64_t next = rg_timer_next(t);
  if (next < 0 || next - now >= max_ms) return max_ms;
  return next <= now ? 0 : (long)(next - now);
}

int64_t rg_backoff_next(int64_t cur, int64_t min_ms, int64_t max_ms) {
  int64_t next = cur > 0 ? cur * 2 : min_ms;
  return next > max_ms ? max_ms : next;
}
