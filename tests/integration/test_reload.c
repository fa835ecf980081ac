/* SIGHUP reload against the real dockerd and etcd v3 at 127.0.0.1:2379:
 * complete new settings are built before anything switches to them; a file
 * that fails leaves the running settings as they were (and says why), a
 * good one takes effect on the resync that follows. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/itest.h"

IT_SUITE(reload);

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
}

Test(reload, a_failing_reload_keeps_the_running_settings_and_a_good_one_applies) {
  struct it_daemon d;
  it_daemon_init(&d, "rgt-rl");
  char cfg[160], opts[256], name[96], key[256], want[64];
  snprintf(cfg, sizeof cfg, "/tmp/%s.cfg", d.tag);
  write_file(cfg, "ip = \"127.0.0.2\";\n");
  snprintf(name, sizeof name, "%s-web", d.tag);
  it_run_web(name, "-l SERVICE_NAME=rlweb");
  long port = it_host_port(name, "80/tcp");
  snprintf(opts, sizeof opts, "-config %s", cfg);
  it_daemon_start(&d, IT_ETCD, opts);
  snprintf(key, sizeof key, "%s/rlweb/testhost:%s:80", d.prefix, name);
  snprintf(want, sizeof want, "127.0.0.2:%ld", port);
  cr_assert(it_etcd_wait(IT_ETCD, key, want, 20), "%s was not registered as %s", key, want);

  write_file(cfg, "ip = \"127.0.0.9\";\nttl_refresh = \"soon\";\n"); /* not a number */
  kill((pid_t)d.pid, SIGHUP);
  cr_assert(it_daemon_logged(&d, "keeping the running settings", 10), "no failed reload logged");
  cr_expect(it_daemon_logged(&d, cfg, 1), "the failure does not name the file");
  cr_expect_eq(kill((pid_t)d.pid, 0), 0, "the daemon died");
  char *v = it_etcd_get(IT_ETCD, key);
  cr_expect_str_eq(v, want, "the entry changed after a failed reload");
  free(v);

  write_file(cfg, "ip = \"127.0.0.3\";\n");
  kill((pid_t)d.pid, SIGHUP);
  cr_assert(it_daemon_logged(&d, "reloaded the settings", 10), "no reload logged");
  snprintf(want, sizeof want, "127.0.0.3:%ld", port);
  cr_expect(it_etcd_wait(IT_ETCD, key, want, 20), "%s did not become %s after the reload", key, want);
  it_daemon_finish(&d, IT_ETCD);
  it_docker_rm(name);
  remove(cfg);
}
