/* fuzz_registry.c - every parser of registry answers (adapters/etcd_req.c:
 * etcd v3 and v2 answers; adapters/skydns.c and adapters/etcd.c: values
 * other hosts wrote; adapters/consul_parse.c: Consul's service lists), each
 * fed the same input. Seeds: answers recorded from a real etcd 3.4 and
 * from the Consul double (tests/fixtures/registry). Whatever the input: no
 * crash, no leak, and a refusal is a code with a message where one is
 * given. */
#include <string.h>

#include "adapters/consul.h"
#include "adapters/etcd.h"
#include "adapters/etcd_req.h"
#include "adapters/skydns.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *body = rg_strndup((const char *)data, size); /* the adapters parse C strings */
  FUZZ_CHECK(body != NULL);
  char err[RG_ERRBUF] = "", msg[256];
  struct rg_kvlist kvs = {0};
  struct rg_strlist keys = {0};
  long ttl = 0, code = 0;
  int64_t id = 0;
  char *token = NULL;
  int rc = rg_etcd3_parse_range(body, &kvs, err);
  FUZZ_CHECK(rc == RG_OK || (rc < 0 && err[0]));
  rc = rg_etcd3_parse_lease_keys(body, &keys, &ttl, err);
  FUZZ_CHECK(rc == RG_OK || (rc < 0 && err[0]));
  rc = rg_etcd2_parse_list(body, &kvs, err);
  FUZZ_CHECK(rc == RG_OK || (rc < 0 && err[0]));
  for (size_t i = 0; i < kvs.n; i++) FUZZ_CHECK(kvs.items[i].key && kvs.items[i].value);
  (void)rg_etcd3_parse_grant(body, &id, &ttl);
  (void)rg_etcd3_parse_keepalive(body, &ttl);
  (void)rg_etcd3_parse_txn(body);
  if (rg_etcd3_parse_token(body, &token) == RG_OK) FUZZ_CHECK(token && token[0]);
  free(token);
  rg_etcd3_error_message(body, msg, sizeof msg);
  rg_etcd2_error(body, &code, msg, sizeof msg);

  /* the input as a value another host wrote under our prefix */
  struct rg_service s;
  rc = rg_skydns_parse_entry("/skydns/local/x", "/skydns/local/x/web/h-web-80-0123456789ab", body, &s, err);
  if (rc == RG_OK) {
    FUZZ_CHECK(s.id && s.name && s.ip);
    rg_service_clear(&s);
  }
  memset(&s, 0, sizeof s);
  if (rg_etcd_parse_entry("/services", "/services/web/h:web:80", body, &s) == RG_OK) rg_service_clear(&s);

  struct rg_service_list l = {0};
  for (int catalog = 0; catalog <= 1; catalog++) {
    rc = rg_consul_parse_services(body, strlen(body), catalog, &l, err);
    FUZZ_CHECK(rc == RG_OK || (rc < 0 && err[0]));
    rg_service_list_free(&l);
  }
  rg_kvlist_free(&kvs);
  rg_strlist_free(&keys);
  free(body);
  return 0;
}
