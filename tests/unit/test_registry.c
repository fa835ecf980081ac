/* test_registry.c - rg_registry_apply's writes (registrator/registry.c)
 * through fake adapters: batches through register_many, the one-by-one
 * fallback, refusals remembered, a failing registry halting the pass. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "registrator/registry.h"
#include "tests/unit/model_util.h"

RG_SUITE(registry);

/* What the fake registry saw and how it behaves. */
struct fake {
  size_t calls;      /* register_many or register_service calls */
  size_t biggest;    /* most services in one call */
  size_t sent;       /* services handed over */
  size_t written;    /* writes that succeeded */
  size_t fail_after; /* writes that succeed before every later one fails */
};

/* One service: RG_EINVAL for the name "bad", else a write (or RG_ECONNECT). */
static int one(struct fake *f, const struct rg_service *s, char *err) {
  f->sent++;
  if (strcmp(s->name, "bad") == 0) return rg_err(err, RG_EINVAL, "service %s: bad name", s->id);
  if (f->written >= f->fail_after) return rg_err(err, RG_ECONNECT, "fake registry down");
  f->written++;
  return RG_OK;
}

static int fake_register(void *state, const struct rg_service *s, char *err) {
  struct fake *f = state;
  f->calls++;
  f->biggest = f->biggest > 1 ? f->biggest : 1;
  return one(f, s, err);
}

/* A call of n services. */
static struct fake *called(void *state, size_t n) {
  struct fake *f = state;
  f->calls++;
  f->biggest = f->biggest > n ? f->biggest : n;
  return f;
}

/* Like the etcd adapter: refusals per service, the first failure ends it. */
static int fake_register_many(void *state, const struct rg_service *const *svcs, size_t n, int *rcs,
                              char (*errs)[RG_ERRBUF], char *err) {
  struct fake *f = called(state, n);
  int rc = RG_OK;
  for (size_t i = 0; i < n; i++) {
    errs[i][0] = '\0';
    rcs[i] = rc ? rc : one(f, svcs[i], errs[i]);
    if (rcs[i] != RG_OK && rcs[i] != RG_EINVAL && rc == RG_OK) rc = rg_err(err, rcs[i], "%s", errs[i]);
  }
  return rc;
}

static int fake_deregister(void *state, const struct rg_service *s, char *err) {
  (void)state, (void)s, (void)err;
  return RG_OK;
}

/* Like the Consul adapter: every service its own outcome and message; the
 * ones named "gone" were not there (RG_ENOTFOUND). */
static int fake_deregister_many(void *state, const struct rg_service *const *svcs, size_t n, int *rcs,
                                char (*errs)[RG_ERRBUF], char *err) {
  struct fake *f = called(state, n);
  int rc = RG_OK;
  for (size_t i = 0; i < n; i++) {
    errs[i][0] = '\0';
    f->sent++;
    if (strcmp(svcs[i]->name, "gone") == 0) rcs[i] = RG_ENOTFOUND;
    else if (f->written >= f->fail_after) rcs[i] = rg_err(errs[i], RG_EAGAIN, "deregister %s: HTTP 500", svcs[i]->id);
    else rcs[i] = RG_OK, f->written++;
    if (rcs[i] == RG_EAGAIN && rc == RG_OK) rc = rg_err(err, rcs[i], "%s", errs[i]);
  }
  return rc;
}

static void fake_close(void *state) { (void)state; }

static const struct rg_adapter batching = {.name = "fake",
                                           .register_service = fake_register,
                                           .register_many = fake_register_many,
                                           .deregister_service = fake_deregister,
                                           .close = fake_close};
static const struct rg_adapter batching_both = {.name = "fake2",
                                                .register_service = fake_register,
                                                .register_many = fake_register_many,
                                                .deregister_service = fake_deregister,
                                                .deregister_many = fake_deregister_many,
                                                .close = fake_close};
static const struct rg_adapter single = {.name = "fake1",
                                         .register_service = fake_register,
                                         .deregister_service = fake_deregister,
                                         .close = fake_close};

static struct rg_registry *open_fake(const struct rg_adapter *a, struct fake *f) {
  struct rg_registry *r = calloc(1, sizeof *r);
  cr_assert_not_null(r);
  r->adapter = a;
  r->state = f;
  r->uri = rg_strdup("fake://");
  r->label = rg_strdup("fake://");
  r->log = &test_log;
  f->fail_after = SIZE_MAX;
  return r;
}

/* n services "h:c<i>:80", the ones listed in bad named "bad". */
static struct rg_service_list services(size_t n, size_t bad) {
  struct rg_service_list l = {0};
  for (size_t i = 0; i < n; i++) {
    char id[32], name[32];
    snprintf(id, sizeof id, "h:c%04zu:80", i);
    snprintf(name, sizeof name, "%s", i == bad ? "bad" : "web");
    struct rg_service s = {.id = id, .name = name, .ip = "10.0.0.1", .port = (int)(1000 + i), .proto = "tcp"};
    cr_assert_eq(rg_service_list_upsert(&l, &s), RG_OK);
  }
  return l;
}

static void finish(struct rg_registry *r, struct rg_service_list *want) {
  rg_service_list_free(want);
  rg_registry_close(r);
  reset_log();
}

Test(registry, batches_hold_at_most_128_services_and_each_is_written_once) {
  struct fake f = {0};
  struct rg_registry *r = open_fake(&batching, &f);
  struct rg_service_list want = services(300, SIZE_MAX);
  cr_assert_eq(rg_registry_apply(r, &want), 0);
  cr_assert_eq(f.calls, 3, "128 + 128 + 44");
  cr_assert_eq(f.biggest, 128);
  cr_assert_eq(f.written, 300);
  cr_assert_eq(r->registered.n, 300);
  cr_assert(log_has("info", "registered h:c0299:80 as web at 10.0.0.1:1299"));
  cr_assert_eq(rg_registry_apply(r, &want), 0);
  cr_assert_eq(f.calls, 3, "in step: nothing sent");
  finish(r, &want);
}

Test(registry, a_refused_service_is_remembered_and_not_sent_again_until_it_changes) {
  struct fake f = {0};
  struct rg_registry *r = open_fake(&batching, &f);
  struct rg_service_list want = services(5, 2);
  cr_assert_eq(rg_registry_apply(r, &want), 0, "a refusal is final, not pending");
  cr_assert_eq(f.written, 4);
  cr_assert_eq(r->registered.n, 4);
  cr_assert_eq(r->rejected.n, 1);
  cr_assert(log_has("error", "register h:c0002:80 (container ?) refused, not retried until it changes: "
                             "service h:c0002:80: bad name"));
  cr_assert_eq(rg_registry_apply(r, &want), 0);
  cr_assert_eq(f.sent, 5, "the refused service is not sent again");
  want.items[2].port = 99;
  cr_assert_eq(rg_registry_apply(r, &want), 0);
  cr_assert_eq(f.sent, 6, "changed: sent again");
  finish(r, &want);
}

Test(registry, a_failing_registry_halts_the_pass_and_the_rest_is_pending) {
  struct fake f = {0};
  struct rg_registry *r = open_fake(&batching, &f);
  f.fail_after = 130; /* the first batch and 2 of the second are written */
  struct rg_service_list want = services(300, 1);
  cr_assert_eq(rg_registry_apply(r, &want), 300 - 130 - 1, "all but the written and the refused");
  cr_assert_eq(f.calls, 2, "the third batch is not sent");
  cr_assert_eq(r->registered.n, 130);
  cr_assert_eq(r->rejected.n, 1);
  cr_assert(log_has("warn", "register h:c0131:80 failed: fake registry down"));
  cr_assert_not(log_has("warn", "register h:c0132:80 failed"), "one failure is logged");
  cr_assert(log_has("warn", "168 more write(s) postponed until the registry answers"));
  f.fail_after = SIZE_MAX;
  cr_assert_eq(rg_registry_apply(r, &want), 0);
  cr_assert_eq(r->registered.n, 299);
  cr_assert_eq(f.written, 299);
  finish(r, &want);
}

Test(registry, an_adapter_without_register_many_gets_one_service_a_call) {
  struct fake f = {0};
  struct rg_registry *r = open_fake(&single, &f);
  f.fail_after = 3;
  struct rg_service_list want = services(6, 1);
  cr_assert_eq(rg_registry_apply(r, &want), 2, "the failed one and the one after it");
  cr_assert_eq(f.calls, 5, "0, 1 (refused), 2, 3, 4 (failed); 5 postponed");
  cr_assert_eq(f.biggest, 1);
  cr_assert(log_has("warn", "register h:c0004:80 failed: fake registry down"));
  cr_assert(log_has("warn", "1 more write(s) postponed"));
  f.fail_after = SIZE_MAX;
  cr_assert_eq(rg_registry_apply(r, &want), 0);
  cr_assert_eq(r->registered.n, 5);
  finish(r, &want);
}

Test(registry, one_write_follows_the_rules_of_apply_a_refusal_remembered_and_the_mirror_following) {
  struct fake f = {0};
  struct rg_registry *r = open_fake(&single, &f);
  struct rg_service_list want = services(3, 1);
  char err[RG_ERRBUF];
  cr_assert_eq(rg_registry_write(r, &want.items[0], true, err), RG_OK, "%s", err);
  cr_expect_eq(r->registered.n, 1, "the mirror follows");
  cr_expect_eq(rg_registry_write(r, &want.items[1], true, err), RG_EINVAL);
  cr_expect(strstr(err, "bad name"), "%s", err);
  size_t sent = f.sent;
  cr_expect_eq(rg_registry_write(r, &want.items[1], true, err), RG_EINVAL);
  cr_expect_eq(f.sent, sent, "refused before and unchanged: not sent again");
  cr_expect(strstr(err, "refused before"), "%s", err);
  cr_expect_eq(rg_registry_write(r, &want.items[0], false, err), RG_OK, "%s", err);
  cr_expect_eq(r->registered.n, 0);
  finish(r, &want);
}

Test(registry, deregistrations_go_to_deregister_many_in_batches_and_not_there_is_done) {
  struct fake f = {0};
  struct rg_registry *r = open_fake(&batching_both, &f);
  struct rg_service_list want = services(300, SIZE_MAX);
  free(want.items[7].name);
  want.items[7].name = rg_strdup("gone"); /* vanished from the registry meanwhile */
  cr_assert_eq(rg_registry_apply(r, &want), 0);
  f = (struct fake){.fail_after = SIZE_MAX};
  cr_assert_eq(rg_registry_deregister_all(r), 0, "not there counts as done");
  cr_assert_eq(f.calls, 3, "128 + 128 + 44");
  cr_assert_eq(f.biggest, 128);
  cr_assert_eq(f.written, 299);
  cr_assert_eq(r->registered.n, 0);
  cr_assert(log_has("info", "deregistered h:c0007:80"));
  finish(r, &want);
}

Test(registry, a_failing_deregistration_keeps_its_service_and_halts_after_its_batch) {
  struct fake f = {0};
  struct rg_registry *r = open_fake(&batching_both, &f);
  struct rg_service_list want = services(300, SIZE_MAX);
  cr_assert_eq(rg_registry_apply(r, &want), 0);
  f = (struct fake){.fail_after = 130}; /* the first batch and 2 of the second go */
  cr_assert_eq(rg_registry_deregister_all(r), 300 - 130);
  cr_assert_eq(f.calls, 2, "the third batch is not sent");
  cr_assert_eq(r->registered.n, 170, "what failed stays registered, for the next pass");
  cr_assert(log_has("warn", "deregister h:c0130:80 failed: deregister h:c0130:80: HTTP 500"), "its own message");
  cr_assert(log_has("warn", "44 more write(s) postponed"));
  f.fail_after = SIZE_MAX;
  cr_assert_eq(rg_registry_deregister_all(r), 0);
  cr_assert_eq(r->registered.n, 0);
  finish(r, &want);
}

Test(registry, a_settings_diff_names_what_changed_and_never_a_value) {
  struct rg_adapter_config a = {.hostname = "h", .ttl = 30, .ttl_refresh = 10, .password = "old-secret"};
  struct rg_adapter_config b = a;
  char what[128];
  cr_expect_eq(rg_adapter_config_diff(&a, &b, what, sizeof what), 0);
  cr_expect_str_eq(what, "");
  b.ttl = 10;
  b.password = "new-secret";
  b.ca_file = "/etc/ca.pem";
  cr_expect_eq(rg_adapter_config_diff(&a, &b, what, sizeof what), 3);
  cr_expect_str_eq(what, "-ttl, TLS, credentials");
  char small[6];
  cr_expect_eq(rg_adapter_config_diff(&a, &b, small, sizeof small), 3, "a short buffer still counts them all");
  cr_expect_str_eq(small, "-ttl,");
}

Test(registry, forgetting_the_unchanged_keeps_what_changed_or_went_away_in_order) {
  struct fake f = {0};
  struct rg_registry *r = open_fake(&single, &f);
  r->registered = services(4, SIZE_MAX); /* c0000..c0003 */
  struct rg_service_list want = services(3, SIZE_MAX);
  want.items[1].port = 9999; /* c0001 changed; c0003 no longer desired */
  rg_registry_forget_unchanged(r, &want);
  cr_assert_eq(r->registered.n, 2);
  cr_expect_str_eq(r->registered.items[0].id, "h:c0001:80", "changed: kept, so that apply replaces it");
  cr_expect_eq(r->registered.items[0].port, 1001, "the mirror holds what was written, not what is wanted");
  cr_expect_str_eq(r->registered.items[1].id, "h:c0003:80", "gone: kept, so that apply removes it");
  cr_expect_eq(rg_registry_apply(r, &want), 0);
  cr_expect_eq(f.written, 3, "every desired service written again");
  cr_expect_eq(r->registered.n, 3);
  finish(r, &want);
}
