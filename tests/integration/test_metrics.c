/* The -metrics endpoint of the running daemon (README "Metrics, health and
 * readiness"): promtool validates the exposition, values follow Docker and
 * the registry, the endpoint holds up under abuse while containers churn.
 * Ports 29588-29592; a private etcd on 127.0.0.1:29379 (peer 29380). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/itest.h"

#define PRIV_ETCD "127.0.0.1:29379"
#define AUTH_ETCD "127.0.0.1:29381" /* the logs test's etcd with auth (peer 29382) */

/* What a test started, stopped by the suites' .fini also when it fails
 * half-way (a leftover would take the next test's port). */
static long live_daemon, live_etcd;
static char live_dir[128];

static void finish(void) {
  if (live_daemon > 0) {
    kill((pid_t)live_daemon, SIGKILL);
    it_wait_exit(live_daemon, 5);
  }
  if (live_etcd > 0) {
    kill((pid_t)live_etcd, SIGCONT);
    kill((pid_t)live_etcd, SIGTERM);
    it_wait_exit(live_etcd, 10);
  }
  if (live_dir[0]) free(it_sh(NULL, "rm -rf %s", live_dir));
  live_daemon = live_etcd = 0;
  live_dir[0] = '\0';
  it_cleanup();
}

/* Docker on this shared machine can take many seconds to list when other
 * users churn hundreds of containers: the first sync waits for that. */
#define READY_S 60

TestSuite(metrics, .timeout = 300, .fini = finish);

/* The value of one series ("name{labels}" exactly as exposed), -1 when the
 * endpoint or the series is missing. */
static double metric(int port, const char *series) {
  char *o = it_sh(NULL, "curl -s --max-time 2 http://127.0.0.1:%d/metrics | awk -v s='%s' '$1 == s {print $2}'",
                  port, series);
  double v = o[0] ? strtod(o, NULL) : -1;
  free(o);
  return v;
}

/* The HTTP status of a GET (0: no answer within 1 s). */
static int status_of(int port, const char *path) {
  char *o = it_sh(NULL, "curl -s -o /dev/null -w '%%{http_code}' --max-time 1 http://127.0.0.1:%d%s", port, path);
  int code = (int)strtol(o, NULL, 10);
  free(o);
  return code;
}

struct want_status {
  int port;
  const char *path;
  int code;
};

static bool has_status(void *ud) {
  struct want_status *w = ud;
  return status_of(w->port, w->path) == w->code;
}

static bool wait_status(int port, const char *path, int code, double seconds) {
  struct want_status w = {port, path, code};
  return it_wait(seconds, has_status, &w);
}

struct want_metric {
  int port;
  const char *series;
  double value;
};

static bool metric_is(void *ud) {
  struct want_metric *w = ud;
  return metric(w->port, w->series) == w->value;
}

static bool wait_metric(int port, const char *series, double value, double seconds) {
  struct want_metric w = {port, series, value};
  return it_wait(seconds, metric_is, &w);
}

/* registrator_services of the daemon equals the keys it holds in etcd. */
struct services_match {
  const struct it_daemon *d;
  int port;
  const char *endpoint, *series;
};

static bool services_match_etcd(void *ud) {
  struct services_match *s = ud;
  char *o = it_sh(NULL, "ETCDCTL_API=3 etcdctl --endpoints=%s get --prefix --keys-only %s/ | grep -c .", s->endpoint,
                  s->d->prefix);
  double keys = strtod(o, NULL);
  free(o);
  return metric(s->port, s->series) == keys;
}

Test(metrics, exposition_passes_promtool_and_values_follow_a_container) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-met");
  it_daemon_start(&d, IT_ETCD, "-metrics 127.0.0.1:29588");
  live_daemon = d.pid;
  cr_assert(wait_status(29588, "/readyz", 200, READY_S), "never ready");
  int st;
  char *out = it_sh(&st, "curl -s http://127.0.0.1:29588/metrics | promtool check metrics 2>&1");
  cr_expect_eq(st, 0, "promtool check metrics failed:\n%s", out);
  cr_expect_str_eq(out, "", "promtool has remarks:\n%s", out);
  free(out);
  free(it_sh_ok("%s healthcheck -metrics 127.0.0.1:29588", it_bin()));

  char services[256], label[160];
  snprintf(label, sizeof label, "registry=\"etcd://%s%s\"", IT_ETCD, d.prefix);
  snprintf(services, sizeof services, "registrator_services{%s}", label);
  const char *starts = "registrator_docker_events_total{action=\"start\"}";
  double starts0 = metric(29588, starts);
  cr_assert_geq(starts0, 0);
  struct services_match sm = {&d, 29588, IT_ETCD, services};
  cr_expect(it_wait(10, services_match_etcd, &sm), "registrator_services differs from the keys in etcd");

  char name[128], key[512];
  snprintf(name, sizeof name, "%s-web", d.tag);
  it_run_web(name, "-l SERVICE_NAME=met");
  snprintf(key, sizeof key, "%s/met/testhost:%s:80", d.prefix, name);
  char val[64];
  snprintf(val, sizeof val, "127.0.0.1:%ld", it_host_port(name, "80/tcp"));
  cr_assert(it_etcd_wait(IT_ETCD, key, val, 10), "not registered: %s", key);
  cr_expect_gt(metric(29588, starts), starts0, "the start event was not counted");
  cr_expect(it_wait(10, services_match_etcd, &sm), "registrator_services did not follow the start");
  char ok_ops[256];
  snprintf(ok_ops, sizeof ok_ops, "registrator_registry_operations_total{%s,op=\"register\",result=\"ok\"}", label);
  cr_expect_geq(metric(29588, ok_ops), 1);

  free(it_sh_ok("docker kill %s >/dev/null", name));
  cr_assert(it_etcd_wait(IT_ETCD, key, NULL, 10), "still registered after die: %s", key);
  cr_expect(it_wait(10, services_match_etcd, &sm), "registrator_services did not follow the die");
  out = it_sh(&st, "curl -s http://127.0.0.1:29588/metrics | promtool check metrics 2>&1");
  cr_expect_eq(st, 0, "promtool check metrics failed after activity:\n%s", out);
  free(out);

  it_daemon_finish(&d, IT_ETCD);

  live_daemon = 0;
  free(it_sh(&st, "%s healthcheck -metrics 127.0.0.1:29588 2>/dev/null", it_bin()));
  cr_expect_neq(st, 0, "healthcheck passed with no daemon");
}

/* ---- a private etcd, stopped and started again ---- */

static bool priv_etcd_up(void *ud) {
  int st;
  free(it_sh(&st, "curl -sf --max-time 1 http://%s/health >/dev/null", (const char *)ud));
  return st == 0;
}

/* endpoint "127.0.0.1:<port>", its peer on peer_port: each test has its
 * own, since the suites run in parallel. */
static long priv_etcd_start_on(const char *dir, const char *endpoint, int peer_port) {
  long pid = it_spawn("/tmp/h15-etcd.log",
                      "etcd --name h15 --data-dir %s --listen-client-urls http://%s"
                      " --advertise-client-urls http://%s --listen-peer-urls http://127.0.0.1:%d"
                      " --initial-advertise-peer-urls http://127.0.0.1:%d"
                      " --initial-cluster h15=http://127.0.0.1:%d",
                      dir, endpoint, endpoint, peer_port, peer_port, peer_port);
  cr_assert(it_wait(20, priv_etcd_up, (void *)endpoint), "private etcd on %s did not start", endpoint);
  return pid;
}

static long priv_etcd_start(const char *dir) { return priv_etcd_start_on(dir, PRIV_ETCD, 29380); }

/* Two registries: the shared etcd and a private one that is stopped; each
 * has its own series, and only the stopped one goes down. */
Test(metrics, a_stopped_registry_turns_up_to_0_and_readyz_to_503_until_it_returns) {
  char dir[128];
  snprintf(dir, sizeof dir, "/tmp/h15/%s", it_name("etcd"));
  free(it_sh(NULL, "rm -rf %s; mkdir -p /tmp/h15", dir));
  snprintf(live_dir, sizeof live_dir, "%s", dir);
  long etcd = live_etcd = priv_etcd_start(dir);
  struct it_daemon d;
  it_daemon_init(&d, "rgt-metup");
  char opts[256], up[256], up_other[256];
  snprintf(opts, sizeof opts, "-metrics 127.0.0.1:29589 -ttl 10 -ttl-refresh 1 -retry-interval 500 etcd://%s%s",
           IT_ETCD, d.prefix); /* the first URI; it_daemon_start appends the private one */
  it_daemon_start(&d, PRIV_ETCD, opts);
  snprintf(up, sizeof up, "registrator_registry_up{registry=\"etcd://%s%s\"}", PRIV_ETCD, d.prefix);
  snprintf(up_other, sizeof up_other, "registrator_registry_up{registry=\"etcd://%s%s\"}", IT_ETCD, d.prefix);
  live_daemon = d.pid;
  cr_assert(wait_status(29589, "/readyz", 200, READY_S), "never ready");
  cr_expect_eq(metric(29589, up), 1);
  cr_expect_eq(metric(29589, up_other), 1);

  kill((pid_t)etcd, SIGTERM);
  cr_assert_geq(it_wait_exit(etcd, 10), 0, "etcd did not stop");
  live_etcd = 0;
  cr_expect(wait_metric(29589, up, 0, 10), "registrator_registry_up stayed 1 with etcd stopped");
  cr_expect(wait_status(29589, "/readyz", 503, 5), "/readyz not 503 with etcd stopped");
  char *why = it_sh(NULL, "curl -s --max-time 1 http://127.0.0.1:29589/readyz");
  char want[256];
  snprintf(want, sizeof want, "registry etcd://%s%s: not answering\n", PRIV_ETCD, d.prefix);
  cr_expect_str_eq(why, want, "/readyz does not say (only) why");
  free(why);
  cr_expect_eq(metric(29589, up_other), 1, "the registry that answers went down with the other");
  cr_expect_eq(status_of(29589, "/healthz"), 200, "the loop stalled while etcd was down");

  etcd = live_etcd = priv_etcd_start(dir);
  cr_expect(wait_metric(29589, up, 1, 15), "registrator_registry_up did not return to 1");
  cr_expect(wait_status(29589, "/readyz", 200, 15), "/readyz did not return to 200");

  it_daemon_finish(&d, PRIV_ETCD);
  live_daemon = 0;
  free(it_sh(NULL, "ETCDCTL_API=3 etcdctl --endpoints=%s del --prefix %s/ >/dev/null 2>&1", IT_ETCD, d.prefix));
  kill((pid_t)etcd, SIGTERM);
  it_wait_exit(etcd, 10);
  live_etcd = 0;
  free(it_sh(NULL, "rm -rf %s", dir));
}

/* ---- abuse while containers churn ---- */

static long rss_kib(long pid) {
  char *o = it_sh(NULL, "awk '/^VmRSS:/ {print $2}' /proc/%ld/status", pid);
  long v = strtol(o, NULL, 10);
  free(o);
  return v;
}

/* The containers of this test that run, and those registered, as sorted
 * name lists. */
struct in_step {
  const struct it_daemon *d;
  char *running, *registered;
};

static bool registry_in_step(void *ud) {
  struct in_step *s = ud;
  free(s->running);
  free(s->registered);
  s->running = it_sh(NULL, "docker ps --filter name=%s- --format '{{.Names}}' | sort", s->d->tag);
  s->registered = it_sh(NULL,
                        "ETCDCTL_API=3 etcdctl --endpoints=%s get --prefix --keys-only %s/ | grep . "
                        "| sed 's|.*testhost:||; s|:80$||' | grep -- '^%s-' | sort",
                        IT_ETCD, s->d->prefix, s->d->tag); /* the host's other containers are registered too */
  return strcmp(s->running, s->registered) == 0;
}

Test(metrics, the_endpoint_under_abuse_while_containers_churn_keeps_the_registry_in_step, .timeout = 240) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-metab");
  /* under AddressSanitizer, freed memory waits in a quarantine (256 MB by
   * default) that would read as growth: keep it small */
  unlink(d.log);
  d.pid = it_spawn(d.log,
                   "env ASAN_OPTIONS=${ASAN_OPTIONS:-}:quarantine_size_mb=2:thread_local_quarantine_size_kb=64 "
                   "%s -hostname testhost -metrics 127.0.0.1:29590 -retry-interval 500 etcd://%s%s",
                   it_bin(), IT_ETCD, d.prefix);
  live_daemon = d.pid;
  cr_assert(wait_status(29590, "/readyz", 200, READY_S), "never ready");
  char churn_log[160];
  snprintf(churn_log, sizeof churn_log, "/tmp/%s-churn.log", d.tag);
  /* 40 containers, 2 at a time: stay, killed at once, or exiting at once */
  long churn = it_spawn(churn_log,
                        "seq 1 40 | xargs -P 2 -I{} sh -c 'n=%s-{}; case $(({} %% 3)) in "
                        "0) docker run -d --name $n -l SERVICE_NAME=ab -p 127.0.0.1::80 %s httpd -f -p 80 ;; "
                        "1) docker run -d --name $n -l SERVICE_NAME=ab -p 127.0.0.1::80 %s httpd -f -p 80 "
                        "&& docker kill $n ;; "
                        "2) docker run -d --name $n -l SERVICE_NAME=ab -p 127.0.0.1::80 %s sh -c \"exit 0\" ;; "
                        "esac >/dev/null 2>&1; true'",
                        d.tag, IT_IMG, IT_IMG, IT_IMG);
  free(it_sh_ok("curl -s http://127.0.0.1:29590/metrics >/dev/null"));
  long rss0 = rss_kib(d.pid);
  char *out = it_sh(NULL, "python3 tests/integration/httpd_abuse.py 127.0.0.1 29590 2>&1; echo rc=$?");
  cr_log_info("%s", out);
  cr_expect(strstr(out, "rc=0") != NULL, "the endpoint failed under abuse:\n%s", out);
  free(out);
  long rss1 = rss_kib(d.pid);
  out = it_sh(NULL, "python3 tests/integration/httpd_abuse.py 127.0.0.1 29590 2>&1; echo rc=$?");
  cr_expect(strstr(out, "rc=0") != NULL, "the endpoint failed under abuse (round 2):\n%s", out);
  free(out);
  long rss2 = rss_kib(d.pid);
  /* a sanitizer build: its allocator's own overhead and the small quarantine */
  char *asan = it_sh(NULL, "grep -c __asan_init %s", it_bin());
  long slack = strtol(asan, NULL, 10) > 0 ? 4 : 1;
  free(asan);
  cr_log_info("VmRSS: %ld KiB before, %ld after one round of abuse, %ld after two", rss0, rss1, rss2);
  /* under make test-valgrind the process is valgrind itself, whose VmRSS
   * is its own shadow memory: memcheck's leak check stands in there */
  char *vg = it_sh(NULL, "grep -c valgrind %s", it_bin());
  bool under_valgrind = strtol(vg, NULL, 10) > 0;
  free(vg);
  if (!under_valgrind) {
    cr_expect_lt(rss1 - rss0, 4096 * slack, "memory grew %ld KiB in one round of abuse", rss1 - rss0);
    cr_expect_lt(rss2 - rss1, 1024 * slack, "memory grew %ld KiB more in a second round", rss2 - rss1);
  }

  cr_expect_eq(it_wait_exit(churn, 120), 0, "the churn did not finish");
  struct in_step s = {&d, NULL, NULL};
  cr_expect(it_wait(20, registry_in_step, &s), "registry out of step after the churn\nrunning:\n%s\nregistered:\n%s",
            s.running, s.registered);
  free(s.running);
  free(s.registered);
  cr_expect_eq(status_of(29590, "/healthz"), 200);
  it_daemon_finish(&d, IT_ETCD);
  live_daemon = 0;
  unlink(churn_log);
}

/* ---- -log-format json, and secrets kept out of every log form ---- */

#define MARKER "h15-MARKER-pw-4c1e"

TestSuite(logs, .timeout = 300, .fini = finish);

/* Runs the daemon against the private etcd with auth as root:<password>;
 * returns the pid (log at log_path). */
static long auth_daemon(const struct it_daemon *d, const char *log_path, const char *password, const char *opts) {
  unlink(log_path);
  return it_spawn(log_path,
                  "env RG_DEBUG=1 ETCDCTL_USER=root ETCDCTL_PASSWORD=%s %s -hostname testhost %s "
                  "etcd://" AUTH_ETCD "%s",
                  password, it_bin(), opts, d->prefix);
}

Test(logs, json_lines_carry_their_fields_and_no_form_shows_a_secret) {
  char dir[128];
  snprintf(dir, sizeof dir, "/tmp/h15/%s", it_name("etcd-auth"));
  free(it_sh(NULL, "rm -rf %s; mkdir -p /tmp/h15", dir));
  snprintf(live_dir, sizeof live_dir, "%s", dir);
  long etcd = live_etcd = priv_etcd_start_on(dir, AUTH_ETCD, 29382);
  free(it_sh_ok("E='etcdctl --endpoints=" AUTH_ETCD "'; export ETCDCTL_API=3; $E user add root:" MARKER
                " >/dev/null && $E user grant-role root root >/dev/null && $E auth enable >/dev/null"));
  struct it_daemon d;
  it_daemon_init(&d, "rgt-logs");
  char name[128], key[512];
  snprintf(name, sizeof name, "%s-web", d.tag);
  it_run_web(name, "-l SERVICE_NAME=logs");
  snprintf(key, sizeof key, "%s/logs/testhost:%s:80", d.prefix, name);
  const char *forms[] = {"json", "text"};
  for (int i = 0; i < 2; i++) {
    char opts[128];
    snprintf(opts, sizeof opts, "-log-format %s -metrics 127.0.0.1:29591 -ttl 5 -ttl-refresh 1", forms[i]);
    d.pid = live_daemon = auth_daemon(&d, d.log, MARKER, opts);
    cr_assert(wait_status(29591, "/readyz", 200, READY_S), "%s: never ready", forms[i]);
    int st;
    char *v = it_sh(&st, "ETCDCTL_API=3 etcdctl --endpoints=" AUTH_ETCD " --user root:" MARKER
                    " get --print-value-only %s", key);
    cr_expect(v[0] != '\0', "%s: not registered: %s", forms[i], key);
    free(v);
    kill((pid_t)d.pid, SIGHUP); /* a reload logs the settings again */
    cr_expect(it_daemon_logged(&d, "reloaded the settings", 5), "%s: no reload", forms[i]);
    char *body = it_sh(NULL, "curl -s http://127.0.0.1:29591/metrics; curl -s http://127.0.0.1:29591/readyz");
    cr_expect(strstr(body, MARKER) == NULL, "%s: the password is in the endpoint's output", forms[i]);
    free(body);
    it_daemon_stop(&d);
    live_daemon = 0;
    char *log = it_sh(NULL, "cat %s", d.log);
    cr_expect(strstr(log, MARKER) == NULL, "%s: the password is in the log:\n%s", forms[i], log);
    free(log);
    if (i == 0) {
      /* every line one object with ts, level, msg; a registration names its container, service, registry */
      char *bad = it_sh(NULL, "jq -c 'select((has(\"ts\") and has(\"level\") and has(\"msg\")) | not)' %s 2>&1",
                        d.log);
      cr_expect_str_eq(bad, "", "lines that are not objects with ts, level and msg:\n%s", bad);
      free(bad);
      char *reg = it_sh(NULL,
                        "jq -r 'select(.service == \"testhost:%s:80\" and .container == \"%s\") | .registry' %s"
                        " | head -n1",
                        name, name, d.log);
      char want[256];
      snprintf(want, sizeof want, "etcd://" AUTH_ETCD "%s\n", d.prefix);
      cr_expect_str_eq(reg, want, "no registration line with its fields");
      free(reg);
    }
  }
  /* a wrong password: the failure is logged, the password is not */
  d.pid = live_daemon = auth_daemon(&d, d.log, MARKER "-wrong", "-log-format json -retry-attempts 0");
  cr_expect_eq(it_wait_exit(d.pid, 15), 1, "the daemon started with a wrong password");
  d.pid = live_daemon = 0;
  char *log = it_sh(NULL, "cat %s", d.log);
  cr_expect(strstr(log, MARKER) == NULL, "a wrong password is in the log:\n%s", log);
  cr_expect(strstr(log, "\"level\":\"error\"") != NULL, "no error line for the wrong password:\n%s", log);
  free(log);
  unlink(d.log);
  kill((pid_t)etcd, SIGTERM);
  it_wait_exit(etcd, 10);
  live_etcd = 0;
  free(it_sh(NULL, "rm -rf %s", dir));
}

/* ---- systemd's notify protocol, with a NOTIFY_SOCKET of the test's own ---- */

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>

TestSuite(notify, .timeout = 120, .fini = finish);

static long ms_between(const struct timespec *a, const struct timespec *b) {
  return (long)((b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000);
}

Test(notify, ready_after_the_first_sync_watchdog_while_running_and_stopping_at_exit) {
  char path[108];
  snprintf(path, sizeof path, "/tmp/h15-notify-%d.sock", (int)getpid());
  unlink(path);
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  memcpy(a.sun_path, path, strlen(path) + 1);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  struct timeval tv = {0, 100000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct it_daemon d;
  it_daemon_init(&d, "rgt-notify");
  unlink(d.log);
  /* no -metrics: systemd alone turns the notifications on; a 400 ms watchdog */
  d.pid = live_daemon = it_spawn(d.log, "env NOTIFY_SOCKET=%s WATCHDOG_USEC=400000 %s -hostname testhost etcd://%s%s",
                                 path, it_bin(), IT_ETCD, d.prefix);
  int ready = 0, watchdogs = 0, status = 0;
  char buf[512];
  struct timespec t0, t, tr = {0, 0};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  /* until READY=1 (the first sync: up to a minute on a busy Docker), then 3 s of watchdog */
  for (t = t0; ready ? ms_between(&tr, &t) < 3000 : ms_between(&t0, &t) < READY_S * 1000;
       clock_gettime(CLOCK_MONOTONIC, &t)) {
    ssize_t n;
    if ((n = recv(fd, buf, sizeof buf - 1, 0)) > 0) {
      buf[n] = '\0';
      if (strcmp(buf, "READY=1") == 0 && ready++ == 0) clock_gettime(CLOCK_MONOTONIC, &tr);
      else if (strcmp(buf, "WATCHDOG=1") == 0) watchdogs += ready > 0;
      else if (strncmp(buf, "STATUS=", 7) == 0 && strstr(buf, "in 1/1 registry up; docker stream up")) status++;
      else if (strncmp(buf, "STATUS=", 7) != 0) cr_expect_fail("unexpected notification \"%s\"", buf);
    }
  }
  cr_expect_eq(ready, 1, "READY=1 sent %d times", ready);
  cr_expect_geq(status, 1, "no STATUS= line with the summary");
  cr_expect(watchdogs >= 8 && watchdogs <= 20, "%d WATCHDOG=1 in the 3 s after READY=1 at 200 ms", watchdogs);
  kill((pid_t)d.pid, SIGSTOP); /* a stuck loop sends no WATCHDOG=1 */
  int stalled = 0;
  for (int i = 0; i < 10; i++)
    while (recv(fd, buf, sizeof buf - 1, 0) > 0) stalled++;
  kill((pid_t)d.pid, SIGCONT);
  cr_expect_leq(stalled, 1, "%d notifications from a stopped process", stalled); /* one may be in flight */
  it_daemon_stop(&d);
  live_daemon = 0;
  bool stopping = false;
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf - 1, 0)) > 0) {
    buf[n] = '\0';
    stopping = stopping || strcmp(buf, "STOPPING=1") == 0;
  }
  cr_expect(stopping, "no STOPPING=1 at exit");
  close(fd);
  unlink(path);
  it_daemon_finish(&d, IT_ETCD);
  live_daemon = 0;
}
