/* test_etcd.c - the etcd adapter (etcd://, etcd2://) against the real
 * single-node etcd on 127.0.0.1:2379 (tests/servers.sh). Every test writes
 * under its own prefix /rgt-<pid>-<n> and deletes it afterwards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/integration/test_etcd_util.h"

TestSuite(etcd);
TestSuite(etcd2);

static char uri[256];
static const char *mkuri(const char *scheme, const char *prefix) {
  snprintf(uri, sizeof uri, "%s://" ET_ENDPOINT "%s", scheme, prefix);
  return uri;
}

static char key[512];
static const char *k(const char *prefix, const char *rest) {
  snprintf(key, sizeof key, "%s/%s", prefix, rest);
  return key;
}

static void assert_value3(const char *prefix, const char *rest, const char *want) {
  char *v = et3_get(ET_ENDPOINT, k(prefix, rest));
  if (want == NULL) cr_assert_null(v, "%s still holds %s", key, v);
  else cr_assert(v && strcmp(v, want) == 0, "%s = %s, want %s", key, v ? v : "(absent)", want);
  free(v);
}

Test(etcd, register_list_deregister) {
  const char *p = et_prefix();
  struct rg_adapter_config cfg = {0};
  struct et e;
  et_open(&e, mkuri("etcd", p), &cfg);
  char err[RG_ERRBUF] = "";
  cr_assert_eq(e.a->ping(e.st, err), RG_OK, "%s", err);
  struct rg_service a = et_svc("testhost:web:80", "web", "10.0.0.5", 8080);
  struct rg_service b = et_svc("testhost:dns:53:udp", "dns", "fd00::5", 53);
  et_reg(&e, &a);
  et_reg(&e, &b);
  assert_value3(p, "web/testhost:web:80", "10.0.0.5:8080");
  assert_value3(p, "dns/testhost:dns:53:udp", "[fd00::5]:53");
  char *lease = et3_lease(ET_ENDPOINT, k(p, "web/testhost:web:80"));
  cr_assert(lease && strcmp(lease, "0") == 0, "no TTL: no lease, got %s", lease);
  free(lease);

  struct rg_service_list l = {0};
  cr_assert_eq(e.a->list(e.st, &l, err), RG_OK, "%s", err);
  rg_service_list_sort(&l);
  cr_assert_eq(l.n, 2);
  cr_assert_str_eq(l.items[0].id, "testhost:dns:53:udp");
  cr_assert_str_eq(l.items[0].ip, "fd00::5");
  cr_assert_str_eq(l.items[0].proto, "udp");
  cr_assert_str_eq(l.items[1].name, "web");
  cr_assert_eq(l.items[1].port, 8080);
  rg_service_list_free(&l);

  /* the same ID under a new name moves the key */
  struct rg_service a2 = et_svc("testhost:web:80", "web2", "10.0.0.5", 8080);
  et_reg(&e, &a2);
  assert_value3(p, "web/testhost:web:80", NULL);
  assert_value3(p, "web2/testhost:web:80", "10.0.0.5:8080");

  et_dereg(&e, &a2);
  et_dereg(&e, &b);
  cr_assert_eq(et3_count(ET_ENDPOINT, p), 0);
  cr_assert_eq(e.a->list(e.st, &l, err), RG_OK, "%s", err);
  cr_assert_eq(l.n, 0);
  et_close(&e);
  et3_del_prefix(ET_ENDPOINT, p);
}

Test(etcd, hostile_names_are_rejected_and_nothing_is_written) {
  const char *p = et_prefix();
  struct rg_adapter_config cfg = {0};
  struct et e;
  et_open(&e, mkuri("etcd", p), &cfg);
  const char *names[] = {"../escape", "a/b", "x\ny", "\xff"};
  for (size_t i = 0; i < RG_ARRAY_LEN(names); i++) {
    struct rg_service s = et_svc("testhost:evil:80", names[i], "10.0.0.1", 80);
    char err[RG_ERRBUF] = "";
    cr_assert_eq(e.a->register_service(e.st, &s, err), RG_EINVAL);
    cr_assert(strstr(err, "testhost:evil:80") && strstr(err, "container c"), "%s", err);
  }
  struct rg_service s = et_svc("../../x", "web", "10.0.0.1", 80);
  char err[RG_ERRBUF] = "";
  cr_assert_eq(e.a->register_service(e.st, &s, err), RG_EINVAL);
  cr_assert_eq(et3_count(ET_ENDPOINT, p), 0);
  cr_assert_null(et3_get(ET_ENDPOINT, "/x"));
  cr_assert_null(strstr(e.logged, "rejected"), "the registry layer logs a refusal, once: %s", e.logged);
  et_close(&e);
}

Test(etcd, unreachable_endpoint_is_named) {
  struct rg_adapter_config cfg = {0};
  struct et e;
  et_open(&e, "etcd://127.0.0.1:1,[::1]:1/x", &cfg);
  char err[RG_ERRBUF] = "";
  cr_assert_eq(e.a->ping(e.st, err), RG_ECONNECT);
  cr_assert(strstr(err, "http://127.0.0.1:1") && strstr(err, "http://[::1]:1"), "%s", err);
  et_close(&e);
}

Test(etcd, keys_share_one_lease_kept_alive_past_the_ttl) {
  const char *p = et_prefix();
  struct rg_adapter_config cfg = {.ttl = 2};
  struct et e;
  et_open(&e, mkuri("etcd", p), &cfg);
  struct rg_service s[3] = {et_svc("h:a:1", "a", "10.0.0.1", 1), et_svc("h:b:2", "b", "10.0.0.1", 2),
                            et_svc("h:c:3", "c", "10.0.0.1", 3)};
  for (int i = 0; i < 3; i++) et_reg(&e, &s[i]);
  char *l1 = et3_lease(ET_ENDPOINT, k(p, "a/h:a:1")), *l3 = et3_lease(ET_ENDPOINT, k(p, "c/h:c:3"));
  cr_assert(l1 && strcmp(l1, "0") != 0, "key a has no lease");
  cr_assert_str_eq(l1, l3, "keys share one lease");
  /* refresh every 500 ms for twice the TTL: the keys stay */
  struct timespec half = {0, 500 * 1000 * 1000};
  for (int i = 0; i < 8; i++) {
    char err[RG_ERRBUF] = "";
    cr_assert_eq(e.a->refresh(e.st, err), RG_OK, "%s", err);
    nanosleep(&half, NULL);
  }
  cr_assert_eq(et3_count(ET_ENDPOINT, p), 3);
  char *l1b = et3_lease(ET_ENDPOINT, k(p, "a/h:a:1"));
  cr_assert_str_eq(l1, l1b, "refresh keeps the same lease");
  free(l1), free(l3), free(l1b);
  et_close(&e);
  et3_del_prefix(ET_ENDPOINT, p);
}

struct gone {
  const char *prefix;
};
static bool prefix_empty(void *ud) { return et3_count(ET_ENDPOINT, ((struct gone *)ud)->prefix) == 0; }

Test(etcd, revoked_lease_is_regranted_and_every_key_put_again) {
  const char *p = et_prefix();
  struct rg_adapter_config cfg = {.ttl = 30};
  struct et e;
  et_open(&e, mkuri("etcd", p), &cfg);
  struct rg_service a = et_svc("h:a:1", "a", "10.0.0.1", 1), b = et_svc("h:b:2", "b", "10.0.0.2", 2);
  et_reg(&e, &a);
  et_reg(&e, &b);
  char *old = et3_lease(ET_ENDPOINT, k(p, "a/h:a:1"));
  cr_assert_not_null(old);
  et3_revoke(ET_ENDPOINT, old); /* out of band: the keys go with it */
  cr_assert_eq(et3_count(ET_ENDPOINT, p), 0);
  char err[RG_ERRBUF] = "";
  cr_assert_eq(e.a->refresh(e.st, err), RG_OK, "%s", err);
  assert_value3(p, "a/h:a:1", "10.0.0.1:1");
  assert_value3(p, "b/h:b:2", "10.0.0.2:2");
  char *new = et3_lease(ET_ENDPOINT, k(p, "b/h:b:2"));
  cr_assert(new && strcmp(new, old) != 0 && strcmp(new, "0") != 0, "lease %s after %s", new, old);
  cr_assert(strstr(e.logged, "has expired") != NULL, "%s", e.logged);

  /* a register that meets a revoked lease also recovers every key */
  et3_revoke(ET_ENDPOINT, new);
  struct rg_service c = et_svc("h:c:3", "c", "10.0.0.3", 3);
  et_reg(&e, &c);
  cr_assert_eq(et3_count(ET_ENDPOINT, p), 3);
  free(old), free(new);
  et_close(&e);
  et3_del_prefix(ET_ENDPOINT, p);
}

Test(etcd, lapsed_lease_is_regranted_on_refresh) {
  const char *p = et_prefix();
  struct rg_adapter_config cfg = {.ttl = 2};
  struct et e;
  et_open(&e, mkuri("etcd", p), &cfg);
  struct rg_service a = et_svc("h:a:1", "a", "10.0.0.1", 1);
  et_reg(&e, &a);
  struct gone g = {p};
  cr_assert(it_wait(8, prefix_empty, &g), "the key outlived its lease");
  char err[RG_ERRBUF] = "";
  cr_assert_eq(e.a->refresh(e.st, err), RG_OK, "%s", err);
  assert_value3(p, "a/h:a:1", "10.0.0.1:1");
  et_close(&e);
  et3_del_prefix(ET_ENDPOINT, p);
}

Test(etcd2, register_list_refresh_recreate_deregister) {
  const char *p = et_prefix();
  struct rg_adapter_config cfg = {.ttl = 30};
  struct et e;
  et_open(&e, mkuri("etcd2", p), &cfg);
  char err[RG_ERRBUF] = "";
  cr_assert_eq(e.a->ping(e.st, err), RG_OK, "%s", err);
  struct rg_service a = et_svc("testhost:web:80", "web", "10.0.0.5", 8080);
  struct rg_service b = et_svc("testhost:v6:80", "v6", "fd00::5", 80);
  et_reg(&e, &a);
  et_reg(&e, &b);
  long ttl = 0;
  char *v = et2_get(ET_ENDPOINT, k(p, "web/testhost:web:80"), &ttl);
  cr_assert(v && strcmp(v, "10.0.0.5:8080") == 0, "v2 value %s", v);
  cr_assert(ttl > 0 && ttl <= 30, "ttl %ld", ttl);
  free(v);
  v = et2_get(ET_ENDPOINT, k(p, "v6/testhost:v6:80"), NULL);
  cr_assert_str_eq(v, "[fd00::5]:80");
  free(v);
  cr_assert_null(et3_get(ET_ENDPOINT, k(p, "web/testhost:web:80")), "v2 keys are not in v3");

  struct rg_service_list l = {0};
  cr_assert_eq(e.a->list(e.st, &l, err), RG_OK, "%s", err);
  rg_service_list_sort(&l);
  cr_assert_eq(l.n, 2);
  cr_assert_str_eq(l.items[0].id, "testhost:v6:80");
  cr_assert_str_eq(l.items[1].ip, "10.0.0.5");
  rg_service_list_free(&l);

  /* a key that expired (deleted out of band) is re-created by refresh */
  et2_del(ET_ENDPOINT, k(p, "web/testhost:web:80"), false);
  cr_assert_eq(e.a->refresh(e.st, err), RG_OK, "%s", err);
  v = et2_get(ET_ENDPOINT, k(p, "web/testhost:web:80"), &ttl);
  cr_assert(v && strcmp(v, "10.0.0.5:8080") == 0, "re-created value %s", v);
  cr_assert(ttl > 25, "ttl %ld", ttl);
  free(v);
  cr_assert(strstr(e.logged, "expired; writing it again") != NULL, "%s", e.logged);

  et_dereg(&e, &a);
  et_dereg(&e, &b);
  cr_assert_null(et2_get(ET_ENDPOINT, k(p, "web/testhost:web:80"), NULL));
  char dereg_err[RG_ERRBUF] = "";
  cr_assert_eq(e.a->deregister_service(e.st, &a, dereg_err), RG_ENOTFOUND, "%s", dereg_err);
  cr_assert_eq(e.a->list(e.st, &l, err), RG_OK, "%s", err);
  cr_assert_eq(l.n, 0);
  et_close(&e);
  et2_del(ET_ENDPOINT, p, true);
}

Test(etcd2, refresh_rearms_the_ttl_without_rewriting) {
  const char *p = et_prefix();
  struct rg_adapter_config cfg = {.ttl = 2};
  struct et e;
  et_open(&e, mkuri("etcd2", p), &cfg);
  struct rg_service a = et_svc("h:a:1", "a", "10.0.0.1", 1);
  et_reg(&e, &a);
  char *before = it_sh_ok("curl -s http://" ET_ENDPOINT "/v2/keys%s | jq -r .node.createdIndex", k(p, "a/h:a:1"));
  struct timespec half = {0, 500 * 1000 * 1000};
  for (int i = 0; i < 7; i++) {
    char err[RG_ERRBUF] = "";
    cr_assert_eq(e.a->refresh(e.st, err), RG_OK, "%s", err);
    nanosleep(&half, NULL);
  }
  char *after = it_sh_ok("curl -s http://" ET_ENDPOINT "/v2/keys%s | jq -r .node.createdIndex", k(p, "a/h:a:1"));
  cr_assert_str_eq(before, after, "the key was kept, not re-created");
  cr_assert(strstr(e.logged, "writing it again") == NULL, "%s", e.logged);
  free(before), free(after);
  et_close(&e);
  et2_del(ET_ENDPOINT, p, true);
}
