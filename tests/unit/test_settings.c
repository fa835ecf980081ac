#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "registrator/settings.h"
#include "tests/unit/rg_test.h"

RG_SUITE(settings);

static const char *const *fake_env_vars;

static const char *fake_env(const char *name) {
  for (const char *const *p = fake_env_vars; p && *p; p += 2)
    if (strcmp(p[0], name) == 0) return p[1];
  return NULL;
}

static struct rg_settings *with_uri(const char *uri) {
  struct rg_settings *s = NULL;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_settings_new(&s), RG_OK);
  cr_assert_eq(rg_settings_set(s, "registry", uri, err), RG_OK, "%s", err);
  return s;
}

Test(settings, etcdctl_variables_fill_the_etcd_credentials) {
  static const char *const env[] = {"ETCDCTL_USER", "root:pw1", "ETCDCTL_CACERT", "/ca.pem",
                                    "DOCKER_HOST", "tcp://[::1]:2375", NULL};
  fake_env_vars = env;
  struct rg_settings *s = with_uri("etcd://127.0.0.1:2379/x");
  char err[RG_ERRBUF];
  cr_assert_eq(rg_settings_load_env(s, fake_env, err), RG_OK);
  cr_expect_str_eq(s->cred.etcd.username, "root");
  cr_expect_str_eq(s->cred.etcd.password, "pw1");
  cr_expect_str_eq(s->cred.etcd.ca_file, "/ca.pem");
  cr_expect_str_eq(s->cred.docker_host, "tcp://[::1]:2375");
  cr_expect_null(s->cred.consul.ca_file, "etcd variables are not Consul's");
  cr_expect_null(s->cred.etcd.token, "consul variables are not read for etcd");
  rg_settings_free(s);
}

Test(settings, consul_token_comes_from_the_variable_or_its_file) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/rg-token-%d", (int)getpid());
  FILE *f = fopen(path, "w");
  fputs("tok-from-file\n", f);
  fclose(f);
  const char *const env[] = {"CONSUL_HTTP_TOKEN_FILE", path, "CONSUL_TLSCERT", "/c.pem", NULL};
  fake_env_vars = env;
  struct rg_settings *s = with_uri("consul://127.0.0.1:8500");
  char err[RG_ERRBUF];
  cr_assert_eq(rg_settings_load_env(s, fake_env, err), RG_OK, "%s", err);
  cr_expect_str_eq(s->cred.consul.token, "tok-from-file");
  cr_expect_str_eq(s->cred.consul.cert_file, "/c.pem", "gliderlabs' CONSUL_TLSCERT still works");
  rg_settings_free(s);
  remove(path);

  const char *const env2[] = {"CONSUL_HTTP_TOKEN", "direct", "CONSUL_HTTP_TOKEN_FILE", "/nope", NULL};
  fake_env_vars = env2;
  s = with_uri("consul://127.0.0.1:8500");
  cr_assert_eq(rg_settings_load_env(s, fake_env, err), RG_OK, "the variable wins over the file");
  cr_expect_str_eq(s->cred.consul.token, "direct");
  rg_settings_free(s);

  const char *const env3[] = {"CONSUL_HTTP_TOKEN_FILE", "/nonexistent/token", NULL};
  fake_env_vars = env3;
  s = with_uri("consul://127.0.0.1:8500");
  cr_assert_eq(rg_settings_load_env(s, fake_env, err), RG_EINVAL);
  cr_expect(strstr(err, "/nonexistent/token") != NULL, "%s", err);
  rg_settings_free(s);
}

Test(settings, prepare_derives_model_and_adapter_views) {
  struct rg_settings *s = with_uri("etcd://127.0.0.1:2379/x");
  char err[RG_ERRBUF];
  cr_assert_eq(rg_settings_set(s, "hostname", "h9", err), RG_OK);
  cr_assert_eq(rg_settings_set(s, "tags", "a, b,a", err), RG_OK);
  cr_assert_eq(rg_settings_set(s, "ttl", "30", err), RG_OK);
  cr_assert_eq(rg_settings_set(s, "password", "s3cret", err), RG_OK);
  cr_assert_eq(rg_settings_prepare(s, err), RG_OK, "%s", err);
  cr_expect_str_eq(s->mo.hostname, "h9");
  cr_expect_eq(s->tags.n, 2, "tags are trimmed and de-duplicated");
  struct rg_adapter_config ac;
  rg_settings_adapter_config(s, "etcd://127.0.0.1:2379/x", &ac);
  cr_expect_eq(ac.ttl, 30);
  cr_expect_str_eq(ac.password, "s3cret");
  cr_assert_eq(rg_settings_set(s, "tags", "c", err), RG_OK);
  cr_assert_eq(rg_settings_prepare(s, err), RG_OK);
  cr_expect_eq(s->tags.n, 1, "changing a setting re-derives");
  rg_settings_free(s);
}

Test(settings, each_registry_family_gets_its_own_credentials) {
  static const char *const env[] = {"ETCDCTL_CACERT", "/etcd-ca.pem", "CONSUL_CACERT", "/consul-ca.pem",
                                    "CONSUL_HTTP_TOKEN", "tok", "CONSUL_HTTP_SSL_VERIFY", "false", NULL};
  fake_env_vars = env;
  struct rg_settings *s = with_uri("etcd://127.0.0.1:2379/x consul://127.0.0.1:8500");
  char err[RG_ERRBUF];
  cr_assert_eq(rg_settings_load_env(s, fake_env, err), RG_OK, "%s", err);
  cr_assert_eq(rg_settings_prepare(s, err), RG_OK, "%s", err);
  struct rg_adapter_config e, c;
  rg_settings_adapter_config(s, "etcd://127.0.0.1:2379/x", &e);
  rg_settings_adapter_config(s, "consul://127.0.0.1:8500", &c);
  cr_expect_str_eq(e.ca_file, "/etcd-ca.pem");
  cr_expect_null(e.token);
  cr_expect(!e.tls_insecure);
  cr_expect_str_eq(c.ca_file, "/consul-ca.pem");
  cr_expect_str_eq(c.token, "tok");
  cr_expect(c.tls_insecure);
  rg_settings_free(s);
}

Test(settings, consul_ssl_verify_holds_with_a_token_file) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/rg-token2-%d", (int)getpid());
  FILE *f = fopen(path, "w");
  fputs("t\n", f);
  fclose(f);
  const char *const env[] = {"CONSUL_HTTP_TOKEN_FILE", path, "CONSUL_HTTP_SSL_VERIFY", "false", NULL};
  fake_env_vars = env;
  struct rg_settings *s = with_uri("consul://127.0.0.1:8500");
  char err[RG_ERRBUF];
  cr_assert_eq(rg_settings_load_env(s, fake_env, err), RG_OK, "%s", err);
  cr_expect_str_eq(s->cred.consul.token, "t");
  cr_expect(s->cred.consul.tls_insecure, "CONSUL_HTTP_SSL_VERIFY is read whatever the token's source");
  rg_settings_free(s);
  remove(path);
}

/* The model options borrow nothing rg_settings_set frees: a daemon made
 * from s keeps reading them while the caller changes settings. */
Test(settings, model_options_own_their_strings) {
  struct rg_settings *s = with_uri("etcd://127.0.0.1:2379/x");
  char err[RG_ERRBUF];
  static const char *const first[] = {"hostname", "h1", "ip", "192.0.2.7", "useIpFromLabel", "my.ip"};
  static const char *const then[] = {"ip", "192.0.2.8", "useIpFromLabel", "other", "tags", "t"};
  for (size_t i = 0; i < RG_ARRAY_LEN(first); i += 2)
    cr_assert_eq(rg_settings_set(s, first[i], first[i + 1], err), RG_OK);
  cr_assert_eq(rg_settings_prepare(s, err), RG_OK, "%s", err);
  for (size_t i = 0; i < RG_ARRAY_LEN(then); i += 2)
    cr_assert_eq(rg_settings_set(s, then[i], then[i + 1], err), RG_OK);
  /* until the next prepare the views are the old ones, and still valid */
  cr_expect_str_eq(s->mo.host_ip, "192.0.2.7");
  cr_expect_str_eq(s->mo.use_ip_from_label, "my.ip");
  cr_assert_eq(rg_settings_prepare(s, err), RG_OK, "%s", err);
  cr_expect_str_eq(s->mo.host_ip, "192.0.2.8");
  cr_expect_str_eq(s->mo.use_ip_from_label, "other");
  cr_expect_eq(s->mo.tags->n, 1);
  rg_settings_free(s);
}

/* Every setting: set, connect, set again, connect again. Under ASan a view
 * that borrowed a freed string would be a heap-use-after-free. The
 * registry is a closed loopback port: connecting fails after the adapter
 * is opened with the settings' strings. */
Test(settings, set_connect_set_connect_for_every_option) {
  static const char *const opts[][3] = {
      {"ca-file", "/tmp/rg-a.pem", "/tmp/rg-b.pem"}, {"cert-file", "/tmp/rg-a.crt", "/tmp/rg-b.crt"},
      {"key-file", "/tmp/rg-a.key", "/tmp/rg-b.key"}, {"username", "u1", "u2"},
      {"password", "p1", "p2"},                      {"token", "t1", "t2"},
      {"tls-insecure", "true", "false"},              {"docker-host", "unix:///a.sock", "tcp://127.0.0.1:1"},
      {"ip", "192.0.2.1", "192.0.2.2"},              {"internal", "true", "false"},
      {"explicit", "true", "false"},                  {"useIpFromLabel", "a", "b"},
      {"ttl", "30", "60"},                            {"ttl-refresh", "10", "20"},
      {"tags", "a,b", "c"},                           {"resync", "5", "0"},
      {"deregister", "always", "on-success"},         {"retry-attempts", "0", "0"},
      {"retry-interval", "1", "2"},                   {"cleanup", "true", "false"},
      {"hostname", "h1", "h2"},                       {"deregister-on-exit", "true", "false"},
      {"healthy-only", "true", "false"},              {"docker-timeout", "5", "7"},
      {"registry", "etcd://127.0.0.1:1/a", "etcd://127.0.0.1:1/b skydns://127.0.0.1:1/x.local"},
  };
  for (size_t i = 0; i < RG_ARRAY_LEN(opts); i++) {
    struct rg_settings *s = with_uri("etcd://127.0.0.1:1/x");
    char err[RG_ERRBUF];
    cr_assert_eq(rg_settings_set(s, "retry-attempts", "0", err), RG_OK);
    for (int round = 1; round <= 2; round++) {
      cr_assert_eq(rg_settings_set(s, opts[i][0], opts[i][round], err), RG_OK, "%s: %s", opts[i][0], err);
      struct rg_registry *r = NULL;
      int rc = rg_registry_connect(&r, s, err);
      cr_expect_neq(rc, RG_OK, "%s: nothing listens on 127.0.0.1:1", opts[i][0]);
      rg_registry_close(r);
    }
    rg_settings_free(s);
  }
}

static void count_lines(void *ud, enum rg_log_level level, const char *msg) {
  (void)level;
  (void)msg;
  ++*(int *)ud;
}

/* A reload builds complete new settings first; a file that fails leaves
 * nothing half-built, and a good one is handed over whole while the
 * running settings keep their address, log sink and cancel flag. */
Test(settings, a_reload_builds_completely_before_it_hands_over) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/rg-reload-%d.cfg", (int)getpid());
  FILE *f = fopen(path, "w");
  fputs("tags = \"a\";\nip = \"192.0.2.9\";\nhostname = \"h-old\";\n", f);
  fclose(f);
  static const char *const env[] = {NULL};
  fake_env_vars = env;
  char *argv[] = {"registrator", "-config", path, "etcd://127.0.0.1:2379/x", NULL};
  int lines = 0;
  struct rg_log log = {.fn = count_lines, .userdata = &lines, .min = RG_LOG_DEBUG};
  struct rg_settings *run = NULL, *fresh = NULL;
  char err[RG_ERRBUF];
  cr_assert_eq(rg_settings_build(&run, 4, argv, fake_env, &log, err), RG_OK, "%s", err);
  cr_assert_str_eq(run->mo.host_ip, "192.0.2.9");
  cr_assert(lines > 0, "prepare logged through the given sink");

  f = fopen(path, "w");
  fputs("tags = \"b\";\nttl_refresh = \"soon\";\n", f); /* not a number */
  fclose(f);
  cr_assert_neq(rg_settings_build(&fresh, 4, argv, fake_env, &log, err), RG_OK);
  cr_assert_null(fresh);
  cr_expect(strstr(err, path) != NULL, "the error names the file: %s", err);
  cr_expect_str_eq(run->mo.host_ip, "192.0.2.9", "the running settings are untouched");
  cr_expect_str_eq(run->tags.items[0], "a");

  static const char *const bad_env[] = {"CONSUL_HTTP_TOKEN_FILE", "/nonexistent/rg-token", NULL};
  fake_env_vars = bad_env;
  f = fopen(path, "w");
  fputs("tags = \"c\";\nhostname = \"h-new\";\n", f);
  fclose(f);
  cr_assert_neq(rg_settings_build(&fresh, 4, argv, fake_env, &log, err), RG_OK);
  cr_expect(strstr(err, "/nonexistent/rg-token") != NULL, "%s", err);
  fake_env_vars = env;

  cr_assert_eq(rg_settings_build(&fresh, 4, argv, fake_env, NULL, err), RG_OK, "%s", err);
  struct rg_settings *before = run;
  const struct rg_model_options *mo = &run->mo;
  rg_settings_cancel(run);
  run->swarm.role = RG_DOCKER_SWARM_MANAGER; /* what the engine said (README "Swarm mode") */
  rg_settings_adopt(run, fresh);
  cr_expect_eq(run->swarm.role, RG_DOCKER_SWARM_MANAGER, "a reload keeps the swarm mode seen");
  cr_expect_eq(run->mo.swarm, &run->swarm);
  cr_assert_eq(run, before);
  cr_expect_eq(&run->mo, mo, "a daemon's pointer to the model options stays valid");
  cr_expect_str_eq(run->mo.hostname, "h-new");
  cr_expect_eq(run->mo.hostname, run->hostname, "the views point into the running settings");
  cr_expect_null(run->mo.host_ip);
  cr_expect_str_eq(run->mo.tags->items[0], "c");
  cr_expect_eq(run->log.fn, count_lines, "the log sink is kept");
  cr_expect(run->cancel, "a stop requested before the hand-over still holds");
  rg_settings_free(run);
  remove(path);
}

/* The environment's booleans take the one parser's words; anything else
 * is an error naming the variable, not a silent "false". */
Test(settings, boolean_variables_take_the_shared_words) {
  static const char *const env[] = {"ETCDCTL_INSECURE_SKIP_TLS_VERIFY", "T", "CONSUL_HTTP_SSL_VERIFY", "0", NULL};
  fake_env_vars = env;
  struct rg_settings *s = with_uri("etcd://127.0.0.1:2379/x");
  char err[RG_ERRBUF];
  cr_assert_eq(rg_settings_load_env(s, fake_env, err), RG_OK, "%s", err);
  cr_expect(s->cred.etcd.tls_insecure);
  cr_expect(s->cred.consul.tls_insecure, "CONSUL_HTTP_SSL_VERIFY=0 skips verification");
  static const char *const bad[] = {"ETCDCTL_INSECURE_SKIP_TLS_VERIFY", "yes", NULL};
  fake_env_vars = bad;
  cr_assert_eq(rg_settings_load_env(s, fake_env, err), RG_EINVAL);
  cr_expect_str_eq(err, "ETCDCTL_INSECURE_SKIP_TLS_VERIFY=\"yes\": want true or false");
  cr_assert_eq(rg_settings_set(s, "tls-insecure", "on", err), RG_EINVAL);
  cr_assert_eq(rg_settings_set(s, "internal", "False", err), RG_OK);
  cr_assert_eq(rg_settings_set(s, "internal", "off", err), RG_EINVAL);
  rg_settings_free(s);
}
