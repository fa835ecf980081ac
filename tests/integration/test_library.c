/* libregistrator as an orchestrator uses it: the installed library through
 * pkg-config, and the public calls in-process (real dockerd, real etcd). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registrator/registrator.h"
#include "tests/integration/itest.h"

#define ETCDCTL "ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:2379"

IT_SUITE(library);

Test(library, public_header_compiles_alone_as_c11_and_cxx) {
  free(it_sh_ok("echo '#include \"registrator/registrator.h\"' | "
                "cc -std=c11 -Wall -Wextra -Wpedantic -Werror -I. -x c -fsyntax-only - 2>&1"));
  free(it_sh_ok("echo '#include \"registrator/registrator.h\"' | "
                "g++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -I. -x c++ -fsyntax-only - 2>&1"));
}

Test(library, shared_library_exports_only_the_public_symbols) {
  char *o = it_sh_ok("nm -D --defined-only build/libregistrator.so | awk '{print $3}' | "
                     "grep -v -e '^rg_' -e '^_edata$' -e '^_end$' -e '^__bss_start$' || true");
  cr_expect_str_eq(o, "", "symbols beyond the public API are exported:\n%s", o);
  free(o);
  o = it_sh_ok("readelf -d build/libregistrator.so | grep SONAME");
  cr_expect(strstr(o, "libregistrator.so.0") != NULL, "%s", o);
  free(o);
}

Test(library, example_builds_against_the_installed_library_and_registers) {
  const char *dir = it_name("/tmp/rgt-install");
  char prefix[128];
  snprintf(prefix, sizeof prefix, "%s", dir);
  free(it_sh_ok("make -s install BUILD=build PREFIX=%s >/dev/null 2>&1", prefix));
  free(it_sh_ok("PKG_CONFIG_PATH=%s/lib/pkgconfig cc -std=c11 -Wall -Werror contrib/example/register.c "
                "$(PKG_CONFIG_PATH=%s/lib/pkgconfig pkg-config --cflags --libs registrator) "
                "-o %s/register 2>&1",
                prefix, prefix, prefix));
  const char *key_prefix = it_name("/rgt-lib");
  char kp[128];
  snprintf(kp, sizeof kp, "%s", key_prefix);
  free(it_sh_ok("LD_LIBRARY_PATH=%s/lib %s/register etcd://127.0.0.1:2379%s web 10.0.0.5 8080", prefix,
                prefix, kp));
  char *v = it_sh_ok("%s get --print-value-only %s/web/example:web:8080", ETCDCTL, kp);
  cr_expect_str_eq(v, "10.0.0.5:8080\n");
  free(v);
  int st;
  char *o = it_sh(&st, "LD_LIBRARY_PATH=%s/lib %s/register nosuch://x web 1.2.3.4 80 2>&1", prefix,
                  prefix);
  cr_expect_eq(st, 1);
  cr_expect(strstr(o, "nosuch") != NULL, "%s", o);
  free(o);
  free(it_sh(NULL, "%s del --prefix %s/ >/dev/null; rm -rf %s", ETCDCTL, kp, prefix));
}

static void count_log(void *ud, enum rg_log_level level, const char *msg) {
  (void)level;
  (void)msg;
  ++*(int *)ud;
}

Test(library, services_from_inspect_without_io_and_logs_only_to_the_sink) {
  struct rg_settings *s = NULL;
  char err[RG_ERRBUF] = "";
  int logged = 0;
  cr_assert_eq(rg_settings_new(&s), RG_OK);
  rg_settings_set_log(s, count_log, &logged, RG_LOG_DEBUG);
  cr_assert_eq(rg_settings_set(s, "hostname", "h1", err), RG_OK);
  cr_assert_eq(rg_settings_set(s, "ip", "192.0.2.7", err), RG_OK);
  cr_assert_eq(rg_settings_set(s, "no-such-setting", "1", err), RG_ENOTFOUND);
  cr_assert_eq(rg_settings_set(s, "ttl", "x", err), RG_EINVAL);
  FILE *f = fopen("tests/fixtures/inspect/published-dual.json", "rb");
  cr_assert_not_null(f);
  char buf[65536];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  char *jsonl = NULL;
  cr_assert_eq(rg_services_from_inspect(s, buf, n, &jsonl, err), RG_OK, "%s", err);
  cr_expect(strstr(jsonl, "\"ip\":\"192.0.2.7\"") != NULL, "%s", jsonl);
  cr_expect(strstr(jsonl, "\"id\":\"h1:") != NULL, "%s", jsonl);
  cr_expect_gt(logged, 0, "the library logs through the sink");
  rg_free(jsonl);
  cr_assert_eq(rg_services_from_inspect(s, "{", 1, &jsonl, err), RG_EPROTO);
  cr_expect_null(jsonl);
  rg_settings_free(s);
}

static void *run_daemon(void *arg) {
  char err[RG_ERRBUF];
  return (void *)(long)rg_daemon_run(arg, err);
}

static bool key_present(void *ud) {
  char *v = it_sh(NULL, "%s get --keys-only --prefix %s/ | grep -c lib-daemon", ETCDCTL, (char *)ud);
  bool ok = strtol(v, NULL, 10) > 0;
  free(v);
  return ok;
}

Test(library, daemon_runs_in_a_thread_and_stops_from_another) {
  const char *n = it_name("rgt-lib-daemon");
  char name[128], kp[160];
  snprintf(name, sizeof name, "%s", n);
  snprintf(kp, sizeof kp, "/%s", name);
  free(it_sh_ok("docker run -d --name %s -p 127.0.0.1::80 -l SERVICE_NAME=lib-daemon local/busybox "
                "httpd -f -p 80 >/dev/null", name));
  struct rg_settings *s = NULL;
  char err[RG_ERRBUF] = "", uri[256];
  snprintf(uri, sizeof uri, "etcd://127.0.0.1:2379%s", kp);
  cr_assert_eq(rg_settings_new(&s), RG_OK);
  cr_assert_eq(rg_settings_set(s, "registry", uri, err), RG_OK, "%s", err);
  cr_assert_eq(rg_settings_set(s, "hostname", "libhost", err), RG_OK);
  struct rg_daemon *d = NULL;
  cr_assert_eq(rg_daemon_create(&d, s, err), RG_OK, "%s", err);
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, run_daemon, d), 0);
  cr_expect(it_wait(10, key_present, kp), "the daemon did not register the container");
  rg_daemon_stop(d);
  void *ret;
  pthread_join(t, &ret);
  cr_expect_eq((long)ret, RG_OK);
  rg_daemon_destroy(d);
  rg_settings_free(s);
  free(it_sh(NULL, "%s del --prefix %s/ >/dev/null", ETCDCTL, kp));
  it_docker_rm(name);
}
