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

/* A web container named "<tag>-web" with SERVICE_NAME=service, and a
 * daemon reading the config file cfg (text written to it first); key gets
 * the container's etcd key, port its host port. */
struct setup {
  struct it_daemon d;
  char cfg[160], name[96], key[256];
  long port;
};

static void start_with_config(struct setup *t, const char *tag, const char *service, const char *text) {
  it_daemon_init(&t->d, tag);
  snprintf(t->cfg, sizeof t->cfg, "/tmp/%s.cfg", t->d.tag);
  write_file(t->cfg, text);
  snprintf(t->name, sizeof t->name, "%s-web", t->d.tag);
  char label[96], opts[256];
  snprintf(label, sizeof label, "-l SERVICE_NAME=%s", service);
  it_run_web(t->name, label);
  t->port = it_host_port(t->name, "80/tcp");
  snprintf(opts, sizeof opts, "-config %s", t->cfg);
  it_daemon_start(&t->d, IT_ETCD, opts);
  snprintf(t->key, sizeof t->key, "%s/%s/testhost:%s:80", t->d.prefix, service, t->name);
}

static void finish(struct setup *t) {
  it_daemon_finish(&t->d, IT_ETCD);
  it_docker_rm(t->name);
  remove(t->cfg);
}

Test(reload, a_failing_reload_keeps_the_running_settings_and_a_good_one_applies) {
  struct setup t;
  start_with_config(&t, "rgt-rl", "rlweb", "ip = \"127.0.0.2\";\n");
  struct it_daemon *d = &t.d;
  const char *cfg = t.cfg, *key = t.key;
  long port = t.port;
  char want[64];
  snprintf(want, sizeof want, "127.0.0.2:%ld", port);
  cr_assert(it_etcd_wait(IT_ETCD, key, want, 20), "%s was not registered as %s", key, want);

  write_file(cfg, "ip = \"127.0.0.9\";\nttl_refresh = \"soon\";\n"); /* not a number */
  kill((pid_t)d->pid, SIGHUP);
  cr_assert(it_daemon_logged(d, "keeping the running settings", 10), "no failed reload logged");
  cr_expect(it_daemon_logged(d, cfg, 1), "the failure does not name the file");
  cr_expect_eq(kill((pid_t)d->pid, 0), 0, "the daemon died");
  char *v = it_etcd_get(IT_ETCD, key);
  cr_expect_str_eq(v, want, "the entry changed after a failed reload");
  free(v);

  write_file(cfg, "ip = \"127.0.0.3\";\n");
  kill((pid_t)d->pid, SIGHUP);
  cr_assert(it_daemon_logged(d, "reloaded the settings", 10), "no reload logged");
  snprintf(want, sizeof want, "127.0.0.3:%ld", port);
  cr_expect(it_etcd_wait(IT_ETCD, key, want, 20), "%s did not become %s after the reload", key, want);
  finish(&t);
}

/* The TTL the lease of key was granted with, 0 without a lease, -1 when
 * the key is missing (`-w fields`: jq would round the int64 lease ID). */
static long key_ttl(const char *key) {
  char *o = it_sh(NULL,
                  "lease=$(ETCDCTL_API=3 etcdctl --endpoints=" IT_ETCD " get '%s' -w fields | awk '/^\"Lease\"/ {print $3}');"
                  " case $lease in '') echo -1;; 0) echo 0;; *) ETCDCTL_API=3 etcdctl --endpoints=" IT_ETCD
                  " lease timetolive $(printf %%x $lease) -w json | jq -r '.[\"granted-ttl\"]';; esac",
                  key);
  long ttl = strtol(o, NULL, 10);
  free(o);
  return ttl;
}

struct want_ttl {
  const char *key;
  long ttl;
};

static bool ttl_is(void *ud) {
  struct want_ttl *w = ud;
  return key_ttl(w->key) == w->ttl;
}

static char *key_lease_hex(const char *key) {
  return it_sh_ok("printf %%x $(ETCDCTL_API=3 etcdctl --endpoints=" IT_ETCD
                  " get '%s' -w fields | awk '/^\"Lease\"/ {print $3}')",
                  key);
}

Test(reload, a_new_ttl_moves_every_key_to_a_lease_of_that_ttl_and_none_takes_them_off_leases) {
  struct setup t;
  start_with_config(&t, "rgt-rlttl", "rlttl", "ttl = 60;\nttl_refresh = 20;\n");
  struct it_daemon *d = &t.d;
  const char *cfg = t.cfg, *key = t.key;
  char want[64];
  snprintf(want, sizeof want, "127.0.0.1:%ld", t.port);
  cr_assert(it_etcd_wait(IT_ETCD, key, want, 20), "%s was not registered as %s", key, want);
  struct want_ttl w = {key, 60};
  cr_assert(it_wait(5, ttl_is, &w), "not on a 60 s lease: %ld", key_ttl(key));
  char *lease60 = key_lease_hex(key);

  write_file(cfg, "ttl = 10;\nttl_refresh = 3;\n");
  kill((pid_t)d->pid, SIGHUP);
  w.ttl = 10;
  cr_expect(it_wait(10, ttl_is, &w), "the key is not on a 10 s lease after the reload: %ld", key_ttl(key));
  cr_expect(it_daemon_logged(d, "new -ttl, -ttl-refresh; writing its services again with them", 5),
            "the reload does not say what it reopened");
  free(it_sh_ok("ETCDCTL_API=3 etcdctl --endpoints=" IT_ETCD " lease revoke %s >/dev/null", lease60));
  char *v = it_etcd_get(IT_ETCD, key);
  cr_expect_str_eq(v, want, "the key went with the old lease: it was left on it");
  free(v);
  char *lease10 = key_lease_hex(key);

  write_file(cfg, "");
  kill((pid_t)d->pid, SIGHUP);
  w.ttl = 0;
  cr_expect(it_wait(10, ttl_is, &w), "the key is still on a lease without -ttl: %ld", key_ttl(key));
  free(it_sh_ok("ETCDCTL_API=3 etcdctl --endpoints=" IT_ETCD " lease revoke %s >/dev/null", lease10));
  v = it_etcd_get(IT_ETCD, key);
  cr_expect_str_eq(v, want, "the key went with the 10 s lease");
  free(v);
  free(lease60);
  free(lease10);
  finish(&t);
}
