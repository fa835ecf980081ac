/* test_multi.c - one registrator feeding several registries (README,
 * "Several registries"): the shared etcd, a private etcd and the Consul
 * protocol double (tests/consul-double, not Consul) through one daemon;
 * the one-shot over two registries; a reload that swaps the registry list.
 * Real dockerd, real etcd. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/itest.h"
#include "tests/integration/test_consul_double.h"

/* Each test has a private etcd of its own (tests of one suite run in
 * parallel): 27379, 27381, 27383 (peer ports + 1). */

IT_SUITE(multi);

/* The three places of a test, all compared with Docker's truth. */
static bool all_truth(const struct it_daemon *d, const char *private_etcd, int consul_port, double seconds,
                      const char *when) {
  struct it_where shared = {.endpoint = IT_ETCD, .prefix = d->prefix};
  struct it_where private_ = {.endpoint = private_etcd, .prefix = d->prefix};
  struct it_where consul = {.consul_port = consul_port};
  bool ok = it_expect_truth(d->tag, &shared, seconds, when);
  ok = it_expect_truth(d->tag, &private_, seconds, when) && ok;
  return it_expect_truth(d->tag, &consul, seconds, when) && ok;
}

Test(multi, one_daemon_keeps_two_etcds_and_consul_in_step_through_start_rename_and_die) {
  struct it_etcd e;
  it_etcd_start(&e, 27379);
  struct cdouble cd = {0};
  cd_start(&cd, 0, NULL);
  struct it_daemon d;
  it_daemon_init(&d, "rgt-multi");
  char opts[256], a[128], b[128], renamed[160];
  snprintf(opts, sizeof opts, "-retry-interval 500 consul://127.0.0.1:%d etcd://%s%s", cd.port, e.endpoint,
           d.prefix);
  it_daemon_start(&d, IT_ETCD, opts);
  snprintf(a, sizeof a, "%s-a", d.tag);
  snprintf(b, sizeof b, "%s-b", d.tag);
  snprintf(renamed, sizeof renamed, "%s-renamed", a);
  it_run_web(a, "-l SERVICE_NAME=multi");
  it_run_web(b, NULL);
  all_truth(&d, e.endpoint, cd.port, 10, "after start");
  char key[256];
  snprintf(key, sizeof key, "%s/multi/testhost:%s:80", d.prefix, a);
  char want[64];
  snprintf(want, sizeof want, "127.0.0.1:%ld", it_host_port(a, "80/tcp"));
  cr_expect(it_etcd_wait(e.endpoint, key, want, 1), "the private etcd holds %s = %s", key, want);

  free(it_sh_ok("docker rename %s %s", a, renamed));
  all_truth(&d, e.endpoint, cd.port, 10, "after rename");
  cr_expect(it_etcd_wait(IT_ETCD, key, NULL, 1), "the old name is gone from the shared etcd");

  free(it_sh_ok("docker kill %s >/dev/null", b));
  all_truth(&d, e.endpoint, cd.port, 10, "after die");
  it_daemon_finish(&d, IT_ETCD);
  cd_stop(&cd);
  it_etcd_end(&e);
}

Test(multi, the_one_shot_writes_what_it_can_reach_and_exits_1_naming_the_other) {
  struct it_etcd e;
  it_etcd_start(&e, 27381);
  struct it_daemon d; /* only for its tag and prefix: no daemon runs */
  it_daemon_init(&d, "rgt-oneshot");
  char a[128];
  snprintf(a, sizeof a, "%s-a", d.tag);
  it_run_web(a, "-l SERVICE_NAME=once");
  int st = 0;
  char *out = it_sh(&st, "%s resync -hostname testhost etcd://" IT_ETCD "%s etcd://127.0.0.1:1%s 2>&1",
                    it_bin(), d.prefix, d.prefix);
  cr_expect_eq(st, 1, "one registry down: exit 1\n%s", out);
  cr_expect(strstr(out, "127.0.0.1:1") != NULL, "the failed registry is named:\n%s", out);
  free(out);
  struct it_where shared = {.endpoint = IT_ETCD, .prefix = d.prefix};
  it_expect_truth(d.tag, &shared, 1, "the reachable registry was written");

  char key[256];
  snprintf(key, sizeof key, "%s/once/testhost:%s:80", d.prefix, a);
  free(it_sh_ok("ETCDCTL_API=3 etcdctl del %s >/dev/null", key)); /* out of band */
  out = it_sh(&st, "%s resync -hostname testhost etcd://" IT_ETCD "%s etcd://%s%s 2>&1", it_bin(), d.prefix,
              e.endpoint, d.prefix);
  cr_expect_eq(st, 0, "both up: exit 0\n%s", out);
  free(out);
  struct it_where private_ = {.endpoint = e.endpoint, .prefix = d.prefix};
  it_expect_truth(d.tag, &shared, 1, "the deleted key is written back");
  it_expect_truth(d.tag, &private_, 1, "the second registry is written");
  it_daemon_finish(&d, IT_ETCD);
  it_etcd_end(&e);
}

static bool prefix_empty(void *ud) {
  const struct it_daemon *d = ud;
  char *n = it_sh(NULL, "ETCDCTL_API=3 etcdctl get --prefix %s/ --keys-only | grep -c %s", d->prefix, d->tag);
  bool empty = strtol(n, NULL, 10) == 0;
  free(n);
  return empty;
}

Test(multi, a_reload_opens_a_new_registry_and_retires_the_old_one) {
  struct it_etcd e;
  it_etcd_start(&e, 27383);
  struct it_daemon d;
  it_daemon_init(&d, "rgt-reloadreg");
  char cfg[160], opts[256], a[128];
  snprintf(cfg, sizeof cfg, "/tmp/%s.cfg", d.tag);
  free(it_sh_ok("printf 'registry = [\"etcd://" IT_ETCD "%s\"];\\n' > %s", d.prefix, cfg));
  snprintf(a, sizeof a, "%s-a", d.tag);
  it_run_web(a, NULL);
  snprintf(opts, sizeof opts, "-config %s -deregister-on-exit", cfg);
  d.pid = it_spawn(d.log, "%s -hostname testhost %s", it_bin(), opts);
  struct it_where shared = {.endpoint = IT_ETCD, .prefix = d.prefix};
  struct it_where private_ = {.endpoint = e.endpoint, .prefix = d.prefix};
  it_expect_truth(d.tag, &shared, 10, "before the reload");

  /* migration: the new registry in, the old one out */
  free(it_sh_ok("printf 'registry = [\"etcd://%s%s\"];\\n' > %s", e.endpoint, d.prefix, cfg));
  kill((pid_t)d.pid, SIGHUP);
  it_expect_truth(d.tag, &private_, 10, "the new registry after the reload");
  cr_expect(it_daemon_logged(&d, "reload: closing etcd://" IT_ETCD, 5), "the old registry is closed");
  cr_expect(it_wait(5, prefix_empty, &d), "the retired registry was emptied (-deregister-on-exit)");
  it_daemon_finish(&d, IT_ETCD);
  free(it_sh(NULL, "rm -f %s", cfg));
  it_etcd_end(&e);
}
