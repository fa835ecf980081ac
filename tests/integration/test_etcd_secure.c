/* test_etcd_secure.c - etcd over TLS with client certificates, and etcd
 * with auth enabled (v3 token, v2 basic auth), both started by
 * tests/etcd-secure.sh on their own ports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/test_etcd_util.h"

#define TLSDIR "/tmp/rg-etcd-secure/tls"
#define PW "rg-test-pw"

static void stop_tls(void) { free(it_sh(NULL, "tests/etcd-secure.sh stop tls >/dev/null 2>&1")); }
static void stop_auth(void) { free(it_sh(NULL, "tests/etcd-secure.sh stop auth >/dev/null 2>&1")); }

TestSuite(etcd_tls, .fini = stop_tls);
TestSuite(etcd_auth, .fini = stop_auth);

Test(etcd_tls, register_over_https_with_ca_and_client_cert) {
  free(it_sh_ok("RG_ETCD_SECURE_STATE=/tmp/rg-etcd-secure tests/etcd-secure.sh start tls"));
  const char *p = et_prefix();
  char uri[256], err[RG_ERRBUF] = "";
  snprintf(uri, sizeof uri, "etcd://127.0.0.1:23379%s", p);
  struct rg_adapter_config cfg = {.ca_file = TLSDIR "/ca.pem", .cert_file = TLSDIR "/client.pem",
                                  .key_file = TLSDIR "/client.key"};
  struct et e;
  et_open(&e, uri, &cfg);
  cr_assert_eq(e.a->ping(e.st, err), RG_OK, "%s", err);
  struct rg_service s = et_svc("h:web:80", "web", "10.0.0.1", 80);
  et_reg(&e, &s);
  char *v = it_sh_ok("ETCDCTL_API=3 etcdctl --endpoints https://127.0.0.1:23379 --cacert " TLSDIR "/ca.pem"
                     " --cert " TLSDIR "/client.pem --key " TLSDIR "/client.key get --print-value-only %s/web/h:web:80",
                     p);
  cr_assert_str_eq(v, "10.0.0.1:80\n");
  free(v);
  et_dereg(&e, &s);
  et_close(&e);

  /* the same through URI options */
  snprintf(uri, sizeof uri, "etcd://127.0.0.1:23379%s?cacert=" TLSDIR "/ca.pem&cert=" TLSDIR "/client.pem&key=" TLSDIR
           "/client.key", p);
  struct rg_adapter_config none = {0};
  et_open(&e, uri, &none);
  cr_assert_eq(e.a->ping(e.st, err), RG_OK, "%s", err);
  et_close(&e);

  /* a wrong CA: verification fails with a clear error naming the endpoint */
  struct rg_adapter_config wrong = cfg;
  wrong.ca_file = TLSDIR "/other-ca.pem";
  snprintf(uri, sizeof uri, "etcd://127.0.0.1:23379%s", p);
  et_open(&e, uri, &wrong);
  cr_assert_eq(e.a->ping(e.st, err), RG_ECONNECT);
  cr_assert(strstr(err, "https://127.0.0.1:23379") && strstr(err, "certificate"), "%s", err);
  et_close(&e);

  /* no client certificate: the server refuses the handshake */
  struct rg_adapter_config nocert = {.ca_file = TLSDIR "/ca.pem"};
  et_open(&e, uri, &nocert);
  cr_assert_eq(e.a->ping(e.st, err), RG_ECONNECT, "%s", err);
  et_close(&e);

  /* insecure: no CA, verification off, warned about */
  struct rg_adapter_config insecure = {.cert_file = TLSDIR "/client.pem", .key_file = TLSDIR "/client.key",
                                       .tls_insecure = true};
  et_open(&e, uri, &insecure);
  cr_assert_eq(e.a->ping(e.st, err), RG_OK, "%s", err);
  cr_assert(strstr(e.logged, "verification is OFF") != NULL, "%s", e.logged);
  et_close(&e);
}

static bool no_password(const char *s) { return strstr(s, PW) == NULL && strstr(s, "wrong-pw") == NULL; }

/* v2 auth is separate from v3 auth; the same instance has both enabled
 * (one test, so that no other test stops the instance under it). */
static void v2_basic_auth(const char *p) {
  char uri[256], err[RG_ERRBUF] = "";
  snprintf(uri, sizeof uri, "etcd2://127.0.0.1:24379%s", p);
  struct rg_service s = et_svc("h:web:80", "web", "10.0.0.1", 80);
  struct rg_adapter_config bad = {.username = "root", .password = "wrong-pw"};
  struct et e;
  et_open(&e, uri, &bad);
  cr_assert_eq(e.a->register_service(e.st, &s, err), RG_EAUTH, "%s", err);
  cr_assert(no_password(err), "%s", err);
  et_close(&e);
  struct rg_adapter_config good2 = {.username = "root", .password = PW};
  et_open(&e, uri, &good2);
  et_reg(&e, &s);
  char *v = it_sh_ok("curl -s -u root:" PW " http://127.0.0.1:24379/v2/keys%s/web/h:web:80 | jq -r .node.value", p);
  cr_assert_str_eq(v, "10.0.0.1:80\n");
  free(v);
  et_dereg(&e, &s);
  et_close(&e);
}

Test(etcd_auth, v3_token_with_reauthentication_and_v2_basic_auth) {
  free(it_sh_ok("tests/etcd-secure.sh start auth"));
  const char *p = et_prefix();
  char uri[256], err[RG_ERRBUF] = "";
  snprintf(uri, sizeof uri, "etcd://127.0.0.1:24379%s", p);

  struct rg_adapter_config anon = {0};
  struct et e;
  et_open(&e, uri, &anon);
  cr_assert_eq(e.a->ping(e.st, err), RG_EAUTH, "%s", err);
  cr_assert(strstr(err, "set a user name") != NULL, "%s", err);
  et_close(&e);

  struct rg_adapter_config bad = {.username = "root", .password = "wrong-pw"};
  et_open(&e, uri, &bad);
  cr_assert_eq(e.a->ping(e.st, err), RG_EAUTH, "%s", err);
  cr_assert(strstr(err, "authentication as user \"root\" failed") && strstr(err, "127.0.0.1:24379"), "%s", err);
  cr_assert(no_password(err) && no_password(e.logged), "%s / %s", err, e.logged);
  et_close(&e);

  struct rg_adapter_config good = {.username = "root", .password = PW, .ttl = 30};
  et_open(&e, uri, &good);
  cr_assert_eq(e.a->ping(e.st, err), RG_OK, "%s", err);
  struct rg_service s = et_svc("h:web:80", "web", "10.0.0.1", 80);
  et_reg(&e, &s);
  char *v = it_sh_ok("ETCDCTL_API=3 etcdctl --endpoints 127.0.0.1:24379 --user root:" PW
                     " get --print-value-only %s/web/h:web:80", p);
  cr_assert_str_eq(v, "10.0.0.1:80\n");
  free(v);
  /* the instance runs with --auth-token-ttl 1: let the token expire */
  free(it_sh(NULL, "sleep 2.5"));
  struct rg_service s2 = et_svc("h:db:5432", "db", "10.0.0.2", 5432);
  et_reg(&e, &s2);
  cr_assert(strstr(e.logged, "authenticating again") != NULL, "%s", e.logged);
  cr_assert_eq(e.a->refresh(e.st, err), RG_OK, "%s", err);
  et_dereg(&e, &s);
  et_dereg(&e, &s2);
  cr_assert(no_password(e.logged), "%s", e.logged);
  et_close(&e);
  v2_basic_auth(p);
}


