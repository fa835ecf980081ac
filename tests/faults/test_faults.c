/* Fault tests for the daemon (issue: nothing lost under faults).
 *
 * Real dockerd, real etcd. These restart shared servers (dockerd), so the
 * binary runs alone, after the other suites, one test at a time. Every
 * scenario ends by comparing the registry with the truth (what
 * `registrator resync --dry-run` derives from Docker) under a deadline:
 * zero lost and zero stale entries. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/itest.h"

#define FAULT_PORT 25379
#define FAULT_ETCD "127.0.0.1:25379"

static void expect_truth_but(const struct it_daemon *d, const char *endpoint, double seconds,
                             const char *when, const char *ignore) {
  struct it_where w = {.endpoint = endpoint, .prefix = d->prefix, .ignore = ignore};
  it_expect_truth(d->tag, &w, seconds, when);
}

static void expect_truth(const struct it_daemon *d, const char *endpoint, double seconds,
                         const char *when) {
  expect_truth_but(d, endpoint, seconds, when, NULL);
}

static void run_web(const char *name) { it_run_web(name, NULL); }

static void sleep_s(double s) { /* the fault's own duration, not a wait for a result */
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

IT_SUITE(faults);

Test(faults, churn_of_200_containers_ends_with_registry_equal_to_docker) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-churn");
  it_daemon_start(&d, "127.0.0.1:2379", "-retry-interval 500");
  /* 200 containers, 4 at a time: stay, killed, stopped, or dying at once */
  free(it_sh_ok("seq 1 200 | xargs -P 4 -I{} bash -c 'n=%s-{}; case $((RANDOM %% 4)) in "
                "0) docker run -d --name $n -p 127.0.0.1::80 %s httpd -f -p 80 ;; "
                "1) docker run -d --name $n -p 127.0.0.1::80 %s httpd -f -p 80 && docker kill $n ;; "
                "2) docker run -d --name $n -p 127.0.0.1::80 %s sh -c \"exit 0\" ;; "
                "3) docker run -d --name $n -p 127.0.0.1::80 %s httpd -f -p 80 && docker stop -t 0 $n ;; "
                "esac >/dev/null 2>&1; true'",
                d.tag, IT_IMG, IT_IMG, IT_IMG, IT_IMG));
  char *n = it_sh_ok("docker ps -q --filter name=%s- | wc -l", d.tag);
  cr_log_info("churn: %ld of 200 containers still running", strtol(n, NULL, 10));
  free(n);
  expect_truth(&d, "127.0.0.1:2379", 20, "after churn");
  it_daemon_stop(&d);
  free(it_sh(NULL, "ETCDCTL_API=3 etcdctl del --prefix %s/ >/dev/null", d.prefix));
}

Test(faults, registry_killed_and_hung_catches_up_within_a_retry_interval) {
  struct it_etcd etcd;
  it_etcd_start(&etcd, FAULT_PORT);

  struct it_daemon d;
  it_daemon_init(&d, "rgt-regfault");
  it_daemon_start(&d, FAULT_ETCD, "-retry-interval 1000 -ttl 30 -ttl-refresh 5");
  char names[6][128];
  for (int i = 0; i < 6; i++) snprintf(names[i], sizeof names[i], "%s-%d", d.tag, i);
  for (int i = 0; i < 3; i++) run_web(names[i]);
  expect_truth(&d, FAULT_ETCD, 10, "before the faults");

  /* 1. etcd killed for 10 s while containers come and go */
  kill((pid_t)etcd.pid, SIGKILL);
  it_wait_exit(etcd.pid, 5);
  run_web(names[3]);
  run_web(names[4]);
  free(it_sh_ok("docker kill %s %s >/dev/null", names[0], names[1]));
  sleep_s(10);
  it_etcd_restart(&etcd);
  expect_truth(&d, FAULT_ETCD, 1.0 + 5.0, "after etcd came back"); /* retry interval + a request */

  /* 2. etcd hung (SIGSTOP) for 5 s while containers come and go */
  kill((pid_t)etcd.pid, SIGSTOP);
  run_web(names[5]);
  free(it_sh_ok("docker kill %s >/dev/null", names[3]));
  sleep_s(5);
  kill((pid_t)etcd.pid, SIGCONT);
  expect_truth(&d, FAULT_ETCD, 1.0 + 5.0, "after etcd resumed");

  it_daemon_stop(&d);
  it_etcd_end(&etcd);
}

Test(faults, sigterm_stops_within_a_second_while_the_registry_hangs) {
  struct it_etcd etcd;
  it_etcd_start(&etcd, FAULT_PORT);
  struct it_daemon d;
  it_daemon_init(&d, "rgt-hang");
  it_daemon_start(&d, FAULT_ETCD, "-retry-interval 500");
  cr_assert(it_daemon_logged(&d, "listening for Docker events", 10));
  kill((pid_t)etcd.pid, SIGSTOP);
  char name[128];
  snprintf(name, sizeof name, "%s-web", d.tag);
  run_web(name); /* its registration now hangs on the stopped etcd */
  sleep_s(1.0); /* let the write reach the hung registry: this is the fault, not a wait */
  kill((pid_t)d.pid, SIGTERM);
  cr_expect_eq(it_wait_exit(d.pid, 1.0), 0, "no clean exit within 1 s of SIGTERM with etcd hung");
  d.pid = 0;
  it_daemon_stop(&d);
  it_etcd_end(&etcd);
}

#define CLUSTER "127.0.0.1:22379,127.0.0.1:22479,127.0.0.1:22579"
#define SURVIVORS "127.0.0.1:22479,127.0.0.1:22579"

Test(faults, cluster_member_killed_while_containers_come_and_go_loses_nothing) {
  free(it_sh_ok("tests/etcd-cluster.sh start >/dev/null 2>&1"));
  struct it_daemon d;
  it_daemon_init(&d, "rgt-clu");
  it_daemon_start(&d, CLUSTER, "-retry-interval 500 -ttl 20 -ttl-refresh 2");
  char names[8][128];
  for (int i = 0; i < 8; i++) snprintf(names[i], sizeof names[i], "%s-%d", d.tag, i);
  for (int i = 0; i < 4; i++) run_web(names[i]);
  expect_truth(&d, CLUSTER, 10, "before the member dies");
  /* the daemon talks to the first endpoint (a): kill it mid-stream */
  char *pid = it_sh_ok("tests/etcd-cluster.sh pid a");
  long a = strtol(pid, NULL, 10);
  free(pid);
  cr_assert_gt(a, 0);
  kill((pid_t)a, SIGKILL);
  for (int i = 4; i < 8; i++) run_web(names[i]);
  free(it_sh_ok("docker kill %s %s >/dev/null", names[0], names[5]));
  expect_truth(&d, SURVIVORS, 20, "with member a dead");
  it_daemon_stop(&d);
  free(it_sh(NULL, "ETCDCTL_API=3 etcdctl --endpoints=" SURVIVORS " del --prefix %s/ >/dev/null",
             d.prefix));
  free(it_sh(NULL, "tests/etcd-cluster.sh start >/dev/null 2>&1")); /* a rejoins for others */
}

static bool docker_up(void *ud) {
  (void)ud;
  int st;
  free(it_sh(&st, "curl -sf --max-time 1 --unix-socket /var/run/docker.sock http://x/_ping >/dev/null"));
  return st == 0;
}

Test(faults, daemon_survives_a_dockerd_restart_and_registers_what_starts_after) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-dockerd");
  it_daemon_start(&d, "127.0.0.1:2379", "-retry-interval 500");
  char before[128], after[128];
  snprintf(before, sizeof before, "%s-before", d.tag);
  snprintf(after, sizeof after, "%s-after", d.tag);
  run_web(before);
  expect_truth(&d, "127.0.0.1:2379", 10, "before the restart");

  free(it_sh_ok("tests/servers.sh restart-docker >/dev/null 2>&1"));
  cr_assert(it_wait(60, docker_up, NULL), "dockerd did not come back");
  cr_assert_eq(it_wait_exit(d.pid, 0), -1, "registrator exited when dockerd restarted");
  /* the old container stopped with dockerd; start it and a new one */
  free(it_sh_ok("docker start %s >/dev/null", before));
  run_web(after);
  expect_truth(&d, "127.0.0.1:2379", 35, "after the dockerd restart"); /* reconnect backoff */
  char *o = it_sh(NULL, "ETCDCTL_API=3 etcdctl get --prefix %s/ --keys-only | grep -c after", d.prefix);
  cr_expect_eq(strtol(o, NULL, 10), 1, "the container started after the restart is registered");
  free(o);
  it_daemon_stop(&d);
  free(it_sh(NULL, "ETCDCTL_API=3 etcdctl del --prefix %s/ >/dev/null", d.prefix));
}

Test(faults, sigkilled_registrator_restarted_with_cleanup_removes_only_its_stale_entries) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-cleanup");
  char live[128], dead[128];
  snprintf(live, sizeof live, "%s-live", d.tag);
  snprintf(dead, sizeof dead, "%s-dead", d.tag);
  run_web(live);
  run_web(dead);
  /* an entry of another host under the same prefix must survive */
  free(it_sh_ok("ETCDCTL_API=3 etcdctl put %s/web/otherhost:x:80 10.9.9.9:80 >/dev/null", d.prefix));
  it_daemon_start(&d, "127.0.0.1:2379", "");
  expect_truth_but(&d, "127.0.0.1:2379", 10, "first run", "otherhost");
  kill((pid_t)d.pid, SIGKILL);
  it_wait_exit(d.pid, 5);
  it_docker_rm(dead);
  it_daemon_start(&d, "127.0.0.1:2379", "-cleanup");
  expect_truth_but(&d, "127.0.0.1:2379", 10, "after restart with -cleanup", "otherhost");
  char *o = it_sh(NULL, "ETCDCTL_API=3 etcdctl get --print-value-only %s/web/otherhost:x:80",
                  d.prefix);
  cr_expect_str_eq(o, "10.9.9.9:80\n", "-cleanup touched another host's entry");
  free(o);
  it_daemon_stop(&d);
  free(it_sh(NULL, "ETCDCTL_API=3 etcdctl del --prefix %s/ >/dev/null", d.prefix));
}
