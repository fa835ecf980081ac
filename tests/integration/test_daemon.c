/* The daemon end to end: real dockerd, real etcd (v3 at 127.0.0.1:2379). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/itest.h"

/* The key a web container of this daemon gets, and its value. */
static void web_key(const struct it_daemon *d, const char *svc, const char *name, char *key,
                    size_t ksize, char *value, size_t vsize) {
  snprintf(key, ksize, "%s/%s/testhost:%s:80", d->prefix, svc, name);
  if (value) snprintf(value, vsize, "127.0.0.1:%ld", it_host_port(name, "80/tcp"));
}

IT_SUITE(daemon);

Test(daemon, registers_running_and_started_containers_and_deregisters_on_die) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-d");
  char early[128], late[128], key[512], val[64], key2[512], val2[64];
  snprintf(early, sizeof early, "%s-early", d.tag);
  snprintf(late, sizeof late, "%s-late", d.tag);
  it_run_web(early, "-l SERVICE_NAME=early");
  it_daemon_start(&d, IT_ETCD, "");
  web_key(&d, "early", early, key, sizeof key, val, sizeof val);
  cr_expect(it_etcd_wait(IT_ETCD, key, val, 10), "running container not registered at start: %s", key);

  it_run_web(late, "-l SERVICE_NAME=late");
  web_key(&d, "late", late, key2, sizeof key2, val2, sizeof val2);
  cr_expect(it_etcd_wait(IT_ETCD, key2, val2, 10), "started container not registered: %s", key2);
  free(it_sh_ok("docker kill %s >/dev/null", late));
  cr_expect(it_etcd_wait(IT_ETCD, key2, NULL, 10), "dead container still registered: %s", key2);
  it_daemon_finish(&d, IT_ETCD);
}

Test(daemon, leased_keys_outlive_the_ttl_while_running_and_expire_after_sigkill) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-ttl");
  char name[128], key[512], val[64];
  snprintf(name, sizeof name, "%s-web", d.tag);
  it_run_web(name, "-l SERVICE_NAME=ttl");
  it_daemon_start(&d, IT_ETCD, "-ttl 3 -ttl-refresh 1");
  web_key(&d, "ttl", name, key, sizeof key, val, sizeof val);
  cr_assert(it_etcd_wait(IT_ETCD, key, val, 10), "not registered: %s", key);
  struct timespec ts = {4, 500000000};
  nanosleep(&ts, NULL); /* longer than -ttl on purpose: the refresh is what keeps the key */
  char *v = it_etcd_get(IT_ETCD, key);
  cr_expect_str_eq(v, val, "key expired although registrator refreshes it");
  free(v);
  kill((pid_t)d.pid, SIGKILL);
  it_wait_exit(d.pid, 3);
  d.pid = 0;
  cr_expect(it_etcd_wait(IT_ETCD, key, NULL, 10), "key outlived a SIGKILLed registrator");
  it_daemon_finish(&d, IT_ETCD);
}

Test(daemon, stops_cleanly_on_sigterm_within_a_second) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-term");
  it_daemon_start(&d, IT_ETCD, "");
  cr_assert(it_daemon_logged(&d, "listening for Docker events", 10), "never subscribed to events");
  kill((pid_t)d.pid, SIGTERM);
  cr_expect_eq(it_wait_exit(d.pid, 1.0), 0, "no clean exit within 1 s of SIGTERM");
  d.pid = 0;
  cr_expect(it_daemon_logged(&d, "stopped", 0), "no clean stop in the log");
  it_daemon_finish(&d, IT_ETCD);
}

Test(daemon, pause_takes_a_container_out_and_unpause_puts_it_back) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-pause");
  char name[128], key[512], val[64];
  snprintf(name, sizeof name, "%s-web", d.tag);
  it_run_web(name, "-l SERVICE_NAME=p");
  it_daemon_start(&d, IT_ETCD, "");
  web_key(&d, "p", name, key, sizeof key, val, sizeof val);
  cr_assert(it_etcd_wait(IT_ETCD, key, val, 10));
  free(it_sh_ok("docker pause %s >/dev/null", name));
  cr_expect(it_etcd_wait(IT_ETCD, key, NULL, 10), "a paused container stays registered");
  free(it_sh_ok("docker unpause %s >/dev/null", name));
  cr_expect(it_etcd_wait(IT_ETCD, key, val, 10), "an unpaused container is not registered again");
  it_daemon_finish(&d, IT_ETCD);
}

Test(daemon, rename_registers_under_the_new_name) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-ren");
  char name[128], renamed[128], key[512], val[64], key2[512];
  snprintf(name, sizeof name, "%s-a", d.tag);
  snprintf(renamed, sizeof renamed, "%s-b", d.tag);
  it_run_web(name, "-l SERVICE_NAME=r");
  it_daemon_start(&d, IT_ETCD, "");
  web_key(&d, "r", name, key, sizeof key, val, sizeof val);
  cr_assert(it_etcd_wait(IT_ETCD, key, val, 10));
  free(it_sh_ok("docker rename %s %s", name, renamed));
  web_key(&d, "r", renamed, key2, sizeof key2, NULL, 0);
  cr_expect(it_etcd_wait(IT_ETCD, key2, val, 10), "not registered under the new name: %s", key2);
  cr_expect(it_etcd_wait(IT_ETCD, key, NULL, 10), "the old name stays registered: %s", key);
  it_daemon_finish(&d, IT_ETCD);
}

Test(daemon, healthy_only_follows_docker_health) {
  IT_SKIP_ON_PODMAN("Podman runs health checks from systemd timers, and no systemd runs here "
                    "(tests/integration/test_podman.c runs them by hand)");
  struct it_daemon d;
  it_daemon_init(&d, "rgt-health");
  char name[128], key[512], val[64];
  snprintf(name, sizeof name, "%s-web", d.tag);
  free(it_sh_ok("docker run -d --name %s -p 127.0.0.1::80 -l SERVICE_NAME=h "
                "--health-cmd 'test -f /ok' --health-interval 1s --health-retries 1 "
                IT_IMG " sh -c 'busybox touch /ok; exec httpd -f -p 80' >/dev/null", name));
  it_daemon_start(&d, IT_ETCD, "-healthy-only");
  web_key(&d, "h", name, key, sizeof key, val, sizeof val);
  cr_expect(it_etcd_wait(IT_ETCD, key, val, 20), "a healthy container is not registered");
  free(it_sh_ok("docker exec %s busybox rm /ok", name));
  cr_expect(it_etcd_wait(IT_ETCD, key, NULL, 20), "an unhealthy container stays registered");
  free(it_sh_ok("docker exec %s busybox touch /ok", name));
  cr_expect(it_etcd_wait(IT_ETCD, key, val, 20), "a container healthy again is not registered");
  it_daemon_finish(&d, IT_ETCD);
}

Test(daemon, periodic_resync_repairs_a_deleted_key) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-drift");
  char name[128], key[512], val[64];
  snprintf(name, sizeof name, "%s-web", d.tag);
  it_run_web(name, "-l SERVICE_NAME=drift");
  it_daemon_start(&d, IT_ETCD, "-resync 1");
  web_key(&d, "drift", name, key, sizeof key, val, sizeof val);
  cr_assert(it_etcd_wait(IT_ETCD, key, val, 10));
  free(it_sh_ok("ETCDCTL_API=3 etcdctl del '%s' >/dev/null", key));
  cr_expect(it_etcd_wait(IT_ETCD, key, val, 10), "a key deleted behind registrator's back stays gone");
  it_daemon_finish(&d, IT_ETCD);
}

Test(daemon, sighup_rereads_the_config_file) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-hup");
  char name[128], cfg[256], key[512], val[64], key2[512];
  snprintf(name, sizeof name, "%s-web", d.tag);
  snprintf(cfg, sizeof cfg, "/tmp/%s.cfg", d.tag);
  it_run_web(name, "-l SERVICE_NAME=hup");
  free(it_sh_ok("echo 'hostname = \"h1\";' > %s", cfg));
  unlink(d.log);
  d.pid = it_spawn(d.log, "%s -config %s etcd://" IT_ETCD "%s", it_bin(), cfg, d.prefix);
  snprintf(key, sizeof key, "%s/hup/h1:%s:80", d.prefix, name);
  snprintf(val, sizeof val, "127.0.0.1:%ld", it_host_port(name, "80/tcp"));
  cr_assert(it_etcd_wait(IT_ETCD, key, val, 10), "not registered as h1: %s", key);
  free(it_sh_ok("echo 'hostname = \"h2\";' > %s", cfg));
  kill((pid_t)d.pid, SIGHUP);
  snprintf(key2, sizeof key2, "%s/hup/h2:%s:80", d.prefix, name);
  cr_expect(it_etcd_wait(IT_ETCD, key2, val, 10), "SIGHUP did not apply the new hostname");
  cr_expect(it_etcd_wait(IT_ETCD, key, NULL, 10), "the entry under the old hostname stays");
  free(it_sh_ok("echo 'hostname = ' > %s", cfg)); /* broken: the running settings stay */
  kill((pid_t)d.pid, SIGHUP);
  cr_expect(it_daemon_logged(&d, "keeping the running settings", 10), "a bad reload is not reported");
  cr_expect_eq(it_wait_exit(d.pid, 0), -1, "a bad reload stopped the daemon");
  it_daemon_finish(&d, IT_ETCD);
  unlink(cfg);
}

Test(daemon, explicit_ports_are_registered_from_the_create_time_prediction) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-pred");
  char name[128], key[512], val[64], key2[512];
  snprintf(name, sizeof name, "%s-web", d.tag);
  unlink(d.log);
  d.pid = it_spawn(d.log, "env RG_DEBUG=1 %s -hostname testhost etcd://" IT_ETCD "%s", it_bin(),
                   d.prefix);
  cr_assert(it_daemon_logged(&d, "listening for Docker events", 10));
  /* an explicit host port: known at create; an ephemeral one: only at start */
  free(it_sh_ok("docker run -d --name %s -p 127.0.0.1:18391:80 -p 127.0.0.1::81 "
                "-l SERVICE_80_NAME=pred -l SERVICE_81_NAME=late " IT_IMG " httpd -f -p 80 >/dev/null",
                name));
  snprintf(key, sizeof key, "%s/pred/testhost:%s:80", d.prefix, name);
  cr_expect(it_etcd_wait(IT_ETCD, key, "127.0.0.1:18391", 10), "explicit port not registered");
  snprintf(key2, sizeof key2, "%s/late/testhost:%s:81", d.prefix, name);
  snprintf(val, sizeof val, "127.0.0.1:%ld", it_host_port(name, "81/tcp"));
  cr_expect(it_etcd_wait(IT_ETCD, key2, val, 10), "ephemeral port not registered");
  /* an ephemeral port makes the prediction decline: only the inspect registers
   * (other tests' containers may be predicted meanwhile: match this one's id) */
  char *id = it_sh_ok("docker inspect -f '{{.Id}}' %s | cut -c1-12", name);
  id[strcspn(id, "\n")] = '\0';
  char line[96];
  snprintf(line, sizeof line, "container %s started: writing its create-time prediction", id);
  if (it_engine_podman()) /* it picks the host port at create: HostConfig has it */
    fprintf(stderr, "daemon: on Podman an ephemeral port is known at create; not checked\n");
  else
    cr_expect_not(it_daemon_logged(&d, line, 0), "predicted an ephemeral port");
  free(id);

  char name2[128], key3[512];
  snprintf(name2, sizeof name2, "%s-web2", d.tag);
  free(it_sh_ok("docker run -d --name %s -p 127.0.0.1:18392:80 -l SERVICE_NAME=pred2 " IT_IMG
                " httpd -f -p 80 >/dev/null", name2));
  snprintf(key3, sizeof key3, "%s/pred2/testhost:%s:80", d.prefix, name2);
  cr_expect(it_etcd_wait(IT_ETCD, key3, "127.0.0.1:18392", 10));
  id = it_sh_ok("docker inspect -f '{{.Id}}' %s | cut -c1-12", name2);
  id[strcspn(id, "\n")] = '\0';
  snprintf(line, sizeof line, "container %s started: writing its create-time prediction", id);
  cr_expect(it_daemon_logged(&d, line, 5), "the prediction was not used");
  free(id);
  it_daemon_finish(&d, IT_ETCD);
}

Test(daemon, deregister_on_exit_removes_its_entries_and_the_default_keeps_them) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-exit");
  char name[128], key[512], val[64];
  snprintf(name, sizeof name, "%s-web", d.tag);
  it_run_web(name, "-l SERVICE_NAME=exit");
  it_daemon_start(&d, IT_ETCD, "");
  web_key(&d, "exit", name, key, sizeof key, val, sizeof val);
  cr_assert(it_etcd_wait(IT_ETCD, key, val, 10));
  it_daemon_stop(&d);
  char *v = it_etcd_get(IT_ETCD, key);
  cr_expect_str_eq(v, val, "a plain stop must leave the entry (its TTL reaps it)");
  free(v);
  it_daemon_start(&d, IT_ETCD, "-deregister-on-exit");
  char line[256];
  snprintf(line, sizeof line, "registered testhost:%s:80", name); /* it owns the entry now */
  cr_assert(it_daemon_logged(&d, line, 10));
  it_daemon_stop(&d);
  v = it_etcd_get(IT_ETCD, key);
  cr_expect_str_eq(v, "", "-deregister-on-exit left the entry");
  free(v);
  it_daemon_finish(&d, IT_ETCD);
}

Test(daemon, many_containers_running_at_start_are_read_in_parallel_and_all_registered) {
  enum { N = 24, PORT0 = 17000 };
  IT_SKIP_ON_PODMAN("Podman 4.3 drops --expose in host network mode, so these have no port");
  struct it_daemon d;
  it_daemon_init(&d, "rgt-dm");
  free(it_sh_ok("for i in $(seq 0 %d); do docker run -d --name %s-m$i --net host --expose $((%d + i)) "
                "-l SERVICE_NAME=many " IT_IMG " sleep 300 >/dev/null & done; wait; "
                "docker run -d --name %s-peer --net container:%s-m0 -l SERVICE_NAME=peer " IT_IMG
                " sleep 300 >/dev/null",
                N - 1, d.tag, PORT0, d.tag, d.tag));
  it_daemon_start(&d, IT_ETCD, "-ip 127.0.0.1");
  for (int i = 0; i < N; i++) {
    char key[512], val[64];
    snprintf(key, sizeof key, "%s/many/testhost:%s-m%d:%d", d.prefix, d.tag, i, PORT0 + i);
    snprintf(val, sizeof val, "127.0.0.1:%d", PORT0 + i);
    cr_expect(it_etcd_wait(IT_ETCD, key, val, 20), "container running at start not registered: %s", key);
  }
  it_daemon_finish(&d, IT_ETCD);
}
