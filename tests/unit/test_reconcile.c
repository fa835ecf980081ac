#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registrator/reconcile.h"
#include "tests/unit/rg_test.h"

RG_SUITE(reconcile);

static void add(struct rg_service_list *l, const char *id, const char *ip, int port) {
  struct rg_service s = {0};
  s.id = (char *)id;
  s.name = (char *)"web";
  s.ip = (char *)ip;
  s.port = port;
  s.proto = (char *)"tcp";
  cr_assert_eq(rg_service_list_upsert(l, &s), RG_OK);
}

Test(reconcile, writes_only_the_difference) {
  struct rg_service_list desired = {0}, registered = {0};
  add(&desired, "h:a:80", "10.0.0.1", 1);
  add(&desired, "h:b:80", "10.0.0.1", 2); /* new */
  add(&desired, "h:c:80", "10.0.0.9", 3); /* changed ip */
  add(&registered, "h:a:80", "10.0.0.1", 1);
  add(&registered, "h:c:80", "10.0.0.1", 3);
  add(&registered, "h:d:80", "10.0.0.1", 4); /* gone */
  struct rg_op_list ops = {0};
  cr_assert_eq(rg_reconcile(&desired, &registered, &ops), RG_OK);
  cr_assert_eq(ops.n, 3);
  cr_expect_eq(ops.items[0].kind, RG_OP_DEREGISTER);
  cr_expect_str_eq(ops.items[0].service->id, "h:d:80");
  cr_expect_eq(ops.items[1].kind, RG_OP_REGISTER);
  cr_expect_str_eq(ops.items[1].service->id, "h:b:80");
  cr_expect_eq(ops.items[2].kind, RG_OP_REGISTER);
  cr_expect_str_eq(ops.items[2].service->ip, "10.0.0.9");
  rg_op_list_free(&ops);
  rg_service_list_free(&desired);
  rg_service_list_free(&registered);
}

Test(reconcile, nothing_changed_means_no_writes) {
  struct rg_service_list desired = {0}, registered = {0};
  for (int i = 0; i < 50; i++) {
    char id[32];
    snprintf(id, sizeof id, "h:c%02d:80", 49 - i);
    add(&desired, id, "10.0.0.1", i);
    add(&registered, id, "10.0.0.1", i);
  }
  struct rg_op_list ops = {0};
  cr_assert_eq(rg_reconcile(&desired, &registered, &ops), RG_OK);
  cr_expect_eq(ops.n, 0);
  rg_op_list_free(&ops);
  rg_service_list_free(&desired);
  rg_service_list_free(&registered);
}

Test(reconcile, upsert_keeps_order_and_remove_frees) {
  struct rg_service_list l = {0};
  add(&l, "b", "1", 1);
  add(&l, "a", "1", 1);
  add(&l, "c", "1", 1);
  add(&l, "b", "2", 2);
  cr_assert_eq(l.n, 3);
  cr_expect_str_eq(l.items[0].id, "a");
  cr_expect_str_eq(l.items[1].id, "b");
  cr_expect_str_eq(l.items[1].ip, "2");
  cr_expect_str_eq(l.items[2].id, "c");
  rg_service_list_remove(&l, "b");
  rg_service_list_remove(&l, "zz");
  cr_assert_eq(l.n, 2);
  cr_expect_null(rg_service_list_find(&l, "b"));
  cr_expect_not_null(rg_service_list_find(&l, "c"));
  rg_service_list_free(&l);
}

Test(reconcile, tag_or_attr_change_is_a_change) {
  struct rg_service a = {0}, b = {0};
  a.id = b.id = (char *)"x";
  rg_strlist_add(&a.tags, "t1");
  cr_expect_not(rg_service_equal(&a, &b));
  rg_strlist_add(&b.tags, "t1");
  cr_expect(rg_service_equal(&a, &b));
  rg_kvlist_add(&b.attrs, "k", "v");
  cr_expect_not(rg_service_equal(&a, &b));
  rg_strlist_free(&a.tags);
  rg_strlist_free(&b.tags);
  rg_kvlist_free(&b.attrs);
}

Test(reconcile, a_renamed_service_is_deregistered_under_its_old_name_first) {
  struct rg_service_list desired = {0}, registered = {0};
  add(&desired, "h:a:80", "10.0.0.1", 1);
  add(&registered, "h:a:80", "10.0.0.1", 1);
  free(registered.items[0].name);
  registered.items[0].name = rg_strdup("old");
  struct rg_op_list ops = {0};
  cr_assert_eq(rg_reconcile(&desired, &registered, &ops), RG_OK);
  cr_assert_eq(ops.n, 2);
  cr_expect_eq(ops.items[0].kind, RG_OP_DEREGISTER);
  cr_expect_str_eq(ops.items[0].service->name, "old");
  cr_expect_eq(ops.items[1].kind, RG_OP_REGISTER);
  cr_expect_str_eq(ops.items[1].service->name, "web");
  rg_op_list_free(&ops);
  rg_service_list_free(&desired);
  rg_service_list_free(&registered);
}
