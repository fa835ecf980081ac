/* The daemon end to end: real dockerd, real etcd (v3 at 127.0.0.1:2379). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/itest.h"

#define IMG "local/busybox"
#define ETCDCTL "ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:2379"

/* One registrator daemon under test, started in the background. */
struct daemon {
  long pid;
  char log[256];
  char prefix[128];
};

static void daemon_start(struct daemon *d, const char *opts, const char *scheme) {
  snprintf(d->prefix, sizeof d->prefix, "/%s", it_name("rgt-d"));
  snprintf(d->log, sizeof d->log, "/tmp%s.log", d->prefix);
  unlink(d->log);
  d->pid = it_spawn(d->log, "%s -hostname testhost %s %s://127.0.0.1:2379%s", it_bin(), opts,
                    scheme, d->prefix);
}

/* SIGTERM, wait for a clean exit, and fail on a sanitizer report in its log. */
static void daemon_stop(struct daemon *d) {
  if (d->pid > 0) {
    kill((pid_t)d->pid, SIGTERM);
    cr_expect_eq(it_wait_exit(d->pid, 3), 0, "daemon did not exit 0 on SIGTERM");
  }
  char *log = it_sh(NULL, "cat %s", d->log);
  cr_expect(strstr(log, "Sanitizer") == NULL, "sanitizer report in the daemon log:\n%s", log);
  free(log);
  free(it_sh(NULL, "%s del --prefix %s >/dev/null; rm -f %s", ETCDCTL, d->prefix, d->log));
}

struct key_wait {
  char key[512];
  const char *want; /* NULL: wait for absence */
};

static bool key_is(void *ud) {
  struct key_wait *w = ud;
  char *v = it_sh(NULL, "%s get --print-value-only %s", ETCDCTL, w->key);
  v[strcspn(v, "\n")] = '\0';
  bool ok = w->want ? strcmp(v, w->want) == 0 : v[0] == '\0';
  free(v);
  return ok;
}

static long host_port(const char *name) {
  char *o = it_sh_ok("docker port %s 80/tcp | head -n1 | sed 's/.*://'", name);
  long p = strtol(o, NULL, 10);
  free(o);
  return p;
}

IT_SUITE(daemon);

Test(daemon, registers_running_and_started_containers_and_deregisters_on_die) {
  const char *early = it_name("rgt-d-early");
  char e[128];
  snprintf(e, sizeof e, "%s", early);
  free(it_sh_ok("docker run -d --name %s -p 127.0.0.1::80 -l SERVICE_NAME=early %s httpd -f -p 80 "
                ">/dev/null", e, IMG));
  struct daemon d;
  daemon_start(&d, "", "etcd");
  struct key_wait w = {.want = NULL};
  char want[64];
  snprintf(want, sizeof want, "127.0.0.1:%ld", host_port(e));
  snprintf(w.key, sizeof w.key, "%s/early/testhost:%s:80", d.prefix, e);
  w.want = want;
  cr_expect(it_wait(10, key_is, &w), "running container not registered at start: %s", w.key);

  const char *late = it_name("rgt-d-late");
  char l[128];
  snprintf(l, sizeof l, "%s", late);
  free(it_sh_ok("docker run -d --name %s -p 127.0.0.1::80 -l SERVICE_NAME=late %s httpd -f -p 80 "
                ">/dev/null", l, IMG));
  struct key_wait w2;
  char want2[64];
  snprintf(want2, sizeof want2, "127.0.0.1:%ld", host_port(l));
  snprintf(w2.key, sizeof w2.key, "%s/late/testhost:%s:80", d.prefix, l);
  w2.want = want2;
  cr_expect(it_wait(10, key_is, &w2), "started container not registered: %s", w2.key);

  free(it_sh_ok("docker kill %s >/dev/null", l));
  w2.want = NULL;
  cr_expect(it_wait(10, key_is, &w2), "dead container still registered: %s", w2.key);

  daemon_stop(&d);
  it_docker_rm(e);
  it_docker_rm(l);
}

Test(daemon, leased_keys_outlive_the_ttl_while_running_and_expire_after_sigkill) {
  const char *n = it_name("rgt-d-ttl");
  char name[128];
  snprintf(name, sizeof name, "%s", n);
  free(it_sh_ok("docker run -d --name %s -p 127.0.0.1::80 -l SERVICE_NAME=ttl %s httpd -f -p 80 "
                ">/dev/null", name, IMG));
  struct daemon d;
  daemon_start(&d, "-ttl 3 -ttl-refresh 1", "etcd");
  struct key_wait w;
  char want[64];
  snprintf(want, sizeof want, "127.0.0.1:%ld", host_port(name));
  snprintf(w.key, sizeof w.key, "%s/ttl/testhost:%s:80", d.prefix, name);
  w.want = want;
  cr_assert(it_wait(10, key_is, &w), "not registered: %s", w.key);
  /* the key must still be there after more than one TTL of refreshes */
  struct timespec ts = {4, 500000000};
  nanosleep(&ts, NULL); /* deliberately longer than -ttl: the refresh is what keeps it */
  cr_expect(key_is(&w), "key expired although registrator refreshes it");
  kill((pid_t)d.pid, SIGKILL);
  it_wait_exit(d.pid, 3);
  d.pid = 0;
  w.want = NULL;
  cr_expect(it_wait(10, key_is, &w), "key outlived a SIGKILLed registrator");
  daemon_stop(&d);
  it_docker_rm(name);
}

static bool log_has_listening(void *ud) {
  char *log = it_sh(NULL, "cat %s", ((struct daemon *)ud)->log);
  bool ok = strstr(log, "listening for Docker events") != NULL;
  free(log);
  return ok;
}

Test(daemon, stops_cleanly_on_sigterm_within_a_second) {
  struct daemon d;
  daemon_start(&d, "", "etcd");
  cr_assert(it_wait(10, log_has_listening, &d), "daemon never subscribed to events");
  kill((pid_t)d.pid, SIGTERM);
  cr_expect_eq(it_wait_exit(d.pid, 1.0), 0, "no clean exit within 1 s of SIGTERM");
  char *log = it_sh(NULL, "cat %s", d.log);
  cr_expect(strstr(log, "stopped") != NULL, "no clean stop in the log:\n%s", log);
  free(log);
  d.pid = 0;
  daemon_stop(&d);
}
