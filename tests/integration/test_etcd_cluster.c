/* test_etcd_cluster.c - failover across a three-member etcd cluster on
 * loopback (tests/etcd-cluster.sh): the member in use is SIGKILLed and
 * registrations and deregistrations continue through the others. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "tests/integration/test_etcd_util.h"

static void cluster_stop(void) { free(it_sh(NULL, "tests/etcd-cluster.sh stop >/dev/null 2>&1")); }

TestSuite(etcd_cluster, .fini = cluster_stop);

#define EPS "127.0.0.1:22379,127.0.0.1:22479,127.0.0.1:22579"
#define SURVIVOR "127.0.0.1:22479,127.0.0.1:22579"

/* Retries op for up to 10 s (a leader election may be under way). */
static void until_ok(struct et *e, const struct rg_service *s, bool reg) {
  char err[RG_ERRBUF] = "";
  for (int i = 0; i < 20; i++) {
    int rc = reg ? e->a->register_service(e->st, s, err) : e->a->deregister_service(e->st, s, err);
    if (rc == RG_OK) return;
    free(it_sh(NULL, "sleep 0.5"));
  }
  cr_assert_fail("%s %s never succeeded: %s", reg ? "register" : "deregister", s->id, err);
}

Test(etcd_cluster, killing_the_member_in_use_loses_nothing) {
  free(it_sh_ok("tests/etcd-cluster.sh start"));
  const char *p = et_prefix();
  char uri[256];
  snprintf(uri, sizeof uri, "etcd://" EPS "%s", p);
  struct rg_adapter_config cfg = {.ttl = 30};
  struct et e;
  et_open(&e, uri, &cfg);
  char ids[10][32], names[10][16];
  struct rg_service s[10];
  for (int i = 0; i < 10; i++) {
    snprintf(ids[i], sizeof ids[i], "h:c%d:80", i);
    snprintf(names[i], sizeof names[i], "svc%d", i);
    s[i] = et_svc(ids[i], names[i], "10.0.0.9", 1000 + i);
  }
  for (int i = 0; i < 5; i++) et_reg(&e, &s[i]);
  cr_assert_eq(et3_count(SURVIVOR, p), 5);

  /* the adapter uses the first endpoint (sticky from the start): kill it */
  char *pid = it_sh_ok("tests/etcd-cluster.sh pid a");
  cr_assert_eq(kill((pid_t)strtol(pid, NULL, 10), SIGKILL), 0);
  free(pid);

  for (int i = 5; i < 10; i++) until_ok(&e, &s[i], true);
  until_ok(&e, &s[0], false);
  until_ok(&e, &s[1], false);
  char err[RG_ERRBUF] = "";
  cr_assert_eq(e.a->refresh(e.st, err), RG_OK, "%s", err);
  /* b or c, whichever answered first after the election */
  cr_assert(strstr(e.logged, "now using endpoint http://127.0.0.1:22") != NULL, "%s", e.logged);
  cr_assert(strstr(e.logged, "now using endpoint http://127.0.0.1:22379") == NULL, "%s", e.logged);

  cr_assert_eq(et3_count(SURVIVOR, p), 8, "s2..s9 remain");
  for (int i = 2; i < 10; i++) {
    char key[128], want[32];
    snprintf(key, sizeof key, "%s/%s/%s", p, names[i], ids[i]);
    snprintf(want, sizeof want, "10.0.0.9:%d", 1000 + i);
    char *v = et3_get(SURVIVOR, key);
    cr_assert(v && strcmp(v, want) == 0, "%s = %s", key, v);
    free(v);
  }
  /* list goes through the survivors too */
  struct rg_service_list l = {0};
  cr_assert_eq(e.a->list(e.st, &l, err), RG_OK, "%s", err);
  cr_assert_eq(l.n, 8);
  rg_service_list_free(&l);
  et_close(&e);
  et3_del_prefix(SURVIVOR, p);
}
