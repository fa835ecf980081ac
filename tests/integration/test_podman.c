/* The daemon on Podman's Docker-compatible API (README "Engines"), driven
 * with the podman CLI as Podman users drive it. Runs when DOCKER_HOST names
 * a Podman socket (`make test-engines` does); on any other engine every
 * test skips, saying so. Containers need the ulimits below on this kind of
 * host (Podman's default nofile limit is above the hard limit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/itest.h"

#define PODMAN_RUN "podman run -d --stop-timeout 1 --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "

static void need_podman(void) {
  if (!it_engine_podman())
    cr_skip_test("DOCKER_HOST is not a Podman socket (make test-engines points it at one)");
}

/* podman run -d NAME with a published 127.0.0.1 port, options OPTS and
 * command CMD; sets the key and value of its service SVC. */
static void run_cmd(const struct it_daemon *d, const char *name, const char *svc, const char *opts,
                    const char *cmd, char *key, size_t ksize, char *val, size_t vsize) {
  free(it_sh_ok(PODMAN_RUN "--name %s -p 127.0.0.1::80 -l SERVICE_NAME=%s %s " IT_IMG
                " %s >/dev/null", name, svc, opts, cmd));
  snprintf(key, ksize, "%s/%s/testhost:%s:80", d->prefix, svc, name);
  snprintf(val, vsize, "127.0.0.1:%ld", it_host_port(name, "80/tcp"));
}

static void run_web(const struct it_daemon *d, const char *name, const char *svc, char *key,
                    size_t ksize, char *val, size_t vsize) {
  run_cmd(d, name, svc, "", "httpd -f -p 80", key, ksize, val, vsize);
}

/* Starts the daemon with OPTS; waits until it listens for events and, when
 * key is not NULL, until key holds val. */
static void start_daemon(struct it_daemon *d, const char *opts, const char *key, const char *val) {
  it_daemon_start(d, IT_ETCD, opts);
  if (key) cr_assert(it_etcd_wait(IT_ETCD, key, val, 10), "not registered at start: %s", key);
  cr_assert(it_daemon_logged(d, "listening for Docker events", 10), "never subscribed to events");
}

IT_SUITE(podman);

/* The defect of issue 14: the daemon's filtered event stream never saw
 * Podman's die (Podman filters on its own name, "died"), so `podman stop`
 * left the entry behind; nor its removal ("remove", Docker's "destroy"). */
Test(podman, stop_deregisters_and_start_registers_again) {
  need_podman();
  struct it_daemon d;
  it_daemon_init(&d, "rgt-pod");
  char early[128], late[128], key[512], val[64], key2[512], val2[64];
  snprintf(early, sizeof early, "%s-early", d.tag);
  snprintf(late, sizeof late, "%s-late", d.tag);
  run_web(&d, early, "early", key, sizeof key, val, sizeof val);
  start_daemon(&d, "", key, val);
  run_web(&d, late, "late", key2, sizeof key2, val2, sizeof val2);
  cr_expect(it_etcd_wait(IT_ETCD, key2, val2, 10), "started container not registered: %s", key2);

  free(it_sh_ok("podman stop -t 1 %s >/dev/null", early));
  cr_expect(it_etcd_wait(IT_ETCD, key, NULL, 10), "stopped container still registered: %s", key);
  free(it_sh_ok("podman start %s >/dev/null", early));
  snprintf(val, sizeof val, "127.0.0.1:%ld", it_host_port(early, "80/tcp"));
  cr_expect(it_etcd_wait(IT_ETCD, key, val, 10), "restarted container not registered: %s", key);
  free(it_sh_ok("podman rm -f -t 0 %s %s >/dev/null", early, late));
  cr_expect(it_etcd_wait(IT_ETCD, key, NULL, 10), "removed container still registered: %s", key);
  cr_expect(it_etcd_wait(IT_ETCD, key2, NULL, 10), "removed container still registered: %s", key2);
  it_daemon_finish(&d, IT_ETCD);
}

/* -deregister on-success reads the exit code off Podman's die. */
Test(podman, on_success_keeps_a_failed_container_and_drops_a_clean_exit) {
  need_podman();
  struct it_daemon d;
  it_daemon_init(&d, "rgt-podok");
  char bad[128], good[128], key[512], val[64], key2[512], val2[64];
  snprintf(bad, sizeof bad, "%s-bad", d.tag);
  snprintf(good, sizeof good, "%s-good", d.tag);
  /* httpd in the background; the container exits with the code written to /exit */
  static const char exits[] =
      "sh -c 'httpd -p 80; while [ ! -f /exit ]; do sleep 0.1; done; exit $(cat /exit)'";
  run_cmd(&d, bad, "bad", "", exits, key, sizeof key, val, sizeof val);
  run_cmd(&d, good, "good", "", exits, key2, sizeof key2, val2, sizeof val2);
  start_daemon(&d, "-deregister on-success", key, val);
  cr_assert(it_etcd_wait(IT_ETCD, key2, val2, 10), "not registered: %s", key2);

  free(it_sh_ok("podman exec %s sh -c 'echo 3 > /exit'", bad));
  free(it_sh_ok("podman wait %s >/dev/null", bad));
  char *id = it_sh_ok("podman inspect -f '{{.Id}}' %s | cut -c1-12", bad);
  id[strcspn(id, "\n")] = '\0';
  char line[128];
  snprintf(line, sizeof line, "container %s exited 3; kept", id);
  cr_expect(it_daemon_logged(&d, line, 10), "the die with exit code 3 was not seen as one");
  free(id);
  char *v = it_etcd_get(IT_ETCD, key);
  cr_expect_str_eq(v, val, "a container that failed is kept with -deregister on-success");
  free(v);

  free(it_sh_ok("podman exec %s sh -c 'echo 0 > /exit'", good));
  cr_expect(it_etcd_wait(IT_ETCD, key2, NULL, 10), "a clean exit stays registered: %s", key2);
  it_daemon_finish(&d, IT_ETCD);
}

Test(podman, rename_pause_and_unpause) {
  need_podman();
  struct it_daemon d;
  it_daemon_init(&d, "rgt-podren");
  char name[128], renamed[128], key[512], val[64], key2[512];
  snprintf(name, sizeof name, "%s-a", d.tag);
  snprintf(renamed, sizeof renamed, "%s-b", d.tag);
  run_web(&d, name, "r", key, sizeof key, val, sizeof val);
  start_daemon(&d, "", key, val);
  free(it_sh_ok("podman rename %s %s", name, renamed));
  snprintf(key2, sizeof key2, "%s/r/testhost:%s:80", d.prefix, renamed);
  cr_expect(it_etcd_wait(IT_ETCD, key2, val, 10), "not registered under the new name: %s", key2);
  cr_expect(it_etcd_wait(IT_ETCD, key, NULL, 10), "the old name stays registered: %s", key);
  free(it_sh_ok("podman pause %s >/dev/null", renamed));
  cr_expect(it_etcd_wait(IT_ETCD, key2, NULL, 10), "a paused container stays registered");
  free(it_sh_ok("podman unpause %s >/dev/null", renamed));
  cr_expect(it_etcd_wait(IT_ETCD, key2, val, 10), "an unpaused container is not registered again");
  it_daemon_finish(&d, IT_ETCD);
}

/* Without systemd Podman runs a health check only when asked
 * (`podman healthcheck run`), which emits the health_status event. Podman
 * 4.3 may send that event before it saves the new status (seen: 2 of 10
 * inspects right after the event read the old one), so the daemon reads the
 * container again at the next resync: -resync 1 bounds the lag. */
Test(podman, healthy_only_follows_podman_health) {
  need_podman();
  struct it_daemon d;
  it_daemon_init(&d, "rgt-podh");
  char name[128], key[512], val[64];
  snprintf(name, sizeof name, "%s-web", d.tag);
  run_cmd(&d, name, "h", "--health-cmd 'test -f /ok' --health-interval 1s --health-retries 1",
          "httpd -f -p 80", key, sizeof key, val, sizeof val);
  start_daemon(&d, "-healthy-only -resync 1", NULL, NULL);
  char *v = it_etcd_get(IT_ETCD, key);
  cr_expect_str_eq(v, "", "registered before any health check passed");
  free(v);
  free(it_sh_ok("podman exec %s busybox touch /ok && podman healthcheck run %s", name, name));
  cr_expect(it_etcd_wait(IT_ETCD, key, val, 10), "a healthy container is not registered");
  free(it_sh_ok("podman exec %s busybox rm /ok; podman healthcheck run %s >/dev/null 2>&1; true", name,
                name));
  cr_expect(it_etcd_wait(IT_ETCD, key, NULL, 10), "an unhealthy container stays registered");
  free(it_sh_ok("podman exec %s busybox touch /ok && podman healthcheck run %s", name, name));
  cr_expect(it_etcd_wait(IT_ETCD, key, val, 10), "a container healthy again is not registered");
  it_daemon_finish(&d, IT_ETCD);
}

/* -cleanup removes this host's entry of a container Podman does not have,
 * and keeps the running one's. */
Test(podman, cleanup_removes_this_hosts_dangling_entries) {
  need_podman();
  struct it_daemon d;
  it_daemon_init(&d, "rgt-podclean");
  char name[128], key[512], val[64], stale[512], other[512];
  snprintf(name, sizeof name, "%s-web", d.tag);
  run_web(&d, name, "c", key, sizeof key, val, sizeof val);
  snprintf(stale, sizeof stale, "%s/c/testhost:%s-gone:80", d.prefix, d.tag);
  snprintf(other, sizeof other, "%s/c/otherhost:%s-gone:80", d.prefix, d.tag);
  free(it_sh_ok("ETCDCTL_API=3 etcdctl --endpoints=" IT_ETCD " put %s 127.0.0.1:1 >/dev/null && "
                "ETCDCTL_API=3 etcdctl --endpoints=" IT_ETCD " put %s 127.0.0.1:2 >/dev/null",
                stale, other));
  start_daemon(&d, "-cleanup", key, val);
  cr_expect(it_etcd_wait(IT_ETCD, stale, NULL, 10), "-cleanup left a dangling entry: %s", stale);
  char *v = it_etcd_get(IT_ETCD, other);
  cr_expect_str_eq(v, "127.0.0.1:2", "-cleanup removed another host's entry");
  free(v);
  it_daemon_finish(&d, IT_ETCD);
}

/* The daemon reconnects when `podman system service` restarts, resyncs,
 * and sees the events of the new service. */
Test(podman, reconnects_when_the_service_restarts) {
  need_podman();
  const char *host = getenv("DOCKER_HOST");
  char pidfile[256];
  snprintf(pidfile, sizeof pidfile, "%s", host + strlen("unix://"));
  char *slash = strrchr(pidfile, '/');
  snprintf(slash + 1, sizeof pidfile - (size_t)(slash + 1 - pidfile), "podman-service.pid");
  FILE *f = fopen(pidfile, "r");
  if (f == NULL)
    cr_skip_test("the Podman service at %s was not started by tests/engines/podman.sh "
                 "(no %s): not restarting it", host, pidfile);
  fclose(f);
  struct it_daemon d;
  it_daemon_init(&d, "rgt-podre");
  char a[128], b[128], key[512], val[64], key2[512], val2[64];
  snprintf(a, sizeof a, "%s-a", d.tag);
  snprintf(b, sizeof b, "%s-b", d.tag);
  run_web(&d, a, "re", key, sizeof key, val, sizeof val);
  start_daemon(&d, "", key, val);
  free(it_sh_ok("PODMAN_SOCK=%s tests/engines/podman.sh restart", host + strlen("unix://")));
  cr_expect(it_daemon_logged(&d, "reconnecting in", 15), "the end of the stream is not reported");
  run_web(&d, b, "re2", key2, sizeof key2, val2, sizeof val2);
  cr_expect(it_etcd_wait(IT_ETCD, key2, val2, 40), "not registered after the restart: %s", key2);
  free(it_sh_ok("podman stop -t 1 %s >/dev/null", b));
  cr_expect(it_etcd_wait(IT_ETCD, key2, NULL, 10), "stop after the restart not seen: %s", key2);
  char *v = it_etcd_get(IT_ETCD, key);
  cr_expect_str_eq(v, val, "the running container was lost over the restart");
  free(v);
  it_daemon_finish(&d, IT_ETCD);
}
