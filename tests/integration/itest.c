#include "tests/integration/itest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

static char *run(int *status, const char *fmt, va_list ap) {
  char cmd[8192];
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p, "popen failed: %s", cmd);
  size_t cap = 4096, len = 0;
  char *out = malloc(cap);
  cr_assert_not_null(out);
  size_t n;
  while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
    len += n;
    if (cap - len <= 1) {
      cap *= 2;
      out = realloc(out, cap);
      cr_assert_not_null(out);
    }
  }
  out[len] = '\0';
  int st = pclose(p);
  if (status) *status = (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
  return out;
}

char *it_sh(int *status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *out = run(status, fmt, ap);
  va_end(ap);
  return out;
}

char *it_sh_ok(const char *fmt, ...) {
  int st;
  va_list ap;
  va_start(ap, fmt);
  char *out = run(&st, fmt, ap);
  va_end(ap);
  cr_assert_eq(st, 0, "command failed (exit %d); output: %s", st, out);
  return out;
}

const char *it_bin(void) {
  const char *b = getenv("RG_BIN");
  return b && *b ? b : "build/registrator";
}

const char *it_name(const char *prefix) {
  static char slots[8][128];
  static unsigned n;
  char *s = slots[n % 8];
  snprintf(s, sizeof slots[0], "%s-%ld-%u", prefix, (long)getpid(), n);
  n++;
  return s;
}

bool it_wait(double seconds, bool (*cond)(void *ud), void *ud) {
  struct timespec start, now, pause = {0, 20 * 1000 * 1000};
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    if (cond(ud)) return true;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double el = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
    if (el > seconds) return false;
    nanosleep(&pause, NULL);
  }
}

void it_docker_rm(const char *names) {
  free(it_sh(NULL, "docker rm -f %s >/dev/null 2>&1", names));
}

/* Every process it_spawn started in this test's process: a test that fails
 * an assertion never reaches its own stop, and a daemon left running would
 * keep writing beside the next tests. */
static pid_t spawned[256];
static size_t nspawned;

static void kill_spawned(void) {
  for (size_t i = 0; i < nspawned; i++)
    if (waitpid(spawned[i], NULL, WNOHANG) == 0) { /* ours and still running */
      kill(spawned[i], SIGKILL);
      waitpid(spawned[i], NULL, 0);
    }
  nspawned = 0;
}

void it_cleanup(void) {
  kill_spawned();
  long pid = (long)getpid();
  free(it_sh(NULL,
             "ids=$(docker ps -aq --filter name=-%ld-); [ -z \"$ids\" ] || docker rm -f $ids "
             ">/dev/null 2>&1; nets=$(docker network ls -q --filter name=-%ld-); "
             "[ -z \"$nets\" ] || docker network rm $nets >/dev/null 2>&1",
             pid, pid));
}

long it_spawn(const char *log_path, const char *fmt, ...) {
  char cmd[8192] = "exec ";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd + 5, sizeof cmd - 5, fmt, ap);
  va_end(ap);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_neq(pid, -1, "fork failed");
  if (pid == 0) {
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int nul = open("/dev/null", O_RDONLY);
    if (fd < 0 || nul < 0) _exit(126);
    dup2(nul, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  if (nspawned < sizeof spawned / sizeof *spawned) spawned[nspawned++] = pid;
  return (long)pid;
}

int it_wait_exit(long pid, double seconds) {
  struct timespec start, now, pause = {0, 10 * 1000 * 1000};
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int st;
    pid_t r = waitpid((pid_t)pid, &st, WNOHANG);
    if (r == (pid_t)pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (r < 0) return -2; /* not our child */
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 > seconds)
      return -1;
    nanosleep(&pause, NULL);
  }
}

void it_daemon_init(struct it_daemon *d, const char *what) {
  memset(d, 0, sizeof *d);
  snprintf(d->tag, sizeof d->tag, "%s", it_name(what));
  snprintf(d->prefix, sizeof d->prefix, "/%s", d->tag);
  snprintf(d->log, sizeof d->log, "/tmp/%s.log", d->tag);
}

void it_daemon_start(struct it_daemon *d, const char *endpoint, const char *opts) {
  unlink(d->log);
  d->pid = it_spawn(d->log, "%s -hostname testhost %s etcd://%s%s", it_bin(), opts, endpoint,
                    d->prefix);
}

void it_daemon_stop(struct it_daemon *d) {
  if (d->pid > 0) {
    kill((pid_t)d->pid, SIGTERM);
    cr_expect_eq(it_wait_exit(d->pid, 5), 0, "daemon did not exit 0 on SIGTERM");
    d->pid = 0;
  }
  char *log = it_sh(NULL, "cat %s 2>/dev/null", d->log);
  cr_expect(strstr(log, "Sanitizer") == NULL, "sanitizer report in the daemon log:\n%s", log);
  free(log);
}

void it_daemon_finish(struct it_daemon *d, const char *endpoint) {
  it_daemon_stop(d);
  free(it_sh(NULL, "ETCDCTL_API=3 etcdctl --endpoints=%s del --prefix %s/ >/dev/null 2>&1; rm -f %s",
             endpoint, d->prefix, d->log));
}

struct logged {
  const char *path, *text;
};

static bool log_has(void *ud) {
  struct logged *l = ud;
  char *log = it_sh(NULL, "cat %s 2>/dev/null", l->path);
  bool ok = strstr(log, l->text) != NULL;
  free(log);
  return ok;
}

bool it_daemon_logged(struct it_daemon *d, const char *text, double seconds) {
  struct logged l = {d->log, text};
  return it_wait(seconds, log_has, &l);
}

char *it_etcd_get(const char *endpoint, const char *key) {
  char *v = it_sh(NULL, "ETCDCTL_API=3 etcdctl --endpoints=%s get --print-value-only '%s' 2>/dev/null",
                  endpoint, key);
  v[strcspn(v, "\n")] = '\0';
  return v;
}

struct key_wait {
  const char *endpoint, *key, *want;
};

static bool key_is(void *ud) {
  struct key_wait *w = ud;
  char *v = it_etcd_get(w->endpoint, w->key);
  bool ok = w->want ? strcmp(v, w->want) == 0 : v[0] == '\0';
  free(v);
  return ok;
}

bool it_etcd_wait(const char *endpoint, const char *key, const char *want, double seconds) {
  struct key_wait w = {endpoint, key, want};
  return it_wait(seconds, key_is, &w);
}

void it_run_web(const char *name, const char *extra) {
  free(it_sh_ok("docker run -d --name %s -p 127.0.0.1::80 %s " IT_IMG " httpd -f -p 80 >/dev/null",
                name, extra ? extra : ""));
}

long it_host_port(const char *name, const char *port) {
  char *o = it_sh_ok("docker port %s %s | head -n1 | sed 's/.*://'", name, port);
  long p = strtol(o, NULL, 10);
  free(o);
  cr_assert_gt(p, 0, "no published port %s for %s", port, name);
  return p;
}

/* ---- a private etcd ---- */

static bool etcd_port_up(void *ud) {
  int st;
  free(it_sh(&st, "curl -sf --max-time 1 http://127.0.0.1:%d/health >/dev/null", *(int *)ud));
  return st == 0;
}

static void etcd_spawn(struct it_etcd *e) {
  e->pid = it_spawn("/tmp/rgt-private-etcd.log",
                    "etcd --name p%d --data-dir %s --listen-client-urls http://127.0.0.1:%d"
                    " --advertise-client-urls http://127.0.0.1:%d --listen-peer-urls http://127.0.0.1:%d"
                    " --initial-advertise-peer-urls http://127.0.0.1:%d"
                    " --initial-cluster p%d=http://127.0.0.1:%d --enable-v2",
                    e->port, e->dir, e->port, e->port, e->port + 1, e->port + 1, e->port, e->port + 1);
  cr_assert(it_wait(20, etcd_port_up, &e->port), "private etcd on port %d did not answer", e->port);
}

void it_etcd_start(struct it_etcd *e, int port) {
  e->port = port;
  snprintf(e->endpoint, sizeof e->endpoint, "127.0.0.1:%d", port);
  snprintf(e->dir, sizeof e->dir, "/tmp/%s", it_name("rgt-petcd"));
  free(it_sh(NULL, "rm -rf %s", e->dir));
  etcd_spawn(e);
}

void it_etcd_restart(struct it_etcd *e) { etcd_spawn(e); }

void it_etcd_end(struct it_etcd *e) {
  if (e->pid > 0) {
    kill((pid_t)e->pid, SIGCONT);
    kill((pid_t)e->pid, SIGTERM);
    it_wait_exit(e->pid, 10);
    e->pid = 0;
  }
  free(it_sh(NULL, "rm -rf %s", e->dir));
}

/* ---- truth ---- */

struct truth {
  const char *tag;
  const struct it_where *w;
  char *want, *have;
};

static bool registry_is_truth(void *ud) {
  struct truth *t = ud;
  const struct it_where *w = t->w;
  free(t->want);
  free(t->have);
  t->want = it_sh(NULL,
                  "%s resync --dry-run -hostname testhost 2>/dev/null | jq -r 'select(.container_name"
                  " | startswith(\"%s-\")) | \"/\\(.name)/\\(.id)=\\(.ip):\\(.port)\"' | sort",
                  it_bin(), t->tag);
  if (w->consul_port)
    t->have = it_sh(NULL,
                    "curl -sf --max-time 2 http://127.0.0.1:%d/v1/agent/services | jq -r '.[] | "
                    "\"/\\(.Service)/\\(.ID)=\\(.Address):\\(.Port)\"' | grep -v -- '%s' | grep -- ':%s-' | sort",
                    w->consul_port, w->ignore ? w->ignore : "^$", t->tag);
  else
    t->have = it_sh(NULL,
                    "ETCDCTL_API=3 etcdctl --endpoints=%s get --prefix %s/ 2>/dev/null | paste -d= - - "
                    "| sed 's|^%s||' | grep -v -- '%s' | grep -- ':%s-' | sort",
                    w->endpoint, w->prefix, w->prefix, w->ignore ? w->ignore : "^$", t->tag);
  return strcmp(t->want, t->have) == 0;
}

bool it_expect_truth(const char *tag, const struct it_where *w, double seconds, const char *when) {
  struct truth t = {.tag = tag, .w = w};
  bool ok = it_wait(seconds, registry_is_truth, &t);
  cr_expect(ok, "%s: %s differs from Docker after %.0f s\nwant:\n%s\nhave:\n%s", when,
            w->consul_port ? "the Consul double" : w->endpoint, seconds, t.want, t.have);
  free(t.want);
  free(t.have);
  return ok;
}

bool it_engine_podman(void) {
  static int podman = -1;
  if (podman < 0) {
    char *o = it_sh(NULL, "docker version -f '{{range .Server.Components}}{{.Name}};{{end}}' 2>/dev/null");
    podman = strstr(o, "Podman Engine") != NULL;
    free(o);
  }
  return podman == 1;
}
