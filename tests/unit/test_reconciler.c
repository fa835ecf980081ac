/* test_reconciler.c - one registry converging on its own
 * (registrator/reconciler.c) and several at once in the engine's worker
 * threads (registrator/engine.c), through a fake adapter and, for the
 * reconciler, a fake clock. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "registrator/engine.h"
#include "registrator/reconciler.h"
#include "tests/unit/model_util.h"

RG_SUITE(reconciler);

/* A registry of the test's own: a set of ids, down or hung on demand. */
struct fake {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool down, hung;
  struct rg_service_list held;
  size_t writes, lists, refreshes;
};

static int check(struct fake *f, char *err) {
  pthread_mutex_lock(&f->mu);
  while (f->hung) pthread_cond_wait(&f->cv, &f->mu);
  bool down = f->down;
  pthread_mutex_unlock(&f->mu);
  return down ? rg_err(err, RG_ECONNECT, "fake registry down") : RG_OK;
}

static int fake_register(void *state, const struct rg_service *s, char *err) {
  struct fake *f = state;
  int rc = check(f, err);
  pthread_mutex_lock(&f->mu);
  f->writes++;
  if (rc == RG_OK) rc = rg_service_list_upsert(&f->held, s);
  pthread_mutex_unlock(&f->mu);
  return rc;
}

static int fake_deregister(void *state, const struct rg_service *s, char *err) {
  struct fake *f = state;
  int rc = check(f, err);
  pthread_mutex_lock(&f->mu);
  f->writes++;
  if (rc == RG_OK) rg_service_list_remove(&f->held, s->id);
  pthread_mutex_unlock(&f->mu);
  return rc;
}

static int fake_list(void *state, struct rg_service_list *out, char *err) {
  struct fake *f = state;
  int rc = check(f, err);
  pthread_mutex_lock(&f->mu);
  f->lists++;
  for (size_t i = 0; rc == RG_OK && i < f->held.n; i++) rc = rg_service_list_push_copy(out, &f->held.items[i]);
  pthread_mutex_unlock(&f->mu);
  return rc;
}

static int fake_refresh(void *state, char *err) {
  struct fake *f = state;
  f->refreshes++;
  return check(f, err);
}

static void fake_close(void *state) { (void)state; }

static const struct rg_adapter fake_adapter = {.name = "fake",
                                               .register_service = fake_register,
                                               .deregister_service = fake_deregister,
                                               .list = fake_list,
                                               .refresh = fake_refresh,
                                               .close = fake_close};

static void fake_init(struct fake *f) {
  memset(f, 0, sizeof *f);
  pthread_mutex_init(&f->mu, NULL);
  pthread_cond_init(&f->cv, NULL);
}

static void fake_set(struct fake *f, bool down, bool hung) {
  pthread_mutex_lock(&f->mu);
  f->down = down;
  f->hung = hung;
  pthread_cond_broadcast(&f->cv);
  pthread_mutex_unlock(&f->mu);
}

static size_t fake_held(struct fake *f) {
  pthread_mutex_lock(&f->mu);
  size_t n = f->held.n;
  pthread_mutex_unlock(&f->mu);
  return n;
}

static void fake_free(struct fake *f) {
  rg_service_list_free(&f->held);
  pthread_cond_destroy(&f->cv);
  pthread_mutex_destroy(&f->mu);
}

static struct rg_registry *open_fake(struct fake *f, const char *uri) {
  struct rg_registry *r = calloc(1, sizeof *r);
  cr_assert_not_null(r);
  r->adapter = &fake_adapter;
  r->state = f;
  r->uri = rg_strdup(uri);
  r->label = rg_strdup(uri);
  r->log = &test_log;
  return r;
}

static struct rg_service_list services(size_t n) {
  struct rg_service_list l = {0};
  for (size_t i = 0; i < n; i++) {
    char id[32];
    snprintf(id, sizeof id, "h:c%zu:80", i);
    struct rg_service s = {.id = id, .name = "web", .ip = "10.0.0.1", .port = (int)(1000 + i), .proto = "tcp"};
    cr_assert_eq(rg_service_list_upsert(&l, &s), RG_OK);
  }
  return l;
}

static const struct rg_reconciler_policy policy = {.retry_interval_ms = 2000, .ttl_refresh_s = 10};

Test(reconciler, two_registries_in_different_states_converge_each_on_its_own) {
  struct fake up, down;
  fake_init(&up);
  fake_init(&down);
  fake_set(&down, true, false);
  struct rg_reconciler *a = NULL, *b = NULL;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_reconciler_new(&a, open_fake(&up, "fake://up"), &policy, "h", 0, err), RG_OK);
  cr_assert_eq(rg_reconciler_new(&b, open_fake(&down, "fake://down"), &policy, "h", 0, err), RG_OK);
  struct rg_service_list want = services(3);

  int64_t next_a = rg_reconciler_step(a, &want, 1, RG_STEP_VERIFY, 0);
  int64_t next_b = rg_reconciler_step(b, &want, 1, RG_STEP_VERIFY, 0);
  cr_expect(a->in_step);
  cr_expect_eq(fake_held(&up), 3);
  cr_expect_eq(up.lists, 1, "the verify asked for ran");
  cr_expect_eq(next_a, 10000, "next: the TTL refresh");
  cr_expect_not(b->in_step);
  cr_expect_eq(b->pending, 3);
  cr_expect_eq(next_b, RG_RETRY_MIN_MS, "a failure retries after the minimum backoff");
  cr_expect(log_has("warn", "fake://down: 3 registry write(s) failed; retrying in 250 ms"));

  size_t writes = down.writes;
  rg_reconciler_step(b, &want, 2, 0, 100);
  cr_expect_eq(down.writes, writes, "while backing off, a new generation waits for the retry timer");
  next_b = rg_reconciler_step(b, &want, 2, 0, 250);
  cr_expect_eq(down.writes, writes + 1, "the retry: one timeout per pass, not one per service");
  cr_expect_eq(next_b, 250 + 500, "backoff doubles");

  fake_set(&down, false, false);
  size_t lists = down.lists;
  rg_reconciler_step(b, &want, 2, 0, 750);
  cr_expect(b->in_step, "caught up at the next retry");
  cr_expect_eq(fake_held(&down), 3);
  cr_expect_eq(down.lists, lists + 1, "a recovery verifies what the registry kept (and the owed verify)");
  cr_expect_eq(b->backoff, 0);

  rg_reconciler_free(a);
  rg_reconciler_free(b);
  rg_service_list_free(&want);
  fake_free(&up);
  fake_free(&down);
  reset_log();
}

Test(reconciler, a_resync_while_writes_are_pending_verifies_after_they_land) {
  struct fake f;
  fake_init(&f);
  struct rg_reconciler *r = NULL;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_reconciler_new(&r, open_fake(&f, "fake://f"), &policy, "h", 0, err), RG_OK);
  struct rg_service_list want = services(2);
  rg_reconciler_step(r, &want, 1, 0, 0);
  cr_assert(r->in_step);
  fake_set(&f, true, false);
  struct rg_service_list more = services(4);
  rg_reconciler_step(r, &more, 2, 0, 10);
  cr_expect_eq(r->pending, 2);
  size_t lists = f.lists;
  rg_reconciler_step(r, &more, 2, RG_STEP_VERIFY, 20);
  cr_expect_eq(f.lists, lists, "no listing while the registry is failing writes");
  cr_expect(r->verify_wanted, "the verify is owed");
  fake_set(&f, false, false);
  rg_service_list_remove(&f.held, "h:c0:80"); /* lost while it was away */
  rg_reconciler_step(r, &more, 2, 0, 10 + RG_RETRY_MIN_MS);
  cr_expect_eq(f.lists, lists + 1);
  cr_expect_eq(fake_held(&f), 4, "the verify found the lost entry and wrote it again");
  cr_expect(log_has("warn", "h:c0:80 is missing from the registry"));
  cr_expect(r->in_step);
  rg_reconciler_free(r);
  rg_service_list_free(&want);
  rg_service_list_free(&more);
  fake_free(&f);
  reset_log();
}

Test(reconciler, the_ttl_refresh_fires_every_interval) {
  struct fake f;
  fake_init(&f);
  struct rg_reconciler *r = NULL;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_reconciler_new(&r, open_fake(&f, "fake://f"), &policy, "h", 0, err), RG_OK);
  struct rg_service_list want = services(1);
  rg_reconciler_step(r, &want, 1, 0, 0);
  rg_reconciler_step(r, &want, 1, 0, 9999);
  cr_expect_eq(f.refreshes, 0);
  cr_expect_eq(rg_reconciler_step(r, &want, 1, 0, 10000), 20000);
  cr_expect_eq(f.refreshes, 1);
  cr_expect_eq(f.writes, 1, "an unchanged generation is not written again");
  rg_reconciler_free(r);
  rg_service_list_free(&want);
  fake_free(&f);
  reset_log();
}

/* Waits (deadline 10 s) until registry i of e reports in step. */
static bool in_step_soon(struct rg_engine *e, size_t i) {
  for (int64_t end = rg_now_ms() + 10000; rg_now_ms() < end;) {
    struct rg_engine_status st;
    rg_engine_status(e, i, &st);
    if (st.in_step) return true;
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
  }
  return false;
}

Test(reconciler, a_hung_registry_delays_neither_the_publisher_nor_the_other_registry) {
  struct fake ok, hung;
  fake_init(&ok);
  fake_init(&hung);
  fake_set(&hung, false, true);
  struct rg_engine *e = NULL;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_engine_new(&e, &test_log, err), RG_OK);
  const struct rg_reconciler_policy p = {.retry_interval_ms = 100};
  cr_assert_eq(rg_engine_add(e, open_fake(&hung, "fake://hung"), &p, "h", err), RG_OK);
  cr_assert_eq(rg_engine_add(e, open_fake(&ok, "fake://ok"), &p, "h", err), RG_OK);
  struct rg_service_list want = services(5);
  int64_t t0 = rg_now_ms();
  for (uint64_t gen = 1; gen <= 20; gen++) {
    want.items[0].port = (int)(2000 + gen);
    cr_assert_eq(rg_engine_publish(e, &want, gen, 0), RG_OK);
  }
  cr_expect_lt(rg_now_ms() - t0, 1000, "publishing never waits for a registry");
  cr_assert(in_step_soon(e, 1), "the healthy registry is in step while the other hangs");
  cr_expect_eq(fake_held(&ok), 5);
  fake_set(&hung, false, false);
  cr_assert(in_step_soon(e, 0), "the hung one converges once it answers");
  cr_expect_eq(fake_held(&hung), 5);
  pthread_mutex_lock(&hung.mu);
  const struct rg_service *s = rg_service_list_find(&hung.held, "h:c0:80");
  cr_expect(s && s->port == 2020, "the latest desired state won");
  pthread_mutex_unlock(&hung.mu);
  cr_expect(rg_engine_remove(e, "fake://hung", true));
  cr_expect_eq(rg_engine_count(e), 1);
  rg_engine_free(e); /* joins the retired worker, which deregistered */
  cr_expect_eq(fake_held(&hung), 0, "a removed registry with deregister is emptied");
  cr_expect_eq(fake_held(&ok), 5, "the other keeps its entries");
  rg_service_list_free(&want);
  fake_free(&ok);
  fake_free(&hung);
  reset_log();
}

Test(reconciler, a_reopen_writes_everything_again_through_the_new_registry_at_once) {
  struct fake old, fresh;
  fake_init(&old);
  fake_init(&fresh);
  struct rg_reconciler *r = NULL;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_reconciler_new(&r, open_fake(&old, "fake://f"), &policy, "h", 0, err), RG_OK);
  struct rg_service_list three = services(3), four = services(4), two = services(2);
  rg_reconciler_step(r, &three, 1, 0, 0);
  cr_assert_eq(fake_held(&old), 3);
  fake_set(&old, true, false); /* e.g. its credentials were revoked */
  rg_reconciler_step(r, &four, 2, 0, 10);
  cr_assert(rg_timer_armed(&r->timers, RG_T_RETRY), "backing off under the old settings");

  rg_reconciler_reopen(r, open_fake(&fresh, "fake://f"));
  size_t old_writes = old.writes;
  rg_reconciler_step(r, &two, 3, 0, 20); /* c2 went away meanwhile */
  cr_expect(r->in_step, "written at once, not after the old backoff");
  cr_expect_eq(fake_held(&fresh), 2, "every desired service written again through the new registry");
  cr_expect_eq(fresh.writes, 3, "two registrations and the removal of c2, which is no longer desired");
  cr_expect_eq(old.writes, old_writes, "the old registry is not used any more");
  cr_expect_eq(r->reg->registered.n, 2);
  rg_reconciler_free(r);
  rg_service_list_free(&three);
  rg_service_list_free(&four);
  rg_service_list_free(&two);
  fake_free(&old);
  fake_free(&fresh);
  reset_log();
}

Test(reconciler, a_new_ttl_refresh_rearms_the_refresh_timer) {
  struct fake f;
  fake_init(&f);
  struct rg_reconciler *r = NULL;
  char err[RG_ERRBUF];
  const struct rg_reconciler_policy none = {.retry_interval_ms = 2000};
  cr_assert_eq(rg_reconciler_new(&r, open_fake(&f, "fake://f"), &none, "h", 0, err), RG_OK);
  struct rg_service_list want = services(1);
  cr_expect_eq(rg_reconciler_step(r, &want, 1, 0, 0), -1, "no TTL refresh: nothing due");
  rg_reconciler_set_policy(r, &policy, 100);
  cr_expect_eq(rg_reconciler_step(r, &want, 1, 0, 100), 10100, "-ttl-refresh 10 from the reload on");
  rg_reconciler_step(r, &want, 1, 0, 10100);
  cr_expect_eq(f.refreshes, 1);
  rg_reconciler_set_policy(r, &none, 10200);
  cr_expect_eq(rg_reconciler_step(r, &want, 1, 0, 10200), -1, "refresh off again");
  rg_reconciler_free(r);
  rg_service_list_free(&want);
  fake_free(&f);
  reset_log();
}

Test(reconciler, the_engine_hands_a_reopened_registry_to_its_worker) {
  struct fake old, fresh;
  fake_init(&old);
  fake_init(&fresh);
  struct rg_engine *e = NULL;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_engine_new(&e, &test_log, err), RG_OK);
  const struct rg_reconciler_policy p = {.retry_interval_ms = 100};
  cr_assert_eq(rg_engine_add(e, open_fake(&old, "fake://f"), &p, "h", err), RG_OK);
  struct rg_service_list want = services(5);
  cr_assert_eq(rg_engine_publish(e, &want, 1, 0), RG_OK);
  cr_assert(in_step_soon(e, 0));
  struct rg_registry *r = open_fake(&fresh, "fake://f");
  cr_expect(rg_engine_reopen(e, r));
  cr_expect_eq(rg_engine_config(e, 0), &r->cfg, "the settings the registry was last given");
  cr_expect_not(rg_engine_reopen(e, open_fake(&fresh, "fake://other")), "no registry has that URI");
  bool moved = false;
  for (int64_t end = rg_now_ms() + 10000; !moved && rg_now_ms() < end;) {
    moved = fake_held(&fresh) == 5;
    struct timespec ts = {0, 2000000};
    if (!moved) nanosleep(&ts, NULL);
  }
  cr_expect(moved, "the worker wrote every service again through the reopened registry");
  cr_expect_str_eq(rg_engine_label(e, 0), "fake://f");
  rg_engine_free(e);
  rg_service_list_free(&want);
  fake_free(&old);
  fake_free(&fresh);
  reset_log();
}
