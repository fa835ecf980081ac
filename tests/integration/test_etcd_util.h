/* test_etcd_util.h - helpers for the adapters' integration tests against a
 * real etcd (tests/integration/test_etcd*.c, test_skydns*.c). Owned by the
 * adapters' tests. */
#ifndef RG_TESTS_TEST_ETCD_UTIL_H
#define RG_TESTS_TEST_ETCD_UTIL_H

#include <stdbool.h>

#include "adapters/adapter.h"
#include "tests/integration/itest.h"

#define ET_ENDPOINT "127.0.0.1:2379"

/* An open adapter instance plus what its log sink saw. */
struct et {
  const struct rg_adapter *a;
  void *st;
  struct rg_log log;
  char logged[8192]; /* every line, '\n'-separated (truncated) */
};

/* Opens uri with cfg (log is set to e's sink); fails the test on error. */
void et_open(struct et *e, const char *uri, struct rg_adapter_config *cfg);
/* Opens, expecting success or not; returns the code, err filled. */
int et_try_open(struct et *e, const char *uri, struct rg_adapter_config *cfg, char *err);
void et_close(struct et *e);

/* A service with borrowed strings. */
struct rg_service et_svc(const char *id, const char *name, const char *ip, int port);

/* Registers / deregisters, failing the test on error. */
void et_reg(struct et *e, const struct rg_service *s);
void et_dereg(struct et *e, const struct rg_service *s);

/* v3 reads through etcdctl/the gateway on endpoint ep ("127.0.0.1:2379").
 * The value (malloc()ed) or NULL when absent. */
char *et3_get(const char *ep, const char *key);
/* The lease of key ("0" without one, NULL when absent), malloc()ed. */
char *et3_lease(const char *ep, const char *key);
int et3_count(const char *ep, const char *prefix);
void et3_del_prefix(const char *ep, const char *prefix);
void et3_revoke(const char *ep, const char *lease);

/* v2 reads with curl: value or NULL; *ttl (when not NULL) the node's TTL. */
char *et2_get(const char *ep, const char *key, long *ttl);
void et2_del(const char *ep, const char *key, bool recursive);

/* A prefix unique to this process: "/rgt-<pid>-<n>" (static, 8 slots). */
const char *et_prefix(void);

#endif
