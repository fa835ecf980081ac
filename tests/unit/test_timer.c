/* test_timer.c - the one timer mechanism (registrator/timer.c). */
#include "registrator/timer.h"
#include "tests/unit/rg_test.h"

RG_SUITE(timer);

Test(timer, the_nearest_armed_deadline_fires_once_and_only_when_due) {
  struct rg_timers t = {0};
  cr_expect_eq(rg_timer_next(&t), -1, "nothing armed");
  cr_expect_eq(rg_timer_wait_ms(&t, 100, 1000), 1000, "an idle loop waits the maximum");
  rg_timer_arm(&t, 0, 500);
  rg_timer_arm(&t, 3, 300);
  cr_expect_eq(rg_timer_next(&t), 300);
  cr_expect_eq(rg_timer_wait_ms(&t, 100, 1000), 200);
  cr_expect_not(rg_timer_fire(&t, 3, 299), "not yet due");
  cr_expect(rg_timer_fire(&t, 3, 300));
  cr_expect_not(rg_timer_fire(&t, 3, 301), "a timer fires once");
  cr_expect_eq(rg_timer_next(&t), 500);
  cr_expect_eq(rg_timer_wait_ms(&t, 900, 1000), 0, "overdue: no wait");
  rg_timer_disarm(&t, 0);
  cr_expect_eq(rg_timer_next(&t), -1);
}

Test(timer, arm_by_only_brings_a_deadline_forward) {
  struct rg_timers t = {0};
  rg_timer_arm_by(&t, 1, 800);
  rg_timer_arm_by(&t, 1, 900);
  cr_expect_eq(rg_timer_next(&t), 800);
  rg_timer_arm_by(&t, 1, 700);
  cr_expect_eq(rg_timer_next(&t), 700);
  rg_timer_arm(&t, 99, 1); /* out of range: ignored */
  cr_expect_eq(rg_timer_next(&t), 700);
}

Test(timer, backoff_doubles_from_the_minimum_up_to_the_cap) {
  int64_t b = 0, seen[6];
  for (int i = 0; i < 6; i++) seen[i] = b = rg_backoff_next(b, 250, 2000);
  cr_expect_eq(seen[0], 250);
  cr_expect_eq(seen[1], 500);
  cr_expect_eq(seen[2], 1000);
  cr_expect_eq(seen[3], 2000);
  cr_expect_eq(seen[5], 2000);
}
