/* test_inflight.c - the bookkeeping of requests in flight (adapters/
 * inflight.c), driven by hand: order within one service, the cap, a failure
 * in the middle, a stop in the middle. */
#include "adapters/inflight.h"
#include "tests/unit/rg_test.h"

RG_SUITE(inflight);

#define N 10

static void plain(struct rg_inflight_item *it, size_t n) {
  for (size_t i = 0; i < n; i++) it[i].after = RG_INFLIGHT_NONE;
}

Test(inflight, starts_in_order_up_to_the_cap_and_one_more_per_finished_request) {
  struct rg_inflight_item it[N];
  struct rg_inflight f;
  plain(it, N);
  rg_inflight_init(&f, it, N, 3);
  cr_assert_eq(rg_inflight_next(&f), 0);
  cr_assert_eq(rg_inflight_next(&f), 1);
  cr_assert_eq(rg_inflight_next(&f), 2);
  cr_assert_eq(rg_inflight_next(&f), RG_INFLIGHT_NONE, "the cap is reached");
  cr_assert_eq(f.running, 3);
  rg_inflight_done(&f, 1, RG_OK);
  cr_assert_eq(rg_inflight_next(&f), 3);
  cr_assert_eq(rg_inflight_next(&f), RG_INFLIGHT_NONE);
  for (size_t i = 4; i < N; i++) { /* finish the oldest, start the next */
    rg_inflight_done(&f, i - 4 == 1 ? 0 : i - 4, RG_OK);
    cr_assert_leq(f.running, 3);
  }
  cr_assert_eq(f.cap, 3);
}

Test(inflight, a_request_after_another_waits_for_it_and_runs_once_it_succeeded) {
  struct rg_inflight_item it[4];
  struct rg_inflight f;
  plain(it, 4);
  it[2].after = 0; /* e.g. the put of a renamed service's new key after the delete of its old one */
  rg_inflight_init(&f, it, 4, 8);
  cr_assert_eq(rg_inflight_next(&f), 0);
  cr_assert_eq(rg_inflight_next(&f), 1);
  cr_assert_eq(rg_inflight_next(&f), 3, "2 waits for 0: the next one goes first");
  cr_assert_eq(rg_inflight_next(&f), RG_INFLIGHT_NONE, "below the cap, but 2 must wait");
  rg_inflight_done(&f, 0, RG_OK);
  cr_assert_eq(rg_inflight_next(&f), 2);
  rg_inflight_done(&f, 1, RG_OK);
  rg_inflight_done(&f, 2, RG_OK);
  rg_inflight_done(&f, 3, RG_OK);
  cr_assert(rg_inflight_all_done(&f));
  for (int i = 0; i < 4; i++) cr_assert(!it[i].skipped && it[i].rc == RG_OK);
}

Test(inflight, a_failure_in_the_middle_fails_its_dependents_and_nothing_else) {
  struct rg_inflight_item it[6];
  struct rg_inflight f;
  plain(it, 6);
  it[3].after = 1;
  it[5].after = 3; /* a chain: 1 -> 3 -> 5 */
  rg_inflight_init(&f, it, 6, 2);
  cr_assert_eq(rg_inflight_next(&f), 0);
  cr_assert_eq(rg_inflight_next(&f), 1);
  rg_inflight_done(&f, 1, RG_EAGAIN); /* e.g. a 500 on that service's request */
  cr_assert_eq(it[3].state, RG_INFLIGHT_FINISHED);
  cr_assert_eq(it[5].state, RG_INFLIGHT_FINISHED, "the whole chain settles at once");
  cr_assert(it[3].skipped && it[5].skipped);
  cr_assert_eq(it[3].rc, RG_EAGAIN);
  cr_assert_eq(it[5].rc, RG_EAGAIN);
  cr_assert_eq(rg_inflight_next(&f), 2);
  cr_assert_eq(rg_inflight_next(&f), RG_INFLIGHT_NONE, "cap 2: 0 and 2 run");
  rg_inflight_done(&f, 0, RG_OK);
  cr_assert_eq(rg_inflight_next(&f), 4);
  rg_inflight_done(&f, 2, RG_OK);
  rg_inflight_done(&f, 4, RG_EINVAL);
  cr_assert(rg_inflight_all_done(&f));
  cr_assert_eq(it[0].rc, RG_OK);
  cr_assert_eq(it[2].rc, RG_OK);
  cr_assert_eq(it[4].rc, RG_EINVAL);
  cr_assert(!it[4].skipped);
}

Test(inflight, a_stop_in_the_middle_starts_nothing_more_and_the_rest_get_its_code) {
  struct rg_inflight_item it[N];
  struct rg_inflight f;
  plain(it, N);
  rg_inflight_init(&f, it, N, 4);
  for (size_t i = 0; i < 4; i++) cr_assert_eq(rg_inflight_next(&f), i);
  rg_inflight_done(&f, 0, RG_OK);
  rg_inflight_stop(&f, RG_ECONNECT); /* 1 timed out: the registry is gone */
  cr_assert_eq(rg_inflight_next(&f), RG_INFLIGHT_NONE);
  for (size_t i = 4; i < N; i++) {
    cr_assert_eq(it[i].state, RG_INFLIGHT_FINISHED);
    cr_assert(it[i].skipped);
    cr_assert_eq(it[i].rc, RG_ECONNECT);
  }
  cr_assert(!rg_inflight_all_done(&f), "1..3 are still in flight");
  rg_inflight_done(&f, 1, RG_ECONNECT);
  rg_inflight_requeue(&f, 2); /* would go elsewhere, but the call is stopped */
  rg_inflight_done(&f, 3, RG_OK);
  cr_assert(rg_inflight_all_done(&f));
  cr_assert_eq(it[2].rc, RG_ECONNECT);
  cr_assert_eq(it[3].rc, RG_OK, "what was answered stays answered");
  cr_assert_eq(f.running, 0);
}

Test(inflight, a_requeued_request_starts_again_first) {
  struct rg_inflight_item it[5];
  struct rg_inflight f;
  plain(it, 5);
  rg_inflight_init(&f, it, 5, 2);
  cr_assert_eq(rg_inflight_next(&f), 0);
  cr_assert_eq(rg_inflight_next(&f), 1);
  rg_inflight_requeue(&f, 0); /* its endpoint failed; the next endpoint gets it */
  cr_assert_eq(rg_inflight_next(&f), 0);
  rg_inflight_done(&f, 1, RG_OK);
  cr_assert_eq(rg_inflight_next(&f), 2);
}

Test(inflight, a_stop_before_anything_started_settles_everything) {
  struct rg_inflight_item it[3];
  struct rg_inflight f;
  plain(it, 3);
  it[1].after = 7; /* not an earlier index: ignored */
  rg_inflight_init(&f, it, 3, 0);
  cr_assert_eq(f.cap, RG_INFLIGHT_DEFAULT_CAP);
  cr_assert_eq(it[1].after, RG_INFLIGHT_NONE);
  rg_inflight_stop(&f, RG_OK); /* stopping */
  cr_assert(rg_inflight_all_done(&f));
  for (int i = 0; i < 3; i++) cr_assert_eq(it[i].rc, RG_ESTOPPED);
}
