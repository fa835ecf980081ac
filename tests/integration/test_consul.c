/* The Consul adapter end to end, agent API: the registrator daemon, real
 * containers, and the Consul protocol double (tests/consul-double/, not
 * Consul). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/integration/itest.h"
#include "tests/integration/test_consul_double.h"

IT_SUITE(consul_agent);

static void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

Test(consul_agent, registers_label_checks_and_meta_and_deregisters_on_death) {
  struct cdouble d = {0};
  cd_start(&d, 0, NULL);
  char name[128], id[192], keys[256], want[128], uri[64];
  snprintf(name, sizeof name, "%s", it_name("rgt-ca-web"));
  long port = web_start(name, "-l SERVICE_NAME=web -l SERVICE_TAGS=a,b -l SERVICE_CHECK_HTTP=/health "
                              "-l SERVICE_CHECK_INTERVAL=5s -l SERVICE_REGION=eu -l SERVICE_BAD.KEY=x");
  snprintf(id, sizeof id, "testhost:%s:80", name);
  snprintf(uri, sizeof uri, "consul://127.0.0.1:%d", d.port);
  struct rgd r;
  rgd_start(&r, NULL, "", uri);

  snprintf(keys, sizeof keys, "'%s' Port", id);
  snprintf(want, sizeof want, "%ld", port);
  cr_expect(cd_wait(&d, NULL, "/v1/agent/services", keys, want, 10), "service %s not registered", id);
  snprintf(keys, sizeof keys, "'%s' Address", id);
  char *v = cd_get(&d, NULL, "/v1/agent/services", keys);
  cr_expect_str_eq(v, "127.0.0.1");
  free(v);
  snprintf(keys, sizeof keys, "'%s' Tags", id);
  v = cd_get(&d, NULL, "/v1/agent/services", keys);
  cr_expect_str_eq(v, "[\"a\", \"b\"]");
  free(v);
  snprintf(keys, sizeof keys, "'%s' Meta", id);
  v = cd_get(&d, NULL, "/v1/agent/services", keys);
  cr_expect_str_eq(v, "{\"region\": \"eu\"}", "Meta: %s", v);
  free(v);
  snprintf(keys, sizeof keys, "'service:%s' Definition", id);
  v = cd_get(&d, NULL, "/v1/agent/checks", keys);
  snprintf(want, sizeof want, "{\"HTTP\": \"http://127.0.0.1:%ld/health\", \"Interval\": \"5s\"}", port);
  cr_expect_str_eq(v, want, "check: %s", v);
  free(v);
  cr_expect(rgd_wait_log(&r, "not sending SERVICE_BAD.KEY", 2), "the skipped Meta key was not logged");

  free(it_sh_ok("docker kill %s >/dev/null", name));
  snprintf(keys, sizeof keys, "'%s'", id);
  cr_expect(cd_wait(&d, NULL, "/v1/agent/services", keys, NULL, 10), "dead container still registered");
  rgd_stop(&r);
  cd_stop(&d);
  it_docker_rm(name);
}

Test(consul_agent, heartbeats_keep_the_ttl_check_passing_and_a_killed_registrator_lets_it_expire) {
  struct cdouble d = {0};
  cd_start(&d, 0, NULL);
  char name[128], keys[256], uri[64];
  snprintf(name, sizeof name, "%s", it_name("rgt-ca-ttl"));
  web_start(name, "-l SERVICE_NAME=ttl");
  snprintf(uri, sizeof uri, "consul://127.0.0.1:%d", d.port);
  struct rgd r;
  rgd_start(&r, NULL, "-ttl 3 -ttl-refresh 1", uri);
  snprintf(keys, sizeof keys, "'service:testhost:%s:80' Status", name);
  cr_assert(cd_wait(&d, NULL, "/v1/agent/checks", keys, "passing", 10), "no passing TTL check");
  snprintf(keys, sizeof keys, "'service:testhost:%s:80' Definition TTL", name);
  char *v = cd_get(&d, NULL, "/v1/agent/checks", keys);
  cr_expect_str_eq(v, "3s");
  free(v);
  sleep_s(4.5); /* longer than the TTL: only the heartbeats keep it passing */
  snprintf(keys, sizeof keys, "'service:testhost:%s:80' Status", name);
  v = cd_get(&d, NULL, "/v1/agent/checks", keys);
  cr_expect_str_eq(v, "passing", "TTL check expired although registrator heartbeats it");
  free(v);
  rgd_kill(&r);
  cr_expect(cd_wait(&d, NULL, "/v1/agent/checks", keys, "critical", 6),
            "TTL check still passing after registrator was killed");
  rgd_stop(&r);
  cd_stop(&d);
  it_docker_rm(name);
}

Test(consul_agent, a_label_ttl_check_is_heartbeated_and_reaped_after_deregister_after) {
  struct cdouble d = {0};
  cd_start(&d, 0, "--min-deregister-after 1");
  char name[128], keys[256], uri[64];
  snprintf(name, sizeof name, "%s", it_name("rgt-ca-lttl"));
  web_start(name, "-l SERVICE_NAME=lttl -l SERVICE_CHECK_TTL=2s -l SERVICE_CHECK_DEREGISTER_AFTER=1s");
  snprintf(uri, sizeof uri, "consul://127.0.0.1:%d", d.port);
  struct rgd r;
  rgd_start(&r, NULL, "-ttl 3 -ttl-refresh 1", uri);
  snprintf(keys, sizeof keys, "'service:testhost:%s:80' Status", name);
  cr_assert(cd_wait(&d, NULL, "/v1/agent/checks", keys, "passing", 10), "no passing TTL check");
  sleep_s(3);
  char *v = cd_get(&d, NULL, "/v1/agent/checks", keys);
  cr_expect_str_eq(v, "passing", "the label's TTL check was not heartbeated");
  free(v);
  rgd_kill(&r);
  snprintf(keys, sizeof keys, "'testhost:%s:80'", name);
  cr_expect(cd_wait(&d, NULL, "/v1/agent/services", keys, NULL, 8),
            "a dead registrator's service was not reaped by DeregisterCriticalServiceAfter");
  rgd_stop(&r);
  cd_stop(&d);
  it_docker_rm(name);
}

static bool recovery_logged(void *ud) {
  char *log = rgd_log(ud);
  bool ok = strstr(log, "registering it again") || strstr(log, "is missing from the registry; writing it again");
  free(log);
  return ok;
}

Test(consul_agent, an_agent_that_lost_its_state_gets_the_ttl_services_again) {
  struct cdouble d = {0};
  cd_start(&d, 0, NULL);
  char name[128], keys[256], uri[64];
  snprintf(name, sizeof name, "%s", it_name("rgt-ca-again"));
  web_start(name, "-l SERVICE_NAME=again");
  snprintf(uri, sizeof uri, "consul://127.0.0.1:%d", d.port);
  struct rgd r;
  rgd_start(&r, NULL, "-ttl 5 -ttl-refresh 1", uri);
  snprintf(keys, sizeof keys, "'testhost:%s:80' Service", name);
  cr_assert(cd_wait(&d, NULL, "/v1/agent/services", keys, "again", 10), "not registered");
  int port = d.port;
  cd_stop(&d); /* the agent restarts empty */
  cd_start(&d, port, NULL);
  cr_expect(cd_wait(&d, NULL, "/v1/agent/services", keys, "again", 10),
            "the heartbeat did not register the service again on a restarted agent");
  /* the heartbeat's 404 registers it again; a write of another container
   * that failed while the agent was away may get there first, through the
   * verify that follows a recovery (README, "Lifecycle") */
  cr_expect(it_wait(2, recovery_logged, &r), "no recovery logged");
  rgd_stop(&r);
  cd_stop(&d);
  it_docker_rm(name);
}
