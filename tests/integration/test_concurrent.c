/* test_concurrent.c - requests in flight at once (adapters/http_multi.c)
 * through rg_registry_apply and the adapters: the Consul double (agent and
 * catalog; it counts the requests it held at once and keeps each body it
 * got) and the real etcd on 127.0.0.1:2379 through the v2 keys API (etcd2://,
 * skydns2://), 300+ services each, every body and key checked byte for
 * byte. The double listens on 127.0.0.1:28501-28505; etcd keys go under
 * /h17-<pid>-<n> and are deleted afterwards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "adapters/consul.h"
#include "adapters/etcd.h"
#include "adapters/skydns.h"
#include "registrator/registry.h"
#include "tests/integration/test_consul_double.h"
#include "tests/integration/test_etcd_util.h"

TestSuite(concurrent);

#define NSVC 320

static char logged[1 << 16];
static void sink(void *ud, enum rg_log_level level, const char *msg) {
  (void)ud;
  size_t n = strlen(logged);
  if (level >= RG_LOG_WARN) snprintf(logged + n, sizeof logged - n, "%s: %s\n", rg_log_level_name(level), msg);
}
static const struct rg_log test_log = {.fn = sink, .min = RG_LOG_DEBUG};

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct rg_registry *open_uri(const char *uri, long timeout_ms) {
  char err[RG_ERRBUF] = "";
  struct rg_adapter_config cfg = {.hostname = "testhost", .log = &test_log, .max_in_flight = 8,
                                  .timeout_ms = timeout_ms};
  struct rg_registry *r = NULL;
  logged[0] = '\0';
  cr_assert_eq(rg_registry_open(&r, uri, &cfg, err), RG_OK, "%s: %s", uri, err);
  return r;
}

/* n services "testhost:c<i>:80" named web<i % 7> (renamed: api<i % 7>), with
 * two tags and a version attribute; sorted by id. */
static struct rg_service_list services(size_t n, bool renamed) {
  struct rg_service_list l = {0};
  for (size_t i = 0; i < n; i++) {
    char id[48], name[32], ip[48], ver[24];
    snprintf(id, sizeof id, "testhost:c%04zu:80", i);
    snprintf(name, sizeof name, "%s%zu", renamed ? "api" : "web", i % 7);
    snprintf(ip, sizeof ip, "10.0.%zu.%zu", i / 256, i % 256);
    snprintf(ver, sizeof ver, "v%zu", i);
    struct rg_service s = {.id = id, .name = name, .ip = ip, .port = (int)(1000 + i), .proto = "tcp",
                           .container_name = "c"};
    rg_strlist_add(&s.tags, "blue");
    rg_strlist_add(&s.tags, i % 2 ? "odd" : "even");
    rg_kvlist_add(&s.attrs, "version", ver);
    cr_assert_eq(rg_service_list_upsert(&l, &s), RG_OK);
    rg_strlist_free(&s.tags);
    rg_kvlist_free(&s.attrs);
  }
  return l;
}

static yajl_val get_json(const struct cdouble *d, const char *path) {
  char *o = cd_get(d, NULL, path, "");
  char msg[128];
  yajl_val v = yajl_tree_parse(o, msg, sizeof msg);
  cr_assert_not_null(v, "%s: %s", path, msg);
  free(o);
  return v;
}

static long long stat_of(const struct cdouble *d, const char *name, bool reset) {
  yajl_val v = get_json(d, reset ? "/_double/stats?reset=1" : "/_double/stats");
  const char *path[] = {name, NULL};
  yajl_val x = yajl_tree_get(v, path, yajl_t_number);
  cr_assert_not_null(x);
  long long n = YAJL_GET_INTEGER(x);
  yajl_tree_free(v);
  return n;
}

/* Every service's registration body, as the double got it, equals the one
 * built for it. */
static void check_bodies(const struct cdouble *d, const struct rg_service_list *l, const char *node) {
  yajl_val bodies = get_json(d, "/_double/bodies");
  cr_assert(YAJL_IS_OBJECT(bodies));
  for (size_t i = 0; i < l->n; i++) {
    struct rg_buf want = {0};
    struct rg_consul_notes notes = {0};
    int rc = node ? rg_consul_catalog_body(&want, node, &l->items[i], &notes)
                  : rg_consul_agent_body(&want, &l->items[i], 0, &notes);
    cr_assert_eq(rc, RG_OK);
    const char *path[] = {l->items[i].id, NULL};
    yajl_val got = yajl_tree_get(bodies, path, yajl_t_string);
    cr_assert_not_null(got, "no body for %s", l->items[i].id);
    cr_assert_str_eq(YAJL_GET_STRING(got), want.data, "%s", l->items[i].id);
    rg_buf_free(&want);
    rg_consul_notes_free(&notes);
  }
  yajl_tree_free(bodies);
}

/* How many members the object at path has (after walking key, if any). */
static size_t members(const struct cdouble *d, const char *path, const char *key) {
  yajl_val v = get_json(d, path);
  const char *p[] = {key, NULL};
  yajl_val o = key ? yajl_tree_get(v, p, yajl_t_object) : v;
  size_t n = o && YAJL_IS_OBJECT(o) ? o->u.object.len : 0;
  yajl_tree_free(v);
  return n;
}

static void consul_round(bool catalog, int port) {
  struct cdouble d = {0};
  cd_start(&d, port, "--delay-ms 20 --quiet");
  char uri[96];
  snprintf(uri, sizeof uri, "%s://127.0.0.1:%d", catalog ? "consul-catalog" : "consul", port);
  struct rg_registry *r = open_uri(uri, 5000);
  struct rg_service_list want = services(NSVC, false);
  stat_of(&d, "requests", true);
  double t0 = now_s();
  cr_assert_eq(rg_registry_apply(r, &want), 0, "%s", logged);
  double took = now_s() - t0;
  cr_assert_eq(stat_of(&d, "requests", false), NSVC, "one request per service");
  cr_assert_eq(stat_of(&d, "in_flight_max", true), 8, "the cap, and no more");
  /* one at a time would take 320 x 20 ms = 6.4 s; 8 at once 0.8 s (margin for a busy host) */
  cr_assert_lt(took, 4.0, "8 in flight: %.2f s", took);
  check_bodies(&d, &want, catalog ? "testhost" : NULL);
  if (catalog) cr_assert_eq(members(&d, "/v1/catalog/node/testhost", "Services"), NSVC);
  else cr_assert_eq(members(&d, "/v1/agent/services", NULL), NSVC);
  stat_of(&d, "requests", true);
  cr_assert_eq(rg_registry_deregister_all(r), 0, "%s", logged);
  cr_assert_eq(stat_of(&d, "requests", false), NSVC, "one deregistration per service");
  cr_assert_eq(stat_of(&d, "in_flight_max", false), 8);
  if (catalog) cr_assert_eq(members(&d, "/v1/catalog/node/testhost", "Services"), 0);
  else cr_assert_eq(members(&d, "/v1/agent/services", NULL), 0);
  rg_service_list_free(&want);
  rg_registry_close(r);
  cd_stop(&d);
}

Test(concurrent, consul_agent_gets_320_services_8_at_once_byte_for_byte, .timeout = 60) {
  consul_round(false, 28501);
}

Test(concurrent, consul_catalog_gets_320_services_8_at_once_byte_for_byte, .timeout = 60) {
  consul_round(true, 28502);
}

Test(concurrent, a_failed_request_fails_only_its_service, .timeout = 60) {
  struct cdouble d = {0};
  cd_start(&d, 28503, "--fail-first 5 --quiet");
  struct rg_registry *r = open_uri("consul://127.0.0.1:28503", 5000);
  struct rg_service_list want = services(100, false);
  const struct rg_service *v[100];
  int rcs[100];
  static char errs[100][RG_ERRBUF];
  char err[RG_ERRBUF] = "";
  for (size_t i = 0; i < 100; i++) v[i] = &want.items[i];
  cr_assert_eq(r->adapter->register_many(r->state, v, 100, rcs, errs, err), RG_EAGAIN);
  size_t failed = 0;
  for (size_t i = 0; i < 100; i++) {
    if (rcs[i] == RG_OK) continue;
    failed++;
    cr_assert_eq(rcs[i], RG_EAGAIN);
    cr_assert(strstr(errs[i], want.items[i].id) && strstr(errs[i], "injected failure"), "%s", errs[i]);
  }
  cr_assert_eq(failed, 5, "the first 5 requests to arrive failed, and nothing else");
  cr_assert_eq(members(&d, "/v1/agent/services", NULL), 95);
  /* through the core: what failed is written on the next pass */
  cr_assert_eq(rg_registry_apply(r, &want), 0, "%s", logged);
  cr_assert_eq(members(&d, "/v1/agent/services", NULL), 100);
  check_bodies(&d, &want, NULL);
  rg_service_list_free(&want);
  rg_registry_close(r);
  cd_stop(&d);
}

Test(concurrent, a_registry_that_does_not_answer_costs_one_timeout_per_pass, .timeout = 60) {
  struct cdouble d = {0};
  cd_start(&d, 28504, "--delay-ms 3000 --quiet");
  stat_of(&d, "requests", true);
  struct rg_registry *r = open_uri("consul://127.0.0.1:28504", 500);
  struct rg_service_list want = services(NSVC, false);
  double t0 = now_s();
  cr_assert_eq(rg_registry_apply(r, &want), NSVC);
  double took = now_s() - t0;
  cr_assert_lt(took, 3.0, "one timeout of 0.5 s, not one per request (160 s): %.2f s", took);
  cr_assert_leq(stat_of(&d, "requests", false), 8, "only the first requests in flight were sent");
  rg_service_list_free(&want);
  rg_registry_close(r);
  cd_stop(&d);
}

Test(concurrent, heartbeats_go_at_once_and_a_restarted_agent_gets_every_service_again, .timeout = 60) {
  struct cdouble d = {0};
  cd_start(&d, 28505, "--delay-ms 20 --quiet");
  char err[RG_ERRBUF] = "";
  struct rg_adapter_config cfg = {.hostname = "testhost", .log = &test_log, .max_in_flight = 8, .ttl = 30,
                                  .ttl_refresh = 10};
  struct rg_registry *r = NULL;
  logged[0] = '\0';
  cr_assert_eq(rg_registry_open(&r, "consul://127.0.0.1:28505", &cfg, err), RG_OK, "%s", err);
  struct rg_service_list want = services(NSVC, false);
  cr_assert_eq(rg_registry_apply(r, &want), 0, "%s", logged);
  stat_of(&d, "requests", true);
  double t0 = now_s();
  cr_assert_eq(rg_registry_refresh(r, err), RG_OK, "%s", err);
  double took = now_s() - t0;
  cr_assert_eq(stat_of(&d, "requests", false), NSVC, "one heartbeat per service");
  cr_assert_eq(stat_of(&d, "in_flight_max", true), 8);
  cr_assert_lt(took, 4.0, "8 in flight (one at a time: 6.4 s): %.2f s", took);
  yajl_val checks = get_json(&d, "/v1/agent/checks");
  cr_assert_eq(checks->u.object.len, NSVC);
  for (size_t i = 0; i < checks->u.object.len; i++) {
    const char *path[] = {"Status", NULL};
    yajl_val st = yajl_tree_get(checks->u.object.values[i], path, yajl_t_string);
    cr_assert_not_null(st);
    cr_assert_str_eq(YAJL_GET_STRING(st), "passing", "%s", checks->u.object.keys[i]);
  }
  yajl_tree_free(checks);
  /* the agent restarts and forgets everything: the next refresh registers every service again */
  cd_stop(&d);
  cd_start(&d, 28505, "--delay-ms 20 --quiet");
  cr_assert_eq(members(&d, "/v1/agent/services", NULL), 0);
  cr_assert_eq(rg_registry_refresh(r, err), RG_OK, "%s", err);
  cr_assert_eq(members(&d, "/v1/agent/services", NULL), NSVC);
  yajl_val bodies = get_json(&d, "/_double/bodies");
  for (size_t i = 0; i < want.n; i++) { /* with the TTL check -ttl adds */
    struct rg_buf b = {0};
    struct rg_consul_notes notes = {0};
    cr_assert_eq(rg_consul_agent_body(&b, &want.items[i], 30, &notes), RG_OK);
    const char *path[] = {want.items[i].id, NULL};
    yajl_val got = yajl_tree_get(bodies, path, yajl_t_string);
    cr_assert_not_null(got, "%s", want.items[i].id);
    cr_assert_str_eq(YAJL_GET_STRING(got), b.data, "%s", want.items[i].id);
    rg_buf_free(&b);
    rg_consul_notes_free(&notes);
  }
  yajl_tree_free(bodies);
  rg_service_list_free(&want);
  rg_registry_close(r);
  cd_stop(&d);
}

/* ---- etcd v2 keys API ---- */

struct kv {
  char key[200], value[200];
};

static int by_key(const void *a, const void *b) {
  return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

/* Every leaf under prefix (v2, recursive), sorted by key; returns how many. */
static size_t dump2(const char *prefix, struct kv **out, long *min_ttl) {
  char *o = it_sh_ok("curl -s 'http://" ET_ENDPOINT "/v2/keys%s?recursive=true' | jq -r '[.. | objects | "
                     "select(has(\"value\"))] | .[] | \"\\(.ttl // 0)\\t\\(.key)\\t\\(.value)\"'",
                     prefix);
  size_t n = 0, cap = 64;
  *out = malloc(cap * sizeof **out);
  *min_ttl = -1;
  for (char *save = NULL, *line = strtok_r(o, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (n == cap) *out = realloc(*out, (cap *= 2) * sizeof **out);
    char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
    cr_assert(t1 && t2, "%s", line);
    long ttl = strtol(line, NULL, 10);
    if (*min_ttl < 0 || ttl < *min_ttl) *min_ttl = ttl;
    snprintf((*out)[n].key, sizeof (*out)[n].key, "%.*s", (int)(t2 - t1 - 1), t1 + 1);
    snprintf((*out)[n].value, sizeof (*out)[n].value, "%s", t2 + 1);
    n++;
  }
  free(o);
  qsort(*out, n, sizeof **out, by_key);
  return n;
}

/* The keys and values the v2 store must hold for l, sorted by key. */
static size_t expected2(bool skydns, const char *base, const struct rg_service_list *l, struct kv **out) {
  *out = calloc(l->n + 1, sizeof **out);
  for (size_t i = 0; i < l->n; i++) {
    const struct rg_service *s = &l->items[i];
    struct rg_buf k = {0}, v = {0};
    if (skydns) {
      cr_assert_eq(rg_skydns_key(&k, base, s->name, s->id), RG_OK);
      cr_assert_eq(rg_skydns_value(&v, s->ip, s->port, 30, s->id), RG_OK);
    } else {
      cr_assert_eq(rg_etcd_key(&k, base, s->name, s->id), RG_OK);
      cr_assert_eq(rg_etcd_value(&v, s->ip, s->port), RG_OK);
    }
    snprintf((*out)[i].key, sizeof (*out)[i].key, "%s", k.data);
    snprintf((*out)[i].value, sizeof (*out)[i].value, "%s", v.data);
    rg_buf_free(&k);
    rg_buf_free(&v);
  }
  qsort(*out, l->n, sizeof **out, by_key);
  return l->n;
}

static void check2(bool skydns, const char *base, const struct rg_service_list *l, long ttl_at_least) {
  struct kv *got, *want;
  long min_ttl;
  size_t n = dump2(base, &got, &min_ttl), m = expected2(skydns, base, l, &want);
  cr_assert_eq(n, m, "keys under %s", base);
  for (size_t i = 0; i < n; i++) {
    cr_assert_str_eq(got[i].key, want[i].key);
    cr_assert_str_eq(got[i].value, want[i].value, "%s", got[i].key);
  }
  if (n) cr_assert_geq(min_ttl, ttl_at_least, "every key carries the TTL");
  free(got);
  free(want);
}

static void v2_round(bool skydns) {
  char prefix[96], base[160], uri[256];
  snprintf(prefix, sizeof prefix, "/h17-%ld-%s", (long)getpid(), skydns ? "dns" : "kv");
  if (skydns) snprintf(base, sizeof base, "/skydns/%s/h17", prefix + 1); /* domain h17.<prefix> */
  else snprintf(base, sizeof base, "%s", prefix);
  if (skydns) snprintf(uri, sizeof uri, "skydns2://" ET_ENDPOINT "/h17.%s", prefix + 1);
  else snprintf(uri, sizeof uri, "etcd2://" ET_ENDPOINT "%s", prefix);
  const char *top = skydns ? base : prefix;
  et2_del(ET_ENDPOINT, top, true);
  char err[RG_ERRBUF] = "";
  struct rg_adapter_config cfg = {.hostname = "testhost", .log = &test_log, .ttl = 30, .ttl_refresh = 10,
                                  .max_in_flight = 8};
  struct rg_registry *r = NULL;
  logged[0] = '\0';
  cr_assert_eq(rg_registry_open(&r, uri, &cfg, err), RG_OK, "%s: %s", uri, err);
  struct rg_service_list want = services(NSVC + 10, false), renamed = services(NSVC + 10, true);
  cr_assert_eq(rg_registry_apply(r, &want), 0, "%s", logged);
  check2(skydns, base, &want, 25);
  /* renamed: each old key is deleted before the new one is put */
  cr_assert_eq(rg_registry_apply(r, &renamed), 0, "%s", logged);
  check2(skydns, base, &renamed, 25);
  cr_assert_eq(rg_registry_refresh(r, err), RG_OK, "%s", err);
  check2(skydns, base, &renamed, 25);
  cr_assert_eq(rg_registry_deregister_all(r), 0, "%s", logged);
  check2(skydns, base, &(struct rg_service_list){0}, 0);
  rg_service_list_free(&want);
  rg_service_list_free(&renamed);
  rg_registry_close(r);
  et2_del(ET_ENDPOINT, top, true);
}

Test(concurrent, etcd2_holds_330_keys_byte_for_byte_after_writes_renames_and_refresh, .timeout = 120) {
  v2_round(false);
}

Test(concurrent, skydns2_holds_330_keys_byte_for_byte_after_writes_renames_and_refresh, .timeout = 120) {
  v2_round(true);
}
