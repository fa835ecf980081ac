/* test_consul_double.c - see test_consul_double.h. */
#include "tests/integration/test_consul_double.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/itest.h"

#define DOUBLE "python3 tests/consul-double/consul_double.py"
#define GET "python3 tests/consul-double/consul_double_get.py"

int cd_free_port(void) {
  char *o = it_sh_ok("python3 -c 'import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); "
                     "print(s.getsockname()[1])'");
  int port = (int)strtol(o, NULL, 10);
  free(o);
  cr_assert_gt(port, 0);
  return port;
}

static bool answers(void *ud) {
  const struct cdouble *d = ud;
  char *v = cd_get(d, NULL, "/v1/status/leader", "");
  bool ok = v[0] != '\0';
  free(v);
  return ok;
}

void cd_start(struct cdouble *d, int port, const char *opts) {
  const char *tag = it_name("rgt-cd");
  d->port = port ? port : cd_free_port();
  snprintf(d->log, sizeof d->log, "/tmp/%s.log", tag);
  d->pid = it_spawn(d->log, DOUBLE " --port %d %s", d->port, opts ? opts : "");
  cr_assert(it_wait(10, answers, d), "the Consul double did not come up on port %d", d->port);
}

void cd_stop(struct cdouble *d) {
  if (d->pid <= 0) return;
  kill((pid_t)d->pid, SIGTERM);
  if (it_wait_exit(d->pid, 5) == -1) {
    kill((pid_t)d->pid, SIGKILL);
    it_wait_exit(d->pid, 5);
  }
  d->pid = 0;
  free(it_sh(NULL, "rm -f %s", d->log));
}

char *cd_get(const struct cdouble *d, const char *token, const char *path, const char *keys) {
  char *v = it_sh(NULL, GET " %s%s %s%s %d '%s' %s 2>/dev/null", token ? "--token " : "", token ? token : "",
                  d->cacert[0] ? "--cacert " : "", d->cacert, d->port, path, keys ? keys : "");
  v[strcspn(v, "\n")] = '\0';
  return v;
}

struct value_wait {
  const struct cdouble *d;
  const char *token, *path, *keys, *want;
};

static bool value_is(void *ud) {
  struct value_wait *w = ud;
  char *v = cd_get(w->d, w->token, w->path, w->keys);
  bool ok = w->want ? strcmp(v, w->want) == 0 : v[0] == '\0';
  free(v);
  return ok;
}

bool cd_wait(const struct cdouble *d, const char *token, const char *path, const char *keys, const char *want,
             double seconds) {
  struct value_wait w = {d, token, path, keys, want};
  return it_wait(seconds, value_is, &w);
}

void rgd_start(struct rgd *r, const char *env, const char *opts, const char *uri) {
  snprintf(r->log, sizeof r->log, "/tmp/%s.log", it_name("rgt-cd-daemon"));
  r->pid = it_spawn(r->log, "env %s %s -hostname testhost %s %s", env ? env : "", it_bin(), opts ? opts : "", uri);
}

char *rgd_log(const struct rgd *r) { return it_sh(NULL, "cat %s 2>/dev/null", r->log); }

void rgd_kill(struct rgd *r) {
  if (r->pid <= 0) return;
  kill((pid_t)r->pid, SIGKILL);
  it_wait_exit(r->pid, 5);
  r->pid = 0;
}

void rgd_stop(struct rgd *r) {
  if (r->pid > 0) {
    kill((pid_t)r->pid, SIGTERM);
    cr_expect_neq(it_wait_exit(r->pid, 5), -1, "registrator did not stop on SIGTERM");
    r->pid = 0;
  }
  char *log = rgd_log(r);
  cr_expect(strstr(log, "Sanitizer") == NULL && strstr(log, "runtime error") == NULL,
            "sanitizer report in the daemon log:\n%s", log);
  free(log);
  free(it_sh(NULL, "rm -f %s", r->log));
}

struct log_wait {
  struct rgd *r;
  const char *s;
};

static bool log_has(void *ud) {
  struct log_wait *w = ud;
  char *log = rgd_log(w->r);
  bool ok = strstr(log, w->s) != NULL;
  free(log);
  return ok;
}

bool rgd_wait_log(struct rgd *r, const char *s, double seconds) {
  struct log_wait w = {r, s};
  return it_wait(seconds, log_has, &w);
}

long web_start(const char *name, const char *labels) {
  free(it_sh_ok("docker run -d --name %s -p 127.0.0.1::80 %s local/busybox httpd -f -p 80 >/dev/null", name,
                labels ? labels : ""));
  char *o = it_sh_ok("docker port %s 80/tcp | head -n1 | sed 's/.*://'", name);
  long p = strtol(o, NULL, 10);
  free(o);
  cr_assert_gt(p, 0, "no published port for %s", name);
  return p;
}
