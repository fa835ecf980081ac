/* test_etcd_util.c - see test_etcd_util.h. */
#include "tests/integration/test_etcd_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void sink(void *ud, enum rg_log_level level, const char *msg) {
  struct et *e = ud;
  size_t n = strlen(e->logged);
  snprintf(e->logged + n, sizeof e->logged - n, "%s: %s\n", rg_log_level_name(level), msg);
}

int et_try_open(struct et *e, const char *uri, struct rg_adapter_config *cfg, char *err) {
  memset(e, 0, sizeof *e);
  e->log.fn = sink;
  e->log.userdata = e;
  e->log.min = RG_LOG_DEBUG;
  cfg->log = &e->log;
  if (cfg->hostname == NULL) cfg->hostname = "testhost";
  struct rg_uri u = {0};
  int rc = rg_uri_parse(uri, &u, err);
  if (rc == RG_OK) {
    e->a = rg_adapter_find(u.scheme);
    cr_assert_not_null(e->a, "no adapter for %s", uri);
    rc = e->a->open(&e->st, &u, cfg, err);
  }
  rg_uri_free(&u);
  return rc;
}

void et_open(struct et *e, const char *uri, struct rg_adapter_config *cfg) {
  char err[RG_ERRBUF] = "";
  cr_assert_eq(et_try_open(e, uri, cfg, err), RG_OK, "open %s: %s", uri, err);
}

void et_close(struct et *e) {
  if (e->a) e->a->close(e->st);
  e->a = NULL;
  e->st = NULL;
}

struct rg_service et_svc(const char *id, const char *name, const char *ip, int port) {
  struct rg_service s = {0};
  s.id = (char *)id;
  s.name = (char *)name;
  s.ip = (char *)ip;
  s.port = port;
  s.proto = (char *)"tcp";
  s.container_name = (char *)"c";
  return s;
}

void et_reg(struct et *e, const struct rg_service *s) {
  char err[RG_ERRBUF] = "";
  cr_assert_eq(e->a->register_service(e->st, s, err), RG_OK, "register %s: %s", s->id, err);
}

void et_dereg(struct et *e, const struct rg_service *s) {
  char err[RG_ERRBUF] = "";
  cr_assert_eq(e->a->deregister_service(e->st, s, err), RG_OK, "deregister %s: %s", s->id, err);
}

/* The output without its trailing newline, or NULL when empty. */
static char *trimmed(char *out) {
  size_t n = strlen(out);
  while (n > 0 && out[n - 1] == '\n') out[--n] = '\0';
  if (n == 0 || strcmp(out, "null") == 0) {
    free(out);
    return NULL;
  }
  return out;
}

char *et3_get(const char *ep, const char *key) {
  return trimmed(it_sh_ok("ETCDCTL_API=3 etcdctl --endpoints %s get --print-value-only '%s'", ep, key));
}

char *et3_lease(const char *ep, const char *key) {
  return trimmed(it_sh_ok("curl -sf http://%s/v3/kv/range -d \"{\\\"key\\\":\\\"$(printf %%s '%s' | base64 -w0)\\\"}\""
                          " | jq -r 'if .kvs then (.kvs[0].lease // \"0\") else null end'",
                          ep, key));
}

int et3_count(const char *ep, const char *prefix) {
  char *o = it_sh_ok("ETCDCTL_API=3 etcdctl --endpoints %s get --prefix --keys-only '%s' | grep -c . || true",
                     ep, prefix);
  int n = (int)strtol(o, NULL, 10);
  free(o);
  return n;
}

void et3_del_prefix(const char *ep, const char *prefix) {
  free(it_sh(NULL, "ETCDCTL_API=3 etcdctl --endpoints %s del --prefix '%s' >/dev/null 2>&1", ep, prefix));
}

void et3_revoke(const char *ep, const char *lease) {
  free(it_sh_ok("curl -sf http://%s/v3/lease/revoke -d '{\"ID\":\"%s\"}'", ep, lease));
}

char *et2_get(const char *ep, const char *key, long *ttl) {
  char *o = it_sh_ok("curl -s http://%s/v2/keys%s | jq -r '.node | if . then \"\\(.ttl // 0) \\(.value)\" "
                     "else \"\" end'",
                     ep, key);
  char *v = trimmed(o);
  if (v == NULL) return NULL;
  char *sp = strchr(v, ' ');
  cr_assert_not_null(sp);
  if (ttl) *ttl = strtol(v, NULL, 10);
  char *value = strdup(sp + 1);
  free(v);
  return value;
}

void et2_del(const char *ep, const char *key, bool recursive) {
  free(it_sh(NULL, "curl -s -X DELETE 'http://%s/v2/keys%s%s' >/dev/null", ep, key, recursive ? "?recursive=true" : ""));
}

const char *et_prefix(void) {
  static char slots[8][64];
  static unsigned n;
  char *s = slots[n % 8];
  snprintf(s, sizeof slots[0], "/rgt-%ld-%u", (long)getpid(), n);
  n++;
  return s;
}
