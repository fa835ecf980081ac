/* test_etcd_batch.c - batched registration (register_many, etcd v3 txns of
 * at most 128 ops) against the real etcd on 127.0.0.1:2379: through
 * rg_registry_apply and through the adapters. Keys written in one txn share
 * their mod_revision, which is how the tests count txns. Every test writes
 * under its own prefix /rgt-<pid>-<n> and deletes it afterwards. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/etcdkv.h"
#include "adapters/skydns.h"
#include "registrator/registry.h"
#include "tests/integration/test_etcd_util.h"

TestSuite(etcd_batch);

/* ---- helpers ---- */

static char logged[1 << 16];
static void sink(void *ud, enum rg_log_level level, const char *msg) {
  (void)ud;
  size_t n = strlen(logged);
  snprintf(logged + n, sizeof logged - n, "%s: %s\n", rg_log_level_name(level), msg);
}
static const struct rg_log test_log = {.fn = sink, .min = RG_LOG_DEBUG};

static struct rg_registry *open_registry(const char *scheme_host, const char *prefix, int ttl) {
  char uri[256], err[RG_ERRBUF] = "";
  snprintf(uri, sizeof uri, "%s%s", scheme_host, prefix);
  struct rg_adapter_config cfg = {.hostname = "testhost", .ttl = ttl, .log = &test_log};
  struct rg_registry *r = NULL;
  cr_assert_eq(rg_registry_open(&r, uri, &cfg, err), RG_OK, "%s: %s", uri, err);
  return r;
}

/* n services "testhost:c<i>:80" named web<i % 7> (bad: named "a/b"), on
 * IPv4 and (every third) IPv6 addresses; sorted by id. */
static struct rg_service_list services(size_t n, size_t first, size_t bad) {
  struct rg_service_list l = {0};
  for (size_t i = first; i < first + n; i++) {
    char id[48], name[16], ip[32];
    snprintf(id, sizeof id, "testhost:c%04zu:80", i);
    snprintf(name, sizeof name, "web%zu", i % 7);
    if (i % 3) snprintf(ip, sizeof ip, "10.0.%zu.%zu", i / 256, i % 256);
    else snprintf(ip, sizeof ip, "fd00::%zx:%zx", i / 256, i % 256);
    struct rg_service s = {.id = id, .name = i == bad ? "a/b" : name, .ip = ip, .port = (int)(1000 + i),
                           .proto = "tcp", .container_name = "c"};
    cr_assert_eq(rg_service_list_upsert(&l, &s), RG_OK);
  }
  return l;
}

/* One key under a prefix as etcd holds it. */
struct row {
  char key[160], value[160];
  long long rev, lease;
};

/* Every key under prefix + "/" (sorted by key, as etcd returns them) into
 * rows (malloc()ed, the caller frees); returns how many. */
static size_t dump(const char *prefix, struct row **rows) {
  char *o = it_sh_ok("curl -sf http://" ET_ENDPOINT "/v3/kv/range -d \"{\\\"key\\\":\\\"$(printf %%s '%s/' | base64 -w0)"
                     "\\\",\\\"range_end\\\":\\\"$(printf %%s '%s0' | base64 -w0)\\\"}\" | jq -r '.kvs // [] | .[] | "
                     "\"\\(.key | @base64d) \\(.value | @base64d) \\(.mod_revision) \\(.lease // \"0\")\"'",
                     prefix, prefix);
  size_t n = 0, cap = 16;
  *rows = malloc(cap * sizeof **rows);
  for (char *line = strtok(o, "\n"); line; line = strtok(NULL, "\n")) {
    if (n == cap) *rows = realloc(*rows, (cap *= 2) * sizeof **rows);
    struct row *r = &(*rows)[n++];
    cr_assert_eq(sscanf(line, "%159s %159s %lld %lld", r->key, r->value, &r->rev, &r->lease), 4, "%s", line);
  }
  free(o);
  return n;
}

/* How many distinct mod_revisions (= txns) the rows show. */
static size_t revisions(const struct row *rows, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++) seen = rows[j].rev == rows[i].rev;
    k += !seen;
  }
  return k;
}

static int by_key(const void *a, const void *b) {
  return strcmp(((const struct row *)a)->key, ((const struct row *)b)->key);
}

/* The rows of want (its key and value as the etcd adapter writes them),
 * minus the service named "a/b", sorted by key. */
static size_t expected(const char *prefix, const struct rg_service_list *want, struct row *rows) {
  size_t n = 0;
  for (size_t i = 0; i < want->n; i++) {
    const struct rg_service *s = &want->items[i];
    if (strcmp(s->name, "a/b") == 0) continue;
    snprintf(rows[n].key, sizeof rows[n].key, "%s/%s/%s", prefix, s->name, s->id);
    if (strchr(s->ip, ':')) snprintf(rows[n].value, sizeof rows[n].value, "[%s]:%d", s->ip, s->port);
    else snprintf(rows[n].value, sizeof rows[n].value, "%s:%d", s->ip, s->port);
    n++;
  }
  qsort(rows, n, sizeof *rows, by_key);
  return n;
}

/* etcd under prefix holds exactly want (byte for byte); returns the rows. */
static size_t assert_holds(const char *prefix, const struct rg_service_list *want, struct row **got) {
  struct row *exp = calloc(want->n ? want->n : 1, sizeof *exp);
  size_t ne = expected(prefix, want, exp), n = dump(prefix, got);
  cr_assert_eq(n, ne, "%zu keys under %s, want %zu", n, prefix, ne);
  for (size_t i = 0; i < n; i++) {
    cr_assert_str_eq((*got)[i].key, exp[i].key);
    cr_assert_str_eq((*got)[i].value, exp[i].value, "%s", exp[i].key);
  }
  free(exp);
  return n;
}

/* ---- through rg_registry_apply ---- */

static void finish(struct rg_registry *r, struct rg_service_list *want, const char *prefix) {
  rg_service_list_free(want);
  rg_registry_close(r);
  if (prefix) et3_del_prefix(ET_ENDPOINT, prefix);
}

Test(etcd_batch, apply_writes_300_services_in_three_txns_byte_for_byte) {
  const char *p = et_prefix();
  struct rg_registry *r = open_registry("etcd://" ET_ENDPOINT, p, 0);
  struct rg_service_list want = services(300, 0, SIZE_MAX);
  cr_assert_eq(rg_registry_apply(r, &want), 0, "%s", logged);
  cr_assert_eq(r->registered.n, 300);
  struct row *got;
  size_t n = assert_holds(p, &want, &got);
  cr_assert_eq(revisions(got, n), 3, "128 + 128 + 44 puts: three txns");
  cr_assert_eq(got[0].lease, 0, "no TTL: no lease");
  free(got);
  cr_assert(strstr(logged, ": registered testhost:c0299:80 as web5 at 10.0.1.43:1299"), "%s", logged);
  /* in step: a second apply writes nothing */
  cr_assert_eq(rg_registry_apply(r, &want), 0);
  n = dump(p, &got);
  cr_assert_eq(revisions(got, n), 3);
  free(got);
  finish(r, &want, p);
}

Test(etcd_batch, a_refused_service_is_left_out_and_the_others_are_written) {
  const char *p = et_prefix();
  struct rg_registry *r = open_registry("etcd://" ET_ENDPOINT, p, 0);
  struct rg_service_list want = services(10, 0, 4);
  cr_assert_eq(rg_registry_apply(r, &want), 0, "%s", logged);
  cr_assert_eq(r->registered.n, 9);
  cr_assert_eq(r->rejected.n, 1);
  struct row *got;
  size_t n = assert_holds(p, &want, &got);
  cr_assert_eq(revisions(got, n), 1, "the 9 others in one txn");
  free(got);
  cr_assert_null(strstr(logged, "warn: service testhost:c0004:80"), "logged once, not twice: %s", logged);
  cr_assert(strstr(logged, ": register testhost:c0004:80 (container c) refused, not retried until it "
                           "changes: service testhost:c0004:80 (container c) rejected"),
            "%s", logged);
  finish(r, &want, p);
}

Test(etcd_batch, a_revoked_lease_is_regranted_and_every_key_put_again_in_txns) {
  const char *p = et_prefix();
  struct rg_registry *r = open_registry("etcd://" ET_ENDPOINT, p, 30);
  struct rg_service_list want = services(200, 0, SIZE_MAX);
  cr_assert_eq(rg_registry_apply(r, &want), 0, "%s", logged);
  struct row *got;
  size_t n = dump(p, &got);
  cr_assert_eq(n, 200);
  long long old = got[0].lease;
  cr_assert_neq(old, 0, "leased");
  free(got);
  char lease[32];
  snprintf(lease, sizeof lease, "%lld", old);
  et3_revoke(ET_ENDPOINT, lease); /* out of band: the 200 keys go with it */
  cr_assert_eq(et3_count(ET_ENDPOINT, p), 0);
  /* 150 more: the first txn meets the dead lease; a new one is granted, the
   * 200 remembered keys put again (txns of 128) and the batch sent again */
  struct rg_service_list more = services(150, 200, SIZE_MAX);
  cr_assert_eq(rg_service_list_move(&want, &more), RG_OK);
  rg_service_list_sort(&want);
  cr_assert_eq(rg_registry_apply(r, &want), 0, "%s", logged);
  n = assert_holds(p, &want, &got);
  cr_assert_eq(n, 350);
  for (size_t i = 0; i < n; i++)
    cr_assert(got[i].lease != 0 && got[i].lease != old && got[i].lease == got[0].lease, "%s on lease %lld",
              got[i].key, got[i].lease);
  cr_assert_eq(revisions(got, n), 4, "the re-put in 128 + 72, the 150 new in 128 + 22");
  free(got);
  cr_assert(strstr(logged, "has expired; granting a new one"), "%s", logged);
  cr_assert(strstr(logged, "200 keys written again on lease"), "%s", logged);
  finish(r, &want, p);
}

Test(etcd_batch, etcd_down_everything_pending_nothing_remembered) {
  struct rg_registry *r = open_registry("etcd://127.0.0.1:1", "/rgt-down", 30);
  struct rg_service_list want = services(300, 0, 7);
  cr_assert_eq(rg_registry_apply(r, &want), 299, "all but the refused one: %s", logged);
  cr_assert_eq(r->registered.n, 0);
  cr_assert_eq(r->rejected.n, 1);
  cr_assert(strstr(logged, ": register testhost:c0000:80 failed: ") && strstr(logged, "http://127.0.0.1:1"),
            "%s", logged);
  cr_assert(strstr(logged, ": 298 more write(s) postponed until the registry answers"), "%s", logged);
  cr_assert_null(strstr(logged, "register testhost:c0001:80 failed"), "one failure logged: %s", logged);
  finish(r, &want, NULL);

  /* the store itself: every item failed, nothing remembered */
  struct rg_uri u = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(rg_uri_parse("etcd://127.0.0.1:1/x", &u, err), RG_OK);
  struct rg_adapter_config cfg = {.hostname = "h", .ttl = 30, .log = &test_log};
  struct rg_etcdkv *kv;
  cr_assert_eq(rg_etcdkv_open(&kv, 3, &u, &cfg, err), RG_OK, "%s", err);
  struct rg_etcdkv_item items[3] = {{.id = "a", .key = "/x/w/a", .value = "1.2.3.4:1", .rc = 99},
                                    {.id = "b", .key = "/x/w/b", .value = "1.2.3.4:2", .rc = 99},
                                    {.id = "c", .key = "/x/w/c", .value = "1.2.3.4:3", .rc = 99}};
  cr_assert_eq(rg_etcdkv_put_many(kv, items, 3, err), RG_ECONNECT, "%s", err);
  for (int i = 0; i < 3; i++) cr_assert_eq(items[i].rc, RG_ECONNECT);
  cr_assert_eq(kv->n, 0);
  cr_assert_eq(kv->lease, 0);
  rg_etcdkv_close(kv);
  rg_uri_free(&u);
}

/* ---- through the adapters ---- */

static void reg_many(struct et *e, const struct rg_service *svcs, size_t n, int *rcs, char (*errs)[RG_ERRBUF]) {
  const struct rg_service **v = calloc(n, sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = &svcs[i];
  char err[RG_ERRBUF] = "";
  int rc = e->a->register_many(e->st, v, n, rcs, errs, err);
  cr_assert_eq(rc, RG_OK, "%s", err);
  free(v);
}

/* The etcd adapter on prefix, no TTL. */
static void open_etcd(struct et *e, const char *prefix) {
  char uri[256];
  snprintf(uri, sizeof uri, "etcd://" ET_ENDPOINT "%s", prefix);
  struct rg_adapter_config cfg = {0};
  et_open(e, uri, &cfg);
}

Test(etcd_batch, a_renamed_service_moves_in_the_txn_of_its_new_put) {
  const char *p = et_prefix();
  struct et e;
  open_etcd(&e, p);
  enum { N = 130 };
  static struct rg_service s[N];
  static char ids[N][32];
  static int rcs[N];
  static char errs[N][RG_ERRBUF];
  for (size_t i = 0; i < N; i++) {
    snprintf(ids[i], sizeof ids[i], "h:c%03zu:80", i);
    s[i] = et_svc(ids[i], "web", "10.0.0.1", (int)(1000 + i));
  }
  reg_many(&e, s, N, rcs, errs);
  cr_assert_eq(et3_count(ET_ENDPOINT, p), N);
  /* every one renamed: a delete and a put each, 64 services a txn */
  for (size_t i = 0; i < N; i++) s[i].name = "web2";
  reg_many(&e, s, N, rcs, errs);
  for (size_t i = 0; i < N; i++) cr_assert_eq(rcs[i], RG_OK, "%zu: %s", i, errs[i]);
  struct row *got;
  size_t n = dump(p, &got);
  cr_assert_eq(n, N, "the old keys are gone");
  for (size_t i = 0; i < n; i++) cr_assert(strstr(got[i].key, "/web2/h:c"), "%s", got[i].key);
  cr_assert_eq(revisions(got, n), 3, "64 + 64 + 2 renames");
  free(got);
  /* the same id twice in one batch: the second put sees the first */
  struct rg_service twice[2] = {et_svc("h:d:1", "x1", "10.0.0.2", 1), et_svc("h:d:1", "x2", "10.0.0.2", 2)};
  reg_many(&e, twice, 2, rcs, errs);
  char key[256], *v1, *v2;
  snprintf(key, sizeof key, "%s/x1/h:d:1", p);
  cr_assert_null(v1 = et3_get(ET_ENDPOINT, key), "%s = %s", key, v1);
  snprintf(key, sizeof key, "%s/x2/h:d:1", p);
  cr_assert(v2 = et3_get(ET_ENDPOINT, key), "%s is absent", key);
  cr_assert_str_eq(v2, "10.0.0.2:2");
  free(v2);
  et_close(&e);
  et3_del_prefix(ET_ENDPOINT, p);
}

Test(etcd_batch, adapter_reports_each_refusal_and_writes_the_rest) {
  const char *p = et_prefix();
  struct et e;
  open_etcd(&e, p);
  struct rg_service s[4] = {et_svc("h:a:1", "a", "10.0.0.1", 1), et_svc("h:b:2", "..", "10.0.0.1", 2),
                            et_svc("h:c:3", "c", NULL, 3), et_svc("h:d:4", "d", "10.0.0.1", 4)};
  int rcs[4];
  char errs[4][RG_ERRBUF];
  reg_many(&e, s, 4, rcs, errs);
  cr_assert_eq(rcs[0], RG_OK);
  cr_assert_eq(rcs[1], RG_EINVAL);
  cr_assert(strstr(errs[1], "service h:b:2 (container c) rejected: its name \"..\""), "%s", errs[1]);
  cr_assert_eq(rcs[2], RG_EINVAL);
  cr_assert_str_eq(errs[2], "service h:c:3 has no IP address");
  cr_assert_eq(rcs[3], RG_OK);
  cr_assert_str_eq(errs[3], "");
  cr_assert_eq(et3_count(ET_ENDPOINT, p), 2);
  cr_assert_null(strstr(e.logged, "rejected"), "the caller logs the refusal, not the adapter: %s", e.logged);
  et_close(&e);
  et3_del_prefix(ET_ENDPOINT, p);
}

Test(etcd_batch, skydns_and_etcd2_register_many) {
  const char *p = et_prefix();
  char uri[256], base[128], key[256], label[64];
  snprintf(uri, sizeof uri, "skydns://" ET_ENDPOINT "/%s.local", p + 1);
  snprintf(base, sizeof base, "/skydns/local/%s", p + 1);
  struct rg_adapter_config cfg = {.ttl = 30};
  struct et e;
  et_open(&e, uri, &cfg);
  struct rg_service s[3] = {et_svc("h:a:1", "Web", "10.0.0.1", 1), et_svc("h:b:2", "my_app", "10.0.0.1", 2),
                            et_svc("h:c:3", "web", "fd00::1", 3)};
  int rcs[3];
  char errs[3][RG_ERRBUF];
  reg_many(&e, s, 3, rcs, errs);
  cr_assert_eq(rcs[1], RG_EINVAL);
  cr_assert(strstr(errs[1], "\"my_app\" is not a valid DNS label"), "%s", errs[1]);
  rg_skydns_id_label("h:c:3", label);
  snprintf(key, sizeof key, "%s/web/%s", base, label);
  char *v = et3_get(ET_ENDPOINT, key);
  cr_assert(v && strcmp(v, "{\"host\":\"fd00::1\",\"port\":3,\"ttl\":30,\"registrator_id\":\"h:c:3\"}") == 0,
            "%s = %s", key, v);
  free(v);
  cr_assert_eq(et3_count(ET_ENDPOINT, base), 2);
  et_close(&e);
  et3_del_prefix(ET_ENDPOINT, base);

  snprintf(uri, sizeof uri, "etcd2://" ET_ENDPOINT "%s", p);
  struct rg_adapter_config cfg2 = {.ttl = 30};
  et_open(&e, uri, &cfg2);
  s[1].name = "b";
  reg_many(&e, s, 3, rcs, errs);
  snprintf(key, sizeof key, "%s/b/h:b:2", p);
  long ttl = 0;
  v = et2_get(ET_ENDPOINT, key, &ttl);
  cr_assert(v && strcmp(v, "10.0.0.1:2") == 0 && ttl > 0, "%s = %s (ttl %ld)", key, v, ttl);
  free(v);
  snprintf(key, sizeof key, "%s/web/h:c:3", p);
  v = et2_get(ET_ENDPOINT, key, NULL);
  cr_assert_str_eq(v, "[fd00::1]:3");
  free(v);
  et_close(&e);
  et2_del(ET_ENDPOINT, p, true);
}

/* Drift repair (no -cleanup) reads only the keys on this instance's lease:
 * another host's entries under the same prefix cost nothing and are not
 * seen; a key of ours deleted, or overwritten off our lease, is written
 * again. With -cleanup the whole prefix is read. */
Test(etcd_batch, drift_repair_reads_only_the_keys_on_its_lease) {
  const char *p = et_prefix();
  struct rg_registry *r = open_registry("etcd://" ET_ENDPOINT, p, 30);
  struct rg_service_list want = services(5, 0, SIZE_MAX);
  cr_assert_eq(rg_registry_apply(r, &want), 0, "%s", logged);
  /* not ours, though its ID has our hostname: only a full listing sees it */
  free(it_sh_ok("ETCDCTL_API=3 etcdctl --endpoints=" ET_ENDPOINT " put %s/web9/testhost:other:80 10.9.9.9:80"
                " >/dev/null", p));
  char k0[160], k1[160];
  snprintf(k0, sizeof k0, "%s/web0/testhost:c0000:80", p);
  snprintf(k1, sizeof k1, "%s/web1/testhost:c0001:80", p);
  free(it_sh_ok("ETCDCTL_API=3 etcdctl --endpoints=" ET_ENDPOINT " del %s >/dev/null", k0));
  free(it_sh_ok("ETCDCTL_API=3 etcdctl --endpoints=" ET_ENDPOINT " put %s 10.1.1.1:1000 >/dev/null", k1));

  struct rg_service_list own = {0};
  char err[RG_ERRBUF] = "";
  cr_assert_eq(r->adapter->list_own(r->state, &own, err), RG_OK, "%s", err);
  cr_assert_eq(own.n, 3, "the three keys still on the lease, got %zu", own.n);
  rg_service_list_sort(&own);
  cr_assert_str_eq(own.items[0].id, "testhost:c0002:80");
  cr_assert_str_eq(own.items[0].name, "web2");
  rg_service_list_free(&own);

  size_t drifted = 0;
  cr_assert_eq(rg_registry_verify(r, &want, "testhost", false, &drifted), 0, "%s", logged);
  cr_assert_eq(drifted, 2, "the deleted key and the one taken off the lease");
  cr_assert_eq(rg_registry_apply(r, &want), 0, "%s", logged);
  struct row *got;
  size_t n = dump(p, &got);
  cr_assert_eq(n, 6);
  for (size_t i = 0; i < n; i++) /* ours on the lease again; the other entry untouched */
    cr_assert((strstr(got[i].key, "testhost:other") != NULL) == (got[i].lease == 0), "%s %lld", got[i].key,
              got[i].lease);
  free(got);
  cr_assert_eq(rg_registry_verify(r, &want, "testhost", false, &drifted), 0, "%s", logged);
  cr_assert_eq(drifted, 0);
  cr_assert_eq(rg_registry_verify(r, &want, "testhost", true, &drifted), 0, "%s", logged);
  char ko[160];
  snprintf(ko, sizeof ko, "%s/web9/testhost:other:80", p);
  char *left = et3_get(ET_ENDPOINT, ko);
  cr_assert_null(left, "-cleanup lists the prefix and removes the dangling entry: %s", left ? left : "");
  finish(r, &want, p);
}
