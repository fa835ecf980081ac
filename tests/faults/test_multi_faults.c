/* Fault tests for several registries fed by one daemon (README, "Several
 * registries"): one of them killed or hung while containers come and go;
 * the others stay in step meanwhile, and every one converges after the
 * recovery. Real dockerd, a real private etcd, the shared etcd and the
 * Consul protocol double (tests/consul-double, not Consul). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/integration/itest.h"

#define VICTIM_PORT 28379
#define VICTIM "127.0.0.1:28379"

IT_SUITE(multi_faults);

struct setup {
  struct it_etcd victim;
  long consul_pid;
  int consul_port;
  char consul_log[160];
  struct it_daemon d;
};

static bool consul_up(void *ud) {
  int st;
  free(it_sh(&st, "curl -sf --max-time 1 http://127.0.0.1:%d/v1/status/leader >/dev/null", *(int *)ud));
  return st == 0;
}

static void setup_start(struct setup *s, const char *what) {
  it_etcd_start(&s->victim, VICTIM_PORT);
  s->consul_port = VICTIM_PORT + 100;
  snprintf(s->consul_log, sizeof s->consul_log, "/tmp/%s.log", it_name("rgt-mf-consul"));
  s->consul_pid = it_spawn(s->consul_log, "python3 tests/consul-double/consul_double.py --port %d", s->consul_port);
  cr_assert(it_wait(10, consul_up, &s->consul_port), "the Consul double did not start");
  it_daemon_init(&s->d, what);
  char opts[256];
  snprintf(opts, sizeof opts, "-retry-interval 1000 -ttl 30 -ttl-refresh 5 consul://127.0.0.1:%d etcd://" VICTIM "%s",
           s->consul_port, s->d.prefix);
  it_daemon_start(&s->d, IT_ETCD, opts);
}

static void setup_end(struct setup *s) {
  it_daemon_finish(&s->d, IT_ETCD);
  kill((pid_t)s->consul_pid, SIGTERM);
  it_wait_exit(s->consul_pid, 5);
  free(it_sh(NULL, "rm -f %s", s->consul_log));
  it_etcd_end(&s->victim);
}

/* The registries other than the victim, against Docker. */
static void others_truth(struct setup *s, double seconds, const char *when) {
  struct it_where shared = {.endpoint = IT_ETCD, .prefix = s->d.prefix};
  struct it_where consul = {.consul_port = s->consul_port};
  it_expect_truth(s->d.tag, &shared, seconds, when);
  it_expect_truth(s->d.tag, &consul, seconds, when);
}

static void all_truth(struct setup *s, double seconds, const char *when) {
  others_truth(s, seconds, when);
  struct it_where victim = {.endpoint = VICTIM, .prefix = s->d.prefix};
  it_expect_truth(s->d.tag, &victim, seconds, when);
}

/* Starts containers first..last-1 and kills every third of them. */
static void churn(struct setup *s, int first, int last) {
  free(it_sh_ok("seq %d %d | xargs -P 4 -I{} sh -c 'docker run -d --name %s-{} -p 127.0.0.1::80 " IT_IMG
                " httpd -f -p 80 >/dev/null && if [ $(({} %% 3)) -eq 0 ]; then docker kill %s-{} >/dev/null; fi'",
                first, last - 1, s->d.tag, s->d.tag));
}

static void fault_time(double sec) { /* the fault's own duration, not a wait for a result */
  struct timespec ts = {(time_t)sec, (long)((sec - (double)(time_t)sec) * 1e9)};
  nanosleep(&ts, NULL);
}

Test(multi_faults, one_etcd_killed_while_containers_churn_leaves_the_others_in_step) {
  struct setup s;
  setup_start(&s, "rgt-mkill");
  churn(&s, 0, 4);
  all_truth(&s, 10, "before the fault");
  kill((pid_t)s.victim.pid, SIGKILL);
  it_wait_exit(s.victim.pid, 5);
  churn(&s, 4, 16);
  others_truth(&s, 5, "with one etcd dead");
  it_etcd_restart(&s.victim);
  all_truth(&s, 1.0 + 5.0, "after the dead etcd came back"); /* a retry interval + a request */
  setup_end(&s);
}

Test(multi_faults, one_etcd_stopped_for_10_s_leaves_the_others_in_step) {
  struct setup s;
  setup_start(&s, "rgt-mstop");
  churn(&s, 0, 4);
  all_truth(&s, 10, "before the fault");
  kill((pid_t)s.victim.pid, SIGSTOP);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  churn(&s, 4, 10);
  others_truth(&s, 3, "with one etcd hung");
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double spent = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  if (spent < 10) fault_time(10 - spent);
  kill((pid_t)s.victim.pid, SIGCONT);
  all_truth(&s, 1.0 + 5.0, "after the hung etcd resumed");
  setup_end(&s);
}
