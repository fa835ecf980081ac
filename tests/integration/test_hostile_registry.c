/* Hostile registry content end to end: JSON nested 400,000 levels deep or
 * over the size limits, written under a SkyDNS domain by "another host"
 * (etcd v3 and v2 at 127.0.0.1:2379), read by the real registrator binary
 * ($RG_BIN) in one-shot and daemon mode, and by the adapter's drift-repair
 * read. Each test has its own domain rgt-<pid>-<n>.local; Docker is the
 * fake endpoint of tests/hostile/fake_docker.py listing no container, so
 * what is registered is only what the test put there. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/skydns.h"
#include "tests/integration/test_consul_double.h"
#include "tests/integration/test_etcd_util.h"

#define FAKE "tests/hostile/fake_docker.py"
#define DEEP_HALF 400000

IT_SUITE(hostile_registry);

struct fake {
  long pid;
  char sock[108], log[256], out[256], inspect[256];
};

static bool fake_ready(void *ud) {
  struct fake *f = ud;
  char *o = it_sh(NULL, "grep -c READY %s 2>/dev/null", f->log);
  bool ok = atoi(o) > 0;
  free(o);
  return ok;
}

static void fake_start(struct fake *f) {
  const char *n = it_name("rgt-hr");
  snprintf(f->sock, sizeof f->sock, "/tmp/%s.sock", n);
  snprintf(f->log, sizeof f->log, "/tmp/%s.fake.log", n);
  snprintf(f->out, sizeof f->out, "/tmp/%s.fake.out", n);
  snprintf(f->inspect, sizeof f->inspect, "/tmp/%s.inspect.json", n);
  free(it_sh_ok("echo '{}' > %s; rm -f %s", f->inspect, f->log));
  f->pid = it_spawn(f->out, "python3 %s %s %s quiet %s", FAKE, f->sock, f->log, f->inspect);
  cr_assert(it_wait(10, fake_ready, f), "the fake Docker endpoint did not start");
}

static void fake_stop(struct fake *f) {
  kill((pid_t)f->pid, SIGTERM);
  it_wait_exit(f->pid, 5);
  free(it_sh(NULL, "rm -f %s %s %s %s", f->sock, f->log, f->out, f->inspect));
}

/* Writes key = value through the v3 gateway or the v2 keys API; the value
 * is made by the python expression expr (too big for a command line). */
static void put_py(int version, const char *key, const char *expr) {
  free(it_sh_ok(
      "python3 -c 'import base64,json,urllib.request,urllib.parse\n"
      "k,v=\"%s\",%s\n"
      "if %d==3:\n"
      " b=json.dumps({\"key\":base64.b64encode(k.encode()).decode(),\"value\":base64.b64encode(v.encode()).decode()})\n"
      " urllib.request.urlopen(\"http://" ET_ENDPOINT "/v3/kv/put\",b.encode()).read()\n"
      "else:\n"
      " r=urllib.request.Request(\"http://" ET_ENDPOINT "/v2/keys\"+k,urllib.parse.urlencode({\"value\":v}).encode(),method=\"PUT\")\n"
      " urllib.request.urlopen(r).read()'",
      key, expr, version));
}

/* "/skydns/local/<p>" for the domain "<p>.local" */
static void domain_of(char *domain, size_t dn, char *base, size_t bn) {
  const char *p = et_prefix() + 1;
  snprintf(domain, dn, "%s.local", p);
  snprintf(base, bn, "/skydns/local/%s", p);
}

/* A SkyDNS entry as the adapter writes it (marker included). */
static void put_entry(int version, const char *base, const char *id, const char *name, const char *ip) {
  char label[64], key[256], expr[512];
  rg_skydns_id_label(id, label);
  snprintf(key, sizeof key, "%s/%s/%s", base, name, label);
  snprintf(expr, sizeof expr, "json.dumps({\"host\":\"%s\",\"port\":80,\"ttl\":0,\"registrator_id\":\"%s\"})", ip,
           id);
  put_py(version, key, expr);
}

static bool present(int version, const char *base, const char *id, const char *name) {
  char label[64], key[256];
  rg_skydns_id_label(id, label);
  snprintf(key, sizeof key, "%s/%s/%s", base, name, label);
  char *v = version == 3 ? et3_get(ET_ENDPOINT, key) : et2_get(ET_ENDPOINT, key, NULL);
  bool there = v != NULL;
  free(v);
  return there;
}

/* The domain holds: a value nested 400,000 deep (800 kB: over the size
 * limit), one nested 1,000 deep (small: over the depth limit), another
 * host's good entry, and a dangling entry of ours (host "rgh"). */
static void hostile_domain(int version, const char *base) {
  char key[256], expr[128];
  snprintf(key, sizeof key, "%s/web/deep", base);
  snprintf(expr, sizeof expr, "\"[\"*%d+\"]\"*%d", DEEP_HALF, DEEP_HALF);
  put_py(version, key, expr);
  snprintf(key, sizeof key, "%s/web/nested", base);
  put_py(version, key, "\"[\"*1000+\"]\"*1000");
  put_entry(version, base, "otherhost:web:80", "web", "10.9.9.9");
  put_entry(version, base, "rgh:gone:80", "web", "10.1.1.1");
}

static void expect_survived(const char *what, const char *log, const char *base) {
  char want[512];
  snprintf(want, sizeof want, "SkyDNS entry %s/web/deep: JSON document of %d bytes exceeds the limit of 65536",
           base, 2 * DEEP_HALF);
  cr_expect(strstr(log, want) != NULL, "%s: the log does not name the deep entry:\n%s", what, log);
  snprintf(want, sizeof want, "SkyDNS entry %s/web/nested: JSON nested deeper than 64 levels", base);
  cr_expect(strstr(log, want) != NULL, "%s: the log does not name the nested entry:\n%s", what, log);
  cr_expect(strstr(log, "Sanitizer") == NULL, "%s: sanitizer report:\n%s", what, log);
}

static void one_shot_case(int version) {
  char domain[64], base[96];
  domain_of(domain, sizeof domain, base, sizeof base);
  hostile_domain(version, base);
  struct fake f;
  fake_start(&f);
  int st = -1;
  char *log = it_sh(&st, "env DOCKER_HOST=unix://%s %s resync -cleanup -hostname rgh -ip 127.0.0.1 %s://" ET_ENDPOINT
                    "/%s 2>&1", f.sock, it_bin(), version == 3 ? "skydns" : "skydns2", domain);
  cr_expect_eq(st, 0, "resync did not survive (status %d):\n%s", st, log);
  expect_survived("resync", log, base);
  cr_expect(strstr(log, "cleanup: web/rgh:gone:80 has no running container") != NULL, "%s", log);
  cr_expect_not(present(version, base, "rgh:gone:80", "web"), "our dangling entry was not removed");
  cr_expect(present(version, base, "otherhost:web:80", "web"), "another host's entry was touched");
  free(log);
  fake_stop(&f);
  if (version == 3) et3_del_prefix(ET_ENDPOINT, base);
  else et2_del(ET_ENDPOINT, base, true);
}

/* The reproduction: `registrator resync -cleanup skydns://...`
 * died with SIGSEGV in yajl_tree_free. */
Test(hostile_registry, skydns_v3_one_shot_survives_deep_values_and_cleans_up) { one_shot_case(3); }

Test(hostile_registry, skydns_v2_one_shot_survives_deep_values_and_cleans_up) { one_shot_case(2); }

struct logw {
  const char *path, *needle;
  int n;
};

static bool log_count(void *ud) {
  struct logw *w = ud;
  char *o = it_sh(NULL, "grep -cF -- '%s' %s 2>/dev/null", w->needle, w->path);
  bool ok = atoi(o) >= w->n;
  free(o);
  return ok;
}

/* The daemon with -cleanup reads the whole domain on every resync: it logs
 * the hostile entries each pass and keeps running. */
Test(hostile_registry, skydns_daemon_survives_deep_values_on_every_pass) {
  char domain[64], base[96], dlog[128];
  domain_of(domain, sizeof domain, base, sizeof base);
  hostile_domain(3, base);
  struct fake f;
  fake_start(&f);
  snprintf(dlog, sizeof dlog, "/tmp/%s.log", it_name("rgt-hrd"));
  long pid = it_spawn(dlog, "env DOCKER_HOST=unix://%s %s -cleanup -resync 1 -hostname rgh -ip 127.0.0.1 skydns://"
                      ET_ENDPOINT "/%s", f.sock, it_bin(), domain);
  struct logw w = {dlog, "JSON nested deeper than 64 levels", 3};
  cr_expect(it_wait(60, log_count, &w), "fewer than 3 passes logged the nested entry");
  cr_expect_eq(kill((pid_t)pid, 0), 0, "the daemon died");
  cr_expect_not(present(3, base, "rgh:gone:80", "web"), "our dangling entry was not removed");
  cr_expect(present(3, base, "otherhost:web:80", "web"), "another host's entry was touched");
  kill((pid_t)pid, SIGTERM);
  int st = it_wait_exit(pid, 20);
  char *log = it_sh(NULL, "cat %s", dlog);
  cr_expect_eq(st, 0, "the daemon did not exit 0 (status %d)", st);
  expect_survived("daemon", log, base);
  free(log);
  free(it_sh(NULL, "rm -f %s", dlog));
  fake_stop(&f);
  et3_del_prefix(ET_ENDPOINT, base);
}

/* SkyDNS on etcd v3 with a TTL: drift repair reads only the keys on its own
 * lease, while the domain holds another host's 1,000 entries (and a hostile
 * one, which would be logged if it were read). */
Test(hostile_registry, skydns_v3_drift_repair_reads_only_its_own_lease) {
  char domain[64], base[96], uri[160];
  domain_of(domain, sizeof domain, base, sizeof base);
  snprintf(uri, sizeof uri, "skydns://" ET_ENDPOINT "/%s", domain);
  struct rg_adapter_config ocfg = {.ttl = 60}, mcfg = {.ttl = 30};
  struct et other, mine;
  et_open(&other, uri, &ocfg);
  et_open(&mine, uri, &mcfg);
  enum { N = 1000 };
  static char ids[N][32];
  static struct rg_service svcs[N];
  static const struct rg_service *ptrs[N];
  static int rcs[N];
  static char errs[N][RG_ERRBUF];
  for (int i = 0; i < N; i++) {
    snprintf(ids[i], sizeof ids[i], "otherhost:c%04d:80", i);
    svcs[i] = et_svc(ids[i], "web", "10.2.0.1", 80);
    ptrs[i] = &svcs[i];
  }
  char err[RG_ERRBUF] = "";
  cr_assert_eq(other.a->register_many(other.st, ptrs, N, rcs, errs, err), RG_OK, "%s", err);
  struct rg_service m[3] = {et_svc("mine:a:80", "web", "10.3.0.1", 80), et_svc("mine:b:80", "web", "10.3.0.1", 81),
                            et_svc("mine:c:80", "db", "10.3.0.1", 82)};
  for (int i = 0; i < 3; i++) et_reg(&mine, &m[i]);
  char key[256];
  snprintf(key, sizeof key, "%s/web/nested", base);
  put_py(3, key, "\"[\"*1000+\"]\"*1000");
  cr_assert_eq(et3_count(ET_ENDPOINT, base), N + 4);

  struct rg_service_list own = {0};
  cr_assert_eq(mine.a->list_own(mine.st, &own, err), RG_OK, "%s", err);
  cr_expect_eq(own.n, 3, "only the keys on our lease, got %zu", own.n);
  rg_service_list_sort(&own);
  cr_expect_str_eq(own.items[0].id, "mine:a:80");
  rg_service_list_free(&own);
  cr_expect(strstr(mine.logged, "SkyDNS entry") == NULL, "the domain was read: %s", mine.logged);

  char label[64];
  rg_skydns_id_label("mine:b:80", label);
  snprintf(key, sizeof key, "%s/web/%s", base, label);
  free(it_sh_ok("ETCDCTL_API=3 etcdctl --endpoints=" ET_ENDPOINT " del %s >/dev/null", key));
  cr_assert_eq(mine.a->list_own(mine.st, &own, err), RG_OK, "%s", err);
  cr_expect_eq(own.n, 2, "a deleted key of ours reads as missing (drift), got %zu", own.n);
  rg_service_list_free(&own);

  struct rg_service_list all = {0};
  cr_assert_eq(mine.a->list(mine.st, &all, err), RG_OK, "%s", err);
  cr_expect_eq(all.n, N + 2, "-cleanup's listing reads the whole domain, got %zu", all.n);
  rg_service_list_free(&all);
  cr_expect(strstr(mine.logged, "JSON nested deeper than 64 levels") != NULL, "%s", mine.logged);
  et_close(&mine);
  et_close(&other);
  et3_del_prefix(ET_ENDPOINT, base);
}

/* A Consul agent (the double) that answers the service list nested 400,000
 * levels deep: the one-shot -cleanup, in agent and catalog mode, refuses
 * the answer naming it, and survives. */
Test(hostile_registry, consul_one_shot_survives_a_deep_service_list) {
  struct cdouble cd = {0};
  cd_start(&cd, 0, "--deep-answers 400000");
  struct fake f;
  fake_start(&f);
  static const char *const schemes[] = {"consul", "consul-catalog"};
  for (size_t i = 0; i < 2; i++) {
    int st = -1;
    char *log = it_sh(&st, "env DOCKER_HOST=unix://%s %s resync -cleanup -hostname rgh -ip 127.0.0.1 "
                      "%s://127.0.0.1:%d 2>&1", f.sock, it_bin(), schemes[i], cd.port);
    cr_expect(st == 0 || st == 1, "%s: resync did not survive (status %d):\n%s", schemes[i], st, log);
    cr_expect(strstr(log, "Consul's service list: JSON nested deeper than 64 levels") != NULL, "%s: %s",
              schemes[i], log);
    cr_expect(strstr(log, "Sanitizer") == NULL, "%s", log);
    free(log);
  }
  fake_stop(&f);
  cd_stop(&cd);
}

/* etcd v2: another client built a directory 2,000 deep under the prefix.
 * The listing is streamed, the deep branch skipped; -cleanup still reads
 * and handles every other entry. */
Test(hostile_registry, etcd2_one_shot_reads_past_a_deep_directory) {
  const char *p = et_prefix();
  struct rg_buf key = {0};
  rg_buf_printf(&key, "%s/x", p);
  for (int i = 0; i < 2000; i++) rg_buf_append(&key, "/d", 2);
  rg_buf_append(&key, "/leaf", 5);
  put_py(2, key.data, "\"1.2.3.4:5\"");
  rg_buf_free(&key);
  char k[256];
  snprintf(k, sizeof k, "%s/web/otherhost:web:80", p);
  put_py(2, k, "\"10.9.9.9:80\"");
  snprintf(k, sizeof k, "%s/web/rgh:gone:80", p);
  put_py(2, k, "\"10.1.1.1:80\"");
  struct fake f;
  fake_start(&f);
  int st = -1;
  char *log = it_sh(&st, "env DOCKER_HOST=unix://%s %s resync -cleanup -hostname rgh -ip 127.0.0.1 etcd2://" ET_ENDPOINT
                    "%s 2>&1", f.sock, it_bin(), p);
  cr_expect_eq(st, 0, "resync failed (status %d):\n%s", st, log);
  cr_expect(strstr(log, "cleanup: web/rgh:gone:80 has no running container") != NULL, "%s", log);
  char *v = et2_get(ET_ENDPOINT, k, NULL);
  cr_expect_null(v, "our dangling entry was not removed");
  free(v);
  snprintf(k, sizeof k, "%s/web/otherhost:web:80", p);
  v = et2_get(ET_ENDPOINT, k, NULL);
  cr_expect_str_eq(v ? v : "", "10.9.9.9:80", "another host's entry was touched");
  free(v);
  free(log);
  fake_stop(&f);
  et2_del(ET_ENDPOINT, p, true);
}

/* A label read as JSON (SERVICE_CHECK_HEADER) nested 30,000 deep (60 kB,
 * under Docker's and the inspect limits) on a real container: the daemon
 * registers the service with its HTTP check, says why the header was not
 * sent, and registers a normal container beside it. */
Test(hostile_registry, a_deeply_nested_json_label_is_refused_and_the_rest_registered) {
  struct cdouble cd = {0};
  cd_start(&cd, 0, NULL);
  char bad[128], good[128], labels[256], uri[64], keys[320];
  snprintf(bad, sizeof bad, "%s", it_name("rgt-hl-bad"));
  snprintf(good, sizeof good, "%s", it_name("rgt-hl-good"));
  free(it_sh_ok("docker run -d --name %s -p 127.0.0.1::80 -l SERVICE_NAME=hlbad -l SERVICE_CHECK_HTTP=/h "
                "-l \"SERVICE_CHECK_HEADER=$(python3 -c 'print(\"{\\\"a\\\":\"+\"[\"*30000+\"]\"*30000+\"}\")')\" "
                IT_IMG " httpd -f -p 80 >/dev/null", bad));
  snprintf(labels, sizeof labels, "-l SERVICE_NAME=hlgood");
  web_start(good, labels);
  snprintf(uri, sizeof uri, "consul://127.0.0.1:%d", cd.port);
  struct rgd r;
  rgd_start(&r, NULL, "", uri);
  snprintf(keys, sizeof keys, "'testhost:%s:80' Service", good);
  cr_expect(cd_wait(&cd, NULL, "/v1/agent/services", keys, "hlgood", 20), "the normal container was not registered");
  snprintf(keys, sizeof keys, "'testhost:%s:80' Service", bad);
  cr_expect(cd_wait(&cd, NULL, "/v1/agent/services", keys, "hlbad", 20), "the labelled container was not registered");
  snprintf(keys, sizeof keys, "'service:testhost:%s:80' Definition HTTP", bad);
  char *v = cd_get(&cd, NULL, "/v1/agent/checks", keys);
  cr_expect(strstr(v, "/h") != NULL, "the HTTP check was not kept: %s", v);
  free(v);
  cr_expect(rgd_wait_log(&r, "not sending SERVICE_CHECK_HEADER: is JSON nested deeper than 64 levels", 5),
            "the refused label was not logged");
  rgd_stop(&r);
  cd_stop(&cd);
  it_docker_rm(bad);
  it_docker_rm(good);
}
