/* test_skydns.c - the SkyDNS adapter (skydns:// v3, skydns2:// v2) against
 * the real etcd on 127.0.0.1:2379: keys read back and checked against the
 * layout. Each test uses its own domain rgt-<pid>-<n>.local. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/skydns.h"
#include "tests/integration/test_etcd_util.h"

TestSuite(skydns);

/* domain "rgt-<pid>-<n>.local" and its key base "/skydns/local/rgt-<pid>-<n>" */
static void names(char *domain, size_t dn, char *base, size_t bn) {
  const char *p = et_prefix() + 1;
  snprintf(domain, dn, "%s.local", p);
  snprintf(base, bn, "/skydns/local/%s", p);
}

Test(skydns, v3_keys_follow_the_layout_and_are_leased) {
  char domain[64], base[96], uri[160], key[256], label[64];
  names(domain, sizeof domain, base, sizeof base);
  snprintf(uri, sizeof uri, "skydns://" ET_ENDPOINT "/%s", domain);
  struct rg_adapter_config cfg = {.ttl = 30};
  struct et e;
  et_open(&e, uri, &cfg);
  char err[RG_ERRBUF] = "";
  cr_assert_eq(e.a->ping(e.st, err), RG_OK, "%s", err);
  struct rg_service s = et_svc("testhost:web-1:80", "Web", "10.0.0.7", 8080);
  et_reg(&e, &s);
  rg_skydns_id_label(s.id, label);
  snprintf(key, sizeof key, "%s/web/%s", base, label);
  char *v = et3_get(ET_ENDPOINT, key);
  cr_assert(v && strcmp(v, "{\"host\":\"10.0.0.7\",\"port\":8080,\"ttl\":30,"
                          "\"registrator_id\":\"testhost:web-1:80\"}") == 0,
            "%s = %s", key, v);
  free(v);
  cr_assert_eq(strncmp(label, "testhost-web-1-80-", 18), 0, "%s", label);
  char *lease = et3_lease(ET_ENDPOINT, key);
  cr_assert(lease && strcmp(lease, "0") != 0, "skydns:// keys are leased");
  free(lease);
  char err2[RG_ERRBUF] = "";
  cr_assert_eq(e.a->refresh(e.st, err2), RG_OK, "%s", err2);
  /* list() reads our entries back through the registrator_id marker, and
   * leaves an entry without it (another writer's) alone */
  free(it_sh_ok("ETCDCTL_API=3 etcdctl --endpoints=" ET_ENDPOINT " put %s/other/x "
                "'{\"host\":\"10.9.9.9\",\"port\":1}' >/dev/null", base));
  struct rg_service_list found = {0};
  cr_assert_eq(e.a->list(e.st, &found, err), RG_OK, "%s", err);
  cr_assert_eq(found.n, 1);
  cr_expect_str_eq(found.items[0].id, "testhost:web-1:80");
  cr_expect_str_eq(found.items[0].name, "web");
  cr_expect_str_eq(found.items[0].ip, "10.0.0.7");
  cr_expect_eq(found.items[0].port, 8080);
  rg_service_list_free(&found);
  free(it_sh_ok("ETCDCTL_API=3 etcdctl --endpoints=" ET_ENDPOINT " del %s/other/x >/dev/null", base));

  struct rg_service bad = et_svc("testhost:x:80", "my_app", "10.0.0.7", 80);
  cr_assert_eq(e.a->register_service(e.st, &bad, err), RG_EINVAL);
  cr_assert(strstr(err, "\"my_app\" is not a valid DNS label") != NULL, "%s", err);

  et_dereg(&e, &s);
  cr_assert_eq(et3_count(ET_ENDPOINT, base), 0);
  et_close(&e);
  et3_del_prefix(ET_ENDPOINT, base);
}

Test(skydns, v2_keys_follow_the_layout) {
  char domain[64], base[96], uri[160], key[256], label[64];
  names(domain, sizeof domain, base, sizeof base);
  snprintf(uri, sizeof uri, "skydns2://" ET_ENDPOINT "/%s", domain);
  struct rg_adapter_config cfg = {0};
  struct et e;
  et_open(&e, uri, &cfg);
  struct rg_service s = et_svc("testhost:dns:53:udp", "dns", "fd00::53", 53);
  et_reg(&e, &s);
  rg_skydns_id_label(s.id, label);
  snprintf(key, sizeof key, "%s/dns/%s", base, label);
  long ttl = -1;
  char *v = et2_get(ET_ENDPOINT, key, &ttl);
  cr_assert(v && strcmp(v, "{\"host\":\"fd00::53\",\"port\":53,\"ttl\":0,"
                          "\"registrator_id\":\"testhost:dns:53:udp\"}") == 0,
            "%s = %s", key, v);
  cr_assert_eq(ttl, 0, "no -ttl: a permanent key");
  free(v);
  et_dereg(&e, &s);
  cr_assert_null(et2_get(ET_ENDPOINT, key, NULL));
  et_close(&e);
  et2_del(ET_ENDPOINT, "/skydns/local", false); /* only when empty */
  char dir[128];
  snprintf(dir, sizeof dir, "%s", base);
  et2_del(ET_ENDPOINT, dir, true);
}
