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
