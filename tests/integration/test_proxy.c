/* The daemon behind a least-privilege socket proxy (README "Without the raw
 * socket"): Debian's HAProxy running contrib/docker-socket-proxy.cfg, in
 * front of the engine the docker CLI uses. Each test starts its own proxy
 * on a unix socket; containers are made on the engine directly (the proxy
 * refuses every POST). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/itest.h"

struct proxy {
  long pid;
  char sock[128], cfg[128], log[128];
};

/* The engine's socket path: DOCKER_HOST's unix path, else the default. */
static const char *upstream(void) {
  const char *h = getenv("DOCKER_HOST");
  if (h == NULL || *h == '\0') return "/var/run/docker.sock";
  if (strncmp(h, "unix://", 7) != 0) cr_skip_test("DOCKER_HOST %s is not a unix socket", h);
  return h + 7;
}

static bool answers(void *ud) {
  int st;
  free(it_sh(&st, "curl -sf --unix-socket %s http://localhost/_ping >/dev/null 2>&1",
             (const char *)ud));
  return st == 0;
}

/* Starts HAProxy with the shipped config, edited by the sed script EDIT
 * (NULL: as shipped), listening on /tmp/<tag>-proxy.sock. */
static void proxy_start(struct proxy *p, const char *tag, const char *edit) {
  int st;
  free(it_sh(&st, "command -v haproxy >/dev/null"));
  if (st != 0) cr_skip_test("haproxy is not installed (make test-engines installs it)");
  snprintf(p->sock, sizeof p->sock, "/tmp/%s-proxy.sock", tag);
  snprintf(p->cfg, sizeof p->cfg, "/tmp/%s-proxy.cfg", tag);
  snprintf(p->log, sizeof p->log, "/tmp/%s-proxy.log", tag);
  unlink(p->sock);
  free(it_sh_ok("tests/engines/haproxy.sh config %s 'unix@%s mode 600' | sed -e '%s' > %s && "
                "haproxy -c -q -f %s",
                upstream(), p->sock, edit ? edit : "", p->cfg, p->cfg));
  p->pid = it_spawn(p->log, "haproxy -db -f %s", p->cfg);
  cr_assert(it_wait(10, answers, p->sock), "the proxy does not answer on %s", p->sock);
}

static void proxy_stop(struct proxy *p) {
  if (p->pid > 0) {
    kill((pid_t)p->pid, SIGTERM);
    it_wait_exit(p->pid, 5);
    p->pid = 0;
  }
  unlink(p->sock);
  unlink(p->cfg);
  unlink(p->log);
}

/* The HTTP status the proxy answers METHOD PATH with. */
static long status_of(const struct proxy *p, const char *method, const char *path) {
  char *o = it_sh_ok("curl -s -o /dev/null -w '%%{http_code}' -X %s --unix-socket %s "
                     "'http://localhost%s'", method, p->sock, path);
  long code = strtol(o, NULL, 10);
  free(o);
  return code;
}

/* The daemon against the proxy (the CLI keeps talking to the engine). */
static void daemon_start(struct it_daemon *d, const struct proxy *p, const char *opts) {
  unlink(d->log);
  d->pid = it_spawn(d->log, "env DOCKER_HOST=unix://%s %s -hostname testhost %s etcd://" IT_ETCD "%s",
                    p->sock, it_bin(), opts, d->prefix);
}

/* Runs the web container "<tag>-<svc>" (SERVICE_NAME=svc) on the engine;
 * key and val get its entry. */
static void web(const struct it_daemon *d, const char *svc, char *key, size_t ksize, char *val,
                size_t vsize) {
  char name[160], label[96];
  snprintf(name, sizeof name, "%s-%s", d->tag, svc);
  snprintf(label, sizeof label, "-l SERVICE_NAME=%s", svc);
  it_run_web(name, label);
  snprintf(key, ksize, "%s/%s/testhost:%s:80", d->prefix, svc, name);
  snprintf(val, vsize, "127.0.0.1:%ld", it_host_port(name, "80/tcp"));
}

IT_SUITE(proxy);

Test(proxy, allows_only_the_gets_registrator_needs) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-px");
  struct proxy p;
  proxy_start(&p, d.tag, NULL);
  char name[128], path[256];
  snprintf(name, sizeof name, "%s-web", d.tag);
  it_run_web(name, NULL);
  static const char *const allowed[] = {"/_ping", "/version", "/v1.41/version",
                                        "/v1.41/containers/json", "/containers/json",
                                        "/v1.41/events?since=1&until=2"};
  for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
    cr_expect_eq(status_of(&p, "GET", allowed[i]), 200, "GET %s", allowed[i]);
  snprintf(path, sizeof path, "/v1.41/containers/%s/json", name);
  cr_expect_eq(status_of(&p, "GET", path), 200, "GET %s", path);
  static const char *const refused[] = {"/v1.41/info", "/v1.41/images/json", "/v1.41/networks",
                                        "/v1.41/containers/x/logs", "/v1.41/containers/../info",
                                        "/v1.41/containers/a%2F..%2F..%2Finfo/json", "/secrets"};
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
    cr_expect_eq(status_of(&p, "GET", refused[i]), 403, "GET %s", refused[i]);
  snprintf(path, sizeof path, "/v1.41/containers/%s/stop", name);
  static const char *const posts[] = {"/v1.41/containers/create", "/v1.41/containers/json",
                                      "/_ping", "/v1.41/events"};
  for (size_t i = 0; i < sizeof posts / sizeof *posts; i++)
    cr_expect_eq(status_of(&p, "POST", posts[i]), 403, "POST %s", posts[i]);
  cr_expect_eq(status_of(&p, "POST", path), 403, "POST %s", path);
  cr_expect_eq(status_of(&p, "DELETE", "/v1.41/containers/x"), 403, "DELETE");
  char *running = it_sh_ok("docker inspect -f '{{.State.Running}}' %s", name);
  cr_expect_str_eq(running, "true\n", "a refused stop stopped the container");
  free(running);
  proxy_stop(&p);
}

Test(proxy, the_daemon_registers_and_deregisters_through_it) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-pxd");
  struct proxy p;
  proxy_start(&p, d.tag, NULL);
  char key[512], val[64], key2[512], val2[64];
  web(&d, "early", key, sizeof key, val, sizeof val);
  daemon_start(&d, &p, "");
  cr_expect(it_etcd_wait(IT_ETCD, key, val, 30), "not registered at start: %s", key);
  cr_assert(it_daemon_logged(&d, "listening for Docker events", 10));
  web(&d, "late", key2, sizeof key2, val2, sizeof val2);
  cr_expect(it_etcd_wait(IT_ETCD, key2, val2, 10), "started container not registered: %s", key2);
  free(it_sh_ok("docker kill %s-late >/dev/null", d.tag));
  cr_expect(it_etcd_wait(IT_ETCD, key2, NULL, 10), "dead container still registered: %s", key2);
  /* the one request outside the five paths: GET /info, asking whether the
   * engine is in a swarm; refused, it means swarm mode off (README
   * "Without the raw socket") */
  char *other = it_sh(NULL, "grep refused %s | grep -vc 'cannot tell whether Docker is in a swarm'", d.log);
  cr_expect_eq(strtol(other, NULL, 10), 0, "a request was refused");
  free(other);
  it_daemon_finish(&d, IT_ETCD);
  proxy_stop(&p);
}

/* A proxy that refuses /events: the error names the request, and the
 * daemon keeps registering from what it can read (list + inspect, at start
 * and on every -resync). */
Test(proxy, a_refused_event_stream_is_named_and_the_daemon_keeps_reading) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-pxr");
  struct proxy p;
  proxy_start(&p, d.tag, "s/_ping|version|events|/_ping|version|/");
  cr_assert_eq(status_of(&p, "GET", "/v1.41/events"), 403, "the edited proxy allows /events");
  char key[512], val[64], key2[512], val2[64], line[256];
  web(&d, "early", key, sizeof key, val, sizeof val);
  daemon_start(&d, &p, "-resync 1");
  cr_expect(it_etcd_wait(IT_ETCD, key, val, 30), "not registered at start: %s", key);
  snprintf(line, sizeof line, "Docker at unix://%s: event stream: GET /v", p.sock);
  cr_expect(it_daemon_logged(&d, line, 10), "the refusal does not name the proxy");
  cr_expect(it_daemon_logged(&d, "/events refused: 403 Forbidden", 0),
            "the refusal does not name the request");
  web(&d, "late", key2, sizeof key2, val2, sizeof val2);
  cr_expect(it_etcd_wait(IT_ETCD, key2, val2, 30), "the resync did not register it: %s", key2);
  free(it_sh_ok("docker rm -f %s-late >/dev/null", d.tag));
  cr_expect(it_etcd_wait(IT_ETCD, key2, NULL, 30), "the resync did not deregister it: %s", key2);
  cr_expect_eq(it_wait_exit(d.pid, 0), -1, "the daemon stopped");
  it_daemon_finish(&d, IT_ETCD);
  proxy_stop(&p);
}
