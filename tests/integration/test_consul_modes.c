/* The Consul adapter end to end, other modes: catalog API, unix socket, ACL
 * tokens, an agent that is down at start, and rate limits / server errors.
 * Real containers and the Consul protocol double (not Consul). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/itest.h"
#include "tests/integration/test_consul_double.h"

IT_SUITE(consul_modes);

Test(consul_modes, catalog_mode_registers_under_the_node_and_cleans_up_stale_entries) {
  struct cdouble d = {0};
  cd_start(&d, 0, NULL);
  /* a stale entry of this host, as a previous run would have left it */
  free(it_sh_ok("python3 tests/consul-double/consul_double_get.py --put '{\"Node\":\"testhost\","
                "\"Address\":\"127.0.0.1\",\"Service\":{\"ID\":\"testhost:gone:80\",\"Service\":\"gone\","
                "\"Port\":1}}' %d /v1/catalog/register >/dev/null",
                d.port));
  char name[128], keys[256], want[32], uri[64];
  snprintf(name, sizeof name, "%s", it_name("rgt-cm-cat"));
  long port = web_start(name, "-l SERVICE_NAME=cat -l SERVICE_CHECK_TCP=true");
  snprintf(uri, sizeof uri, "consul-catalog://127.0.0.1:%d", d.port);
  struct rgd r;
  rgd_start(&r, NULL, "-cleanup", uri);
  snprintf(keys, sizeof keys, "Services 'testhost:%s:80' Port", name);
  snprintf(want, sizeof want, "%ld", port);
  cr_expect(cd_wait(&d, NULL, "/v1/catalog/node/testhost", keys, want, 10), "not in the catalog");
  char *v = cd_get(&d, NULL, "/v1/catalog/node/testhost", "Node Address");
  cr_expect_str_eq(v, "127.0.0.1");
  free(v);
  v = cd_get(&d, NULL, "/v1/catalog/service/cat", "0 ServiceID");
  cr_expect(strstr(v, name) != NULL, "catalog/service/cat: %s", v);
  free(v);
  cr_expect(cd_wait(&d, NULL, "/v1/catalog/node/testhost", "Services testhost:gone:80", NULL, 10),
            "-cleanup left the stale catalog entry");
  free(it_sh_ok("docker kill %s >/dev/null", name));
  snprintf(keys, sizeof keys, "Services 'testhost:%s:80'", name);
  cr_expect(cd_wait(&d, NULL, "/v1/catalog/node/testhost", keys, NULL, 10), "dead container still in the catalog");
  rgd_stop(&r);
  cd_stop(&d);
  it_docker_rm(name);
}

Test(consul_modes, the_agent_api_works_over_a_unix_socket) {
  struct cdouble d = {0};
  char opts[200], name[128], keys[256], uri[200];
  snprintf(d.sock, sizeof d.sock, "/tmp/%s.sock", it_name("rgt-cm-sock"));
  snprintf(opts, sizeof opts, "--unix %s", d.sock);
  cd_start(&d, 0, opts);
  snprintf(name, sizeof name, "%s", it_name("rgt-cm-unix"));
  web_start(name, "-l SERVICE_NAME=unix");
  snprintf(uri, sizeof uri, "consul-unix://%s", d.sock);
  struct rgd r;
  rgd_start(&r, NULL, "", uri);
  snprintf(keys, sizeof keys, "'testhost:%s:80' Service", name);
  cr_expect(cd_wait(&d, NULL, "/v1/agent/services", keys, "unix", 10), "not registered over the unix socket");
  rgd_stop(&r);
  cd_stop(&d);
  it_docker_rm(name);
}

Test(consul_modes, a_token_without_permission_is_reported_and_never_printed) {
  struct cdouble d = {0};
  cd_start(&d, 0, "--acl-token right-token-4711");
  char name[128], keys[256], uri[64];
  snprintf(name, sizeof name, "%s", it_name("rgt-cm-acl"));
  web_start(name, "-l SERVICE_NAME=acl");
  snprintf(uri, sizeof uri, "consul://127.0.0.1:%d", d.port);
  struct rgd r;
  rgd_start(&r, "CONSUL_HTTP_TOKEN=wrong-secret-0815", "", uri);
  cr_expect(rgd_wait_log(&r, "ACL token lacks permission", 10), "no clear 403 log line");
  char *log = rgd_log(&r);
  cr_expect(strstr(log, "Permission denied") != NULL, "Consul's message is missing:\n%s", log);
  cr_expect(strstr(log, "wrong-secret-0815") == NULL, "the token was printed:\n%s", log);
  free(log);
  rgd_stop(&r);

  rgd_start(&r, "CONSUL_HTTP_TOKEN=right-token-4711", "", uri);
  snprintf(keys, sizeof keys, "'testhost:%s:80' Service", name);
  cr_expect(cd_wait(&d, "right-token-4711", "/v1/agent/services", keys, "acl", 10),
            "not registered with the right token");
  rgd_stop(&r);
  cd_stop(&d);
  it_docker_rm(name);
}

Test(consul_modes, an_agent_down_at_start_gets_the_registrations_when_it_comes_back) {
  int port = cd_free_port();
  char name[128], keys[256], uri[64];
  snprintf(name, sizeof name, "%s", it_name("rgt-cm-down"));
  web_start(name, "-l SERVICE_NAME=down");
  snprintf(uri, sizeof uri, "consul://127.0.0.1:%d", port);
  struct rgd r;
  rgd_start(&r, NULL, "-retry-attempts -1 -retry-interval 200", uri);
  cr_expect(rgd_wait_log(&r, "cannot reach the registry", 10), "no retry while the agent is down");
  struct cdouble d = {0};
  cd_start(&d, port, NULL);
  snprintf(keys, sizeof keys, "'testhost:%s:80' Service", name);
  cr_expect(cd_wait(&d, NULL, "/v1/agent/services", keys, "down", 10), "not registered once the agent came back");
  rgd_stop(&r);
  cd_stop(&d);
  it_docker_rm(name);
}

static void retried(const char *opts, const char *want_in_log) {
  struct cdouble d = {0};
  cd_start(&d, 0, opts);
  char name[128], keys[256], uri[64];
  snprintf(name, sizeof name, "%s", it_name("rgt-cm-retry"));
  web_start(name, "-l SERVICE_NAME=retry");
  snprintf(uri, sizeof uri, "consul://127.0.0.1:%d", d.port);
  struct rgd r;
  rgd_start(&r, NULL, "", uri);
  snprintf(keys, sizeof keys, "'testhost:%s:80' Service", name);
  cr_expect(cd_wait(&d, NULL, "/v1/agent/services", keys, "retry", 20), "failed registration was not retried");
  char *log = rgd_log(&r);
  cr_expect(strstr(log, want_in_log) != NULL, "no \"%s\" in the log:\n%s", want_in_log, log);
  free(log);
  rgd_stop(&r);
  cd_stop(&d);
  it_docker_rm(name);
}

Test(consul_modes, rate_limited_registrations_are_retried_with_backoff) {
  retried("--fail-first 2 --fail-status 429", "HTTP 429: Too Many Requests");
}

Test(consul_modes, server_errors_are_retried_with_backoff) {
  retried("--fail-first 2 --fail-status 500", "HTTP 500: rpc error: consul-double injected failure");
}

Test(consul_modes, consul_tls_verifies_the_agent_certificate_by_default) {
  char dir[128], opts[512], name[128], keys[256], uri[64], env[300];
  snprintf(dir, sizeof dir, "/tmp/%s", it_name("rgt-cm-tls"));
  int st = 0;
  free(it_sh(&st, "mkdir -p %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/key.pem -out %s/cert.pem "
                  "-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
             dir, dir, dir));
  cr_assert_eq(st, 0, "openssl could not make a test certificate");
  struct cdouble d = {0};
  snprintf(d.cacert, sizeof d.cacert, "%s/cert.pem", dir);
  snprintf(opts, sizeof opts, "--tls-cert %s/cert.pem --tls-key %s/key.pem", dir, dir);
  cd_start(&d, 0, opts);
  snprintf(name, sizeof name, "%s", it_name("rgt-cm-tlsweb"));
  web_start(name, "-l SERVICE_NAME=tls");
  snprintf(uri, sizeof uri, "consul-tls://127.0.0.1:%d", d.port);

  struct rgd r;
  rgd_start(&r, NULL, "", uri); /* no CA: the self-signed certificate must be refused */
  cr_expect(rgd_wait_log(&r, "SSL certificate problem", 10), "an unverifiable certificate was accepted");
  rgd_stop(&r);

  snprintf(env, sizeof env, "CONSUL_CACERT=%s/cert.pem", dir);
  rgd_start(&r, env, "", uri);
  snprintf(keys, sizeof keys, "'testhost:%s:80' Service", name);
  cr_expect(cd_wait(&d, NULL, "/v1/agent/services", keys, "tls", 10), "not registered over verified TLS");
  rgd_stop(&r);
  cd_stop(&d);
  it_docker_rm(name);
  free(it_sh(NULL, "rm -rf %s", dir));
}
